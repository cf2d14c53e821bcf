"""The background jobs of the two VR reports ("report.age", "report.service").

Imported by ReportsConfig.ready(), so the web process and the worker register
the same kinds. A handler re-reads its conditions from the job's JSON, checks
that the unit is still in the requester's scope, writes the xlsx and the ods
in one pass over the rows and keeps the chart in the job's result for the page.
"""

from collections.abc import Mapping
from typing import Any

from vsis.core.rocdate import format_roc
from vsis.jobs.registry import JobContext, JobFailed, job_handler
from vsis.reports.params import (
    AgeParams,
    ReportParamError,
    ServiceParams,
    params_from_json,
)
from vsis.reports.services import build_report, write_report
from vsis.units.models import Unit
from vsis.units.scope import is_in_scope
from vsis.volunteers.models import MembershipStatus, Sex

JOB_FORMATS = ("xlsx", "ods")


def _common(params: AgeParams | ServiceParams) -> list[str]:
    parts = [] if params.include_subunits else ["不含下層單位"]
    if params.category:
        parts.append(f"服務類別 {params.category}")
    return parts


def describe_age(data: Mapping[str, Any]) -> str:
    """The 條件 column: 基準日 113/12/31、服務類別 文化、女、歸戶."""
    params = AgeParams.from_json(dict(data))
    parts = [f"基準日 {format_roc(params.as_of)}", *_common(params)]
    if params.statuses:
        labels = (str(MembershipStatus(s).label) for s in params.statuses)
        parts.append("志工狀態 " + "／".join(labels))
    if params.sex:
        parts.append(str(Sex(params.sex).label))
    return "、".join(parts + (["歸戶"] if params.dedupe else []))


def describe_service(data: Mapping[str, Any]) -> str:
    """The 條件 column: 服務期間 113/01/01–113/12/31、歸戶."""
    params = ServiceParams.from_json(dict(data))
    period = f"服務期間 {format_roc(params.start)}–{format_roc(params.end)}"
    dedupe = ["歸戶"] if params.dedupe else []
    return "、".join([period, *_common(params), *dedupe])


def describe_rows(result: Mapping[str, Any]) -> str:
    return f"共 {result['rows']:,} 列"


def _run(ctx: JobContext, kind: str) -> dict[str, Any]:
    try:
        params = params_from_json(kind, ctx.params)
        unit = Unit.objects.filter(code=params.unit).first()
        if unit is None or not is_in_scope(ctx.job.requester, unit):
            raise JobFailed("此單位已不在您的權限範圍內，請重新選擇單位")
        ctx.progress(2, "統計中")
        report = build_report(kind, params)
        directory = ctx.temp_path()
        paths = write_report(report, JOB_FORMATS, directory, progress=ctx.progress)
    except ReportParamError as exc:
        raise JobFailed(str(exc)) from None
    ctx.progress(97, "儲存檔案")
    for fmt, path in paths.items():
        ctx.add_file(fmt, path, filename=path.name)
    return {"rows": report.row_count, "chart": report.chart().to_json()}


@job_handler(
    "report.age",
    label="志工年齡分布表",
    describe=describe_age,
    describe_result=describe_rows,
)
def run_age_report(ctx: JobContext) -> dict[str, Any]:
    return _run(ctx, "age")


@job_handler(
    "report.service",
    label="志工服務成果表",
    describe=describe_service,
    describe_result=describe_rows,
)
def run_service_report(ctx: JobContext) -> dict[str, Any]:
    return _run(ctx, "service")
