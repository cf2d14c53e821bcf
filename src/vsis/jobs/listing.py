"""The job list as a template context: rows, polling and finished-job notices.

The jobs page, its htmx fragment and the `recent_jobs` tag that report pages
include all build their context here, so they show the same thing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils import timezone

from vsis.jobs.models import ACTIVE_STATUSES, Job, JobFile, JobStatus
from vsis.jobs.registry import describe_result, kind_label
from vsis.jobs.services import jobs_visible_to

PAGE_SIZE = 50
POLL_SECONDS = 2
# Job ids are 64-bit: a larger number in `watch` cannot be a job, and SQLite
# raises OverflowError rather than matching nothing.
LARGEST_ID = 2**63 - 1


@dataclass
class JobRow:
    job: Job
    label: str
    files: list[JobFile]
    result_text: str

    @property
    def status_class(self) -> str:
        return STATUS_CLASSES.get(self.job.status, "")


# app.css's colours: green for done, amber for in progress, red for failed.
STATUS_CLASSES: dict[str, str] = {
    JobStatus.QUEUED: "status-W",
    JobStatus.RUNNING: "status-W",
    JobStatus.DONE: "status-Y",
    JobStatus.FAILED: "errors",
    JobStatus.CANCELLED: "status-N",
    JobStatus.EXPIRED: "status-N",
}


@dataclass
class Notice:
    text: str
    level: str  # success | error | info


def job_list_context(
    user: Any,
    *,
    kind: str = "",
    limit: int | None = None,
    page: int | str | None = 1,
    watched: Iterable[int] = (),
) -> dict[str, Any]:
    """The context of templates/jobs/_jobs.html for this user.

    `kind` limits the rows to one kind, `limit` shows only the newest few (no
    pages). `watched` are the jobs that were active when the fragment was last
    drawn; those that have ended since get a notice.
    """
    jobs = jobs_visible_to(user)
    if kind:
        # PostgreSQL refuses a NUL in a text parameter; no kind has one.
        jobs = jobs.filter(kind=kind) if "\x00" not in kind else jobs.none()
    page_obj: Page[Job] | None = None
    if limit:
        shown = list(jobs[:limit])
    else:
        page_obj = Paginator(jobs, PAGE_SIZE).get_page(page)
        shown = list(page_obj.object_list)
    rows = [_row(job) for job in shown]
    active_ids = [row.job.pk for row in rows if row.job.status in ACTIVE_STATUSES]

    base_query: dict[str, Any] = {}
    if kind:
        base_query["kind"] = kind
    if limit:
        base_query["limit"] = limit
    elif page_obj is not None and page_obj.number > 1:
        base_query["page"] = page_obj.number
    poll_query = dict(base_query)
    if active_ids:
        poll_query["watch"] = ",".join(str(pk) for pk in active_ids)
    return {
        "rows": rows,
        "page_obj": page_obj,
        "kind": kind,
        "show_requester": bool(user.is_superuser),
        "polling": bool(active_ids),
        "poll_seconds": POLL_SECONDS,
        "poll_url": f"{reverse('jobs:fragment')}?{urlencode(poll_query)}",
        "fragment_query": urlencode(base_query),
        "notices": _notices(user, watched, exclude=active_ids),
    }


def parse_watched(value: str) -> list[int]:
    """The `watch` query parameter: comma-separated job ids; junk is ignored."""
    ids = []
    for part in value.split(",")[:200]:
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) <= LARGEST_ID:
            ids.append(int(part))
    return ids


def _row(job: Job) -> JobRow:
    past_deadline = job.expires_at is not None and job.expires_at <= timezone.now()
    if job.status == JobStatus.DONE and past_deadline:
        # Shown as the next cleanup will leave it (the row is not saved): its
        # files are no longer served.
        job.status = JobStatus.EXPIRED
    files = list(job.files.all()) if job.status == JobStatus.DONE else []
    return JobRow(
        job=job,
        label=kind_label(job.kind),
        files=files,
        result_text=describe_result(job.kind, job.result)
        if job.status == JobStatus.DONE
        else "",
    )


def _notices(user: Any, watched: Iterable[int], *, exclude: list[int]) -> list[Notice]:
    ids = [pk for pk in watched if pk not in exclude]
    if not ids:
        return []
    ended = (
        jobs_visible_to(user)
        .filter(pk__in=ids)
        .exclude(status__in=ACTIVE_STATUSES)
        .order_by("pk")
    )
    notices = []
    for job in ended:
        label = kind_label(job.kind)
        if job.status == JobStatus.DONE:
            formats = "".join(f"【{f.format_label}】" for f in job.files.all())
            how = f"請按{formats}下載。" if formats else ""
            notices.append(Notice(f"「{label}」已完成。{how}", "success"))
        elif job.status == JobStatus.FAILED:
            notices.append(Notice(f"「{label}」未能完成：{job.error}", "error"))
        elif job.status == JobStatus.CANCELLED:
            notices.append(Notice(f"「{label}」已取消。", "info"))
    return notices
