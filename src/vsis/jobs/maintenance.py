"""The sweeper and the expiry cleanup, run by every worker and by cron.

Both are safe to run from several processes at once: each change is an UPDATE
filtered on the state the job was found in, so only one sweeper wins a job.
"""

import datetime as dt
import logging
import threading
import uuid
from argparse import ArgumentParser
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks.exceptions import TaskResultDoesNotExist

from vsis.audit.services import record_audit
from vsis.jobs.files import delete_files, purge_stray_files
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.tasks import enqueue_job, run_job

logger = logging.getLogger(__name__)

WORKER_LOST_CLASS = "vsis.jobs.maintenance.WorkerLost"


class WorkerLost(Exception):
    """The process running a task stopped sending heartbeats."""


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    reenqueued: list[int] = field(default_factory=list)
    task_rows_closed: int = 0

    def __str__(self) -> str:
        return (
            f"重新排隊 {len(self.requeued)} 件、標示失敗 {len(self.failed)} 件、"
            f"補送佇列 {len(self.reenqueued)} 件、"
            f"結束佇列紀錄 {self.task_rows_closed} 筆"
        )


@dataclass
class CleanupReport:
    expired: list[int] = field(default_factory=list)
    stray_folders: int = 0
    task_rows_pruned: int = 0

    def __str__(self) -> str:
        return (
            f"檔案過期 {len(self.expired)} 件、清除殘留資料夾 {self.stray_folders} 個、"
            f"刪除舊佇列紀錄 {self.task_rows_pruned} 筆"
        )


def interrupted_reason(attempts: int) -> str:
    retries = attempts - 1
    if retries <= 0:
        return "背景工作程序中斷"
    return f"背景工作程序中斷，已重試 {retries} 次"


def sweep_stale_jobs(*, now: dt.datetime | None = None) -> SweepReport:
    """Recover jobs whose worker died.

    A running job whose heartbeat is older than VSIS_JOB_STALE_SECONDS goes
    back to the queue (a new task) while attempts < VSIS_JOB_MAX_ATTEMPTS,
    else it fails with the reason. The queue's own row of the dead run, which
    django-tasks leaves RUNNING forever, is closed as failed. A queued job
    whose task is gone (its enqueue failed, or the worker died before the
    claim) is enqueued again.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.VSIS_JOB_STALE_SECONDS)
    report = SweepReport()

    stale = Job.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    for job in stale.only("pk", "attempts", "task_id", "unit_id", "kind"):
        if job.attempts < settings.VSIS_JOB_MAX_ATTEMPTS:
            if _requeue(job, now=now, cutoff=cutoff):
                report.requeued.append(job.pk)
        elif _fail_interrupted(job, now=now, cutoff=cutoff):
            report.failed.append(job.pk)

    report.task_rows_closed += _close_dead_task_rows(now=now, cutoff=cutoff)
    report.reenqueued = _reenqueue_lost_tasks(now=now, cutoff=cutoff)
    if report.requeued or report.failed or report.reenqueued or report.task_rows_closed:
        logger.warning("job sweep: %s", report)
    return report


def _stale_filter(job: Job, cutoff: dt.datetime) -> Q:
    # The same job, still in the same run, still silent: a run that beat
    # meanwhile keeps its job.
    return Q(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )


def _requeue(job: Job, *, now: dt.datetime, cutoff: dt.datetime) -> bool:
    reason = f"背景工作程序中斷，重新排隊（第 {job.attempts + 1} 次執行）"
    with transaction.atomic():
        updated = Job.objects.filter(_stale_filter(job, cutoff)).transition(
            JobStatus.QUEUED,
            progress=0,
            progress_note=reason,
            heartbeat_at=now,
            task_id="",
            worker="",
        )
        if not updated:
            return False
        _close_task_row(job.task_id, now=now)
        delete_files(job.pk, attempt=job.attempts)
        record_audit(
            actor=None,
            action="job.requeue",
            target=job,
            unit_id=job.unit_id,
            changes={"status": {"old": JobStatus.RUNNING, "new": JobStatus.QUEUED}},
            reason=reason,
        )
        transaction.on_commit(partial(enqueue_job, job.pk))
    logger.warning("job %s attempt %s lost its worker; requeued", job.pk, job.attempts)
    return True


def _fail_interrupted(job: Job, *, now: dt.datetime, cutoff: dt.datetime) -> bool:
    reason = interrupted_reason(job.attempts)
    with transaction.atomic():
        updated = Job.objects.filter(_stale_filter(job, cutoff)).transition(
            JobStatus.FAILED,
            finished_at=now,
            error=reason,
            progress_note="失敗",
        )
        if not updated:
            return False
        _close_task_row(job.task_id, now=now)
        delete_files(job.pk, attempt=job.attempts)
        record_audit(
            actor=None,
            action="job.fail",
            target=job,
            unit_id=job.unit_id,
            changes={"status": {"old": JobStatus.RUNNING, "new": JobStatus.FAILED}},
            reason=reason,
        )
    logger.warning("job %s attempt %s lost its worker; failed", job.pk, job.attempts)
    return True


def _db_task_results() -> Any:
    """The django_tasks_db result manager when the backend is the database."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task_backends[run_job.backend], DatabaseBackend):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects


