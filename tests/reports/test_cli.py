"""`vsis report age|service`: JSON to stdout, files, Chinese errors, exit codes."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import execute_from_command_line
from python_calamine import CalamineWorkbook

from tests.conftest import Personas
from tests.reports.conftest import ReportData


def vsis(*args: str) -> int:
    """Run `vsis ARGS` in this process (so it sees the test database)."""
    try:
        execute_from_command_line(["vsis", *args])
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert vsis("report", *args, "--format", "json", "--output", "-") == 0
    return json.loads(capsys.readouterr().out)


def test_age_json_to_stdout(
    data: ReportData, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_json(capsys, "age", "--unit", "A000", "--as-of", "113/12/31")
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
        capsys, "age", "--unit", "A000", "--as-of", "2024-12-31", "--dedupe"
    )
    assert deduped["rows"][-1]["total"] == 6


def test_age_conditions_on_the_command_line(
    data: ReportData, capsys: pytest.CaptureFixture[str]
) -> None:
    day = ("--as-of", "2024-12-31")
    women = run_json(capsys, "age", "--unit", "A000", *day, "--sex", "F")
    assert women["rows"][-1]["male"] == [0] * 7
    assert women["rows"][-1]["total"] == 4
    some = run_json(
        capsys,
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
    culture = run_json(capsys, "age", "--unit", "A000", *day, "--category", "文化")
    assert [r["code"] for r in culture["rows"] if r["kind"] == "team"] == [
        "A112",
        "A121",
    ]
    direct = run_json(capsys, "age", "--unit", "A110", *day, "--no-subunits")
    assert [r["code"] for r in direct["rows"]] == ["A111", "A112", "A113", "A110"]


def test_today_is_the_default_reference_date(
    data: ReportData, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.utils import timezone

    document = run_json(capsys, "age", "--unit", "A111")
    assert document["as_of"] == timezone.localdate().isoformat()


def test_service_json_to_stdout(
    data: ReportData, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_json(
        capsys, "service", "--unit", "A000", "--from", "1130101", "--to", "2024/12/31"
    )
    assert (document["from"], document["to"]) == ("2024-01-01", "2024-12-31")
    total = document["rows"][-1]
    assert (total["volunteers"], total["attendances"], total["minutes"]) == (5, 6, 247)
    deduped = run_json(
        capsys,
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


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_file(
    data: ReportData, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / f"age.{fmt}"
    assert (
        vsis(
            "report",
            "age",
            "--unit",
            "A000",
            "--as-of",
            "2024-12-31",
            "--output",
            str(out),
        )
        == 0
    )
    assert "已寫入" in capsys.readouterr().out
    book = CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    assert rows[0][0] == "甲市政府 志工年齡分布表"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


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
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.json"
    assert vsis("report", *args, "--output", str(out)) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_sheets_cannot_go_to_stdout(
    data: ReportData, capsys: pytest.CaptureFixture[str]
) -> None:
    code = vsis("report", "age", "--unit", "A000", "--format", "xlsx", "--output", "-")
    assert code == 1
    assert "無法輸出到標準輸出" in capsys.readouterr().err


def test_the_user_option_checks_scope(
    data: ReportData, personas: Personas, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", "age", "--unit", "A110", "--output", "-"]
    assert vsis(*base, "--user", "hospital_clerk") == 0
    capsys.readouterr()
    assert vsis(*base, "--user", "b_clerk") == 1
    assert "不在帳號 b_clerk 的範圍內" in capsys.readouterr().err
    assert vsis(*base, "--user", "nobody") == 1
    assert "查無帳號：nobody" in capsys.readouterr().err
    # A unit above one's own is out of scope too.
    assert (
        vsis(
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
