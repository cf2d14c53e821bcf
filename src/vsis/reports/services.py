"""Making VR report files: the one path the CLI, the job handlers and the bench use.

`generate_report` builds the report's rows once and hands each row to every
requested writer in turn, so a row object lives only while it is written and
a national report holds one report's worth of rows at most (the per-team
query result). When the ods is asked for beside another format (on Linux), the
rows are read into a list once and a forked child writes the ods while this
process writes the rest: two cores, half the wait (see writers.forked).
`write_json` is the same for a text stream (the CLI's stdout).
"""

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, TextIO

from django.core.exceptions import PermissionDenied

from vsis.core.rocdate import format_roc
from vsis.jobs.models import Job
from vsis.jobs.services import request_job
from vsis.reports.builders import BuiltReport, build_age_report, build_service_report
from vsis.reports.charts import Chart
from vsis.reports.definitions import ReportRow
from vsis.reports.params import (
    AgeParams,
    ReportParamError,
    ReportParams,
    ServiceParams,
    params_from_json,
)
from vsis.reports.writers.base import SHEET_MAX_ROWS, ReportWriter, sheet_rows_needed
from vsis.reports.writers.forked import ForkedWrite, can_fork
from vsis.reports.writers.json import JsonWriter, TextSink
from vsis.reports.writers.ods import OdsWriter, ods_shell
from vsis.reports.writers.xlsx import XlsxWriter
from vsis.units.scope import get_unit_in_scope

logger = logging.getLogger(__name__)

Format = Literal["xlsx", "ods", "json"]
FORMATS: tuple[Format, ...] = ("xlsx", "ods", "json")
Progress = Callable[[int, str], None]
PROGRESS_EVERY = 2000


class ReportTooLarge(ReportParamError):
    """More rows than a spreadsheet holds; str() says so in Chinese."""


def build_report(kind: str, params: ReportParams | dict[str, Any]) -> BuiltReport[Any]:
    """The report of `kind` ("age" | "service") for `params` (object or JSON)."""
    if isinstance(params, dict):
        params = params_from_json(kind, params)
    if kind == "age" and isinstance(params, AgeParams):
        return build_age_report(params)
    if kind == "service" and isinstance(params, ServiceParams):
        return build_service_report(params)
    raise ReportParamError(f"沒有這種報表：{kind}")


def report_filename(report: BuiltReport[Any], fmt: str) -> str:
    """志工年齡分布表_A000_1131231.xlsx; the period's end for the service report."""
    params = report.spec.params
    day = params.as_of if isinstance(params, AgeParams) else params.end
    stamp = format_roc(day, sep="")
    return f"{report.spec.title}_{report.spec.unit.code}_{stamp}.{fmt}"


