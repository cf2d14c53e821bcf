"""Running one job: claim it, keep its heartbeat, call its handler, record the end.

`execute_job` is what the django-tasks task calls; tests call it directly to
run a job in-process. Every write is an UPDATE filtered on the status the job
must still have and on this run's attempt number, so two runs of one job can
never both record an outcome, and a cancelled job stays cancelled.
"""

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.utils import timezone

from vsis.jobs.context import JobCancelled, JobContext, JobFailed
from vsis.jobs.files import delete_earlier_attempts, delete_files
from vsis.jobs.models import Job, JobQuerySet, JobStatus
from vsis.jobs.registry import Handler, UnknownJobKind, get_kind

logger = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:128]


class Outcome:
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"  # the sweeper handed the job to a later attempt
    SKIPPED = "skipped"  # not queued when the task came: nothing to do


def execute_job(job_id: int, *, task_id: str = "") -> str:
    """Claim the queued job, run its handler and record the outcome.

    Returns one of Outcome's values. A job that is not queued (cancelled,
    already claimed by another run, deleted) is left alone.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id).transition(
        JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        progress=0,
        progress_note="產製中",
        error="",
        task_id=task_id or F("task_id"),
        worker=WORKER_NAME,
    )
    if not claimed:
        logger.info("job %s is not queued; task %s does nothing", job_id, task_id)
        return Outcome.SKIPPED
    job = Job.objects.select_related("requester", "unit").get(pk=job_id)
    attempt = job.attempts
    if job.status != JobStatus.RUNNING:
        return Outcome.SKIPPED  # cancelled between the claim and the read

    delete_earlier_attempts(job.pk, attempt)
    logger.info("job %s (%s) attempt %s started", job.pk, job.kind, attempt)
    started = time.monotonic()
    try:
        kind = get_kind(job.kind)
    except UnknownJobKind:
        logger.error("job %s has unknown kind %s", job.pk, job.kind)
        return _finish_failed(
            job,
            attempt,
            f"系統找不到此類工作（{job.kind}）的處理程式，請聯絡系統管理者",
        )

    ctx = JobContext(job, attempt)
    outcome = _run_handler(kind.handler, ctx)
    logger.info(
        "job %s attempt %s ended %s in %.1f s",
        job.pk,
        attempt,
        outcome,
        time.monotonic() - started,
    )
    return outcome


def _run_handler(handler: Handler, ctx: JobContext) -> str:
    job, attempt = ctx.job, ctx.attempt
    heartbeat = Heartbeat(ctx)
    heartbeat.start()
    try:
        try:
            result = handler(ctx)
        finally:
            heartbeat.stop()
    except JobCancelled:
        return _after_lost(job, attempt)
    except JobFailed as exc:
        logger.info("job %s attempt %s refused: %s", job.pk, attempt, exc.reason)
        return _finish_failed(job, attempt, exc.reason)
    except Exception as exc:
        _reset_broken_connection()
        if ctx.lost.is_set() or not _owned(job, attempt).exists():
            # e.g. the query the heartbeat interrupted after a cancel
            return _after_lost(job, attempt)
        logger.exception("job %s attempt %s failed", job.pk, attempt)
        return _finish_failed(job, attempt, readable_reason(exc, job.pk))
    finally:
        ctx.close()
    return _finish_done(job, attempt, result)


def readable_reason(exc: BaseException, job_id: int) -> str:
    """A Chinese 失敗原因 for an unexpected exception (details go to the log)."""
    if isinstance(exc, MemoryError):
        return "伺服器記憶體不足，請縮小查詢範圍後重新申請"
    if isinstance(exc, OperationalError | InterfaceError):
        return "資料庫暫時無法使用，請稍後重新申請"
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return "伺服器磁碟空間不足，請聯絡系統管理者"
    if isinstance(exc, TimeoutError):
        return "處理逾時，請稍後重新申請"
    return (
        f"產製時發生系統錯誤（{type(exc).__name__}），請稍後重新申請；"
        f"若一再發生，請聯絡系統管理者並告知工作編號 {job_id}"
    )


def _owned(job: Job, attempt: int) -> JobQuerySet:
    return Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt)


def _finish_done(job: Job, attempt: int, result: Mapping[str, Any] | None) -> str:
    try:
        stored = (
            None
            if result is None
            else json.loads(json.dumps(dict(result), cls=DjangoJSONEncoder))
        )
    except (TypeError, ValueError):
        logger.exception("job %s returned a result that is not JSON", job.pk)
        return _finish_failed(job, attempt, "產製完成但結果無法儲存，請聯絡系統管理者")
    now = timezone.now()
    updated = _owned(job, attempt).transition(
        JobStatus.DONE,
        progress=100,
        progress_note="完成",
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + dt.timedelta(days=settings.VSIS_JOB_FILE_DAYS),
        result=stored,
    )
    if not updated:
        return _after_lost(job, attempt)
    return Outcome.DONE


def _finish_failed(job: Job, attempt: int, reason: str) -> str:
    now = timezone.now()
    updated = _owned(job, attempt).transition(
        JobStatus.FAILED,
        finished_at=now,
        heartbeat_at=now,
        error=reason,
        progress_note="失敗",
    )
    if not updated:
        return _after_lost(job, attempt)
    delete_files(job.pk, attempt=attempt)
    return Outcome.FAILED


def _after_lost(job: Job, attempt: int) -> str:
    """This run no longer owns the job: remove its files, leave the row alone."""
    delete_files(job.pk, attempt=attempt)
    status = Job.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    if status == JobStatus.CANCELLED:
        logger.info("job %s attempt %s stopped: cancelled", job.pk, attempt)
        return Outcome.CANCELLED
    logger.warning(
        "job %s attempt %s stopped: superseded (%s)", job.pk, attempt, status
    )
    return Outcome.SUPERSEDED


def _reset_broken_connection() -> None:
    # A handler that lost its connection must not take the outcome with it.
    if connection.connection is not None and not connection.is_usable():
        connection.close()


class Heartbeat:
    """A thread that stamps the job's heartbeat_at every few seconds.

    A handler busy in one long SQL query makes no progress() calls; without
    this the sweeper would take its job for dead and start it again. When the
    thread finds the job cancelled or taken over, it marks the context lost
    and interrupts the handler's running queries (PostgreSQL cancel, SQLite
    interrupt), so a cancel takes effect within one interval.

    The thread does not start inside a transaction (a test, or a caller that
    runs a job inline): it could not see the uncommitted job anyway.
    """

    def __init__(self, ctx: JobContext, interval: float | None = None) -> None:
        self.ctx = ctx
        self.interval = (
            settings.VSIS_JOB_HEARTBEAT_SECONDS if interval is None else interval
        )
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # The handler's connections, as seen from this (the handler's) thread.
        self._handler_connections = [connections[alias] for alias in connections]

    def start(self) -> None:
        if self.interval <= 0:
            return
        if any(wrapper.in_atomic_block for wrapper in self._handler_connections):
            return
        self._thread = threading.Thread(
            target=self._run, name=f"job-{self.ctx.job.pk}-heartbeat", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    lost = self.beat()
                except DatabaseError:
                    logger.warning("heartbeat of job %s failed", self.ctx.job.pk)
                    continue
                if lost:
                    with self._lock:
                        if not self._stopped.is_set():
                            self.ctx.lost.set()
                            _interrupt(self._handler_connections)
                    return
        finally:
            connections.close_all()  # this thread's connections only

    def beat(self) -> bool:
        """Stamp the heartbeat (and any progress reported inside the handler's
        transaction); True when the job is visibly no longer ours."""
        job, attempt = self.ctx.job, self.ctx.attempt
        fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
        pending = self.ctx.take_pending_progress()
        if pending is not None:
            fields["progress"], fields["progress_note"] = pending
        if _owned(job, attempt).update(**fields):
            return False
        return Job.objects.filter(pk=job.pk).exists()


def _interrupt(wrappers: list[BaseDatabaseWrapper]) -> None:
    for wrapper in wrappers:
        raw = wrapper.connection
        if raw is None:
            continue
        try:
            if wrapper.vendor == "postgresql":
                getattr(raw, "cancel_safe", raw.cancel)()
            elif wrapper.vendor == "sqlite":
                raw.interrupt()
        except Exception:
            logger.warning("could not interrupt a query on %s", wrapper.alias)