def _close_task_row(task_id: str, *, now: dt.datetime) -> int:
    results = _db_task_results()
    if results is None or not _is_uuid(task_id):
        return 0
    return int(
        results.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST_CLASS,
            traceback="背景工作程序中斷（心跳逾時），由清理程序結束此紀錄",
        )
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True


def _close_dead_task_rows(*, now: dt.datetime, cutoff: dt.datetime) -> int:
    """Close RUNNING task rows of run_job that no live job run accounts for."""
    results = _db_task_results()
    if results is None:
        return 0
    live = set(
        Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__gte=cutoff)
        .exclude(task_id="")
        .values_list("task_id", flat=True)
    )
    closed = 0
    rows = results.filter(
        status=TaskResultStatus.RUNNING,
        task_path=run_job.module_path,
        started_at__lt=cutoff,
    ).values_list("id", flat=True)
    for task_id in rows:
        if str(task_id) not in live:
            closed += _close_task_row(str(task_id), now=now)
    return closed


def _task_pending(task_id: str, cutoff: dt.datetime) -> bool:
    """Whether the task will still start the job: ready, or just picked up."""
    if not task_id:
        return False
    backend = task_backends[run_job.backend]
    if not backend.supports_get_result:
        return True  # cannot tell; trust the queue
    try:
        result = run_job.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    if result.status == TaskResultStatus.READY:
        return True
    # A worker claims the job within moments of the task; a RUNNING task
    # that never did belongs to a worker that died in between.
    return (
        result.status == TaskResultStatus.RUNNING
        and result.started_at is not None
        and result.started_at >= cutoff
    )


def _reenqueue_lost_tasks(*, now: dt.datetime, cutoff: dt.datetime) -> list[int]:
    reenqueued = []
    silent = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    for job in silent.only("pk", "task_id"):
        if _task_pending(job.task_id, cutoff):
            continue
        with transaction.atomic():
            updated = Job.objects.filter(
                pk=job.pk, status=JobStatus.QUEUED, task_id=job.task_id
            ).update(heartbeat_at=now, task_id="")
            if updated:
                transaction.on_commit(partial(enqueue_job, job.pk))
                reenqueued.append(job.pk)
    return reenqueued


def expire_job_files(*, now: dt.datetime | None = None) -> CleanupReport:
    """Delete the files of finished jobs past their expiry (已過期), strays, and
    the queue's finished rows older than VSIS_JOB_FILE_DAYS."""
    now = now or timezone.now()
    report = CleanupReport()
    due = Job.objects.filter(status=JobStatus.DONE, expires_at__lte=now)
    for job_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            updated = Job.objects.filter(pk=job_id).transition(
                JobStatus.EXPIRED, progress_note="檔案已過期"
            )
            if updated:
                delete_files(job_id)
                report.expired.append(job_id)
    report.stray_folders = purge_stray_files()

    results = _db_task_results()
    if results is not None:
        old = now - dt.timedelta(days=settings.VSIS_JOB_FILE_DAYS)
        report.task_rows_pruned, _ = (
            results.filter(task_path=run_job.module_path, finished_at__lt=old)
            .exclude(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
            .delete()
        )
    if report.expired or report.stray_folders:
        logger.info("job cleanup: %s", report)
    return report


def run_maintenance(
    *, now: dt.datetime | None = None
) -> tuple[SweepReport, CleanupReport]:
    """One round of both, as each worker does every few seconds."""
    return sweep_stale_jobs(now=now), expire_job_files(now=now)


def default_interval() -> float:
    """Seconds between rounds: often enough that a dead job is found soon after
    it turns stale, never busier than every 5 s nor idler than every minute."""
    return float(max(5, min(60, settings.VSIS_JOB_STALE_SECONDS // 4)))


def run_maintenance_safely() -> None:
    """One round that logs its failure instead of raising it."""
    try:
        run_maintenance()
    except DatabaseError:
        # A locked or unreachable database now is no reason to stop working.
        logger.warning("job maintenance failed; trying again later", exc_info=True)
    except Exception:
        logger.exception("job maintenance failed")


class MaintenanceThread(threading.Thread):
    """Runs a round every `interval` seconds beside a worker, until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="vsis-job-maintenance", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                run_maintenance_safely()
        finally:
            connections.close_all()


def add_maintenance_argument(parser: ArgumentParser) -> None:
    """A worker command's --maintenance-interval, read by start_maintenance."""
    parser.add_argument(
        "--maintenance-interval",
        type=float,
        default=None,
        help="Seconds between sweeps and cleanups (default: from "
        "VSIS_JOB_STALE_SECONDS, 5-60; 0 turns them off)",
    )


def start_maintenance(interval: float | None) -> None:
    """A worker's start: one round now, then a thread (an interval of 0: none)."""
    if interval is None:
        interval = default_interval()
    if interval > 0:
        run_maintenance_safely()
        MaintenanceThread(interval).start()
