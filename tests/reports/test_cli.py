"""`vsis report age|service`: JSON to stdout, files, Chinese errors, exit codes."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from tests.conftest import Personas
from tests.imports.conftest import HOURS_HEADER, csv_bytes
from tests.reports.conftest import ReportData
from vsis.imports.services import import_file


class Captured:
    out = ""
    err = ""


def vsis(captured: Captured, *args: str) -> int:
    """Run `vsis ARGS` in this process, so it sees the test database.

    Returns the exit code `vsis` would give: CommandError's returncode (1).
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=stdout, stderr=stderr)
        code = 0
    except CommandError as error:
        stderr.write(str(error))
        code = error.returncode
    captured.out, captured.err = stdout.getvalue(), stderr.getvalue()
    return code


@pytest.fixture
def out() -> Captured:
    return Captured()


def run_json(out: Captured, *args: str) -> dict[str, Any]:
    assert vsis(out, "report", *args, "--format", "json", "--output", "-") == 0
    return json.loads(out.out)


def test_age_json_to_stdout(data: ReportData, out: Captured) -> None:
    document = run_json(out, "age", "--unit", "A000", "--as-of", "113/12/31")
    assert document["as_of"] == "2024-12-31"
    assert [(r["code"], r["kind"], r["total"]) for r in document["rows"]] == [
        ("A111", "team", 5),
        ("A112", "team", 1),
        ("A113", "team", 0),
        ("A110", "subtotal", 6),
        ("A121", "team", 2),
        ("A120", "subtotal", 2),
        ("A100", "subtotal", 8),
        ("A000", "total", 8),
    ]
    deduped = run_json(
        out, "age", "--unit", "A000", "--as-of", "2024-12-31", "--dedupe"
    )
    assert deduped["rows"][-1]["total"] == 6


def test_age_conditions_on_the_command_line(data: ReportData, out: Captured) -> None:
    day = ("--as-of", "2024-12-31")
    women = run_json(out, "age", "--unit", "A000", *day, "--sex", "F")
    assert women["rows"][-1]["male"] == [0] * 7
    assert women["rows"][-1]["total"] == 4
    some = run_json(
        out,
        "age",
        "--unit",
        "A111",
        *day,
        "--status",
        "暫停中",
        "--status",
        "intern",
    )
    assert some["conditions"]["statuses"] == ["suspended", "intern"]
    assert some["rows"][-1]["total"] == 2
    culture = run_json(out, "age", "--unit", "A000", *day, "--category", "文化")
    assert [r["code"] for r in culture["rows"] if r["kind"] == "team"] == [
        "A112",
        "A121",
    ]
    direct = run_json(out, "age", "--unit", "A110", *day, "--no-subunits")
    assert [r["code"] for r in direct["rows"]] == ["A111", "A112", "A113", "A110"]


def test_today_is_the_default_reference_date(data: ReportData, out: Captured) -> None:
    from django.utils import timezone

    document = run_json(out, "age", "--unit", "A111")
    assert document["as_of"] == timezone.localdate().isoformat()


def test_service_json_to_stdout(data: ReportData, out: Captured) -> None:
    document = run_json(
        out, "service", "--unit", "A000", "--from", "1130101", "--to", "2024/12/31"
    )
    assert (document["from"], document["to"]) == ("2024-01-01", "2024-12-31")
    total = document["rows"][-1]
    assert (total["volunteers"], total["attendances"], total["minutes"]) == (5, 6, 247)
    deduped = run_json(
        out,
        "service",
        "--unit",
        "A000",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--dedupe",
    )
    assert deduped["rows"][-1]["volunteers"] == 3


