"""Consolidation of the annual return up the tree (DOMAIN.md §4.1, decision 0008).

A filing unit's figures are its own teams' figures plus, for each child unit,
that child's submitted return or, while the child has none submitted (N or W),
the child's live figures computed the same way. With no hand edits anywhere a
return therefore equals the live figures of its subtree.

`SubtreeFigures` answers this for every filing unit of one subtree from three
per-team queries (reports.queries and reports.return_queries) and one read of
the subtree's returns; the walk up the tree is over units, never volunteers.
"""

import datetime as dt
import logging
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections

from vsis.reports.queries import (
    N_BRACKETS,
    TeamSelection,
    report_db,
    team_age_counts,
    team_service_figures,
)
from vsis.reports.return_queries import team_return_counts
from vsis.returns.items import ALL_KEYS, age_key
from vsis.returns.models import NO_RETURN, AnnualReturn, ReturnForm, ReturnStatus
from vsis.units.models import Level, Unit
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    Membership,
    RecordBook,
    Training,
)

logger = logging.getLogger(__name__)

Figures = dict[str, Decimal]

_WIDTH = len(ALL_KEYS)
_AT = {key: index for index, key in enumerate(ALL_KEYS)}
_MALE_AT = [_AT[age_key("male", i)] for i in range(N_BRACKETS)]
_FEMALE_AT = [_AT[age_key("female", i)] for i in range(N_BRACKETS)]

# Items an auto-fill computes per team; funding is never computed for a team.
_COUNT_KEYS = (
    "basic_trained",
    "special_trained",
    "record_book_holders",
    "record_books_issued",
    "insured",
    "honour_card_holders",
    "awarded",
)


def files_returns(unit: Unit) -> bool:
    """Every node above team level files a return."""
    return unit.level != Level.TEAM


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def exists_on(opened: dt.date | None, closed: dt.date | None, day: dt.date) -> bool:
    """Python twin of reports.return_queries.exists_on for loaded rows."""
    return (opened is None or opened <= day) and (closed is None or closed >= day)


def form_for(unit: Unit) -> str:
    """The form a unit files: the county form at or below a county government,
    the national form for MOHW, the ministries and units under a ministry."""
    if unit.level == Level.COUNTY:
        return ReturnForm.COUNTY
    above = Unit.objects.filter(pk__in=unit.ancestor_ids(), level=Level.COUNTY)
    return ReturnForm.COUNTY if above.exists() else ReturnForm.NATIONAL


class _Beside:
    """Run one query in a second connection while the caller runs others.

    On PostgreSQL the §3.5 counts (the longest query) run in a worker thread
    beside the age and service queries, so a national fill waits for the
    longest rather than the sum. Outside a transaction each statement reads
    its own snapshot either way, so nothing is less consistent than running
    them one after the other. Inside a transaction the other connection sees
    the same rows only if this transaction has not written the tables the
    query reads (a test has; a batch of returns has not): PostgreSQL's
    per-transaction table statistics say so, and otherwise it runs inline.
    """

    def __init__(self, function: Any, *args: Any, reads: tuple[str, ...]) -> None:
        self._call = lambda: function(*args)
        self._threaded = _same_rows_elsewhere(connections[report_db()], reads)
        self._future: Future[Any] | None = None
        self._value: Any = None

    def __enter__(self) -> "_Beside":
        if self._threaded:
            self._pool = ThreadPoolExecutor(max_workers=1)
            self._future = self._pool.submit(self._in_thread)
        return self

    def _in_thread(self) -> Any:
        try:
            return self._call()
        finally:
            connections.close_all()  # this thread's connections only

    def __exit__(self, *exc: object) -> None:
        if self._future is not None:
            self._pool.shutdown(wait=True)
        else:
            self._value = self._call()

    def result(self) -> Any:
        return self._future.result() if self._future is not None else self._value


def _same_rows_elsewhere(connection: Any, tables: tuple[str, ...]) -> bool:
    """Would another connection read the same rows of `tables` as this one?"""
    if connection.vendor != "postgresql":
        return False
    if not connection.in_atomic_block:
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
            [list(tables)],
        )
        (written,) = cursor.fetchone()
    return int(written) == 0


