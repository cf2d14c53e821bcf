"""The cells of the annual return (DOMAIN.md §4.1) and how each is typed.

Every cell is stored as a decimal string in its base unit: a count of persons,
units or records; whole 元 for 經費; and *minutes* for 服務時數, so that hours
typed with decimals (12.34 h = 740.4 min) and hours summed from service records
(whole minutes) are both exact and add up the tree without rounding. Hours are
shown and exported as hours with at most two decimals.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from vsis.core.ages import BRACKET_LABELS


class Kind(Enum):
    COUNT = "count"  # a non-negative whole number
    HOURS = "hours"  # stored in minutes, typed and shown in hours (2 decimals)
    MONEY = "money"  # whole 元


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    kind: Kind = Kind.COUNT
    section: str = "results"

    @property
    def full_label(self) -> str:
        return self.label if self.section == "results" else f"年齡 {self.label}"


RESULT_ITEMS: tuple[Item, ...] = (
    Item("unit_count", "運用單位數"),
    Item("team_count", "志工團隊數"),
    Item("volunteers_male", "志工人數 男"),
    Item("volunteers_female", "志工人數 女"),
    Item("volunteers", "志工人數 合計"),
    Item("hours", "服務時數", Kind.HOURS),
    Item("attendances", "出勤人次"),
    Item("persons_served", "服務人次"),
    Item("basic_trained", "基礎訓練完訓人數"),
    Item("special_trained", "特殊訓練完訓人數"),
    Item("record_book_holders", "領有紀錄冊人數"),
    Item("record_books_issued", "本期核發紀錄冊數"),
    Item("insured", "投保人數"),
    Item("honour_card_holders", "持有效榮譽卡人數"),
    Item("awarded", "獎勵表揚人數"),
    Item("funding", "經費（元）", Kind.MONEY),
)
RESULT_KEYS: tuple[str, ...] = tuple(item.key for item in RESULT_ITEMS)

SEXES = (("male", "男"), ("female", "女"))


def age_key(sex: str, index: int) -> str:
    """age_male_0 … age_female_6 (index into core.ages.BRACKETS)."""
    return f"age_{sex}_{index}"


AGE_ITEMS: tuple[Item, ...] = tuple(
    Item(age_key(sex, index), f"{label} {sex_label}", section="age")
    for sex, sex_label in SEXES
    for index, label in enumerate(BRACKET_LABELS)
)
AGE_KEYS: tuple[str, ...] = tuple(item.key for item in AGE_ITEMS)

ITEMS: dict[str, Item] = {item.key: item for item in RESULT_ITEMS + AGE_ITEMS}
ALL_KEYS: tuple[str, ...] = RESULT_KEYS + AGE_KEYS

# Items compared with the previous year before a submission (> 50 % warns):
# every result cell, as decision 0008 says; a using unit's 運用單位數 is always 1.
TREND_KEYS: tuple[str, ...] = RESULT_KEYS

_MAX = Decimal(10) ** 13
_MINUTES_PER_HOUR = Decimal(60)
_CENT = Decimal("0.01")


class CellError(ValueError):
    """A typed value that is not acceptable; str() is a Chinese message."""


def _clean(text: str) -> str:
    # Full-width digits and separators become ASCII; thousands commas go.
    return re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", text))


def parse_input(item: Item, text: str) -> Decimal:
    """A typed cell (in the unit the page shows) as a stored value.

    Counts and 元 must be non-negative whole numbers; hours may carry up to two
    decimals and are returned in minutes, exactly.
    """
    cleaned = _clean(text)
    shown = text.strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{item.full_label}：「{shown}」不是數字") from None
    if not number.is_finite():
        raise CellError(f"{item.full_label}：「{shown}」不是數字")
    if number < 0:
        raise CellError(f"{item.full_label}：不可為負數（收到「{shown}」）")
    if number >= _MAX:
        raise CellError(f"{item.full_label}：數字過大（收到「{shown}」）")
    if item.kind is Kind.HOURS:
        if number != number.quantize(_CENT):
            raise CellError(
                f"{item.full_label}：時數最多到小數點後兩位（收到「{shown}」）"
            )
        return normalise(number * _MINUTES_PER_HOUR)
    if number != number.to_integral_value():
        raise CellError(f"{item.full_label}：請輸入整數（收到「{shown}」）")
    return normalise(number)


def normalise(value: Decimal) -> Decimal:
    """Drop trailing zeros and the exponent form: 740.40 -> 740.4, 1E+2 -> 100;
    a negative zero ("-0" typed) is plain 0."""
    if value.is_zero():
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def to_stored(value: Decimal | int) -> str:
    return str(normalise(Decimal(value)))


def shown_value(item: Item, stored: Decimal) -> Decimal:
    """The value in the unit shown to people: hours for 服務時數 (2 decimals)."""
    if item.kind is Kind.HOURS:
        return normalise(
            (stored / _MINUTES_PER_HOUR).quantize(_CENT, rounding=ROUND_HALF_UP)
        )
    return normalise(stored)


def input_text(item: Item, stored: Decimal) -> str:
    """The text put in an input box (no thousands separators)."""
    return str(shown_value(item, stored))


def display_text(item: Item, stored: Decimal) -> str:
    """The text shown in a table: thousands separators, hours with decimals."""
    shown = shown_value(item, stored)
    if shown == shown.to_integral_value():
        return f"{int(shown):,}"
    return f"{shown:,.2f}".rstrip("0").rstrip(".")


def json_value(item: Item, stored: Decimal) -> int | float:
    """The value for JSON output and spreadsheets: int, or float hours."""
    shown = shown_value(item, stored)
    if item.kind is Kind.HOURS:
        return float(shown)
    return int(shown)
