"""Turn the per-team figures of vsis.reports.queries into a report's ordered rows.

Rows, for the chosen unit and its selected teams (TeamSelection):

- one row per team, depth-first down the tree, siblings ordered by code;
- after the teams of each unit between the chosen unit and its teams, that
  unit's subtotal row (units without a listed team below them get none);
- one grand total row, last.

A team is listed when it has figures, or when it exists during the report's
reference date or period (a team closed before it, or opened after it, and
with nothing to count, is left out); so a team where no one is counted still
shows, with zeros. Without 歸戶 a subtotal is the sum of its rows (figures are
additive); with 歸戶 the person counts of every subtotal and of the total come
from the distinct_* queries, while hours, attendances and persons served stay
sums. Team rows are the same either way: within one team a person is counted
once (memberships of one person in one team do not overlap, and
team_service_figures counts distinct volunteers).

The rows are generated lazily; what is held is the query result (one small
record per team) and the tree of the listed units.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Container, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from vsis.core.ages import BRACKET_LABELS
from vsis.reports.charts import Chart, Series
from vsis.reports.definitions import (
    AgeReport,
    F,
    ReportRow,
    ReportSpec,
    ServiceReport,
    UnitRef,
)
from vsis.reports.params import AgeParams, ReportParamError, ServiceParams
from vsis.reports.queries import (
    AgeRow,
    ServiceRow,
    TeamSelection,
    distinct_age_counts,
    distinct_service_volunteers,
    report_db,
    team_age_counts,
    team_service_figures,
)
from vsis.units.models import Level, ServiceCategory, Unit

UNCATEGORISED = "未分類"
F_contra = TypeVar("F_contra", AgeRow, ServiceRow, contravariant=True)


@dataclass(frozen=True, slots=True)
class Node:
    pk: int
    code: str
    name: str
    is_team: bool
    category_id: int | None = None


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.split("/") if part]


@dataclass
class ReportTree:
    """The chosen unit, the listed teams and the units between them."""

    root: Node
    children: dict[int, list[Node]] = field(default_factory=dict)
    team_count: int = 0
    subtotal_count: int = 0

    @property
    def row_count(self) -> int:
        return self.team_count + self.subtotal_count + 1


Existence = Callable[[dt.date | None, dt.date | None], bool]


def load_tree(
    selection: TeamSelection, with_figures: Container[int], exists: Existence
) -> ReportTree:
    """Read the selected teams and their units in two queries and link them.

    A team is listed when it is in `with_figures` or `exists(opened_on,
    closed_on)` says it existed during the report's date or period.
    """
    alias = report_db()
    unit = selection.unit
    root = Node(unit.pk, unit.code, unit.name, unit.is_team, unit.category_id)
    units: dict[int, tuple[Node, list[int]]] = {}
    if selection.include_subunits and not unit.is_team:
        below = (
            Unit.objects.using(alias)
            .filter(path__startswith=unit.path, level__lt=Level.TEAM)
            .exclude(pk=unit.pk)
            .values_list("pk", "code", "name", "path")
            .order_by()
        )
        for pk, code, name, path in below.iterator(chunk_size=5000):
            units[pk] = (Node(pk, code, name, False), _path_ids(path)[:-1])

    def nearest_above(ancestor_ids: list[int]) -> int:
        # A proper ancestor that is listed in the tree (the root at the latest).
        for pk in reversed(ancestor_ids):
            if pk == root.pk or pk in units:
                return pk
        return root.pk

    tree = ReportTree(root)
    children: dict[int, list[Node]] = defaultdict(list)
    linked: set[int] = set()
    teams = (
        selection.teams()
        .using(alias)
        .values_list(
            "pk", "code", "name", "path", "category_id", "opened_on", "closed_on"
        )
        .order_by()
    )
    for pk, code, name, path, category_id, opened_on, closed_on in teams.iterator(
        chunk_size=5000
    ):
        if pk not in with_figures and not exists(opened_on, closed_on):
            continue
        tree.team_count += 1
        parent = root.pk if pk == root.pk else nearest_above(_path_ids(path)[:-1])
        children[parent].append(Node(pk, code, name, True, category_id))
        while parent != root.pk and parent not in linked:
            linked.add(parent)
            node, ancestors = units[parent]
            parent = nearest_above(ancestors)
            children[parent].append(node)
    tree.subtotal_count = len(linked)
    tree.children = {
        pk: sorted(nodes, key=lambda n: n.code) for pk, nodes in children.items()
    }
    return tree


def open_on(day: dt.date) -> Existence:
    def check(opened: dt.date | None, closed: dt.date | None) -> bool:
        return (opened is None or opened <= day) and (closed is None or closed >= day)

    return check


def open_during(start: dt.date, end: dt.date) -> Existence:
    def check(opened: dt.date | None, closed: dt.date | None) -> bool:
        return (opened is None or opened <= end) and (closed is None or closed >= start)

    return check


class ChartBuilder(Protocol[F_contra]):
    """Collects a report's chart while its rows are read."""

    def add_team(self, team: Node, figures: F_contra) -> None: ...

    def finish(self, total: F_contra) -> Chart: ...


