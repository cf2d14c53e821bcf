"""Reads of annual returns: lookups, child statuses, the status board and what
changed since a submission. Nothing here writes."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from vsis.core.rocdate import format_roc_year
from vsis.reports.return_queries import exists_on
from vsis.returns.consolidation import SubtreeFigures, year_end
from vsis.returns.items import ALL_KEYS, ITEMS
from vsis.returns.models import (
    NO_RETURN,
    STATUS_LABELS,
    AnnualReturn,
    ReturnForm,
    ReturnStatus,
    ReturnSubmission,
)
from vsis.units.models import Level, Unit
from vsis.units.scope import units_in_scope


def return_label(ret: AnnualReturn) -> str:
    """甲市立醫院 113年度統計表"""
    return f"{ret.unit.name} {format_roc_year(ret.year)}統計表"


def form_title(form: str) -> str:
    return str(ReturnForm(form).label)


def find_return(unit: Unit, year: int) -> AnnualReturn | None:
    return (
        AnnualReturn.objects.select_related(
            "unit", "unit__parent", "created_by", "saved_by", "submitted_by"
        )
        .filter(unit=unit, year=year)
        .first()
    )


def filing_children(unit: Unit) -> QuerySet[Unit]:
    """The units directly below `unit` that file returns (not teams)."""
    return Unit.objects.filter(parent=unit).exclude(level=Level.TEAM)


def child_statuses(unit: Unit, year: int) -> tuple[dict[str, int], dict[int, str]]:
    """N / W / Y counts of the children that file for `year` (existing at its
    end, each once), and the current status of every child unit."""
    children = filing_children(unit)
    expected = set(
        children.filter(exists_on(year_end(year))).values_list("pk", flat=True)
    )
    current = dict.fromkeys(children.values_list("pk", flat=True), NO_RETURN)
    for unit_id, status in AnnualReturn.objects.filter(
        year=year, unit__in=children
    ).values_list("unit_id", "status"):
        current[unit_id] = status
    counts = {NO_RETURN: 0, "W": 0, "Y": 0}
    for unit_id in expected:
        counts[current[unit_id]] += 1
    return counts, current


def latest_submission(ret: AnnualReturn) -> ReturnSubmission | None:
    return ret.submissions.order_by("-number").first()


def previous_year_values(unit: Unit, year: int) -> dict[str, Decimal] | None:
    """The figures of the unit's latest submission for the year before."""
    previous = (
        ReturnSubmission.objects.filter(
            annual_return__unit=unit, annual_return__year=year - 1
        )
        .order_by("-number")
        .first()
    )
    if previous is None:
        return None
    return {key: Decimal(previous.values.get(key, "0")) for key in ALL_KEYS}


# --- the status board ---------------------------------------------------------------


def filing_units(
    actor: Any, year: int, name: str = "", *, below: Unit | None = None
) -> QuerySet[Unit]:
    """Every unit in the actor's scope (or, with `below`, in that unit's
    subtree) that files for `year`: above team level and existing on the
    year's last day. `name` matches part of the name or code."""
    scope = units_in_scope(actor) if actor is not None else Unit.objects.all()
    if below is not None:
        scope = scope.filter(path__startswith=below.path)
    units = scope.exclude(level=Level.TEAM).filter(exists_on(year_end(year)))
    if name := name.strip():
        units = units.filter(Q(name__icontains=name) | Q(code__icontains=name))
    return units.order_by("path")


def status_counts(units: QuerySet[Unit], year: int) -> dict[str, int]:
    """N / W / Y over `units` (one return per unit and year, so each unit once)."""
    total = units.count()
    counts = {NO_RETURN: 0, "W": 0, "Y": 0}
    by_status = (
        AnnualReturn.objects.filter(year=year, unit__in=units)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in by_status:
        counts[row["status"]] = row["n"]
    counts[NO_RETURN] = total - counts["W"] - counts["Y"]
    counts["total"] = total
    return counts


@dataclass
class Change:
    """How a return differs from its last submission."""

    kind: str  # "live": the data under a Y return; "edits": a draft after unlock
    keys: list[str]

    @property
    def text(self) -> str:
        labels = "、".join(ITEMS[key].full_label for key in self.keys[:5])
        more = f"等 {len(self.keys)} 項" if len(self.keys) > 5 else ""
        if self.kind == "live":
            return f"資料已異動：{labels}{more}" if self.keys else "未異動"
        return f"解鎖後已修改：{labels}{more}" if self.keys else "解鎖後未修改"

    @property
    def changed(self) -> bool:
        return bool(self.keys)


@dataclass
class BoardRow:
    unit: Unit
    ret: AnnualReturn | None
    change: Change | None = None

    @property
    def status(self) -> str:
        return self.ret.status if self.ret else NO_RETURN

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def board_rows(units: list[Unit], year: int) -> list[BoardRow]:
    returns = {
        ret.unit_id: ret
        for ret in AnnualReturn.objects.filter(year=year, unit__in=units)
        .select_related("unit", "saved_by", "submitted_by", "unlocked_by")
        .defer("sources")
    }
    return [BoardRow(unit, returns.get(unit.pk)) for unit in units]


def _differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [
        key for key in ALL_KEYS if Decimal(a.get(key) or 0) != Decimal(b.get(key) or 0)
    ]


def _common_root(units: list[Unit]) -> Unit:
    """The deepest unit whose subtree holds all of `units`."""
    paths = [u.path.split("/")[:-1] for u in units]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return Unit.objects.get(pk=int(common[-1]))


def changes_since_submission(rows: list[BoardRow]) -> None:
    """Fill `row.change` for returns that were submitted at least once.

    A Y return changed when its live consolidated figures (what an auto-fill
    would compute now) differ from the computed figures frozen at its last
    submission; a W return after an unlock changed when any cell differs from
    that submission. The live check costs one consolidation pass per distinct
    period over the smallest subtree holding the rows, so the board asks for it
    separately (see views).
    """
    with_returns = [row for row in rows if row.ret is not None]
    latest: dict[int, ReturnSubmission] = {}
    for submission in ReturnSubmission.objects.filter(
        annual_return__in=[row.ret for row in with_returns if row.ret]
    ).order_by("annual_return_id", "number"):
        latest[submission.annual_return_id] = submission
    by_period: dict[tuple[int, dt.date, dt.date], list[BoardRow]] = defaultdict(list)
    for row in with_returns:
        assert row.ret is not None
        sub = latest.get(row.ret.pk)
        if sub is None:
            continue
        if row.ret.status == ReturnStatus.DRAFT:
            current = {key: str(v) for key, v in row.ret.values().items()}
            row.change = Change("edits", _differing(current, sub.values))
        else:
            by_period[(row.ret.year, sub.period_start, sub.period_end)].append(row)
    for (year, start, end), group in by_period.items():
        figures = SubtreeFigures(
            _common_root([r.unit for r in group]), year, start, end
        )
        for row in group:
            assert row.ret is not None
            live = {k: str(v) for k, v in figures.consolidated(row.unit.pk).items()}
            row.change = Change("live", _differing(live, latest[row.ret.pk].computed))
