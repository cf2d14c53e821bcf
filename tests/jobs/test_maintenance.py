"""The sweeper (dead workers) and the cleanup (expiry, strays, old task rows)."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import Personas
from tests.jobs.handlers import XLSX_BYTES
from vsis.audit.models import AuditEntry
from vsis.jobs.context import JobContext
from vsis.jobs.maintenance import expire_job_files, sweep_stale_jobs
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import Outcome, execute_job
from vsis.jobs.services import request_job
from vsis.jobs.tasks import run_job

STALE = dt.timedelta(seconds=120)  # VSIS_JOB_STALE_SECONDS


def running_job(
    personas: Personas,
    committed: Any,
    *,
    attempts: int = 1,
    beat_ago: dt.timedelta = STALE * 2,
    n: int = 1,
) -> Job:
    """A job left 產製中 by a worker, with its task row RUNNING and one file."""
    job = committed(
        request_job, actor=personas.unit_clerk, kind="test.echo", params={"n": n}
    )
    job.refresh_from_db()
    task = run_job.get_result(job.task_id)
    beat = timezone.now() - beat_ago
    DBTaskResult.objects.filter(id=task.id).update(status="RUNNING", started_at=beat)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=attempts,
        started_at=beat,
        heartbeat_at=beat,
        task_id=str(task.id),
    )
    job.refresh_from_db()
    JobContext(job, attempts).add_file("xlsx", XLSX_BYTES, filename="半成品.xlsx")
    return job


def task_status(task_id: str) -> str:
    return str(DBTaskResult.objects.get(id=task_id).status)


def test_a_dead_workers_job_is_requeued_with_a_new_task(
    personas: Personas, media_root: Path, committed: Any
) -> None:
    job = running_job(personas, committed, attempts=1)
    dead_task = job.task_id

    report = committed(sweep_stale_jobs)

    assert report.requeued == [job.pk] and report.failed == []
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 1  # the next claim counts the second attempt
    assert job.progress == 0
    assert job.progress_note == "背景工作程序中斷，重新排隊（第 2 次執行）"
    # The task row django-tasks would have left RUNNING forever is closed...
    dead = DBTaskResult.objects.get(id=dead_task)
    assert dead.status == "FAILED"
    assert dead.exception_class_path == "vsis.jobs.maintenance.WorkerLost"
    # ...and a new one is waiting.
    assert job.task_id and job.task_id != dead_task
    assert task_status(job.task_id) == "READY"
    assert not job.files.exists()
    assert list((media_root / "jobs").rglob("*.xlsx")) == []
    audit = AuditEntry.objects.get(action="job.requeue")
    assert audit.actor is None and audit.target_id == str(job.pk)

    # The retry runs as attempt 2.
    assert committed(execute_job, job.pk, task_id=job.task_id) == Outcome.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result["attempt"]) == ("done", 2, 2)


def test_after_the_last_attempt_the_job_fails_with_the_reason(
    personas: Personas, committed: Any
) -> None:
    job = running_job(personas, committed, attempts=3)  # VSIS_JOB_MAX_ATTEMPTS

    report = committed(sweep_stale_jobs)

    assert report.failed == [job.pk] and report.requeued == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "背景工作程序中斷，已重試 2 次"
    assert job.finished_at is not None
    assert task_status(job.task_id) == "FAILED"
    assert not job.files.exists()
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert AuditEntry.objects.get(action="job.fail").reason == job.error


def test_with_a_single_attempt_the_reason_says_no_retry(
    personas: Personas, settings: Any, committed: Any
) -> None:
    settings.VSIS_JOB_MAX_ATTEMPTS = 1
    job = running_job(personas, committed, attempts=1)
    committed(sweep_stale_jobs)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "背景工作程序中斷")


def test_a_job_with_a_fresh_heartbeat_is_left_alone(
    personas: Personas, committed: Any
) -> None:
    job = running_job(personas, committed, beat_ago=STALE - dt.timedelta(seconds=5))

    report = committed(sweep_stale_jobs)

    assert (report.requeued, report.failed, report.task_rows_closed) == ([], [], 0)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.files.count() == 1
    assert task_status(job.task_id) == "RUNNING"


def test_the_stale_threshold_is_the_setting(
    personas: Personas, settings: Any, committed: Any
) -> None:
    settings.VSIS_JOB_STALE_SECONDS = 10
    job = running_job(personas, committed, beat_ago=dt.timedelta(seconds=11))
    fresh = running_job(personas, committed, beat_ago=dt.timedelta(seconds=5), n=2)

    assert committed(sweep_stale_jobs).requeued == [job.pk]
    fresh.refresh_from_db()
    assert fresh.status == JobStatus.RUNNING


def test_a_second_sweep_finds_nothing_more(personas: Personas, committed: Any) -> None:
    running_job(personas, committed)
    committed(sweep_stale_jobs)
    report = committed(sweep_stale_jobs)
    assert (report.requeued, report.failed, report.reenqueued) == ([], [], [])
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_a_queued_job_whose_task_was_lost_is_enqueued_again(
    personas: Personas, committed: Any
) -> None:
    old = timezone.now() - STALE * 2
    # Its enqueue failed after the commit: no task at all.
    clerk = personas.unit_clerk
    no_task = committed(request_job, actor=clerk, kind="test.echo", params={"n": 1})
    no_task.refresh_from_db()
    DBTaskResult.objects.filter(id=no_task.task_id).delete()
    Job.objects.filter(pk=no_task.pk).update(task_id="", heartbeat_at=old)
    # A worker took the task and died before claiming the job.
    half_taken = committed(request_job, actor=clerk, kind="test.echo", params={"n": 2})
    half_taken.refresh_from_db()
    DBTaskResult.objects.filter(id=half_taken.task_id).update(
        status="RUNNING", started_at=old
    )
    Job.objects.filter(pk=half_taken.pk).update(heartbeat_at=old)
    # Waiting in a long queue is fine: its task is still READY.
    waiting = committed(request_job, actor=clerk, kind="test.echo", params={"n": 3})
    Job.objects.filter(pk=waiting.pk).update(heartbeat_at=old)
    dead_task = half_taken.task_id

    report = committed(sweep_stale_jobs)

    assert sorted(report.reenqueued) == sorted([no_task.pk, half_taken.pk])
    assert report.task_rows_closed == 1
    assert task_status(dead_task) == "FAILED"
    for job in (no_task, half_taken, waiting):
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED
        assert task_status(job.task_id) == "READY"
    assert DBTaskResult.objects.filter(status="READY").count() == 3


def test_a_dead_task_row_of_a_cancelled_job_is_closed(
    personas: Personas, committed: Any
) -> None:
    job = running_job(personas, committed)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)
    # A long but live run: its task started long ago, its heartbeat is fresh.
    live = running_job(personas, committed, n=2)
    Job.objects.filter(pk=live.pk).update(heartbeat_at=timezone.now())

    report = committed(sweep_stale_jobs)

    assert report.task_rows_closed == 1
    assert task_status(job.task_id) == "FAILED"
    assert task_status(live.task_id) == "RUNNING"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def done_job(personas: Personas, committed: Any, *, n: int = 1) -> Job:
    clerk = personas.unit_clerk
    job = committed(request_job, actor=clerk, kind="test.files", params={"n": n})
    assert committed(execute_job, job.pk) == Outcome.DONE
    job.refresh_from_db()
    return job


def test_files_expire_after_the_kept_days(
    personas: Personas, media_root: Path, committed: Any
) -> None:
    job = done_job(personas, committed)
    assert job.finished_at is not None and job.expires_at is not None
    assert job.expires_at - job.finished_at == dt.timedelta(days=7)
    paths = [Path(f.file.path) for f in job.files.all()]
    assert len(paths) == 2 and all(path.exists() for path in paths)

    # A day before: nothing happens.
    assert (
        committed(expire_job_files, now=job.expires_at - dt.timedelta(days=1)).expired
        == []
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and all(path.exists() for path in paths)

    report = committed(expire_job_files, now=job.expires_at + dt.timedelta(seconds=1))

    assert report.expired == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED
    assert job.progress_note == "檔案已過期"
    assert not job.files.exists()
    assert not any(path.exists() for path in paths)
    assert not (media_root / "jobs" / str(job.pk)).exists()


def test_the_cleanup_removes_stray_folders_but_not_a_running_attempts(
    personas: Personas, media_root: Path, committed: Any
) -> None:
    kept = done_job(personas, committed)
    running = running_job(personas, committed, beat_ago=dt.timedelta(seconds=1), n=2)
    # A run killed between writing a file and recording it.
    stray = media_root / "jobs" / str(kept.pk) / "9"
    stray.mkdir(parents=True)
    (stray / "abc.xlsx").write_bytes(b"x")
    gone = media_root / "jobs" / "999999" / "1"
    gone.mkdir(parents=True)
    (gone / "abc.ods").write_bytes(b"x")
    running_file = Path(running.files.get().file.path)

    report = committed(expire_job_files)

    assert report.stray_folders == 2
    assert not stray.exists() and not gone.parent.exists()
    assert all(Path(f.file.path).exists() for f in kept.files.all())
    assert running_file.exists()


def test_the_cleanup_prunes_old_finished_task_rows(
    personas: Personas, committed: Any
) -> None:
    clerk = personas.unit_clerk
    job = committed(request_job, actor=clerk, kind="test.echo", params={"n": 1})
    job.refresh_from_db()
    old = timezone.now() - dt.timedelta(days=8)
    finished = run_job.enqueue(job.pk)
    DBTaskResult.objects.filter(id=finished.id).update(
        status="SUCCESSFUL", finished_at=old
    )

    assert committed(expire_job_files).task_rows_pruned == 1
    assert not DBTaskResult.objects.filter(id=finished.id).exists()
    assert task_status(job.task_id) == "READY"


def test_the_commands_sweep_clean_up_and_list(
    personas: Personas, committed: Any
) -> None:
    stale = running_job(personas, committed)
    out = StringIO()
    call_command("jobs", "sweep", stdout=out)
    assert "重新排隊 1 件" in out.getvalue()
    stale.refresh_from_db()
    assert stale.status == JobStatus.QUEUED

    out = StringIO()
    call_command("jobs", "cleanup", stdout=out)
    assert "檔案過期 0 件" in out.getvalue()

    out = StringIO()
    call_command("jobs", "list", "--active", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(row["id"], row["status"]) for row in rows] == [(stale.pk, "queued")]
