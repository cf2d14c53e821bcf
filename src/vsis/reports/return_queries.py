"""The annual return's own counting rules (DOMAIN.md §3.5), per team, as SQL.

Age and service figures come from `reports.queries` (team_age_counts,
team_service_figures); this module adds the items that count, among the
memberships counted at the period's end date (rule 3, `queries.counted_on`),
the volunteers who:

- basic_trained / special_trained (基礎訓練 / 特殊訓練 完訓人數): completed a
  training of that kind on or before the end date;
- record_book_holders (領有紀錄冊人數): hold a record book issued on or before
  the end date and not cancelled by then (a book cancelled on the end date, or
  marked 註銷 without a date, no longer counts);
- record_books_issued (本期核發紀錄冊數): the number of *books* issued to them
  within the period, whatever their later status (a person given a first book
  and a replacement in the same period counts 2);
- insured (投保人數): were covered by an insurance on at least one day of the
  period;
- honour_card_holders (持有效榮譽卡人數): hold an honour card valid on the end date
  (issued on or before it, valid until it or later);
- awarded (獎勵表揚人數): received an award dated within the period.

Like every count these are additive per team: a person counted in two teams
counts in both. The rules are written once (`_Facts`); one statement answers a
whole subtree in one pass over the counted memberships with conditional counts,
planned one of two ways (the figures are the same, the tests check both):

- "probe": each item an EXISTS probe of the person's rows through the
  (volunteer, date) indexes; cost follows the people counted, so a unit or a
  local authority answers in milliseconds.
- "merge": each fact table reduced to one row per person by a streaming
  aggregate over its (volunteer, ...) index, merge-joined to the counted
  memberships sorted by person; cost follows the size of the fact tables, so a
  large county or the nation reads each table once instead of probing it a
  million times. PostgreSQL is told to merge (it otherwise misjudges these
  aggregates and picks nested loops); the hints are scoped to a savepoint.


It also holds the rule for which units and teams exist on a date (運用單位數,
志工團隊數 and the status board's denominator).
"""

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from vsis.reports.queries import TeamSelection, _sql, counted_on, report_db
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    Membership,
    RecordBook,
    RecordBookStatus,
    Training,
    TrainingKind,
)

# From this many teams in the selection the merge plan is cheaper (measured
# on a national-scale data set: probing costs about 15 µs per counted person,
# a merge pass a roughly constant second or two).
MERGE_PLAN_TEAMS = 1000


@dataclass
class TeamReturnCounts:
    """The §3.5 counts of one team (or, added up, of a unit); see module doc."""

    counted: int = 0  # counted memberships (equals team_age_counts' total)
    basic_trained: int = 0
    special_trained: int = 0
    record_book_holders: int = 0
    record_books_issued: int = 0
    insured: int = 0
    honour_card_holders: int = 0
    awarded: int = 0

    def add(self, other: "TeamReturnCounts") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_NAMES = tuple(f.name for f in fields(TeamReturnCounts))


def exists_on(day: dt.date, prefix: str = "") -> Q:
    """Units (or teams) that exist on `day`: opened on or before it (or no date)
    and not closed before it; one closed on the day still exists that day."""
    p = prefix
    return (Q(**{f"{p}opened_on__isnull": True}) | Q(**{f"{p}opened_on__lte": day})) & (
        Q(**{f"{p}closed_on__isnull": True}) | Q(**{f"{p}closed_on__gte": day})
    )


