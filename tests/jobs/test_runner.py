"""A job's run: claim, handler, outcome; each transition the runner makes."""

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from tests.conftest import Personas, Tree
from tests.jobs.handlers import ODS_BYTES, XLSX_BYTES
from vsis.jobs.context import JobCancelled, JobContext
from vsis.jobs.models import Job, JobFile, JobStatus
from vsis.jobs.runner import Heartbeat, Outcome, execute_job, readable_reason
from vsis.jobs.services import cancel_job, request_job


def make_job(personas: Personas, kind: str, **params: object) -> Job:
    return request_job(actor=personas.unit_clerk, kind=kind, params=params)


def test_it_runs_a_queued_job_to_done(personas: Personas) -> None:
    job = make_job(personas, "test.echo", n=7)
    assert job.status == JobStatus.QUEUED and job.attempts == 0

    before = timezone.now()
    assert execute_job(job.pk, task_id="t-1") == Outcome.DONE

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.progress == 100
    assert job.attempts == 1
    assert job.task_id == "t-1"
    # While the handler ran, the row said 產製中 with its reported progress.
    assert job.result == {
        "n": 7,
        "seen": {"status": "running", "progress": 50},
        "attempt": 1,
    }
    assert job.started_at is not None and job.finished_at is not None
    assert before <= job.started_at <= job.finished_at
    assert job.expires_at == job.finished_at + dt.timedelta(days=7)
    assert job.error == ""


def test_it_stores_files_under_media_root(personas: Personas, media_root: Path) -> None:
    job = make_job(personas, "test.files")
    assert execute_job(job.pk) == Outcome.DONE

    files = list(JobFile.objects.filter(job=job).order_by("format"))
    assert [(f.format, f.filename, f.size) for f in files] == [
        ("ods", "志工年齡分布表.ods", len(ODS_BYTES)),
        ("xlsx", "志工年齡分布表.xlsx", len(XLSX_BYTES)),
    ]
    for job_file, content in zip(files, [ODS_BYTES, XLSX_BYTES], strict=True):
        path = Path(job_file.file.path)
        assert path.is_relative_to(media_root / "jobs" / str(job.pk) / "1")
        assert path.read_bytes() == content
    job.refresh_from_db()
    assert job.result == {"rows": 2}


