"""The job list, its polling fragment, cancel and download, through HTTP."""

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Personas
from tests.jobs.handlers import ODS_BYTES, XLSX_BYTES
from vsis.audit.models import AuditEntry
from vsis.jobs.models import Job, JobFile, JobStatus
from vsis.jobs.runner import execute_job
from vsis.jobs.services import request_job
from vsis.units.models import User


def make(
    committed: Any, user: User, kind: str, *, run: bool = False, **params: Any
) -> Job:
    job = committed(request_job, actor=user, kind=kind, params=params)
    if run:
        committed(execute_job, job.pk)
    job.refresh_from_db()
    return job


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/jobs/"),
        ("get", "/jobs/fragment/"),
        ("post", "/jobs/1/cancel/"),
        ("get", "/jobs/1/files/1/"),
    ],
)
def test_anonymous_users_are_sent_to_the_login(
    client: Client, db: None, method: str, url: str
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"


def test_the_list_shows_my_jobs_newest_first_with_their_actions(
    client: Client, personas: Personas, committed: Any
) -> None:
    clerk = personas.unit_clerk
    done = make(committed, clerk, "test.files", run=True, n=1)
    failed = make(committed, clerk, "test.refuse", run=True)
    running = make(committed, clerk, "test.echo", n=5)
    Job.objects.filter(pk=running.pk).update(
        status=JobStatus.RUNNING, progress=40, progress_note="寫入 Excel", attempts=1
    )
    queued = make(committed, clerk, "test.echo", n=6)
    theirs = make(committed, personas.county_clerk, "test.echo", n=7)

    response = logged_in(client, clerk).get(reverse("jobs:list"))

    assert response.status_code == 200
    html = body(response)
    for header in ("報表/工作", "條件", "狀態", "進度", "申請時間", "完成時間", "動作"):
        assert f'<th scope="col">{header}</th>' in html
    assert "申請人" not in html
    order = [
        html.index(f'id="job-{job.pk}"') for job in (queued, running, failed, done)
    ]
    assert order == sorted(order)
    assert f'id="job-{theirs.pk}"' not in html

    files = {f.format: f for f in done.files.all()}
    for fmt, label in (("xlsx", "【Excel】"), ("ods", "【Ods】")):
        url = reverse("jobs:download", args=[done.pk, files[fmt].pk])
        assert f'href="{url}" download>{label}</a>' in html
    assert "查無符合條件的志工，請調整條件後重新申請" in html
    assert '<progress max="100" value="40"' in html and "40%" in html
    assert "寫入 Excel" in html
    assert "數值 6" in html  # the kind's describe() for the 條件 column
    for job in (running, queued):
        assert reverse("jobs:cancel", args=[job.pk]) in html
    assert reverse("jobs:cancel", args=[done.pk]) not in html
    # Something is active, so the table polls itself, watching those two.
    assert 'hx-trigger="every 2s"' in html
    assert f"watch={queued.pk}%2C{running.pk}" in html


def test_the_list_stops_polling_when_nothing_is_active(
    client: Client, personas: Personas, committed: Any
) -> None:
    make(committed, personas.unit_clerk, "test.files", run=True)
    html = body(logged_in(client, personas.unit_clerk).get(reverse("jobs:list")))
    assert "hx-trigger" not in html and 'data-polling="0"' in html


def test_a_superuser_sees_everyones_jobs_with_the_requester(
    client: Client, personas: Personas, committed: Any
) -> None:
    mine = make(committed, personas.unit_clerk, "test.echo", n=1)
    theirs = make(committed, personas.county_clerk, "test.echo", n=1)
    html = body(logged_in(client, personas.superuser).get(reverse("jobs:list")))
    assert '<th scope="col">申請人</th>' in html
    assert f'id="job-{mine.pk}"' in html and f'id="job-{theirs.pk}"' in html
    assert "hospital_clerk" in html and "county_clerk" in html


def test_the_list_costs_the_same_queries_for_two_jobs_or_twelve(
    client: Client,
    personas: Personas,
    committed: Any,
    django_assert_num_queries: Any,
) -> None:
    clerk = personas.unit_clerk
    client = logged_in(client, clerk)
    for n in range(2):
        make(committed, clerk, "test.files", run=True, n=n)
    # session, user, count, page of jobs, their files, the header's unit
    with django_assert_num_queries(6):
        client.get(reverse("jobs:list"))
    for n in range(2, 12):
        make(committed, clerk, "test.files", run=True, n=n)
    with django_assert_num_queries(6):
        client.get(reverse("jobs:list"))


def test_the_fragment_says_when_a_watched_job_has_ended(
    client: Client, personas: Personas, committed: Any
) -> None:
    clerk = personas.unit_clerk
    client = logged_in(client, clerk)
    job = make(committed, clerk, "test.files", n=1)
    other = make(committed, personas.county_clerk, "test.files", n=1)

    first = body(client.get(reverse("jobs:fragment"), {"watch": str(job.pk)}))
    assert 'hx-trigger="every 2s"' in first
    assert "已完成" not in first

    committed(execute_job, job.pk)
    committed(execute_job, other.pk)
    url = reverse("jobs:fragment")
    watch = f"{job.pk},{other.pk},junk"
    html = body(client.get(url, {"watch": watch}))

    assert "「志工年齡分布表」已完成。請按【Excel】【Ods】下載。" in html
    assert html.count("已完成") == 1  # not for the other user's job
    assert "hx-trigger" not in html  # nothing left to wait for
    assert html.startswith('<div class="job-list"')


def test_the_fragment_says_why_a_watched_job_failed(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.refuse", run=True)
    client = logged_in(client, personas.unit_clerk)
    html = body(client.get(reverse("jobs:fragment"), {"watch": job.pk}))
    assert "「測試拒絕」未能完成：查無符合條件的志工，請調整條件後重新申請" in html


@pytest.mark.parametrize(
    "query",
    [
        # Beyond a 64-bit id SQLite raised OverflowError (a 500).
        {"watch": "99999999999999999999999"},
        {"watch": "9223372036854775808,²,-3,,x"},
        # "²".isdigit() is true, but int("²") fails.
        {"limit": "²"},
        {"limit": "99999999999999999999999", "page": "²"},
    ],
)
def test_junk_in_the_fragments_query_is_ignored(
    client: Client, personas: Personas, committed: Any, query: dict[str, str]
) -> None:
    clerk = personas.unit_clerk
    job = make(committed, clerk, "test.files", run=True)
    client = logged_in(client, clerk)

    response = client.get(reverse("jobs:fragment"), query)

    assert response.status_code == 200
    html = body(response)
    assert f'id="job-{job.pk}"' in html
    assert "已完成" not in html  # no watched job came of the junk


def test_the_fragment_for_one_kind_keeps_its_filter_when_polling(
    client: Client, personas: Personas, committed: Any
) -> None:
    clerk = personas.unit_clerk
    age = make(committed, clerk, "test.files", n=1)
    other = make(committed, clerk, "test.echo", n=1)
    client = logged_in(client, clerk)
    html = body(client.get(reverse("jobs:fragment"), {"kind": "test.files"}))
    assert f'id="job-{age.pk}"' in html and f'id="job-{other.pk}"' not in html
    assert f"kind=test.files&amp;watch={age.pk}" in html


def test_recent_jobs_tag_shows_the_latest_of_one_kind(
    personas: Personas, committed: Any, rf: RequestFactory
) -> None:
    clerk = personas.unit_clerk
    jobs = [make(committed, clerk, "test.echo", n=n) for n in range(4)]
    make(committed, clerk, "test.files")
    request = rf.get("/reports/age/")
    request.user = clerk

    html = Template('{% load job_tags %}{% recent_jobs "test.echo" limit=3 %}').render(
        Context({"request": request})
    )

    shown = [job.pk for job in jobs if f'id="job-{job.pk}"' in html]
    assert shown == [job.pk for job in jobs[1:]]
    assert "測試回聲" in html and "志工年齡分布表" not in html
    assert "kind=test.echo&amp;limit=3" in html and 'hx-trigger="every 2s"' in html


def test_cancel_from_the_list(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.echo", n=1)
    client = logged_in(client, personas.unit_clerk)

    response = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)

    assert response.redirect_chain == [(reverse("jobs:list"), 302)]
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert f"已取消工作 {job.pk}。" in body(response)

    # Again: it has ended, and the user is told so.
    response = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert "此工作目前為「已取消」，無法取消" in body(response)


# "²".isdigit() is true, but int("²") fails: junk is ignored, not a 500.
@pytest.mark.parametrize("query", ["?kind=test.echo&limit=5", "?limit=²"])
def test_cancel_through_htmx_redraws_the_fragment(
    client: Client, personas: Personas, committed: Any, query: str
) -> None:
    job = make(committed, personas.unit_clerk, "test.echo", n=1)
    client = logged_in(client, personas.unit_clerk)

    response = client.post(
        reverse("jobs:cancel", args=[job.pk]) + query,
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = body(response)
    assert html.startswith('<div class="job-list"')
    assert f"已取消工作 {job.pk}。" in html
    assert '<td class="status-N" style="white-space:nowrap">已取消</td>' in html


def test_nobody_else_can_cancel(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.echo", n=1)
    client = logged_in(client, personas.county_clerk)
    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def download_url(job: Job, fmt: str) -> str:
    job_file = job.files.get(format=fmt)
    return reverse("jobs:download", args=[job.pk, job_file.pk])


def test_the_requester_downloads_with_the_chinese_filename(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.files", run=True)
    client = logged_in(client, personas.unit_clerk)

    response = client.get(download_url(job, "xlsx"))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == XLSX_BYTES
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="vsis-job-{job.pk}.xlsx"; '
        "filename*=UTF-8''%E5%BF%97%E5%B7%A5%E5%B9%B4%E9%BD%A1"
        "%E5%88%86%E5%B8%83%E8%A1%A8.xlsx"
    )
    assert response["Content-Length"] == str(len(XLSX_BYTES))
    audit = AuditEntry.objects.get(action="job.download")
    assert audit.actor == personas.unit_clerk
    assert audit.target_type == "jobs.jobfile"
    assert audit.changes == {"job": {"old": None, "new": job.pk}}

    ods = client.get(download_url(job, "ods"))
    assert b"".join(ods.streaming_content) == ODS_BYTES
    assert ods["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert AuditEntry.objects.filter(action="job.download").count() == 2


def test_a_superuser_may_download(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.files", run=True)
    response = logged_in(client, personas.superuser).get(download_url(job, "ods"))
    assert response.status_code == 200
    assert AuditEntry.objects.get(action="job.download").actor == personas.superuser


@pytest.mark.parametrize("who", ["county_clerk", "other_county_clerk", "viewer"])
def test_anyone_else_gets_a_404_and_nothing_is_logged(
    client: Client, personas: Personas, committed: Any, who: str
) -> None:
    job = make(committed, personas.unit_clerk, "test.files", run=True)
    response = logged_in(client, getattr(personas, who)).get(download_url(job, "xlsx"))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="job.download").exists()


def test_no_download_of_an_expired_or_unfinished_job_or_a_stranger_file(
    client: Client, personas: Personas, committed: Any, media_root: Path
) -> None:
    clerk = personas.unit_clerk
    client = logged_in(client, clerk)
    job = make(committed, clerk, "test.files", run=True, n=1)
    other = make(committed, clerk, "test.files", run=True, n=2)
    url = download_url(job, "xlsx")

    # Another job's file under this job's address.
    stranger = other.files.get(format="xlsx")
    assert client.get(
        reverse("jobs:download", args=[job.pk, stranger.pk])
    ).status_code == (404)
    # The stored file vanished from the disk.
    Path(JobFile.objects.get(job=other, format="ods").file.path).unlink()
    assert client.get(download_url(other, "ods")).status_code == 404
    # Not finished any more (as during a retry), then expired.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    assert client.get(url).status_code == 404
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.EXPIRED, expires_at=timezone.now()
    )
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="job.download").exists()


def test_an_expired_job_says_so_in_the_list(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = make(committed, personas.unit_clerk, "test.echo", n=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.EXPIRED)
    html = body(logged_in(client, personas.unit_clerk).get(reverse("jobs:list")))
    assert "已過期" in html and "檔案已過期，請重新申請" in html


def test_a_file_past_its_deadline_is_not_served_before_the_cleanup(
    client: Client, personas: Personas, committed: Any
) -> None:
    clerk = personas.unit_clerk
    client = logged_in(client, clerk)
    job = make(committed, clerk, "test.files", run=True)
    url = download_url(job, "xlsx")
    now = timezone.now()

    Job.objects.filter(pk=job.pk).update(expires_at=now + dt.timedelta(minutes=1))
    assert client.get(url).status_code == 200
    # Still 完成 (the cleanup has not run yet), but the deadline has passed.
    Job.objects.filter(pk=job.pk).update(expires_at=now - dt.timedelta(seconds=1))
    assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="job.download").count() == 1
    # The list shows it as the cleanup will leave it: 已過期, no buttons.
    page = client.get(reverse("jobs:list")).content.decode()
    assert "已過期" in page and url not in page
