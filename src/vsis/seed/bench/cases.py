"""The benchmark's cases: each report for three scopes, and one import.

A case runs in a child process of its own (`vsis bench_case`), so its wall time
and peak RSS are the report's alone. It measures the deepest path that exists
on this branch, and says which: the background job end to end (query, rows,
files), else the row builder, else the counting queries. Each case also returns
the figures per team it produced, which the runner compares with DuckDB.

The report code is written in parallel with this harness; each case names the
function it drives (see REPORT_PATHS) and reports `missing` when that has not
landed, rather than timing something else under its name.
"""

import datetime as dt
import importlib
import logging
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from vsis.seed.bench.duck import DuckSide, Figures
from vsis.seed.models import SeedRun
from vsis.units.models import Level, Unit, User

logger = logging.getLogger(__name__)

IMPORT_ROWS = 100_000
SCOPES = ("tree", "county", "unit")
REPORTS = ("age", "service", "return")
CASE_NAMES = (*tuple(f"{r}/{s}" for r in REPORTS for s in SCOPES), "import/county")

# What each case drives, deepest first: (label, "module:attribute").
REPORT_PATHS = {
    "age": (
        ("job report.age", "vsis.jobs.registry:get_kind"),
        ("builder", "vsis.reports.builders:build_age_report"),
        ("queries", "vsis.reports.queries:team_age_counts"),
    ),
    "service": (
        ("job report.service", "vsis.jobs.registry:get_kind"),
        ("builder", "vsis.reports.builders:build_service_report"),
        ("queries", "vsis.reports.queries:team_service_figures"),
    ),
    "return": (("fill_return", "vsis.returns.services:fill_return"),),
    "import": (("import_file", "vsis.imports.services:import_file"),),
}


class Missing(Exception):
    """The code a case drives has not landed on this branch."""


@dataclass
class Scope:
    key: str
    unit_id: int
    code: str
    name: str
    path: str


@dataclass
class CaseOutput:
    name: str
    scope: dict[str, Any] | None = None
    measured: str = ""
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0
    rows: int = 0
    figures: dict[str, list[int]] = field(default_factory=dict)  # team id (str)
    totals: list[int] | None = None
    note: str = ""
    error: str = ""


