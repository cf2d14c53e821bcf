"""What a running handler sees: its job, progress reports, cancellation, files."""

import logging
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from vsis.jobs.models import Job, JobFile, JobStatus

logger = logging.getLogger(__name__)

FILES_DIR = "jobs"
NOTE_LENGTH = 200  # Job.progress_note
_FORMAT_RE = re.compile(r"^[a-z0-9]{1,16}$")


class JobCancelled(Exception):
    """This run no longer owns its job: the user cancelled it, or the sweeper
    gave it to a new attempt. The handler should simply let it propagate."""


class JobFailed(Exception):
    """The job cannot succeed for a reason the user can act on; the message is
    shown as the job's 失敗原因 (in Chinese) and the job is not retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobContext:
    """The handler's window on its job for one attempt.

    Every call that writes checks that this attempt still owns the job, so a
    cancelled or taken-over run stops at its next progress() or
    check_cancelled() by raising JobCancelled.
    """

    def __init__(self, job: Job, attempt: int) -> None:
        self.job = job
        self.attempt = attempt
        # Set by the heartbeat thread when it finds the job no longer ours.
        self.lost = threading.Event()
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        # Progress reported inside a transaction, for the heartbeat to write.
        self._pending_lock = threading.Lock()
        self._pending: tuple[int, str] | None = None
        # Transactions the run itself was started in (a test's, an inline
        # caller's) are not the handler's own.
        self._outer_atomic_depth = len(connection.atomic_blocks)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def _owned(self) -> Any:
        return Job.objects.filter(
            pk=self.job.pk, status=JobStatus.RUNNING, attempts=self.attempt
        )

    def progress(self, percent: int, note: str = "") -> None:
        """Record progress (0-100) and a short Chinese note; also a heartbeat.

        Inside the handler's own transaction the job row is not updated (the
        row lock would be held until the commit, stalling the heartbeat and a
        cancel); the heartbeat thread writes the figure on its next beat.
        """
        percent = max(0, min(100, int(percent)))
        note = note[:NOTE_LENGTH]
        self.job.progress, self.job.progress_note = percent, note
        if len(connection.atomic_blocks) > self._outer_atomic_depth:
            self.check_cancelled()
            with self._pending_lock:
                self._pending = (percent, note)
            return
        if self.lost.is_set():
            raise JobCancelled("此工作已取消")
        updated = self._owned().update(
            progress=percent, progress_note=note, heartbeat_at=timezone.now()
        )
        if not updated:
            raise JobCancelled("此工作已取消")

    def take_pending_progress(self) -> tuple[int, str] | None:
        """The progress reported inside a transaction and not yet written."""
        with self._pending_lock:
            pending, self._pending = self._pending, None
        return pending

    def is_cancelled(self) -> bool:
        """Whether this run no longer owns the job (cancelled or taken over).

        After a cancel the heartbeat may interrupt the handler's running query,
        which then fails with a database error rather than JobCancelled;
        clean-up code that must tell the two apart asks this.
        """
        return self.lost.is_set() or not self._owned().exists()

    def check_cancelled(self) -> None:
        """Raise JobCancelled when the job was cancelled or taken over."""
        if self.is_cancelled():
            raise JobCancelled("此工作已取消")

    def temp_path(self, suffix: str = "") -> Path:
        """A fresh path in a directory removed when the job's run ends."""
        if self._temp_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(
                prefix=f"vsis-job-{self.job.pk}-"
            )
        return Path(self._temp_dir.name) / f"{secrets.token_hex(6)}{suffix}"

    def add_file(
        self,
        format: str,
        content: bytes | str | os.PathLike[str] | IO[bytes],
        *,
        filename: str,
    ) -> JobFile:
        """Store one result file: bytes, a path to a file, or a binary file object.

        The content is copied into MEDIA_ROOT in chunks, so a file written to
        temp_path() by a streaming writer never has to fit in memory.
        """
        if not _FORMAT_RE.match(format):
            raise ValueError(f"file format must be a short lower-case name: {format!r}")
        filename = os.path.basename(filename.strip()) or f"job-{self.job.pk}.{format}"
        self.check_cancelled()

        stored_name = (
            f"{FILES_DIR}/{self.job.pk}/{self.attempt}/{secrets.token_hex(8)}.{format}"
        )
        if isinstance(content, bytes | bytearray):
            stored_name = default_storage.save(stored_name, ContentFile(content))
        elif isinstance(content, str | os.PathLike):
            with open(content, "rb") as source:
                stored_name = default_storage.save(stored_name, File(source))
        else:
            stored_name = default_storage.save(stored_name, File(content))
        job_file = JobFile.objects.create(
            job=self.job,
            attempt=self.attempt,
            format=format,
            file=stored_name,
            filename=filename,
            size=default_storage.size(stored_name),
        )
        logger.info(
            "job %s attempt %s stored file %s (%s bytes)",
            self.job.pk,
            self.attempt,
            job_file.pk,
            job_file.size,
        )
        return job_file

    def close(self) -> None:
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None