def test_a_refusing_handler_fails_with_its_reason_and_keeps_no_file(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(personas, "test.refuse")
    # Outside a test the worker runs in autocommit, and the files go at once.
    with django_capture_on_commit_callbacks(execute=True):
        assert execute_job(job.pk) == Outcome.FAILED

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "查無符合條件的志工，請調整條件後重新申請"
    assert job.attempts == 1 and job.finished_at is not None
    assert not job.files.exists()
    assert list((media_root / "jobs").rglob("*.xlsx")) == []


def test_a_crashing_handler_fails_with_a_readable_reason(
    personas: Personas, media_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = make_job(personas, "test.crash")
    with caplog.at_level(logging.ERROR, logger="vsis.jobs.runner"):
        assert execute_job(job.pk) == Outcome.FAILED

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "產製時發生系統錯誤（ZeroDivisionError），請稍後重新申請；"
        f"若一再發生，請聯絡系統管理者並告知工作編號 {job.pk}"
    )
    assert not job.files.exists()
    # The traceback is in the log, not on the page.
    assert any(record.exc_info for record in caplog.records)


def test_a_result_that_is_not_json_fails(personas: Personas) -> None:
    job = make_job(personas, "test.bad_result")
    assert execute_job(job.pk) == Outcome.FAILED
    job.refresh_from_db()
    assert job.error == "產製完成但結果無法儲存，請聯絡系統管理者"


def test_an_unknown_kind_fails_at_run_time(personas: Personas) -> None:
    job = Job.objects.create(
        requester=personas.unit_clerk, kind="gone.kind", params={}, params_digest="x"
    )
    assert execute_job(job.pk) == Outcome.FAILED
    job.refresh_from_db()
    assert job.error == "系統找不到此類工作（gone.kind）的處理程式，請聯絡系統管理者"


@pytest.mark.parametrize(
    "status", [JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED]
)
def test_a_job_that_is_not_queued_is_not_run(personas: Personas, status: str) -> None:
    job = make_job(personas, "test.echo", n=1)
    Job.objects.filter(pk=job.pk).update(status=status, attempts=1)

    assert execute_job(job.pk) == Outcome.SKIPPED

    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (status, 1, None)


def test_a_job_never_runs_twice_at_once(personas: Personas) -> None:
    job = make_job(personas, "test.reentrant")
    assert execute_job(job.pk) == Outcome.DONE
    job.refresh_from_db()
    # A second task for the same job, started while the first runs, does nothing.
    assert job.result == {"inner": Outcome.SKIPPED}
    assert job.attempts == 1


def test_a_missing_job_is_skipped(db: None) -> None:
    assert execute_job(999_999) == Outcome.SKIPPED


def test_a_retry_starts_over_without_the_earlier_attempts_files(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(personas, "test.files")
    assert execute_job(job.pk) == Outcome.DONE
    first = set(job.files.values_list("pk", flat=True))
    # As if the sweeper had re-queued it after attempt 1.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)

    assert execute_job(job.pk) == Outcome.DONE

    job.refresh_from_db()
    assert job.attempts == 2
    assert set(job.files.values_list("attempt", flat=True)) == {2}
    assert not first & set(job.files.values_list("pk", flat=True))
    assert not (media_root / "jobs" / str(job.pk) / "1").exists()
    assert len(list((media_root / "jobs" / str(job.pk) / "2").iterdir())) == 2


def test_a_run_taken_over_by_the_sweeper_records_nothing(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = make_job(personas, "test.superseded")
    with django_capture_on_commit_callbacks(execute=True):
        assert execute_job(job.pk) == Outcome.SUPERSEDED
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.finished_at is None and job.error == ""
    assert not job.files.exists()
    assert list((media_root / "jobs").rglob("*.xlsx")) == []


def test_progress_is_clamped_and_beats(personas: Personas, tree: Tree) -> None:
    job = make_job(personas, "test.echo", n=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    job.refresh_from_db()
    ctx = JobContext(job, attempt=1)
    old_beat = job.heartbeat_at

    ctx.progress(140, "寫入 Excel" * 50)

    job.refresh_from_db()
    assert job.progress == 100
    assert job.progress_note == ("寫入 Excel" * 50)[:200]
    assert job.heartbeat_at is not None and old_beat is not None
    assert job.heartbeat_at >= old_beat


def running_context(personas: Personas) -> JobContext:
    job = make_job(personas, "test.echo", n=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    job.refresh_from_db()
    return JobContext(job, attempt=1)


def test_progress_inside_the_handlers_transaction_is_written_by_the_heartbeat(
    personas: Personas,
) -> None:
    ctx = running_context(personas)
    with transaction.atomic():
        # Updating the job row here would lock it until this commit.
        ctx.progress(30, "寫入資料")
        assert Job.objects.values_list("progress", flat=True).get(pk=ctx.job.pk) == 0

    assert Heartbeat(ctx).beat() is False  # still ours
    job = Job.objects.get(pk=ctx.job.pk)
    assert (job.progress, job.progress_note) == (30, "寫入資料")


def test_the_heartbeat_notices_a_cancel(personas: Personas) -> None:
    ctx = running_context(personas)
    heartbeat = Heartbeat(ctx)
    assert not ctx.is_cancelled()

    cancel_job(ctx.job, actor=personas.unit_clerk)

    assert heartbeat.beat() is True
    assert ctx.is_cancelled()
    with pytest.raises(JobCancelled):
        ctx.check_cancelled()
    with pytest.raises(JobCancelled), transaction.atomic():
        ctx.progress(50)


def test_no_heartbeat_thread_inside_a_transaction(personas: Personas) -> None:
    # It could not see the uncommitted job (a test's, an inline caller's).
    heartbeat = Heartbeat(running_context(personas), interval=0.01)
    heartbeat.start()
    assert heartbeat._thread is None
    heartbeat.stop()


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (OperationalError("server closed the connection"), "資料庫暫時無法使用"),
        (MemoryError(), "伺服器記憶體不足"),
        (OSError(28, "No space left on device"), "伺服器磁碟空間不足"),
        (TimeoutError(), "處理逾時"),
        (IntegrityError("duplicate key"), "產製時發生系統錯誤（IntegrityError）"),
    ],
)
def test_unexpected_errors_get_a_readable_reason(exc: Exception, reason: str) -> None:
    assert readable_reason(exc, 12).startswith(reason)
