"""Checks before a submission (each failure names its cells), the warnings a
clerk must confirm, and reading typed cells."""

from decimal import Decimal

import pytest

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd, reload
from vsis.returns.checks import trend_warnings, validation_problems
from vsis.returns.errors import Invalid, NeedsConfirmation
from vsis.returns.items import ALL_KEYS, ITEMS, CellError, age_key, parse_input
from vsis.returns.models import ReturnStatus
from vsis.returns.services import (
    create_return,
    fill_return,
    save_return,
    submit_return,
)


def consistent() -> dict[str, Decimal]:
    values = dict.fromkeys(ALL_KEYS, Decimal(0))
    values.update(
        volunteers_male=Decimal(2),
        volunteers_female=Decimal(3),
        volunteers=Decimal(5),
        **{
            age_key("male", 6): Decimal(2),
            age_key("female", 0): Decimal(1),
            age_key("female", 3): Decimal(2),
        },
    )
    return values


def test_consistent_values_pass() -> None:
    assert validation_problems(consistent()) == []


def test_male_plus_female_must_be_the_total() -> None:
    values = consistent()
    values["volunteers"] = Decimal(6)
    problems = validation_problems(values)
    assert problems[0].message == "志工人數：男 2 ＋ 女 3 ＝ 5，與合計 6 不符"
    assert problems[0].keys == ("volunteers_male", "volunteers_female", "volunteers")


def test_the_age_grid_must_match_by_sex_and_in_total() -> None:
    values = consistent()
    values[age_key("male", 6)] = Decimal(1)
    messages = [p.message for p in validation_problems(values)]
    assert "年齡 男 合計 1 與志工人數 男 2 不符" in messages
    assert "年齡 總計 4 與志工人數 合計 5 不符" in messages
    named = next(p for p in validation_problems(values) if "年齡 男" in p.message)
    assert age_key("male", 6) in named.keys and "volunteers_male" in named.keys


def test_negative_and_fractional_counts_are_named() -> None:
    values = consistent()
    values["insured"] = Decimal(-1)
    values["awarded"] = Decimal("1.5")
    values["hours"] = Decimal("0.6")  # minutes may be fractional (typed hours)
    messages = [p.message for p in validation_problems(values)]
    assert "投保人數：不可為負數" in messages
    assert "獎勵表揚人數：必須為整數" in messages
    assert not any("服務時數" in m for m in messages)


@pytest.mark.parametrize(
    ("key", "text", "stored"),
    [
        ("volunteers", "1,234", Decimal(1234)),
        ("volunteers", "１２３", Decimal(123)),  # full-width digits
        ("volunteers", " 7 ", Decimal(7)),
        ("hours", "12.5", Decimal(750)),
        ("hours", "0.01", Decimal("0.6")),
        ("funding", "30000", Decimal(30000)),
    ],
)
def test_typed_cells_are_read_in_the_unit_shown(
    key: str, text: str, stored: Decimal
) -> None:
    assert parse_input(ITEMS[key], text) == stored


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("volunteers", "-3", "志工人數 合計：不可為負數（收到「-3」）"),
        ("volunteers", "2.5", "志工人數 合計：請輸入整數（收到「2.5」）"),
        ("volunteers", "abc", "志工人數 合計：「abc」不是數字"),
        ("hours", "1.234", "服務時數：時數最多到小數點後兩位（收到「1.234」）"),
        ("age_female_2", "x", "年齡 18-29歲 女：「x」不是數字"),
        ("funding", "NaN", "經費（元）：「NaN」不是數字"),
    ],
)
def test_bad_cells_get_a_chinese_reason(key: str, text: str, message: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_input(ITEMS[key], text)
    assert str(caught.value) == message


def test_a_change_over_half_is_a_warning() -> None:
    before = consistent()
    before["hours"] = Decimal(6000)  # 100 h
    now = consistent()
    now["hours"] = Decimal(9060)  # 151 h: +51 %
    now["volunteers_male"] = Decimal(1)  # -50 % exactly: not over
    assert trend_warnings(now, before, YEAR) == [
        "服務時數：113年度 151 較 112年度 100 增加 51.0%（超過 50%）"
    ]
    assert trend_warnings(now, None, YEAR) == []


def test_every_result_cell_is_compared_with_last_year() -> None:
    before, now = consistent(), consistent()
    before["unit_count"], now["unit_count"] = Decimal(4), Decimal(7)  # +75 %
    before["funding"], now["funding"] = Decimal(10000), Decimal(4000)  # -60 %
    assert trend_warnings(now, before, YEAR) == [
        "運用單位數：113年度 7 較 112年度 4 增加 75.0%（超過 50%）",
        "經費（元）：113年度 4,000 較 112年度 10,000 減少 60.0%（超過 50%）",
    ]


def test_warnings_must_be_confirmed_before_submitting(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.unit_clerk
    last_year = create_return(tree.hospital, YEAR - 1, actor=clerk)
    # 2023: one record, a's 999 minutes on 31 December.
    submit_return(fill_return(last_year, actor=clerk), actor=clerk)
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    with pytest.raises(NeedsConfirmation) as caught:
        submit_return(ret, actor=clerk)
    assert caught.value.warnings == [
        "服務時數：113年度 4.5 較 112年度 16.65 減少 73.0%（超過 50%）",
        "出勤人次：113年度 3 較 112年度 1 增加 200.0%（超過 50%）",
    ]
    assert reload(ret).status == ReturnStatus.DRAFT
    submission = submit_return(ret, actor=clerk, confirm_warnings=True)
    assert any("出勤人次" in w for w in submission.warnings)


def test_a_parent_is_warned_of_children_not_submitted(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.county_clerk
    library = fill_return(create_return(tree.library, YEAR, actor=clerk), actor=clerk)
    bureau = fill_return(create_return(tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    with pytest.raises(NeedsConfirmation) as caught:
        submit_return(bureau, actor=clerk)
    assert caught.value.warnings == [
        "下層單位尚有 3 個未提交（N 無動作 2、W 產製中 1），其數字以即時資料計入"
    ]
    submit_return(library, actor=clerk)
    with pytest.raises(NeedsConfirmation) as caught:
        submit_return(bureau, actor=clerk)
    assert "上次自動帶入後已變更" in caught.value.warnings[-1]


def test_an_inconsistent_return_cannot_be_submitted(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.unit_clerk
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    ret = save_return(ret, {"volunteers_male": Decimal(2)}, actor=clerk)
    with pytest.raises(Invalid) as caught:
        submit_return(ret, actor=clerk, confirm_warnings=True)
    messages = [p.message for p in caught.value.problems]
    assert messages == [
        "志工人數：男 2 ＋ 女 2 ＝ 4，與合計 3 不符",
        "年齡 男 合計 1 與志工人數 男 2 不符",
    ]
    assert reload(ret).status == ReturnStatus.DRAFT


def test_a_return_never_filled_cannot_be_submitted(
    crowd: Crowd, personas: Personas
) -> None:
    from vsis.returns.errors import Refused

    ret = create_return(crowd.wide.tree.hospital, YEAR, actor=personas.unit_clerk)
    with pytest.raises(Refused, match="自動帶入最新統計數字"):
        submit_return(ret, actor=personas.unit_clerk)


@pytest.mark.parametrize(
    ("key", "text"), [("hours", "-0"), ("hours", "-0.00"), ("funding", "-0")]
)
def test_a_typed_negative_zero_is_stored_as_zero(key: str, text: str) -> None:
    value = parse_input(ITEMS[key], text)
    assert value == 0 and not value.is_signed()
    assert str(value) == "0"