# What team_return_counts reads.
_COUNT_TABLES = tuple(
    model._meta.db_table
    for model in (
        Unit,
        Membership,
        Training,
        RecordBook,
        Insurance,
        HonourCard,
        Award,
    )
)


@dataclass(frozen=True)
class ChildSource:
    """Where a child unit's figures came from in its parent's consolidation."""

    unit_id: int
    code: str
    name: str
    status: str  # N, W or Y
    source: str  # "submitted" or "live"
    files_this_year: bool  # exists at the year's end (counted in N/W/Y)
    period_differs: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "source": self.source,
            "files_this_year": self.files_this_year,
            "period_differs": self.period_differs,
        }


@dataclass
class _Node:
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    depth: int
    opened_on: dt.date | None
    closed_on: dt.date | None


class SubtreeFigures:
    """Live figures of one subtree for one year and period, consolidated per unit.

    Built once (three aggregate queries and two small reads), then
    `consolidated(unit_id)` and `sources(unit_id)` answer for any filing unit in
    the subtree without further queries.
    """

    def __init__(self, root: Unit, year: int, start: dt.date, end: dt.date) -> None:
        began = time.monotonic()
        self.root, self.year, self.start, self.end = root, year, start, end
        self._load_units()
        self._load_team_figures()
        self._load_returns()
        self._consolidate()
        logger.info(
            "consolidated unit %s year %s (%s units) in %.2fs",
            root.pk,
            year,
            len(self._nodes),
            time.monotonic() - began,
        )

    # --- loading ---------------------------------------------------------------

    def _load_units(self) -> None:
        rows = (
            Unit.objects.filter(path__startswith=self.root.path)
            .order_by("depth", "code")
            .values_list(
                "pk",
                "code",
                "name",
                "level",
                "parent_id",
                "depth",
                "opened_on",
                "closed_on",
            )
        )
        self._nodes: dict[int, _Node] = {}
        self._children: dict[int, list[int]] = defaultdict(list)
        # owner: the filing unit whose "own teams" a team is (nearest non-team).
        self._owner: dict[int, int] = {}
        for row in rows.iterator(chunk_size=5000):
            node = _Node(*row)
            self._nodes[node.id] = node
            if node.level != Level.TEAM:
                self._owner[node.id] = node.id
                if node.id != self.root.pk and node.parent_id is not None:
                    self._children[self._owner[node.parent_id]].append(node.id)
            else:
                parent = node.parent_id
                self._owner[node.id] = self._owner[parent] if parent else node.id

    def _load_team_figures(self) -> None:
        """Each filing unit's own figures (its own teams), as vectors over
        ALL_KEYS: plain integer lists keep the walk over ~35,000 units fast."""
        # TODO(#5): when most children are submitted, only the teams not under a
        # submitted child are needed for the root's figure; restrict the
        # selection to them (the board's change check still needs all).
        selection = TeamSelection(self.root)
        with _Beside(
            team_return_counts,
            selection,
            self.start,
            self.end,
            reads=_COUNT_TABLES,
        ) as counts_of:
            ages = team_age_counts(selection, self.end)
            service = team_service_figures(selection, self.start, self.end)
        counts = counts_of.result()
        own: dict[int, list[int]] = {
            uid: [0] * _WIDTH for uid, n in self._nodes.items() if n.level != Level.TEAM
        }
        for node in self._nodes.values():
            if not exists_on(node.opened_on, node.closed_on, self.end):
                continue
            if node.level == Level.TEAM:
                own[self._owner[node.id]][_AT["team_count"]] += 1
            elif node.level == Level.USING:
                own[node.id][_AT["unit_count"]] += 1
        for team_id, row in ages.items():
            target = own[self._owner[team_id]]
            for index in range(N_BRACKETS):
                target[_MALE_AT[index]] += row.male[index]
                target[_FEMALE_AT[index]] += row.female[index]
            target[_AT["volunteers_male"]] += row.total_male
            target[_AT["volunteers_female"]] += row.total_female
            target[_AT["volunteers"]] += row.total
        for team_id, figures in service.items():
            target = own[self._owner[team_id]]
            target[_AT["hours"]] += figures.minutes
            target[_AT["attendances"]] += figures.attendances
            target[_AT["persons_served"]] += figures.persons_served
        for team_id, team_counts in counts.items():
            target = own[self._owner[team_id]]
            for key in _COUNT_KEYS:
                target[_AT[key]] += getattr(team_counts, key)
        self._own = own

    def _load_returns(self) -> None:
        """Statuses of every return in the subtree; values of the submitted ones
        that a consolidation may use (those strictly below the root)."""
        returns = AnnualReturn.objects.filter(
            year=self.year, unit__path__startswith=self.root.path
        )
        self.status: dict[int, str] = {}
        self._periods: dict[int, tuple[dt.date, dt.date]] = {}
        for unit_id, status, start, end in returns.values_list(
            "unit_id", "status", "period_start", "period_end"
        ):
            self.status[unit_id] = status
            self._periods[unit_id] = (start, end)
        submitted = [
            uid
            for uid, status in self.status.items()
            if status == ReturnStatus.SUBMITTED and uid != self.root.pk
        ]
        # Values of submitted returns may be Decimal (hours typed with
        # decimals); int + Decimal stays exact.
        self._submitted: dict[int, list[Any]] = {}
        if submitted:
            for ret in AnnualReturn.objects.filter(
                year=self.year, unit_id__in=submitted
            ).only("unit_id", "computed", "entered"):
                values = ret.values()
                self._submitted[ret.unit_id] = [values[key] for key in ALL_KEYS]

    def _consolidate(self) -> None:
        self._live: dict[int, list[Any]] = {}
        filing = [n for n in self._nodes.values() if n.level != Level.TEAM]
        for node in sorted(filing, key=lambda n: n.depth, reverse=True):
            total: list[Any] = self._own[node.id]
            for child in self._children[node.id]:
                part = self._submitted.get(child) or self._live[child]
                total = [a + b for a, b in zip(total, part, strict=True)]
            self._live[node.id] = total

    def mark_submitted(self, unit_id: int, submission: Any) -> None:
        """Record a submission made after loading (a batch working bottom-up)."""
        self.status[unit_id] = ReturnStatus.SUBMITTED
        self._periods[unit_id] = (submission.period_start, submission.period_end)
        self._submitted[unit_id] = [Decimal(submission.values[k]) for k in ALL_KEYS]

    # --- answers -----------------------------------------------------------------

    def consolidated(self, unit_id: int) -> Figures:
        """The unit's live figures: own teams plus each child's submitted return
        or, without one, the child's live figures."""
        return {
            key: Decimal(value)
            for key, value in zip(ALL_KEYS, self._live[unit_id], strict=True)
        }

    def sources(self, unit_id: int) -> list[ChildSource]:
        """The direct child units of `unit_id` and which figures were used."""
        day = year_end(self.year)
        result = []
        for child_id in self._children[unit_id]:
            node = self._nodes[child_id]
            status = self.status.get(child_id, NO_RETURN)
            submitted = child_id in self._submitted
            result.append(
                ChildSource(
                    unit_id=child_id,
                    code=node.code,
                    name=node.name,
                    status=status,
                    source="submitted" if submitted else "live",
                    files_this_year=exists_on(node.opened_on, node.closed_on, day),
                    period_differs=submitted
                    and self._periods[child_id] != (self.start, self.end),
                )
            )
        return result


def child_status_counts(sources: list[ChildSource]) -> dict[str, int]:
    """N / W / Y among the children that file for the year (each once)."""
    counts = {
        NO_RETURN: 0,
        ReturnStatus.DRAFT.value: 0,
        ReturnStatus.SUBMITTED.value: 0,
    }
    for source in sources:
        if source.files_this_year:
            counts[source.status] += 1
    return counts
