"""Reading one cell: text, dates, times, hours, counts and the closed lists.

A cell arrives as calamine gives it (str, float, int, bool, date, datetime,
time, timedelta) or as csv text. Each reader returns a clean Python value or
raises CellError with a Chinese reason. Full-width digits, letters, spaces and
slashes are folded with NFKC wherever the value is a code, a number or a date;
names and free text keep their characters (NFKC would rewrite CJK
compatibility ideographs, which are real name characters).
"""

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from vsis.core.national_id import is_valid_taiwan_id, looks_like_taiwan_id
from vsis.core.national_id import normalise_id as fold_id
from vsis.core.rocdate import DateParseError, parse_date
from vsis.imports.errors import CellError
from vsis.units.models import Level
from vsis.volunteers.models import IdKind, MembershipStatus, Sex

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None
T = TypeVar("T")
_MEMOISED: list["functools._lru_cache_wrapper[object]"] = []


def _memo(reader: Callable[..., T]) -> Callable[..., T]:
    """Remember a pure reader's answers: a file repeats the same IDs, dates and
    times thousands of times. Errors are not remembered (lru_cache keeps only
    returned values)."""
    cached = functools.lru_cache(maxsize=1 << 16, typed=True)(reader)
    _MEMOISED.append(cached)
    return cached


def clear_caches() -> None:
    """Forget remembered cells (they include IDs) once a file is done."""
    for cached in _MEMOISED:
        cached.cache_clear()


# Echoed values are cut so that a huge cell never floods the error list.
_ECHO = 24
_EARLIEST = dt.date(1900, 1, 1)
_MINUTES_IN_A_DAY = 24 * 60


def echo(text: str) -> str:
    return text if len(text) <= _ECHO else text[:_ECHO] + "…"


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Cell) -> str:
    """The cell as text, trimmed; an integral number loses its ".0"."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def folded(value: Cell) -> str:
    """NFKC text without any whitespace: for codes, numbers and dates."""
    raw = text(value)
    if not raw.isascii():
        raw = unicodedata.normalize("NFKC", raw)
    return "".join(raw.split())


def limited_text(value: Cell, max_length: int) -> str:
    result = text(value)
    if len(result) > max_length:
        raise CellError(f"內容過長（上限 {max_length} 字，此格 {len(result)} 字）")
    return result


@_memo
def code(value: Cell, max_length: int = 20) -> str:
    """A unit code: folded, compared exactly."""
    result = folded(value)
    if len(result) > max_length:
        raise CellError(f"代碼過長（上限 {max_length} 字）")
    return result


@_memo
def date(value: Cell) -> dt.date:
    """A real date cell, or a ROC or Gregorian date written as text or number."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, dt.time | dt.timedelta | bool):
        raise CellError("不是日期")
    else:
        raw = folded(value)
        if len(raw) > 20:
            raise CellError(f"無法辨識的日期格式：{echo(raw)}")
        try:
            day = parse_date(raw)
        except DateParseError as exc:
            raise CellError(str(exc)) from None
    if day < _EARLIEST:
        raise CellError(f"日期不合理：{day.isoformat()}")
    return day


_CLOCK = re.compile(r"^(\d{1,2})[:時点點](\d{2})(?::(\d{2}))?分?$")
_COMPACT_CLOCK = re.compile(r"^(\d{1,2})(\d{2})$")
_HOUR_ONLY = re.compile(r"^(\d{1,2})[時点點]$")


def _clock(hours: int, minutes: int, original: str) -> dt.time:
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise CellError(f"不存在的時間：{echo(original)}")
    return dt.time(hours, minutes)