class BuiltReport(Generic[F]):
    """A report ready to be written: its spec and its rows (to be read once).

    `rows()` yields every row in order; `chart()` is ready once they are read.
    """

    spec: ReportSpec[F, Any]
    tree: ReportTree
    team_figures: dict[int, F]
    _zero: Callable[[], F]
    _distinct: Callable[[int, F], F] | None
    _chart: ChartBuilder[F]

    def __init__(
        self,
        spec: ReportSpec[F, Any],
        tree: ReportTree,
        team_figures: dict[int, F],
        zero: Callable[[], F],
        distinct: Callable[[int, F], F] | None,
        chart: ChartBuilder[F],
    ) -> None:
        self.spec = spec
        self.tree = tree
        self.team_figures = team_figures
        self._zero = zero
        self._distinct = distinct
        self._chart = chart
        self._finished: Chart | None = None

    @property
    def row_count(self) -> int:
        return self.tree.row_count

    def rows(self) -> Iterator[ReportRow[F]]:
        root = self.tree.root
        additive = yield from self._walk(root, depth=1)
        total = self._distinct(root.pk, additive) if self._distinct else additive
        self._finished = self._chart.finish(total)
        yield ReportRow(root.code, root.name, "total", 0, total)

    def _walk(self, node: Node, depth: int) -> Generator[ReportRow[F], None, F]:
        """Yield the rows below `node` in order; return their additive sum."""
        total = self._zero()
        for child in self.tree.children.get(node.pk, ()):
            if child.is_team:
                figures = self.team_figures.get(child.pk) or self._zero()
                self._chart.add_team(child, figures)
                yield ReportRow(child.code, child.name, "team", depth, figures)
            else:
                figures = yield from self._walk(child, depth + 1)
                shown = self._distinct(child.pk, figures) if self._distinct else figures
                yield ReportRow(child.code, child.name, "subtotal", depth, shown)
            total.add(figures)
        return total

    def chart(self) -> Chart:
        if self._finished is None:
            raise RuntimeError("read the rows before asking for the chart")
        return self._finished


def _resolve_unit(code: str) -> Unit:
    try:
        return Unit.objects.using(report_db()).get(code=code)
    except Unit.DoesNotExist:
        raise ReportParamError(f"查無單位代碼：{code}") from None


def resolve_category(name: str | None) -> ServiceCategory | None:
    if name is None:
        return None
    try:
        return ServiceCategory.objects.using(report_db()).get(name=name)
    except ServiceCategory.DoesNotExist:
        raise ReportParamError(f"查無服務類別：{name}") from None


def _select(params: AgeParams | ServiceParams) -> TeamSelection:
    unit = _resolve_unit(params.unit)
    category = resolve_category(params.category)
    return TeamSelection(
        unit, params.include_subunits, category.pk if category else None
    )


