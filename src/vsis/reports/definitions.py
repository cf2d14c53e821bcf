"""What each VR report looks like: title, conditions, columns, footnote, row cells.

One small class per report, shared by every writer (xlsx, ods, json) so the
three files cannot disagree. A report instance carries its resolved conditions
(the unit, the category name); the rows come from vsis.reports.builders.

Hours are carried as whole minutes until a writer renders them (see
`hours_number` and docs/decisions/0007-vr-reports.md).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Generic, Literal, TypeVar

from vsis.core.ages import BRACKET_LABELS
from vsis.core.rocdate import format_roc
from vsis.reports.params import AgeParams, ServiceParams
from vsis.reports.queries import AgeRow, ServiceRow
from vsis.volunteers.models import MembershipStatus, Sex

F = TypeVar("F", AgeRow, ServiceRow)
P = TypeVar("P", AgeParams, ServiceParams)
RowKind = Literal["team", "subtotal", "total"]
ColumnKind = Literal["count", "hours", "ratio"]
CellValue = int | Decimal | None

# JSON hours: minutes / 60 rounded half-up to this many decimals. At 1e-6 h
# (0.0036 s) the rounding can never reach half a minute, so round(hours * 60)
# gives back the exact minutes for any total.
HOURS_PLACES = Decimal("0.000001")
RATIO_PLACES = Decimal("0.01")


def hours_number(minutes: int) -> Decimal:
    """Minutes as hours for JSON: 6 decimals, half-up, trailing zeros dropped."""
    hours = (Decimal(minutes) / 60).quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)
    # normalize() alone turns 20.000000 into 2E+1; "f" keeps plain digits.
    return Decimal(format(hours.normalize(), "f"))


def hours_per_person(minutes: int, persons: int) -> Decimal | None:
    """平均每人服務時數: hours / persons, 2 decimals half-up; None with no one."""
    if not persons:
        return None
    return (Decimal(minutes) / 60 / persons).quantize(
        RATIO_PLACES, rounding=ROUND_HALF_UP
    )


@dataclass(slots=True)
class ReportRow(Generic[F]):
    """One line of a report: a team, a unit's subtotal, or the grand total.

    `depth` is the number of levels below the chosen unit (the total is 0).
    """

    code: str
    name: str
    kind: RowKind
    depth: int
    figures: F


@dataclass(frozen=True)
class Column:
    label: str
    kind: ColumnKind = "count"


@dataclass(frozen=True)
class ColumnGroup:
    """An upper header cell over its columns; a one-column group spans both rows."""

    label: str
    columns: tuple[Column, ...]


def _group(label: str, *columns: Column) -> ColumnGroup:
    return ColumnGroup(label, columns or (Column(label),))


LEAD_COLUMNS = ("單位代碼", "單位名稱")
ROW_SUFFIX = {"team": "", "subtotal": " 小計", "total": " 總計"}


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str


class ReportSpec(Generic[F, P]):
    """The layout of one report for one set of resolved conditions."""

    kind: ClassVar[str]
    title: ClassVar[str]
    groups: ClassVar[tuple[ColumnGroup, ...]]
    params: P
    unit: UnitRef
    generated_at: dt.datetime

    def __init__(
        self,
        params: P,
        unit: UnitRef,
        *,
        generated_at: dt.datetime,
    ) -> None:
        self.params = params
        self.unit = unit
        self.generated_at = generated_at

    @property
    def columns(self) -> list[Column]:
        """The figure columns, left to right (after LEAD_COLUMNS)."""
        return [column for group in self.groups for column in group.columns]

    @property
    def full_title(self) -> str:
        return f"{self.unit.name} {self.title}"

    def heading(self) -> list[str]:
        """Lines under the title: period or reference date, conditions, time made."""
        stamp = self.generated_at
        return [
            self.period_text(),
            "　".join(self.conditions()),
            f"製表時間：{format_roc(stamp.date())} {stamp:%H:%M}",
        ]

    def row_label(self, row: ReportRow[F]) -> str:
        """The name as a sheet shows it: subtotal and total rows say so."""
        return f"{row.name}{ROW_SUFFIX[row.kind]}"

    def _common_conditions(self) -> list[str]:
        params = self.params
        return [
            f"單位：{self.unit.name}（{self.unit.code}）",
            f"含下層單位：{'是' if params.include_subunits else '否'}",
            f"服務類別：{params.category or '全部'}",
        ]

    def _dedupe_condition(self) -> str:
        return f"歸戶：{'是' if self.params.dedupe else '否'}"

    # --- to be provided by each report ---------------------------------------

    def period_text(self) -> str:
        raise NotImplementedError

    def conditions(self) -> list[str]:
        raise NotImplementedError

    def footnotes(self) -> list[str]:
        raise NotImplementedError

    def cells(self, row: ReportRow[F]) -> list[CellValue]:
        """The figure cells of a row in column order (hours as minutes)."""
        raise NotImplementedError

    def json_head(self) -> dict[str, Any]:
        raise NotImplementedError

    def json_row(self, row: ReportRow[F]) -> dict[str, Any]:
        raise NotImplementedError


_SEXES = (Column("男"), Column("女"))


class AgeReport(ReportSpec[AgeRow, AgeParams]):
    """VR 志工年齡分布表 (DOMAIN.md §4.2)."""

    kind = "age"
    title = "志工年齡分布表"
    groups = (
        *(_group(label, *_SEXES, Column("小計")) for label in BRACKET_LABELS),
        _group("合計", *_SEXES, Column("總計")),
    )

    def period_text(self) -> str:
        return f"基準日：{format_roc(self.params.as_of)}"

    def conditions(self) -> list[str]:
        params = self.params
        statuses = "、".join(
            str(MembershipStatus(status).label) for status in params.statuses
        )
        sex = str(Sex(params.sex).label) if params.sex else "全部"
        return [
            *self._common_conditions(),
            f"志工狀態：{statuses or '全部'}",
            f"性別：{sex}",
            self._dedupe_condition(),
        ]

    def footnotes(self) -> list[str]:
        day = format_roc(self.params.as_of)
        if self.params.dedupe:
            dedupe = (
                "本表已歸戶：依身分證統一編號，每一列（志工隊、小計、總計）同一人只計一次，"
                "故小計與總計可能小於所屬各隊相加。"
            )
        else:
            dedupe = (
                "本表未歸戶：同一人同時在數個志工隊服務者，於各隊分別計入；"
                "小計與總計為所屬各隊相加。"
            )
        return [
            f"年齡以基準日（{day}）計算足歲，生日當天增加一歲；"
            "2月29日出生者，平年於3月1日增加一歲（民法第121條、第124條）。",
            "計入之志工：基準日當日具隊員資格者，即加入日期在基準日以前，且未於基準日以前離隊"
            "（離隊日為基準日者仍計入）；狀態為「退出」而無離隊日期者不計入；"
            "暫停中、實習中者計入。",
            dedupe,
            "列出範圍內基準日存續之全部志工隊，無人計入者以 0 列示；"
            "小計列於各單位所屬志工隊之後，總計列於最末。",
        ]

    def cells(self, row: ReportRow[AgeRow]) -> list[CellValue]:
        figures = row.figures
        values: list[CellValue] = []
        for male, female in zip(figures.male, figures.female, strict=True):
            values += [male, female, male + female]
        values += [figures.total_male, figures.total_female, figures.total]
        return values

    def json_head(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "as_of": self.params.as_of.isoformat(),
            "brackets": list(BRACKET_LABELS),
            "conditions": self.params.to_json(),
        }

    def json_row(self, row: ReportRow[AgeRow]) -> dict[str, Any]:
        return {
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "male": list(row.figures.male),
            "female": list(row.figures.female),
            "total": row.figures.total,
        }


class ServiceReport(ReportSpec[ServiceRow, ServiceParams]):
    """VR 志工服務成果表 (DOMAIN.md §4.3)."""

    kind = "service"
    title = "志工服務成果表"
    groups = (
        _group("服務志工人數", *_SEXES, Column("計")),
        _group("出勤人次"),
        _group(
            "服務時數",
            Column("男", "hours"),
            Column("女", "hours"),
            Column("計", "hours"),
        ),
        _group("服務人次"),
        ColumnGroup("平均每人服務時數", (Column("平均每人服務時數", "ratio"),)),
    )

    def period_text(self) -> str:
        params = self.params
        return f"服務期間：{format_roc(params.start)} 至 {format_roc(params.end)}"

    def conditions(self) -> list[str]:
        return [*self._common_conditions(), self._dedupe_condition()]

    def footnotes(self) -> list[str]:
        period = f"{format_roc(self.params.start)} 至 {format_roc(self.params.end)}"
        if self.params.dedupe:
            dedupe = (
                "本表已歸戶：服務志工人數依身分證統一編號，每一列同一人只計一次，"
                "故小計與總計可能小於所屬各隊相加；服務時數、出勤人次、服務人次為各隊相加。"
            )
        else:
            dedupe = (
                "本表未歸戶：同一人在數個志工隊服務者，服務志工人數於各隊分別計入；"
                "小計與總計為所屬各隊相加。"
            )
        return [
            f"計入服務日期在 {period}（起迄日均含）之服務紀錄，"
            "依紀錄所載服務當時之志工隊歸屬。",
            "服務時數：各紀錄分鐘數加總後換算為小時（分鐘÷60），"
            "表內顯示至小數第二位（四捨五入），儲存格保留完整數值；"
            "出勤人次：服務紀錄筆數；服務人次：服務對象人次加總；"
            "服務志工人數：期間內至少有一筆服務紀錄之志工人數。",
            "平均每人服務時數＝服務時數÷服務志工人數，四捨五入至小數第二位；"
            "無服務志工者空白。",
            dedupe,
            "列出範圍內期間中存續之全部志工隊，無紀錄者以 0 列示；"
            "小計列於各單位所屬志工隊之後，總計列於最末。",
        ]

    def cells(self, row: ReportRow[ServiceRow]) -> list[CellValue]:
        f = row.figures
        return [
            f.volunteers_male,
            f.volunteers_female,
            f.volunteers,
            f.attendances,
            f.minutes_male,
            f.minutes_female,
            f.minutes,
            f.persons_served,
            hours_per_person(f.minutes, f.volunteers),
        ]

    def json_head(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "from": self.params.start.isoformat(),
            "to": self.params.end.isoformat(),
            "conditions": self.params.to_json(),
        }

    def json_row(self, row: ReportRow[ServiceRow]) -> dict[str, Any]:
        f = row.figures
        return {
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "volunteers_male": f.volunteers_male,
            "volunteers_female": f.volunteers_female,
            "volunteers": f.volunteers,
            "attendances": f.attendances,
            "hours_male": hours_number(f.minutes_male),
            "hours_female": hours_number(f.minutes_female),
            "hours": hours_number(f.minutes),
            "persons_served": f.persons_served,
            "hours_per_volunteer": hours_per_person(f.minutes, f.volunteers),
            "minutes_male": f.minutes_male,
            "minutes_female": f.minutes_female,
            "minutes": f.minutes,
        }
