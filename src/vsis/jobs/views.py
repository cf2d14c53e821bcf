"""The job list, its polling fragment, cancelling and downloading."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from vsis.jobs.listing import Notice, job_list_context, parse_watched
from vsis.jobs.models import CONTENT_TYPES
from vsis.jobs.services import JobStateError, cancel_job, get_job_for, open_job_file


def _limit(request: HttpRequest) -> int | None:
    value = request.GET.get("limit", "")
    # isdigit() alone admits "²", which int() refuses.
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        return None
    return min(int(value), 50)


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    context = job_list_context(request.user, page=request.GET.get("page"))
    context["file_days"] = settings.VSIS_JOB_FILE_DAYS
    return render(request, "jobs/list.html", context)


@login_required
@require_GET
def job_fragment(request: HttpRequest) -> HttpResponse:
    """The table alone, as htmx polls it every few seconds while jobs are active."""
    context = job_list_context(
        request.user,
        kind=request.GET.get("kind", ""),
        limit=_limit(request),
        page=request.GET.get("page"),
        watched=parse_watched(request.GET.get("watch", "")),
    )
    return render(request, "jobs/_jobs.html", context)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_job_for(request.user, pk)
    try:
        cancel_job(job, actor=request.user)
        notice = Notice(f"已取消工作 {job.pk}。", "info")
    except JobStateError as exc:
        notice = Notice(str(exc), "error")

    if request.headers.get("HX-Request"):
        context = job_list_context(
            request.user,
            kind=request.GET.get("kind", ""),
            limit=_limit(request),
            page=request.GET.get("page"),
        )
        context["notices"] = [notice, *context["notices"]]
        return render(request, "jobs/_jobs.html", context)
    level = messages.ERROR if notice.level == "error" else messages.INFO
    messages.add_message(request, level, notice.text)
    back = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("jobs:list")


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """Stream one file to its requester or a superuser (anyone else: 404)."""
    job_file = open_job_file(request.user, job_id=pk, file_id=file_id)
    response = FileResponse(
        job_file.file.open("rb"),
        content_type=CONTENT_TYPES.get(job_file.format, "application/octet-stream"),
    )
    fallback = f"vsis-job-{pk}.{job_file.format}"
    response["Content-Disposition"] = (
        f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(job_file.filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
