"""The conditions of the two VR reports, as the CLI, the web form and a job read them.

A parameter object is the one canonical form of a request: the web form and
the CLI build it from what a person typed, a job stores `to_json()` and the
worker rebuilds it with `from_json()`. Two requests with the same conditions
give equal JSON, which is what lets the job system reuse a running job.
Every refusal is a ReportParamError whose str() is a Chinese sentence.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from vsis.core.rocdate import DateParseError, parse_date
from vsis.volunteers.models import MembershipStatus, Sex


class ReportParamError(ValueError):
    """A condition that cannot be used; str() is a Chinese message for the user."""


_STATUS_ORDER = [str(value) for value in MembershipStatus.values]
_STATUS_BY_LABEL = {str(label): str(value) for value, label in MembershipStatus.choices}
_SEX_BY_LABEL = {str(label): str(value) for value, label in Sex.choices}


# Dates a report can use: from 民國元年 on, and not beyond a far future.
FIRST_DAY, LAST_DAY = dt.date(1912, 1, 1), dt.date(2999, 12, 31)


def _in_range(day: dt.date, label: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ReportParamError(f"{label}須在民國元年（1912年）至西元2999年之間")


def read_date(text: str, label: str) -> dt.date:
    """A date typed by a person (ROC or Gregorian); `label` names the field."""
    try:
        day = parse_date(text)
    except DateParseError as exc:
        raise ReportParamError(f"{label}：{exc}") from None
    _in_range(day, label)
    return day


def read_status(text: str) -> str:
    """A 志工狀態 given as its code (active) or its label (服務中)."""
    value = text.strip()
    if value in _STATUS_ORDER:
        return value
    if value in _STATUS_BY_LABEL:
        return _STATUS_BY_LABEL[value]
    choices = "、".join(f"{v}（{label}）" for v, label in MembershipStatus.choices)
    raise ReportParamError(f"志工狀態不正確：{text}（可用：{choices}）")


def read_sex(text: str) -> str:
    """M / F, or 男 / 女."""
    value = text.strip()
    if value.upper() in (Sex.MALE, Sex.FEMALE):
        return value.upper()
    if value in _SEX_BY_LABEL:
        return _SEX_BY_LABEL[value]
    raise ReportParamError(f"性別不正確：{text}（請用 M 或 F）")


def _iso(value: Any, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ReportParamError(f"{label}不正確：{value}") from None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _unit_code(value: Any) -> str:
    code = str(value or "").strip()
    if not code:
        raise ReportParamError("請選擇單位")
    return code


@dataclass(frozen=True)
class AgeParams:
    """Conditions of 志工年齡分布表 (DOMAIN.md §4.2).

    `statuses` empty means every status that counts (rule 3); `sex` None means
    both; `category` is a 服務類別 name; `dedupe` is 歸戶.
    """

    unit: str
    as_of: dt.date
    include_subunits: bool = True
    category: str | None = None
    statuses: tuple[str, ...] = field(default=())
    sex: str | None = None
    dedupe: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", _unit_code(self.unit))
        object.__setattr__(self, "category", _text(self.category))
        _in_range(self.as_of, "基準日")
        wanted = {read_status(s) for s in self.statuses}
        # One order whatever the input order, so equal requests compare equal.
        ordered = tuple(s for s in _STATUS_ORDER if s in wanted)
        object.__setattr__(self, "statuses", ordered)
        if self.sex is not None:
            object.__setattr__(self, "sex", read_sex(self.sex))

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "as_of": self.as_of.isoformat(),
            "include_subunits": self.include_subunits,
            "category": self.category,
            "statuses": list(self.statuses),
            "sex": self.sex,
            "dedupe": self.dedupe,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AgeParams":
        return cls(
            unit=data.get("unit", ""),
            as_of=_iso(data.get("as_of"), "基準日"),
            include_subunits=bool(data.get("include_subunits", True)),
            category=_text(data.get("category")),
            statuses=tuple(data.get("statuses") or ()),
            sex=_text(data.get("sex")),
            dedupe=bool(data.get("dedupe", False)),
        )


@dataclass(frozen=True)
class ServiceParams:
    """Conditions of 志工服務成果表 (DOMAIN.md §4.3): [start, end] both inclusive."""

    unit: str
    start: dt.date
    end: dt.date
    include_subunits: bool = True
    category: str | None = None
    dedupe: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", _unit_code(self.unit))
        object.__setattr__(self, "category", _text(self.category))
        _in_range(self.start, "服務日期起")
        _in_range(self.end, "服務日期迄")
        if self.end < self.start:
            raise ReportParamError("服務日期迄不可早於服務日期起")

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "include_subunits": self.include_subunits,
            "category": self.category,
            "dedupe": self.dedupe,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ServiceParams":
        return cls(
            unit=data.get("unit", ""),
            start=_iso(data.get("from"), "服務日期起"),
            end=_iso(data.get("to"), "服務日期迄"),
            include_subunits=bool(data.get("include_subunits", True)),
            category=_text(data.get("category")),
            dedupe=bool(data.get("dedupe", False)),
        )


ReportParams = AgeParams | ServiceParams
PARAMS_BY_KIND: dict[str, type[AgeParams] | type[ServiceParams]] = {
    "age": AgeParams,
    "service": ServiceParams,
}


def params_from_json(kind: str, data: dict[str, Any]) -> ReportParams:
    try:
        params_class = PARAMS_BY_KIND[kind]
    except KeyError:
        raise ReportParamError(f"沒有這種報表：{kind}") from None
    return params_class.from_json(data)
