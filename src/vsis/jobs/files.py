"""Deleting job files from storage: per attempt, per job, and strays.

Files live at jobs/<job id>/<attempt>/<random>.<format> in the default
storage (MEDIA_ROOT). A run that dies between writing a file and inserting its
JobFile row leaves a file with no row; removing whole attempt folders, not only
the files the rows name, takes those with it.
"""

import contextlib
import logging
import os

from django.core.files.storage import Storage, default_storage
from django.db import transaction

from vsis.jobs.context import FILES_DIR
from vsis.jobs.models import ACTIVE_STATUSES, Job, JobFile

logger = logging.getLogger(__name__)


def delete_files(job_id: int, *, attempt: int | None = None) -> int:
    """Delete the job's files (of one attempt, or all): rows now, storage on commit.

    Returns the number of rows deleted.
    """
    rows = JobFile.objects.filter(job_id=job_id)
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
    deleted, _ = rows.delete()
    folder = (
        f"{FILES_DIR}/{job_id}"
        if attempt is None
        else f"{FILES_DIR}/{job_id}/{attempt}"
    )
    transaction.on_commit(lambda: purge_folder(folder))
    return deleted


def delete_earlier_attempts(job_id: int, attempt: int) -> None:
    """A retry starts over: drop what earlier attempts of the job left."""
    JobFile.objects.filter(job_id=job_id, attempt__lt=attempt).delete()
    for earlier in _subfolders(f"{FILES_DIR}/{job_id}"):
        if earlier.isdigit() and int(earlier) < attempt:
            purge_folder(f"{FILES_DIR}/{job_id}/{earlier}")


def purge_folder(folder: str, storage: Storage | None = None) -> None:
    """Remove every file under `folder` in storage (and, on disk, the folders)."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    for name in folders:
        purge_folder(f"{folder}/{name}", storage)
    _remove_empty_dir(storage, folder)


def purge_stray_files() -> int:
    """Remove attempt folders that no JobFile row and no running attempt claims.

    Returns the number of folders removed.
    """
    removed = 0
    for job_folder in _subfolders(FILES_DIR):
        if not job_folder.isdigit():
            continue
        job_id = int(job_folder)
        job = Job.objects.filter(pk=job_id).values("status", "attempts").first()
        kept = set(
            JobFile.objects.filter(job_id=job_id)
            .values_list("attempt", flat=True)
            .distinct()
        )
        if job is not None and job["status"] in ACTIVE_STATUSES:
            kept.add(job["attempts"])
        for attempt_folder in _subfolders(f"{FILES_DIR}/{job_folder}"):
            if attempt_folder.isdigit() and int(attempt_folder) in kept:
                continue
            purge_folder(f"{FILES_DIR}/{job_folder}/{attempt_folder}")
            logger.info("removed stray job folder %s/%s", job_folder, attempt_folder)
            removed += 1
        if not kept:
            _remove_empty_dir(default_storage, f"{FILES_DIR}/{job_folder}")
    return removed


def _subfolders(folder: str) -> list[str]:
    try:
        folders, _ = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(folders)


def _remove_empty_dir(storage: Storage, folder: str) -> None:
    # Only a file-system storage has folders to tidy; others have prefixes.
    try:
        path = storage.path(folder)
    except NotImplementedError:
        return
    # Not empty (a file arrived meanwhile) or already gone: leave it.
    with contextlib.suppress(OSError):
        os.rmdir(path)