def _distinct_units(selection: TeamSelection) -> QuerySet[Unit, Any] | list[int]:
    """The units whose 歸戶 counts a report needs (a superset is harmless)."""
    unit = selection.unit
    if not selection.include_subunits or unit.is_team:
        return [unit.pk]
    return Unit.objects.filter(path__startswith=unit.path, level__lt=Level.TEAM).values(
        "pk"
    )


def _unit_ref(unit: Unit) -> UnitRef:
    return UnitRef(unit.code, unit.name)


def build_age_report(
    params: AgeParams, *, generated_at: dt.datetime | None = None
) -> BuiltReport[AgeRow]:
    """The 志工年齡分布表 for `params` (its rows are computed when read)."""
    selection = _select(params)
    statuses, sex = params.statuses or None, params.sex
    figures = team_age_counts(selection, params.as_of, statuses=statuses, sex=sex)
    tree = load_tree(selection, figures, open_on(params.as_of))
    distinct: Callable[[int, AgeRow], AgeRow] | None = None
    if params.dedupe:
        people = distinct_age_counts(
            selection,
            params.as_of,
            _distinct_units(selection),
            statuses=statuses,
            sex=sex,
        )
        distinct = lambda pk, _additive: people.get(pk) or AgeRow()  # noqa: E731
    unit = selection.unit
    spec = AgeReport(
        params, _unit_ref(unit), generated_at=generated_at or timezone.localtime()
    )
    return BuiltReport(spec, tree, figures, AgeRow, distinct, PyramidChart(unit.name))


class PyramidChart:
    """志工年齡金字塔: men and women per bracket, from the total row."""

    def __init__(self, unit_name: str) -> None:
        self.unit_name = unit_name

    def add_team(self, team: Node, figures: AgeRow) -> None:
        pass

    def finish(self, total: AgeRow) -> Chart:
        return Chart(
            kind="pyramid",
            title=f"{self.unit_name} 志工年齡金字塔",
            categories=BRACKET_LABELS,
            series=(
                Series("男", tuple(float(v) for v in total.male)),
                Series("女", tuple(float(v) for v in total.female)),
            ),
            value_label="人",
        )


def build_service_report(
    params: ServiceParams, *, generated_at: dt.datetime | None = None
) -> BuiltReport[ServiceRow]:
    """The 志工服務成果表 for `params` (its rows are computed when read)."""
    selection = _select(params)
    figures = team_service_figures(selection, params.start, params.end)
    tree = load_tree(selection, figures, open_during(params.start, params.end))
    distinct: Callable[[int, ServiceRow], ServiceRow] | None = None
    if params.dedupe:
        people = distinct_service_volunteers(
            selection,
            params.start,
            params.end,
            _distinct_units(selection),
        )

        def distinct(pk: int, additive: ServiceRow) -> ServiceRow:
            male, female = people.get(pk, (0, 0))
            return replace(additive, volunteers_male=male, volunteers_female=female)

    unit = selection.unit
    spec = ServiceReport(
        params, _unit_ref(unit), generated_at=generated_at or timezone.localtime()
    )
    return BuiltReport(
        spec, tree, figures, ServiceRow, distinct, CategoryHoursChart(unit.name)
    )


class CategoryHoursChart:
    """Hours per service category of the listed teams (categories in list order)."""

    def __init__(self, unit_name: str) -> None:
        self.unit_name = unit_name
        self.minutes: dict[int | None, int] = defaultdict(int)

    def add_team(self, team: Node, figures: ServiceRow) -> None:
        self.minutes[team.category_id] += figures.minutes

    def finish(self, total: ServiceRow) -> Chart:
        names: list[str] = []
        values: list[float] = []
        known = [pk for pk in self.minutes if pk is not None]
        for category in ServiceCategory.objects.using(report_db()).filter(pk__in=known):
            names.append(category.name)
            values.append(round(self.minutes[category.pk] / 60, 2))
        if None in self.minutes:
            names.append(UNCATEGORISED)
            values.append(round(self.minutes[None] / 60, 2))
        return Chart(
            kind="bars",
            title=f"{self.unit_name} 各服務類別服務時數",
            categories=tuple(names),
            series=(Series("服務時數", tuple(values)),),
            value_label="小時",
        )