@_memo
def time(value: Cell) -> dt.time:
    """09:00, 9:00, 0900, 9時30分, a real time cell or a fraction of a day."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        # A time cell is a fraction of a day; round away float noise.
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        total = round((seconds + value.microsecond / 1e6) / 60)
        if total >= _MINUTES_IN_A_DAY:
            raise CellError("時間須早於 24:00")
        return dt.time(total // 60, total % 60)
    if isinstance(value, dt.timedelta):
        total = round(value.total_seconds() / 60)
        if not 0 <= total < _MINUTES_IN_A_DAY:
            raise CellError("時間須在 00:00 與 23:59 之間")
        return dt.time(total // 60, total % 60)
    if isinstance(value, float) and 0 <= value < 1:
        total = round(value * _MINUTES_IN_A_DAY)
        if total >= _MINUTES_IN_A_DAY:
            raise CellError("時間須早於 24:00")
        return dt.time(total // 60, total % 60)
    raw = folded(value)
    if match := _CLOCK.match(raw):
        if match.group(3) not in (None, "00"):
            raise CellError(f"時間須為整分：{echo(raw)}")
        return _clock(int(match.group(1)), int(match.group(2)), raw)
    if match := _COMPACT_CLOCK.match(raw):
        return _clock(int(match.group(1)), int(match.group(2)), raw)
    if match := _HOUR_ONLY.match(raw):
        return _clock(int(match.group(1)), 0, raw)
    raise CellError(f"無法辨識的時間：{echo(raw)}（請寫成 09:00 或 0900）")


_HOURS_UNIT = re.compile(r"(小時|鐘頭|hours?|hrs?|h|時)$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d{1,2}):(\d{2})$")


@_memo
def minutes_of_hours(value: Cell) -> int:
    """服務時數 in hours (3, 2.5, 2:30, a time or duration cell) as whole minutes.

    Raises CellError unless the result is a whole number of minutes above zero
    and at most a day.
    """
    if isinstance(value, bool | dt.date):
        raise CellError("不是時數")
    if isinstance(value, dt.time):
        minutes = Decimal(value.hour * 60 + value.minute) + Decimal(value.second) / 60
    elif isinstance(value, dt.timedelta):
        minutes = Decimal(value.days * 1440) + Decimal(value.seconds) / 60
    elif isinstance(value, int | float):
        # repr gives the shortest text that reads back as the same float, so
        # 2.5 and 1.1 are exact here.
        minutes = Decimal(repr(value)) * 60
    else:
        raw = _HOURS_UNIT.sub("", folded(value))
        if match := _DURATION.match(raw):
            minutes = Decimal(int(match.group(1)) * 60 + int(match.group(2)))
            if int(match.group(2)) >= 60:
                raise CellError(f"無法辨識的時數：{echo(raw)}")
        else:
            try:
                minutes = Decimal(raw) * 60
            except InvalidOperation:
                raise CellError(f"無法辨識的時數：{echo(folded(value))}") from None
            if not minutes.is_finite():
                raise CellError(f"無法辨識的時數：{echo(raw)}")
    if minutes != minutes.to_integral_value():
        raise CellError("服務時數須為整數分鐘（例如 1.5 小時或 1:30）")
    whole = int(minutes)
    if whole <= 0:
        raise CellError("服務時數須大於 0")
    if whole > _MINUTES_IN_A_DAY:
        raise CellError("服務時數不可超過 24 小時")
    return whole


_COUNT_UNIT = re.compile(r"(人次|人)$")
_MAX_COUNT = 2_147_483_647


@_memo
def count(value: Cell) -> int:
    """A non-negative whole number (服務人次); a blank cell is 0."""
    if is_blank(value):
        return 0
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise CellError("須為整數")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("須為整數")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        raw = _COUNT_UNIT.sub("", folded(value)).replace(",", "")
        if not re.fullmatch(r"-?\d+(\.0+)?", raw):
            raise CellError(f"須為整數：{echo(raw)}")
        number = int(raw.split(".")[0])
    if number < 0:
        raise CellError("不可為負數")
    if number > _MAX_COUNT:
        raise CellError("數字過大")
    return number


def _choices(pairs: dict[str, str]) -> dict[str, str]:
    return {folded(key).lower(): value for key, value in pairs.items()}


_SEXES = _choices(
    {
        "男": Sex.MALE, "男性": Sex.MALE, "M": Sex.MALE, "male": Sex.MALE,
        "女": Sex.FEMALE, "女性": Sex.FEMALE, "F": Sex.FEMALE, "female": Sex.FEMALE,
    }
)  # fmt: skip


def sex(value: Cell) -> str:
    """男/女 (also 男性/女性, M/F) as Sex."""
    try:
        return _SEXES[folded(value).lower()]
    except KeyError:
        raise CellError(f"性別須為「男」或「女」：{echo(text(value))}") from None


_STATUSES = _choices(
    {label: value for value, label in MembershipStatus.choices}
    | {value: value for value in MembershipStatus.values}
    | {"離隊": MembershipStatus.QUIT, "退隊": MembershipStatus.QUIT}
)


def status(value: Cell) -> str:
    """服務中 / 暫停中 / 實習中 / 退出 as MembershipStatus."""
    try:
        return _STATUSES[folded(value).lower()]
    except KeyError:
        labels = "、".join(MembershipStatus.labels)
        raise CellError(f"志工狀態須為{labels}之一：{echo(text(value))}") from None


_LEVELS = _choices(
    {str(label): str(int(value)) for value, label in Level.choices}
    | {str(int(value)): str(int(value)) for value in Level.values}
    | {
        "直轄市政府": str(Level.COUNTY),
        "縣(市)政府": str(Level.COUNTY),
        "縣市政府": str(Level.COUNTY),
        "直轄市、縣市政府": str(Level.COUNTY),
        "運用單位": str(Level.USING),
        "志工團隊": str(Level.TEAM),
    }
)


def level(value: Cell) -> int:
    """單位層級 by its Chinese name (Level labels; 1-6 also read)."""
    try:
        return int(_LEVELS[folded(value).lower()])
    except KeyError:
        labels = "、".join(str(label) for label in Level.labels)
        raise CellError(f"單位層級須為{labels}之一：{echo(text(value))}") from None


_ID_KINDS = _choices(
    {label: value for value, label in IdKind.choices}
    | {value: value for value in IdKind.values}
    | {
        "身分證": IdKind.NATIONAL,
        "身份證": IdKind.NATIONAL,
        "居留證": IdKind.RESIDENT,
        "護照": IdKind.PASSPORT,
    }
)


def id_kind(value: Cell) -> str:
    """證號類別: 身分證 / 居留證 / 護照."""
    try:
        return _ID_KINDS[folded(value).lower()]
    except KeyError:
        raise CellError(
            f"證號類別須為身分證、居留證或護照：{echo(text(value))}"
        ) from None


_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


@_memo
def person_id(value: Cell, kind: str | None = None) -> tuple[str, str]:
    """(ID, IdKind): a national ID or resident number with its check digit, or
    (when the row says 護照) a passport number."""
    raw = fold_id(text(value))
    if not raw:
        raise CellError("必填")
    if kind == IdKind.PASSPORT:
        if not _PASSPORT.match(raw):
            raise CellError("護照號碼須為 5 至 20 個英文字母或數字")
        return raw, IdKind.PASSPORT
    if not looks_like_taiwan_id(raw):
        raise CellError(f"身分證字號格式不正確：{echo(raw)}")
    if not is_valid_taiwan_id(raw):
        raise CellError(f"身分證字號檢查碼錯誤：{raw}")
    found = IdKind.NATIONAL if raw[1] in "12" else IdKind.RESIDENT
    if kind is not None and kind != found:
        raise CellError("證號類別與號碼不符")
    return raw, found
