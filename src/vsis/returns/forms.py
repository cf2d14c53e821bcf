"""Reading what people type on the return pages: years, periods and cells."""

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms

from vsis.core.rocdate import DateParseError, gregorian_year, parse_date
from vsis.returns.errors import BadInput
from vsis.returns.items import ALL_KEYS, ITEMS, CellError, parse_input
from vsis.returns.services import check_year


def parse_year(text: str) -> int:
    """113 (ROC, up to three digits) or 2024 (Gregorian) → 2024."""
    cleaned = re.sub(r"\s|年度?$", "", unicodedata.normalize("NFKC", text or ""))
    cleaned = cleaned.removeprefix("民國")
    if not cleaned.isdigit() or not 1 <= len(cleaned) <= 4:
        raise forms.ValidationError(
            f"年度請填民國年（例如 113）或西元年（收到「{text}」）"
        )
    year = int(cleaned)
    return year if len(cleaned) == 4 else gregorian_year(year)


def parse_filing_year(text: str) -> int:
    """parse_year, and a year a return can be filed for (services.check_year)."""
    year = parse_year(text)
    try:
        check_year(year)
    except BadInput as error:
        raise forms.ValidationError(error.message) from None
    return year


def _date_or_none(text: str, label: str) -> dt.date | None:
    if not (text or "").strip():
        return None
    try:
        return parse_date(text)
    except DateParseError as error:
        raise forms.ValidationError(f"{label}：{error}") from None


class NewReturnForm(forms.Form):
    """新增資料: the unit, the year and the period (blank = the calendar year)."""

    unit_code = forms.CharField(label="填報單位代碼", max_length=20)
    year = forms.CharField(label="年度", max_length=10, help_text="民國年，例如 113")
    period_start = forms.CharField(
        label="統計日期起", max_length=20, required=False, help_text="空白為 1 月 1 日"
    )
    period_end = forms.CharField(
        label="統計日期迄",
        max_length=20,
        required=False,
        help_text="空白為 12 月 31 日",
    )

    def clean_year(self) -> int:
        return parse_filing_year(self.cleaned_data["year"])

    def clean_period_start(self) -> dt.date | None:
        return _date_or_none(self.cleaned_data.get("period_start", ""), "統計日期起")

    def clean_period_end(self) -> dt.date | None:
        return _date_or_none(self.cleaned_data.get("period_end", ""), "統計日期迄")


class BoardForm(forms.Form):
    q = forms.CharField(label="單位名稱", max_length=100, required=False)
    year = forms.CharField(label="年度", max_length=10, required=False)

    def clean_year(self) -> int | None:
        text = self.cleaned_data.get("year", "")
        return parse_filing_year(text) if text.strip() else None


@dataclass
class CellInput:
    """The cells a person changed on the page, parsed, and any typing errors."""

    values: dict[str, Decimal | None] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # as typed, for re-display
    errors: dict[str, str] = field(default_factory=dict)
    period: tuple[dt.date, dt.date] | None = None
    period_error: str = ""


def read_cells(data: Mapping[str, str]) -> CellInput:
    """Cells whose posted text (v_KEY) differs from the text the page showed
    (o_KEY): only those were touched. Blank means back to the computed value."""
    result = CellInput()
    for key in ALL_KEYS:
        posted = data.get(f"v_{key}")
        if posted is None:
            continue
        shown = data.get(f"o_{key}", "")
        if posted.strip() == shown.strip():
            continue
        result.raw[key] = posted
        if not posted.strip():
            result.values[key] = None
            continue
        try:
            result.values[key] = parse_input(ITEMS[key], posted)
        except CellError as error:
            result.errors[key] = str(error)
    start_text, end_text = data.get("period_start"), data.get("period_end")
    if start_text is not None and end_text is not None:
        changed = (start_text.strip(), end_text.strip()) != (
            data.get("o_period_start", "").strip(),
            data.get("o_period_end", "").strip(),
        )
        if changed:
            try:
                start = _date_or_none(start_text, "統計日期起")
                end = _date_or_none(end_text, "統計日期迄")
            except forms.ValidationError as error:
                result.period_error = " ".join(error.messages)
            else:
                if start is None or end is None:
                    result.period_error = "統計日期起迄皆須填寫"
                else:
                    result.period = (start, end)
    return result