def _feed(
    rows: Iterable[ReportRow[Any]],
    total: int,
    chart: Callable[[], Chart],
    writers: list[ReportWriter],
    progress: Progress | None,
) -> None:
    for index, row in enumerate(rows, start=1):
        for writer in writers:
            writer.write_row(row)
        if progress and index % PROGRESS_EVERY == 0:
            progress(10 + 85 * index // total, f"寫入第 {index:,} / {total:,} 列")
    finished = chart()
    for writer in writers:
        writer.close(finished)


def generate_report(
    kind: str,
    params: ReportParams | dict[str, Any],
    formats: Iterable[str],
    directory: Path,
    *,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write the report in each format into `directory`; returns {format: path}.

    `progress(percent, note)` is called now and then while rows are written.
    Raises ReportParamError (a Chinese message) for conditions that cannot be
    used, before any file is written.
    """
    wanted = _formats(formats)
    if progress:
        progress(2, "統計中")
    report = build_report(kind, params)
    return write_report(report, wanted, directory, progress=progress)


def _formats(formats: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ReportParamError(
            f"不支援的檔案格式：{'、'.join(unknown) or '（未指定）'}"
        )
    return wanted


def write_report(
    report: BuiltReport[Any],
    formats: Iterable[str],
    directory: Path,
    *,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write a built report's files (its rows are read here, once)."""
    started = time.monotonic()
    wanted = _formats(formats)
    if sheet_rows_needed(report.spec, report.row_count) > SHEET_MAX_ROWS:
        raise ReportTooLarge(
            f"報表共 {report.row_count:,} 列，超過試算表上限 {SHEET_MAX_ROWS:,} 列，"
            "請縮小單位範圍"
        )
    if progress:
        progress(10, f"寫入檔案（共 {report.row_count:,} 列）")
    directory.mkdir(parents=True, exist_ok=True)
    paths = {fmt: directory / report_filename(report, fmt) for fmt in wanted}
    writers: list[ReportWriter] = []
    streams: list[TextIO] = []
    beside: ForkedWrite | None = None
    here = dict(paths)  # the files this process writes
    try:
        rows: Iterable[ReportRow[Any]] = report.rows()
        if "ods" in here and len(here) > 1 and can_fork():
            # The ods is written by a child while this process writes the rest.
            rows = list(rows)
            beside = _write_ods_beside(report, rows, here.pop("ods"))
        for fmt, path in here.items():
            if fmt == "xlsx":
                writers.append(XlsxWriter(report.spec, path))
            elif fmt == "ods":
                writers.append(OdsWriter(report.spec, path))
            else:
                stream: TextIO = path.open("w", encoding="utf-8")
                streams.append(stream)
                writers.append(JsonWriter(report.spec, stream))
        _feed(rows, report.row_count, report.chart, writers, progress)
        if beside is not None:
            if progress:
                progress(95, "完成 ODS 檔")
            beside.wait()
    except BaseException:
        if beside is not None:
            beside.kill()
        for path in paths.values():
            path.unlink(missing_ok=True)  # never leave a half-written file
        raise
    finally:
        for stream in streams:
            stream.close()
    logger.info(
        "report %s unit=%s rows=%s formats=%s written in %.2fs",
        report.spec.kind,
        report.spec.unit.code,
        report.row_count,
        ",".join(wanted),
        time.monotonic() - started,
    )
    return paths


def _write_ods_beside(
    report: BuiltReport[Any], rows: list[ReportRow[Any]], path: Path
) -> ForkedWrite:
    """Start writing the ods of `rows` in a forked child (see writers.forked).

    The rows and the chart are complete before the fork and odfdo's shell is
    built here, so the child only streams XML into its file.
    """
    spec, chart = report.spec, report.chart()
    shell = ods_shell(spec)

    def write() -> None:
        writer = OdsWriter(spec, path, shell)
        for row in rows:
            writer.write_row(row)
        writer.close(chart)

    return ForkedWrite(write)


def write_json(kind: str, params: ReportParams, stream: TextSink) -> BuiltReport[Any]:
    """Write the report's JSON to `stream` (rows as they are built)."""
    report = build_report(kind, params)
    writers: list[ReportWriter] = [JsonWriter(report.spec, stream)]
    _feed(report.rows(), report.row_count, report.chart, writers, None)
    return report


def can_run_reports(user: Any) -> bool:
    """Who may run the VR reports: any active account, viewers included.

    A report only reads data in the user's scope (see docs/decisions/0007).
    """
    return bool(user.is_authenticated and user.is_active)


def request_report(*, actor: Any, kind: str, params: ReportParams) -> Job:
    """Queue the report for `actor`, or return their running job of the same request.

    The unit must be in the actor's scope (Http404 otherwise, as for a page).
    Returns the jobs.Job; its `is_new` says whether it was queued just now.
    """
    if not can_run_reports(actor):
        raise PermissionDenied("您的帳號不能產製報表")
    unit = get_unit_in_scope(actor, code=params.unit)
    return request_job(
        actor=actor, kind=f"report.{kind}", params=params.to_json(), unit=unit
    )