@dataclass(frozen=True)
class BenchDates:
    """The last full year before the seed's day: the period every case uses."""

    year: int
    start: dt.date
    end: dt.date

    @classmethod
    def for_year(cls, year: int) -> "BenchDates":
        return cls(year, dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def of(cls, run: SeedRun) -> "BenchDates":
        return cls.for_year(run.as_of.year - 1)


def _resolve(target: str) -> Any:
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as exc:
        raise Missing(target) from exc


def _job_kind_exists(kind: str) -> bool:
    try:
        get_kind = _resolve("vsis.jobs.registry:get_kind")
    except Missing:
        return False
    try:
        get_kind(kind)
    except LookupError:
        return False
    return True


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child
    forked from a big parent would report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- scopes ----------------------------------------------------------------------


def pick_scopes() -> dict[str, Scope]:
    """The whole tree, the county with the most teams, and its using unit with
    the most memberships."""
    root = Unit.objects.get(parent=None)
    counties = list(Unit.objects.filter(level=Level.COUNTY))
    county = max(
        counties,
        key=lambda c: Unit.objects.filter(
            level=Level.TEAM, path__startswith=c.path
        ).count(),
    )
    busiest = (
        Unit.objects.filter(level=Level.USING, path__startswith=county.path)
        .annotate(n=Count("children__memberships"))
        .order_by("-n", "code")
        .first()
    )
    assert busiest is not None
    return {
        key: Scope(key, unit.pk, unit.code, unit.name, unit.path)
        for key, unit in (("tree", root), ("county", county), ("unit", busiest))
    }


def bench_actor() -> User:
    """The superuser the seed created (demo account `admin`)."""
    return User.objects.get(username="admin")


# -- report figures as lists (the column order of duck.py) ------------------------


def age_list(row: Any) -> list[int]:
    return [int(v) for v in (*row.male, *row.female)]


def service_list(row: Any) -> list[int]:
    return [
        int(row.volunteers_male),
        int(row.volunteers_female),
        int(row.attendances),
        int(row.minutes_male),
        int(row.minutes_female),
        int(row.persons_served),
    ]


# -- the cases ------------------------------------------------------------------


def run_report_case(
    report: str, scope: Scope, dates: BenchDates, out: CaseOutput
) -> None:
    """Time one VR report for one scope; fill `out` with its per-team figures."""
    unit = Unit.objects.get(pk=scope.unit_id)
    kind = f"report.{report}"
    as_list = age_list if report == "age" else service_list
    try:
        params = _report_params(report, scope, dates)
    except Missing:
        params = None
    started = time.perf_counter()
    if params is not None and _job_kind_exists(kind):
        _run_job(kind, params.to_json(), unit)
        out.measured = f"job {kind}"
        out.seconds = time.perf_counter() - started
        out.peak_rss_mb = rss_mb()
        # The job's files come from the same builder: read its rows again
        # (untimed) for the comparison.
        _builder_figures(report, params, out, as_list)
        return
    try:
        if params is None:
            raise Missing("vsis.reports.params")
        _builder_figures(report, params, out, as_list)
        out.measured = "builder (rows, no files)"
    except Missing:
        _query_figures(report, unit, dates, out, as_list)
        out.measured = "queries"
    out.seconds = time.perf_counter() - started
    out.peak_rss_mb = rss_mb()


def _report_params(report: str, scope: Scope, dates: BenchDates) -> Any:
    if report == "age":
        return _resolve("vsis.reports.params:AgeParams")(
            unit=scope.code, as_of=dates.end
        )
    return _resolve("vsis.reports.params:ServiceParams")(
        unit=scope.code, start=dates.start, end=dates.end
    )


def _run_job(kind: str, params: dict[str, Any], unit: Unit) -> None:
    request_job = _resolve("vsis.jobs.services:request_job")
    execute_job = _resolve("vsis.jobs.runner:execute_job")
    job = request_job(actor=bench_actor(), kind=kind, params=params, unit=unit)
    status = execute_job(job.pk)
    job.refresh_from_db()
    if job.status != "done":
        raise RuntimeError(f"job {job.pk} ended {status}: {job.error or job.status}")


def _builder_figures(
    report: str, params: Any, out: CaseOutput, as_list: Callable[[Any], list[int]]
) -> None:
    build = _resolve(f"vsis.reports.builders:build_{report}_report")
    built = build(params)
    codes = dict(Unit.objects.filter(level=Level.TEAM).values_list("code", "pk"))
    rows = 0
    for row in built.rows():
        rows += 1
        if row.kind == "team":
            figures = as_list(row.figures)
            if any(figures):
                out.figures[str(codes[row.code])] = figures
        elif row.kind == "total":
            out.totals = as_list(row.figures)
    out.rows = rows


def _query_figures(
    report: str,
    unit: Unit,
    dates: BenchDates,
    out: CaseOutput,
    as_list: Callable[[Any], list[int]],
) -> None:
    selection = _resolve("vsis.reports.queries:TeamSelection")(unit)
    if report == "age":
        result = _resolve("vsis.reports.queries:team_age_counts")(selection, dates.end)
    else:
        result = _resolve("vsis.reports.queries:team_service_figures")(
            selection, dates.start, dates.end
        )
    for team_id, row in result.items():
        figures = as_list(row)
        if any(figures):
            out.figures[str(team_id)] = figures
    out.rows = len(result)


# The return's cells (vsis.returns.items keys) in the order the comparison
# uses: duck.RETURN_COLUMNS, then 運用單位數 and 志工團隊數, then the age section.
RETURN_KEYS = (
    "volunteers_male", "volunteers_female", "hours", "attendances",
    "persons_served", "basic_trained", "special_trained", "record_book_holders",
    "record_books_issued", "insured", "honour_card_holders", "awarded",
    "unit_count", "team_count",
    *(f"age_{sex}_{index}" for sex in ("male", "female") for index in range(7)),
)  # fmt: skip


def run_return_case(scope: Scope, dates: BenchDates, out: CaseOutput) -> None:
    """自動帶入 of the annual return of the scope's unit for the period's year:
    vsis.returns.services.create_return and fill_return, inside a transaction
    rolled back at the end so the dataset stays as seeded. The figures are the
    return's computed cells (hours in minutes)."""
    create_return = _resolve("vsis.returns.services:create_return")
    fill_return = _resolve("vsis.returns.services:fill_return")
    unit = Unit.objects.get(pk=scope.unit_id)
    actor = bench_actor()
    with transaction.atomic():
        started = time.perf_counter()
        filed = create_return(
            unit,
            dates.year,
            actor=actor,
            period_start=dates.start,
            period_end=dates.end,
        )
        filed = fill_return(filed, actor=actor)
        out.seconds = time.perf_counter() - started
        out.peak_rss_mb = rss_mb()
        out.measured = "create_return + fill_return"
        computed = filed.computed
        out.totals = [int(Decimal(computed.get(key, "0"))) for key in RETURN_KEYS]
        out.rows = 1
        transaction.set_rollback(True)


# -- the import case ---------------------------------------------------------------

IMPORT_HEADER = (
    "身分證字號", "姓名", "志工隊代碼", "服務日期", "起時", "迄時", "服務時數",
    "服務人次", "服務項目", "備註",
)  # fmt: skip


def write_import_file(path: Path, scope: Scope, run: SeedRun, rows: int) -> int:
    """A service-record xlsx of `rows` rows for volunteers of the scope, each
    dated inside a membership that is counted for the whole 28 days before the
    seed's day (ROC dates, hours as 2.5, as a unit would keep them)."""
    import xlsxwriter

    from vsis.core.rocdate import format_roc
    from vsis.volunteers.models import Membership, MembershipStatus

    last = run.as_of - dt.timedelta(days=1)
    first = last - dt.timedelta(days=27)
    members = list(
        Membership.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gte=last),
            team__path__startswith=scope.path,
            joined_on__lte=first,
        )
        .exclude(status=MembershipStatus.QUIT, left_on__isnull=True)
        .order_by("pk")
        .values_list("volunteer__national_id", "volunteer__name", "team__code")[
            : rows // 4 + 1
        ]
    )
    if not members:
        raise RuntimeError("找不到可用於匯入測試的隊員資格")
    rng = random.Random(f"vsis-bench-import:{run.seed}")
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("服務紀錄")
    sheet.write_row(0, 0, IMPORT_HEADER)
    written = 0
    # Each (person, team, day, start) at most once: four slots a day.
    for index in range(rows):
        national_id, name, team = members[index % len(members)]
        cycle = index // len(members)
        day = first + dt.timedelta(days=cycle % 28)
        start_hour = 8 + 3 * (cycle // 28 % 4)
        minutes = 30 * rng.randint(2, 6)
        end = start_hour * 60 + minutes
        sheet.write_row(
            index + 1,
            0,
            (
                national_id,
                name,
                team,
                format_roc(day),
                f"{start_hour:02d}:00",
                f"{end // 60:02d}:{end % 60:02d}",
                minutes / 60,
                rng.randint(0, 12),
                "活動支援",
                "效能測試",
            ),
        )
        written += 1
    workbook.close()
    return written


def run_import_case(path: Path, out: CaseOutput) -> None:
    """Import the prepared xlsx as a dry run (every row read, checked and
    written, then rolled back, so the dataset stays as seeded): through the
    background job the page uses for a file this size when it exists, else
    import_file directly."""
    data = path.read_bytes()
    actor = bench_actor()
    started = time.perf_counter()
    try:
        start_background_import = _resolve(
            "vsis.imports.background:start_background_import"
        )
        execute_job = _resolve("vsis.jobs.runner:execute_job")
    except Missing:
        import_file = _resolve("vsis.imports.services:import_file")
        outcome = import_file(
            actor=actor, kind="hours", filename=path.name, data=data, dry_run=True
        )
        batch, errors = outcome.batch, outcome.errors
        out.measured = "import_file dry run"
    else:
        batch = start_background_import(
            actor=actor, kind="hours", filename=path.name, data=data, dry_run=True
        )
        execute_job(batch.job_id)
        batch.refresh_from_db()
        errors = _resolve("vsis.imports.services:batch_errors")(batch)
        out.measured = "job import (dry run)"
    out.seconds = time.perf_counter() - started
    out.peak_rss_mb = rss_mb()
    out.rows = int(batch.row_count or 0)
    out.note = f"status {batch.status}"
    if errors:
        out.error = f"{len(errors)} 個錯誤，第一個：{errors[0]}"


def duck_figures(
    duck: DuckSide, report: str, scope_path: str, dates: BenchDates
) -> Figures:
    """DuckDB's figures for a report case (see duck.py)."""
    if report == "age":
        return duck.age_by_team(scope_path, dates.end)
    if report == "service":
        return duck.service_by_team(scope_path, dates.start, dates.end)
    if report == "return":
        return duck.return_items_by_team(scope_path, dates.start, dates.end)
    raise ValueError(report)
