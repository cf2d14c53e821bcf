"""The counting rules of DOMAIN.md §3 as SQL aggregations, per team.

Every report and the annual return take their figures from here, so a figure is
computed one way only. Each function returns a mapping keyed by unit id with one
small record per team (or per unit, for the distinct 歸戶 counts); callers add
team rows up the tree themselves (figures are additive) and never loop over
volunteers.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q, QuerySet

from vsis.core.ages import BRACKETS, bracket_birth_thresholds
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.hours.services import month_end
from vsis.units.models import Level, Unit, UnitAncestor
from vsis.volunteers.models import Membership, MembershipStatus, Sex, Volunteer

N_BRACKETS = len(BRACKETS)


@dataclass(frozen=True)
class TeamSelection:
    """Which teams a report covers.

    With `include_subunits` (含下層單位) every team in the unit's subtree; without,
    only the teams directly under the unit (or the unit itself when it is a
    team). `category_id` keeps teams of one service category.
    """

    unit: Unit
    include_subunits: bool = True
    category_id: int | None = None

    def teams(self) -> QuerySet[Unit]:
        teams = Unit.objects.filter(level=Level.TEAM)
        if self.include_subunits:
            teams = teams.filter(path__startswith=self.unit.path)
        else:
            teams = teams.filter(Q(parent_id=self.unit.pk) | Q(pk=self.unit.pk))
        if self.category_id is not None:
            teams = teams.filter(category_id=self.category_id)
        return teams


def counted_on(day: dt.date, prefix: str = "") -> Q:
    """Memberships counted on `day` (rule 3).

    Joined on or before the day and not left before it: one who leaves on the
    day still counts that day. A membership marked 退出 without a leave date
    counts as gone. 暫停中 and 實習中 count.
    """
    p = prefix
    return Q(**{f"{p}joined_on__lte": day}) & (
        Q(**{f"{p}left_on__gte": day})
        | (
            Q(**{f"{p}left_on__isnull": True})
            & ~Q(**{f"{p}status": MembershipStatus.QUIT})
        )
    )


@dataclass
class AgeRow:
    """Counted volunteers of one team (or unit) by bracket and sex."""

    male: list[int] = field(default_factory=lambda: [0] * N_BRACKETS)
    female: list[int] = field(default_factory=lambda: [0] * N_BRACKETS)

    @property
    def total_male(self) -> int:
        return sum(self.male)

    @property
    def total_female(self) -> int:
        return sum(self.female)

    @property
    def total(self) -> int:
        return self.total_male + self.total_female

    def add(self, other: "AgeRow") -> None:
        for i in range(N_BRACKETS):
            self.male[i] += other.male[i]
            self.female[i] += other.female[i]


def _bracket_filters(as_of: dt.date, birth_field: str) -> list[Q]:
    """One Q per bracket selecting the birth dates that fall in it at `as_of`."""
    thresholds = bracket_birth_thresholds(as_of)
    filters = []
    for index in range(N_BRACKETS):
        q = Q()
        if index < len(thresholds):  # younger than the next bracket's lower age
            q &= Q(**{f"{birth_field}__gt": thresholds[index]})
        if index > 0:  # at least this bracket's lower age
            q &= Q(**{f"{birth_field}__lte": thresholds[index - 1]})
        filters.append(q)
    return filters


def _age_aggregates(
    as_of: dt.date, birth: str, sex: str, count: str, distinct: bool
) -> dict[str, Count]:
    aggregates = {}
    for index, bracket_q in enumerate(_bracket_filters(as_of, birth)):
        for code in (Sex.MALE, Sex.FEMALE):
            aggregates[f"{code}{index}"] = Count(
                count, distinct=distinct, filter=bracket_q & Q(**{sex: code})
            )
    return aggregates


def _age_row(values: Any) -> AgeRow:
    return AgeRow(
        male=[values[f"{Sex.MALE}{i}"] for i in range(N_BRACKETS)],
        female=[values[f"{Sex.FEMALE}{i}"] for i in range(N_BRACKETS)],
    )


def _membership_filter(
    as_of: dt.date, statuses: Sequence[str] | None, sex: str | None, prefix: str = ""
) -> Q:
    q = counted_on(as_of, prefix)
    if statuses:
        q &= Q(**{f"{prefix}status__in": list(statuses)})
    if sex:
        q &= Q(**{f"{prefix}volunteer__sex": sex})
    return q


def team_age_counts(
    selection: TeamSelection,
    as_of: dt.date,
    *,
    statuses: Sequence[str] | None = None,
    sex: str | None = None,
) -> dict[int, AgeRow]:
    """Counted volunteers per team by age bracket and sex at `as_of` (rules 1-3).

    Teams without a counted volunteer are absent from the result. `statuses`
    keeps memberships of those 志工狀態; `sex` keeps one sex.
    """
    rows = (
        Membership.objects.using(report_db())
        .filter(
            _membership_filter(as_of, statuses, sex),
            team__in=selection.teams(),
        )
        .values("team_id")
        .order_by("team_id")
        .annotate(
            **_age_aggregates(
                as_of, "volunteer__birth_date", "volunteer__sex", "pk", False
            )
        )
    )
    return {row["team_id"]: _age_row(row) for row in rows}


UnitIds = Iterable[int] | QuerySet[Any, Any]


def _unit_ids(unit_ids: UnitIds) -> list[int] | QuerySet[Any, Any]:
    # A queryset stays a subquery: a national report needs some 10,000 units,
    # more than SQLite accepts as parameters.
    return unit_ids if isinstance(unit_ids, QuerySet) else list(unit_ids)


def distinct_age_counts(
    selection: TeamSelection,
    as_of: dt.date,
    unit_ids: UnitIds,
    *,
    statuses: Sequence[str] | None = None,
    sex: str | None = None,
) -> dict[int, AgeRow]:
    """Per unit in `unit_ids`: distinct persons counted in its selected teams (歸戶).

    A person counted in two teams below a unit counts once for that unit. The
    ids may be teams (then equal to team_age_counts) or any unit above them;
    `unit_ids` may also be a queryset of unit primary keys.
    """
    rows = (
        Membership.objects.using(report_db())
        .filter(
            _membership_filter(as_of, statuses, sex),
            team__in=selection.teams(),
            team__ancestor_links__ancestor_id__in=_unit_ids(unit_ids),
        )
        .values(unit_id=F("team__ancestor_links__ancestor_id"))
        .order_by("unit_id")
        .annotate(
            **_age_aggregates(
                as_of, "volunteer__birth_date", "volunteer__sex", "volunteer_id", True
            )
        )
    )
    return {row["unit_id"]: _age_row(row) for row in rows}


# --- service figures (rule 4) -------------------------------------------------


@dataclass
class ServiceRow:
    """Service figures of one team (or, added up, of a unit) for a period.

    volunteers_*: 服務志工人數, distinct volunteers with a record in the period;
    attendances: 出勤人次, the number of records; minutes_*: 服務時數 in minutes;
    persons_served: 服務人次.
    """

    volunteers_male: int = 0
    volunteers_female: int = 0
    attendances: int = 0
    minutes_male: int = 0
    minutes_female: int = 0
    persons_served: int = 0

    @property
    def volunteers(self) -> int:
        return self.volunteers_male + self.volunteers_female

    @property
    def minutes(self) -> int:
        return self.minutes_male + self.minutes_female

    def add(self, other: "ServiceRow") -> None:
        self.volunteers_male += other.volunteers_male
        self.volunteers_female += other.volunteers_female
        self.attendances += other.attendances
        self.minutes_male += other.minutes_male
        self.minutes_female += other.minutes_female
        self.persons_served += other.persons_served


@dataclass
class PeriodParts:
    """A date range cut into whole years, whole months and loose day spans."""

    years: list[int] = field(default_factory=list)
    months: list[dt.date] = field(default_factory=list)
    days: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @property
    def single_unique_source(self) -> bool:
        """One year or one month alone: one tally row per (team, volunteer)."""
        shape = (len(self.years), len(self.months), len(self.days))
        return shape in {(1, 0, 0), (0, 1, 0)}


def split_period(start: dt.date, end: dt.date) -> PeriodParts:
    """Cut [start, end] (inclusive) so that each part reads the cheapest source."""
    parts = PeriodParts()
    cursor = start
    while cursor <= end:
        year_end = dt.date(cursor.year, 12, 31)
        last_of_month = month_end(cursor)
        if cursor.month == 1 and cursor.day == 1 and year_end <= end:
            parts.years.append(cursor.year)
            cursor = year_end + dt.timedelta(days=1)
        elif cursor.day == 1 and last_of_month <= end:
            parts.months.append(cursor)
            cursor = last_of_month + dt.timedelta(days=1)
        else:
            span_end = min(end, last_of_month)
            parts.days.append((cursor, span_end))
            cursor = span_end + dt.timedelta(days=1)
    return parts


def report_db() -> str:
    """The database alias reports read from: a replica when one is configured."""
    return "reports" if "reports" in connections.databases else "default"


def _sql(queryset: QuerySet[Any, Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, tuple(params)


def _service_sources(
    parts: PeriodParts, teams_sql: str, teams_params: tuple[Any, ...]
) -> tuple[str, list[Any]]:
    """UNION ALL of (team_id, volunteer_id, sex, records, minutes, persons)."""
    yearly = YearlyService._meta.db_table
    monthly = MonthlyService._meta.db_table
    record = ServiceRecord._meta.db_table
    volunteer = Volunteer._meta.db_table
    columns = "team_id, volunteer_id, sex, records, minutes, persons_served"
    selects: list[str] = []
    params: list[Any] = []
    if parts.years:
        marks = ", ".join(["%s"] * len(parts.years))
        selects.append(
            f"SELECT {columns} FROM {yearly}"
            f" WHERE year IN ({marks}) AND team_id IN ({teams_sql})"
        )
        params += [*parts.years, *teams_params]
    if parts.months:
        marks = ", ".join(["%s"] * len(parts.months))
        selects.append(
            f"SELECT {columns} FROM {monthly}"
            f" WHERE month IN ({marks}) AND team_id IN ({teams_sql})"
        )
        params += [*parts.months, *teams_params]
    for first, last in parts.days:
        selects.append(
            "SELECT r.team_id, r.volunteer_id, v.sex, 1 AS records, r.minutes,"
            " r.persons_served"
            f" FROM {record} r JOIN {volunteer} v ON v.id = r.volunteer_id"
            f" WHERE r.served_on BETWEEN %s AND %s AND r.team_id IN ({teams_sql})"
        )
        params += [first, last, *teams_params]
    return " UNION ALL ".join(selects), params


_MALE, _FEMALE = str(Sex.MALE), str(Sex.FEMALE)


def team_service_figures(
    selection: TeamSelection, start: dt.date, end: dt.date
) -> dict[int, ServiceRow]:
    """Service figures per team of the records dated in [start, end] (rule 4).

    Teams without a record in the period are absent from the result.
    """
    if end < start:
        return {}
    alias = report_db()
    parts = split_period(start, end)
    teams_sql, teams_params = _sql(selection.teams().using(alias).values("pk"))
    sources, params = _service_sources(parts, teams_sql, teams_params)
    if not parts.single_unique_source:
        # Several parts may hold the same volunteer: one row per volunteer first.
        sources = (
            "SELECT team_id, volunteer_id, sex, SUM(records) AS records,"
            " SUM(minutes) AS minutes, SUM(persons_served) AS persons_served"
            f" FROM ({sources}) parts GROUP BY team_id, volunteer_id, sex"
        )
    sql = f"""
        SELECT team_id,
               SUM(CASE WHEN sex = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN sex = %s THEN 1 ELSE 0 END),
               SUM(records),
               SUM(CASE WHEN sex = %s THEN minutes ELSE 0 END),
               SUM(CASE WHEN sex = %s THEN minutes ELSE 0 END),
               SUM(persons_served)
        FROM ({sources}) per_volunteer
        GROUP BY team_id
    """
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [_MALE, _FEMALE, _MALE, _FEMALE, *params])
        return {
            team_id: ServiceRow(*(int(v or 0) for v in values))
            for team_id, *values in cursor.fetchall()
        }


def distinct_service_volunteers(
    selection: TeamSelection,
    start: dt.date,
    end: dt.date,
    unit_ids: UnitIds,
) -> dict[int, tuple[int, int]]:
    """Per unit: (male, female) distinct persons who served in its selected teams.

    The 歸戶 count of 服務志工人數: a person serving in two teams below a unit
    counts once for it. Hours and attendances need no such correction.
    `unit_ids` may also be a queryset of unit primary keys.
    """
    ids = _unit_ids(unit_ids)
    if end < start or (isinstance(ids, list) and not ids):
        return {}
    alias = report_db()
    if isinstance(ids, QuerySet):
        units_sql, units_params = _sql(ids.using(alias))
    else:
        units_sql, units_params = ", ".join(["%s"] * len(ids)), tuple(ids)
    parts = split_period(start, end)
    teams_sql, teams_params = _sql(selection.teams().using(alias).values("pk"))
    sources, params = _service_sources(parts, teams_sql, teams_params)
    closure = UnitAncestor._meta.db_table
    sql = f"""
        SELECT unit_id,
               SUM(CASE WHEN sex = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN sex = %s THEN 1 ELSE 0 END)
        FROM (
            SELECT a.ancestor_id AS unit_id, s.volunteer_id, s.sex
            FROM ({sources}) s JOIN {closure} a ON a.unit_id = s.team_id
            WHERE a.ancestor_id IN ({units_sql})
            GROUP BY a.ancestor_id, s.volunteer_id, s.sex
        ) people
        GROUP BY unit_id
    """
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [_MALE, _FEMALE, *params, *units_params])
        return {unit_id: (int(m), int(f)) for unit_id, m, f in cursor.fetchall()}