def test_hours_from_start_and_end_times_reach_the_json(
    data: ReportData, out: Captured
) -> None:
    """Records imported with 起時/迄時 and no 服務時數 count the time between."""
    p1, p3 = data.people["p1"], data.people["p3"]
    rows = [
        HOURS_HEADER,
        # 甲 (男): 1.5 h typed inside a two-hour span, then 59 minutes by times.
        [p1.national_id, "甲", "A111", "114/03/01", "10:00", "12:00", "1.5", "0"],
        [p1.national_id, "甲", "A111", "2025-03-31", "08:00", "08:59", "", "1"],
        # 丙 (女): 155 and 1 minutes by times.
        [p3.national_id, "丙", "A111", "1140303", "09:10", "11:45", "", "2"],
        [p3.national_id, "丙", "A111", "114/3/4", "13:00", "13:01", "", ""],
    ]
    outcome = import_file(
        actor=None, kind="hours", filename="服務紀錄.csv", data=csv_bytes(rows)
    )
    assert outcome.ok, [str(error) for error in outcome.errors]

    document = run_json(
        out, "service", "--unit", "A111", "--from", "114/03/01", "--to", "114/03/31"
    )
    team = document["rows"][0]
    assert team["code"] == "A111"
    # 男 90 + 59 = 149 min, 女 155 + 1 = 156 min, 305 min for two people.
    assert (team["minutes_male"], team["minutes_female"], team["minutes"]) == (
        149,
        156,
        305,
    )
    assert (team["hours_male"], team["hours_female"], team["hours"]) == (
        2.483333,
        2.6,
        5.083333,
    )
    assert (team["volunteers"], team["attendances"], team["persons_served"]) == (
        2,
        4,
        3,
    )
    assert team["hours_per_volunteer"] == 2.54  # 5.0833… ÷ 2


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_file(data: ReportData, tmp_path: Path, fmt: str, out: Captured) -> None:
    target = tmp_path / "out" / f"age.{fmt}"
    assert (
        vsis(
            out,
            "report",
            "age",
            "--unit",
            "A000",
            "--as-of",
            "2024-12-31",
            "--output",
            str(target),
        )
        == 0
    )
    assert "已寫入" in out.out
    book = CalamineWorkbook.from_path(str(target))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    assert rows[0][0] == "甲市政府 志工年齡分布表"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["age", "--unit", "Z999", "--as-of", "2024-12-31"], "查無單位代碼：Z999"),
        (
            ["age", "--unit", "A000", "--as-of", "明天"],
            "基準日：無法辨識的日期格式：明天",
        ),
        (["age", "--unit", "A000", "--as-of", "113/02/30"], "不存在的日期：113/02/30"),
        (["age", "--unit", "A000", "--sex", "X"], "性別不正確：X"),
        (["age", "--unit", "A000", "--as-of", "30000101"], "基準日須在民國元年"),
        (["age", "--unit", "A000", "--status", "休假"], "志工狀態不正確：休假"),
        (["age", "--unit", "A000", "--category", "星際"], "查無服務類別：星際"),
        (
            ["service", "--unit", "A000", "--from", "2024-02-01", "--to", "2024-01-31"],
            "服務日期迄不可早於服務日期起",
        ),
        (
            ["service", "--unit", "A000", "--from", "2024-13-01", "--to", "2024-12-31"],
            "服務日期起：不存在的日期",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_a_chinese_message(
    data: ReportData,
    out: Captured,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    target = tmp_path / "x.json"
    assert vsis(out, "report", *args, "--output", str(target)) == 1
    assert message in out.err
    assert not target.exists()


def test_sheets_cannot_go_to_stdout(data: ReportData, out: Captured) -> None:
    code = vsis(
        out, "report", "age", "--unit", "A000", "--format", "xlsx", "--output", "-"
    )
    assert code == 1
    assert "無法輸出到標準輸出" in out.err


def test_the_user_option_checks_scope(
    data: ReportData, personas: Personas, out: Captured
) -> None:
    base = ["report", "age", "--unit", "A110", "--output", "-"]
    assert vsis(out, *base, "--user", "hospital_clerk") == 0
    assert vsis(out, *base, "--user", "b_clerk") == 1
    assert "不在帳號 b_clerk 的範圍內" in out.err
    assert vsis(out, *base, "--user", "nobody") == 1
    assert "查無帳號：nobody" in out.err
    # A unit above one's own is out of scope too.
    assert (
        vsis(
            out,
            "report",
            "age",
            "--unit",
            "A000",
            "--output",
            "-",
            "--user",
            "hospital_clerk",
        )
        == 1
    )


def test_the_real_command_exits_non_zero(tmp_path: Path) -> None:
    """The installed `vsis` on an empty database: exit code 1, Chinese on stderr."""
    env = {**os.environ, "VSIS_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    vsis_command = [sys.executable, "-m", "vsis"]
    subprocess.run([*vsis_command, "migrate", "-v0"], env=env, check=True)
    result = subprocess.run(
        [*vsis_command, "report", "age", "--unit", "A000", "--output", "-"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "查無單位代碼：A000" in result.stderr
    assert result.stdout == ""