class _Facts:
    """The rules of §3.5, once: which rows of a person make each item true."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start, self.end = start, end

    def trainings(self) -> QuerySet[Training]:
        return Training.objects.filter(completed_on__lte=self.end)

    def books(self) -> QuerySet[RecordBook]:
        """Every book issued by the end date (held or issued in the period)."""
        return RecordBook.objects.filter(issued_on__lte=self.end)

    def held(self) -> Q:
        """Not cancelled by the end date; 註銷 without a date counts as gone."""
        return Q(cancelled_on__gt=self.end) | (
            Q(cancelled_on__isnull=True) & ~Q(status=RecordBookStatus.CANCELLED)
        )

    def issued_in_period(self) -> Q:
        return Q(issued_on__gte=self.start)  # and, from books(), <= end

    def insurances(self) -> QuerySet[Insurance]:
        """Covering at least one day of the period."""
        return Insurance.objects.filter(
            starts_on__lte=self.end, ends_on__gte=self.start
        )

    def cards(self) -> QuerySet[HonourCard]:
        """Valid on the end date, the expiry day included."""
        return HonourCard.objects.filter(
            issued_on__lte=self.end, valid_until__gte=self.end
        )

    def awards(self) -> QuerySet[Award]:
        return Award.objects.filter(
            awarded_on__gte=self.start, awarded_on__lte=self.end
        )


def _counted(selection: TeamSelection, end: dt.date, alias: str) -> QuerySet[Any]:
    return Membership.objects.using(alias).filter(
        counted_on(end), team__in=selection.teams()
    )


def _probe_counts(
    selection: TeamSelection, facts: _Facts, alias: str
) -> list[tuple[Any, ...]]:
    person = OuterRef("volunteer_id")
    trained = facts.trainings().filter(volunteer_id=person)
    conditions = {
        "basic_trained": Exists(trained.filter(kind=TrainingKind.BASIC)),
        "special_trained": Exists(trained.filter(kind=TrainingKind.SPECIAL)),
        "record_book_holders": Exists(
            facts.books().filter(facts.held(), volunteer_id=person)
        ),
        "insured": Exists(facts.insurances().filter(volunteer_id=person)),
        "honour_card_holders": Exists(facts.cards().filter(volunteer_id=person)),
        "awarded": Exists(facts.awards().filter(volunteer_id=person)),
    }
    issued = Subquery(
        facts.books()
        .filter(facts.issued_in_period(), volunteer_id=person)
        .order_by()
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    aggregates: dict[str, Any] = {
        name: Count("pk", filter=Q(condition)) for name, condition in conditions.items()
    }
    aggregates["record_books_issued"] = Sum(Coalesce(issued, Value(0)))
    rows = (
        _counted(selection, facts.end, alias)
        .values("team_id")
        .order_by("team_id")
        .annotate(counted=Count("pk"), **aggregates)
    )
    return [(row["team_id"], *(row[name] for name in _NAMES)) for row in rows]


_MERGE_SETTINGS = (
    ("enable_nestloop", "off"),
    ("enable_hashjoin", "off"),
    ("max_parallel_workers_per_gather", "0"),
    ("jit", "off"),
)


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0))


def _merge_counts(
    selection: TeamSelection, facts: _Facts, alias: str
) -> list[tuple[Any, ...]]:
    def per_person(
        queryset: QuerySet[Any], **flags: Any
    ) -> tuple[str, tuple[Any, ...]]:
        rows = queryset.using(alias).order_by().values("volunteer_id")
        rows = rows.annotate(**flags) if flags else rows.distinct()
        return _sql(rows)

    parts = {
        "t": per_person(
            facts.trainings(),
            basic=Max(_flag(Q(kind=TrainingKind.BASIC))),
            special=Max(_flag(Q(kind=TrainingKind.SPECIAL))),
        ),
        "b": per_person(
            facts.books(),
            holder=Max(_flag(facts.held())),
            issued=Sum(_flag(facts.issued_in_period())),
        ),
        "i": per_person(facts.insurances()),
        "h": per_person(facts.cards()),
        "a": per_person(facts.awards()),
    }
    counted_sql, params = _sql(
        _counted(selection, facts.end, alias).values("team_id", "volunteer_id")
    )
    joins = []
    for name, (sql, part_params) in parts.items():
        joins.append(
            f"LEFT JOIN ({sql}) {name} ON {name}.volunteer_id = c.volunteer_id"
        )
        params += part_params
    sql = f"""
        SELECT c.team_id, COUNT(*),
               SUM(COALESCE(t.basic, 0)), SUM(COALESCE(t.special, 0)),
               SUM(COALESCE(b.holder, 0)), SUM(COALESCE(b.issued, 0)),
               COUNT(i.volunteer_id), COUNT(h.volunteer_id), COUNT(a.volunteer_id)
        FROM ({counted_sql}) c
        {" ".join(joins)}
        GROUP BY c.team_id
    """
    connection = connections[alias]
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Scoped to this savepoint, which is rolled back below. Merge
                # joins over the (volunteer, ...) indexes; no parallel workers,
                # as each would repeat every per-person aggregate in full; no
                # JIT, whose compile time exceeds what it saves here.
                for setting, value in _MERGE_SETTINGS:
                    cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        transaction.set_rollback(True, using=alias)
    # SUM yields NULL for an empty group and text on SQLite's CASE.
    return [(team_id, *(int(v or 0) for v in values)) for team_id, *values in rows]


def team_return_counts(
    selection: TeamSelection,
    start: dt.date,
    end: dt.date,
    *,
    plan: str | None = None,
) -> dict[int, TeamReturnCounts]:
    """The §3.5 counts per team for the period [start, end] (both inclusive).

    `plan` ("probe" or "merge") forces a query plan; by default a large
    selection on PostgreSQL merges and everything else probes. Teams without a
    counted volunteer on `end` are absent from the result.
    """
    alias = report_db()
    if plan is None:
        large = selection.teams().using(alias).count() >= MERGE_PLAN_TEAMS
        postgres = connections[alias].vendor == "postgresql"
        plan = "merge" if large and postgres else "probe"
    facts = _Facts(start, end)
    if plan == "merge":
        rows = _merge_counts(selection, facts, alias)
    elif plan == "probe":
        rows = _probe_counts(selection, facts, alias)
    else:
        raise ValueError(f"unknown plan {plan!r}")
    return {
        team_id: TeamReturnCounts(*(int(v or 0) for v in values))
        for team_id, *values in rows
    }
