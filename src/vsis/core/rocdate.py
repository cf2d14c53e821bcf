"""ROC (民國) calendar dates: formatting for forms and sheets, parsing of input.

The ROC year is the Gregorian year minus 1911 (民國1年 = 1912). Input accepts
ROC dates written 113/01/05, 113-1-5, 113.1.5, 1130105 or 113年1月5日, Gregorian
dates written 2024-01-05, 2024/1/5 or 20240105, with full-width digits and
separators; anything else is a ParseError with a Chinese message.
"""

import datetime as dt
import re
import unicodedata

ROC_OFFSET = 1911


class DateParseError(ValueError):
    """A date text that cannot be read; str() is a Chinese message for the user."""


def roc_year(year: int) -> int:
    return year - ROC_OFFSET


def gregorian_year(roc: int) -> int:
    return roc + ROC_OFFSET


def format_roc(value: dt.date, sep: str = "/") -> str:
    """113/12/31 style (zero-padded month and day)."""
    return f"{roc_year(value.year)}{sep}{value.month:02d}{sep}{value.day:02d}"


def format_roc_long(value: dt.date) -> str:
    """113年12月31日 style."""
    return f"{roc_year(value.year)}年{value.month}月{value.day}日"


def format_roc_year(year: int) -> str:
    """113年度 for Gregorian 2024."""
    return f"{roc_year(year)}年度"


_SEPARATED = re.compile(r"^(\d{1,4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?$")
_COMPACT = re.compile(r"^\d{6,8}$")


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, slashes and spaces into their ASCII forms.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _make(year: int, month: int, day: int, *, roc: bool, original: str) -> dt.date:
    if roc:
        if year < 1:
            raise DateParseError(f"民國年份不正確：{original}")
        year = gregorian_year(year)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateParseError(f"不存在的日期：{original}") from None


def parse_date(text: str) -> dt.date:
    """Read a date typed by a person, ROC or Gregorian.

    A year of one to three digits is an ROC year; four digits, Gregorian.
    A compact number of 6 or 7 digits is ROC (YYYMMDD, YYMMDD); 8 digits is
    Gregorian (YYYYMMDD).
    """
    original = text
    text = _normalise(text)
    if not text:
        raise DateParseError("日期空白")
    if match := _SEPARATED.match(text):
        year_text, month, day = match.group(1), int(match.group(2)), int(match.group(3))
        roc = len(year_text) <= 3
        return _make(int(year_text), month, day, roc=roc, original=original)
    if _COMPACT.match(text):
        if len(text) == 8:
            return _make(
                int(text[:4]),
                int(text[4:6]),
                int(text[6:]),
                roc=False,
                original=original,
            )
        year_digits = len(text) - 4
        return _make(
            int(text[:year_digits]),
            int(text[year_digits : year_digits + 2]),
            int(text[year_digits + 2 :]),
            roc=True,
            original=original,
        )
    raise DateParseError(f"無法辨識的日期格式：{original}")
