"""The checks a return must pass before it is submitted, and the warnings a
clerk must confirm. Pure functions over cell values; each names its cells."""

from decimal import Decimal

from vsis.core.rocdate import format_roc_year
from vsis.reports.queries import N_BRACKETS
from vsis.returns.errors import CellProblem
from vsis.returns.items import (
    AGE_KEYS,
    ALL_KEYS,
    ITEMS,
    TREND_KEYS,
    Kind,
    age_key,
    display_text,
)

TREND_LIMIT = Decimal("0.5")


def _fmt(key: str, value: Decimal) -> str:
    return display_text(ITEMS[key], value)


def validation_problems(values: dict[str, Decimal]) -> list[CellProblem]:
    """Every reason the values cannot be submitted (empty when they can)."""
    problems: list[CellProblem] = []
    for key in ALL_KEYS:
        item, value = ITEMS[key], values[key]
        if value < 0:
            problems.append(CellProblem((key,), f"{item.full_label}：不可為負數"))
        elif item.kind is not Kind.HOURS and value != value.to_integral_value():
            problems.append(CellProblem((key,), f"{item.full_label}：必須為整數"))

    male, female = values["volunteers_male"], values["volunteers_female"]
    total = values["volunteers"]
    if male + female != total:
        problems.append(
            CellProblem(
                ("volunteers_male", "volunteers_female", "volunteers"),
                f"志工人數：男 {_fmt('volunteers', male)} ＋ 女 "
                f"{_fmt('volunteers', female)} ＝ {_fmt('volunteers', male + female)}"
                f"，與合計 {_fmt('volunteers', total)} 不符",
            )
        )
    for sex, label, expected_key in (
        ("male", "男", "volunteers_male"),
        ("female", "女", "volunteers_female"),
    ):
        keys = tuple(age_key(sex, i) for i in range(N_BRACKETS))
        age_total = sum((values[k] for k in keys), Decimal(0))
        if age_total != values[expected_key]:
            problems.append(
                CellProblem(
                    (*keys, expected_key),
                    f"年齡 {label} 合計 {_fmt('volunteers', age_total)} 與志工人數 "
                    f"{label} {_fmt('volunteers', values[expected_key])} 不符",
                )
            )
    grid_total = sum((values[k] for k in AGE_KEYS), Decimal(0))
    if grid_total != total:
        problems.append(
            CellProblem(
                (*AGE_KEYS, "volunteers"),
                f"年齡 總計 {_fmt('volunteers', grid_total)} 與志工人數 合計 "
                f"{_fmt('volunteers', total)} 不符",
            )
        )
    return problems


def trend_warnings(
    values: dict[str, Decimal],
    previous: dict[str, Decimal] | None,
    year: int,
) -> list[str]:
    """Items that moved more than 50 % against the previous submitted year.

    Items that were 0 the year before are not compared (no ratio exists).
    """
    if previous is None:
        return []
    warnings = []
    for key in TREND_KEYS:
        before, now = previous.get(key, Decimal(0)), values[key]
        if before <= 0:
            continue
        change = (now - before) / before
        if abs(change) > TREND_LIMIT:
            word = "增加" if change > 0 else "減少"
            warnings.append(
                f"{ITEMS[key].full_label}：{format_roc_year(year)} {_fmt(key, now)}"
                f" 較 {format_roc_year(year - 1)} {_fmt(key, before)} {word} "
                f"{abs(change) * 100:.1f}%（超過 50%）"
            )
    return warnings
