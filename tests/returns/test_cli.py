"""`vsis return …`: JSON output, every verb, scope checks and Chinese refusals
with a non-zero exit."""

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import Personas
from tests.returns.conftest import Crowd
from vsis.cli import main
from vsis.returns.models import AnnualReturn, ReturnStatus


def run(*args: str) -> Any:
    out = io.StringIO()
    call_command("return", *args, stdout=out)
    return json.loads(out.getvalue())


def base(
    verb: str, user: str | None = "hospital_clerk", unit: str = "A110"
) -> list[str]:
    args = [verb, "--unit", unit, "--year", "2024", "--format", "json"]
    return [*args, "--user", user] if user else args


def test_create_fills_and_show_prints_the_json_shape(
    crowd: Crowd, personas: Personas
) -> None:
    created = run(*base("create"))
    shown = run(*base("show", user=None))
    assert created == shown
    assert shown == {
        "unit": "A110",
        "year": 2024,
        "from": "2024-01-01",
        "to": "2024-12-31",
        "status": "W",
        "results": {
            "unit_count": 1,
            "team_count": 2,
            "volunteers_male": 1,
            "volunteers_female": 2,
            "volunteers": 3,
            "hours": 4.5,
            "attendances": 3,
            "persons_served": 9,
            "basic_trained": 0,
            "special_trained": 0,
            "record_book_holders": 0,
            "record_books_issued": 0,
            "insured": 0,
            "honour_card_holders": 0,
            "awarded": 0,
            "funding": 0,
        },
        "age": {"male": [0, 0, 0, 0, 0, 1, 0], "female": [0, 0, 0, 1, 0, 0, 1]},
    }


def test_show_without_a_return_says_n(crowd: Crowd) -> None:
    assert run(*base("show", user=None))["status"] == "N"


def test_create_with_an_roc_period(crowd: Crowd, personas: Personas) -> None:
    shown = run(*base("create"), "--from", "113/07/01", "--to", "1131231")
    assert (shown["from"], shown["to"]) == ("2024-07-01", "2024-12-31")
    assert shown["results"]["hours"] == 1.0  # only b's 60 minutes on 31 Dec


def test_set_fill_submit_unlock(crowd: Crowd, personas: Personas) -> None:
    run(*base("create"))
    after_set = run(*base("set"), "--item", "hours", "--value", "12.25")
    assert after_set["results"]["hours"] == 12.25
    run(*base("set"), "--item", "funding", "--value", "20,000")
    assert run(*base("fill"))["results"]["funding"] == 20000
    assert run(*base("submit"))["status"] == "Y"
    with pytest.raises(CommandError) as caught:
        run(*base("unlock"), "--reason", "x")
    assert "不能解除本單位自己的統計表" in str(caught.value)
    unlocked = run(*base("unlock", user="county_clerk"), "--reason", "更正時數")
    assert unlocked["status"] == "W"
    restored = run(*base("set"), "--item", "hours", "--value", "")
    assert restored["results"]["hours"] == 4.5


def test_status_json_counts_and_rows(crowd: Crowd, personas: Personas) -> None:
    run(*base("create"))
    run(*base("submit"))
    status = run(*base("status", user="county_clerk", unit="A000"))
    assert status["counts"] == {"N": 4, "W": 0, "Y": 1, "total": 5}
    row = next(r for r in status["units"] if r["unit"] == "A110")
    assert row["status"] == "Y" and row["submitted_by"] == "hospital_clerk"
    assert row["changed"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (base("create", user=None), "須以 --user 指定執行者帳號"),
        (base("create", user="nobody"), "查無帳號「nobody」"),
        (base("create", user="b_clerk"), "查無單位代碼「A110」，或不在您的權限範圍內"),
        (base("create", user="county_viewer"), "檢視者"),
        (base("fill"), "尚未建立 113年度 統計表（N 無動作）"),
        (base("create", unit="A111"), "志工隊，不需填報"),
        (["show", "--unit", "A110", "--year", "一一三"], "年度請填民國年"),
        ([*base("create"), "--from", "113/02/30"], "不存在的日期"),
        (["status", "--unit", "A000", "--year", "0000"], "年度須介於 90年度 與"),
        (["show", "--unit", "A110", "--year", "2000"], "收到西元 2000 年"),
        (
            ["backlog", "--unit", "A000", "--year", "1", "--user", "county_clerk"],
            "收到西元 1912 年",
        ),
    ],
)
def test_refusals_are_chinese_and_change_nothing(
    crowd: Crowd, personas: Personas, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert not AnnualReturn.objects.exists()


def test_set_refuses_bad_items_and_values(crowd: Crowd, personas: Personas) -> None:
    run(*base("create"))
    with pytest.raises(CommandError, match="未知的項目「hour」"):
        run(*base("set"), "--item", "hour", "--value", "1")
    with pytest.raises(CommandError, match="服務人次：不可為負數"):
        run(*base("set"), "--item", "persons_served", "--value", "-1")
    with pytest.raises(CommandError, match="確認無誤請加上 --confirm"):
        run(*base("create", unit="A100", user="county_clerk"))
        run(*base("submit", unit="A100", user="county_clerk"))
    assert (
        run(*base("submit", unit="A100", user="county_clerk"), "--confirm")["status"]
        == ReturnStatus.SUBMITTED
    )


def test_a_refusal_exits_non_zero(
    crowd: Crowd, personas: Personas, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    argv = sys.argv
    sys.argv = ["vsis", "return", *base("fill")]
    try:
        with pytest.raises(SystemExit) as caught:
            main()
    finally:
        sys.argv = argv
    assert caught.value.code == 1
    assert "尚未建立 113年度 統計表" in capsys.readouterr().err


def test_backlog_submits_every_unit_bottom_up(crowd: Crowd, personas: Personas) -> None:
    run(*base("create", unit="A120", user="county_clerk"))  # a draft: skipped
    result = run(*base("backlog", unit="A000", user="county_clerk"))
    assert result["submitted"] == ["A110", "A130", "A100", "A000"]
    assert result["skipped"] == [{"unit": "A120", "reason": "已有統計表（產製中）"}]
    county = run(*base("show", user=None, unit="A000"))
    assert county["status"] == "Y"
    assert county["results"]["volunteers"] == 6
    assert county["results"]["hours"] == 15.75  # 945 minutes


def test_a_locked_return_refuses_every_change_from_the_cli(
    crowd: Crowd, personas: Personas
) -> None:
    run(*base("create"))
    run(*base("submit"))
    for verb, extra in (("set", ["--item", "funding", "--value", "1"]), ("fill", [])):
        for user in ("hospital_clerk", "county_clerk", "root"):
            with pytest.raises(CommandError) as caught:
                run(*base(verb, user=user), *extra)
            assert "提交並鎖定，不能再修改" in str(caught.value)
            assert "上層單位「甲市政府社會局」解除鎖定" in str(caught.value)
    assert run(*base("show", user=None))["results"]["funding"] == 0
