"""The two VR report pages: conditions, 【列印】, the user's jobs and the chart.

Thin views over vsis.reports.forms and vsis.reports.services. A unit outside
the user's scope is a 404; any other bad input is a form error in Chinese.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from vsis.jobs.models import ACTIVE_STATUSES, Job, JobStatus
from vsis.reports.charts import Chart, svg_layout
from vsis.reports.forms import AgeReportForm, ReportForm, ServiceReportForm
from vsis.reports.services import request_report
from vsis.units.scope import units_in_scope

UNIT_OPTIONS = 20


@dataclass(frozen=True)
class ReportPage:
    kind: str
    title: str
    form: type[AgeReportForm] | type[ServiceReportForm]

    @property
    def job_kind(self) -> str:
        return f"report.{self.kind}"

    @property
    def url_name(self) -> str:
        return f"reports:{self.kind}"


PAGES = {
    "age": ReportPage("age", "志工年齡分布表", AgeReportForm),
    "service": ReportPage("service", "志工服務成果表", ServiceReportForm),
}


@login_required
def age_report(request: HttpRequest) -> HttpResponse:
    return _report_page(request, PAGES["age"])


@login_required
def service_report(request: HttpRequest) -> HttpResponse:
    return _report_page(request, PAGES["service"])


def _report_page(request: HttpRequest, page: ReportPage) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form: ReportForm = page.form(request.POST, user=user)
        if form.is_valid():
            job = request_report(actor=user, kind=page.kind, params=form.params())
            if job.is_new:
                messages.success(
                    request,
                    f"已開始產製「{page.title}」，完成後請按下方的【Excel】或【Ods】下載。",
                )
            else:
                messages.info(
                    request, f"相同條件的「{page.title}」正在產製中，請稍候。"
                )
            # Back to the page with the same conditions filled in.
            query = urlencode(
                [(k, v) for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"],
                doseq=True,
            )
            return redirect(f"{reverse(page.url_name)}?{query}")
    else:
        form = page.form(user=user, initial=_initial(request, page))
    context = {
        "page": page,
        "form": form,
        "unit_options": _unit_options(user, ""),
        **_chart_context(user, page),
    }
    return render(request, "reports/report.html", context)


def _initial(request: HttpRequest, page: ReportPage) -> dict[str, Any]:
    """The defaults, overridden by conditions passed back in the query string."""
    initial = page.form.defaults(request.user)
    if request.GET:
        for name in page.form.base_fields:
            values = request.GET.getlist(name)
            if name in ("include_subunits", "dedupe"):
                initial[name] = bool(values)
            elif values:
                initial[name] = values if name == "statuses" else values[0]
    return initial


def _unit_options(user: Any, text: str) -> list[Any]:
    units = units_in_scope(user)
    if text:
        units = units.filter(Q(code__istartswith=text) | Q(name__icontains=text))
    # Nearest the top of the user's scope first, then by code.
    return list(units.order_by("depth", "code")[:UNIT_OPTIONS])


@login_required
def unit_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the units in scope matching ?unit= (code prefix or name)."""
    # PostgreSQL refuses a NUL in a text parameter; no code or name has one.
    text = request.GET.get("unit", "").replace("\x00", "").strip()[:50]
    return render(
        request,
        "reports/_unit_options.html",
        {"unit_options": _unit_options(request.user, text)},
    )


def _chart_context(user: Any, page: ReportPage) -> dict[str, Any]:
    """The chart of the user's latest finished job of this report, if any."""
    mine = Job.objects.filter(requester=user, kind=page.job_kind)
    latest = mine.filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
    chart = None
    if (
        latest is not None
        and isinstance(latest.result, dict)
        and latest.result.get("chart")
    ):
        chart = Chart.from_json(latest.result["chart"])
    return {
        "page": page,
        "chart_job": latest,
        "chart": chart,
        "layout": svg_layout(chart) if chart else None,
        "chart_polling": mine.filter(status__in=ACTIVE_STATUSES).exists(),
    }


@login_required
def report_chart(request: HttpRequest, kind: str) -> HttpResponse:
    """The chart section alone (htmx), refreshed while a job is running."""
    page = PAGES.get(kind)
    if page is None:
        raise Http404("沒有這種報表")
    return render(request, "reports/_chart.html", _chart_context(request.user, page))
