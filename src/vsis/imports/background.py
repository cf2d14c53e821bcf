"""Large files are imported by a background job (docs/decisions/0003).

The upload is stored with its ImportBatch; the job carries only the batch id,
re-reads the file, runs the same import_file as the page and the CLI, and
deletes the stored file when it is done (it holds personal data).
"""

import logging
import uuid
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from vsis.imports.models import BatchStatus, ImportBatch
from vsis.imports.services import batch_errors, create_batch, import_file
from vsis.jobs.registry import JobContext, job_handler
from vsis.jobs.services import JobFailed, request_job
from vsis.units.scope import require_edit

logger = logging.getLogger(__name__)

JOB_KIND = "import"


def start_background_import(
    *,
    actor: Any,
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    correct_people: bool = False,
) -> ImportBatch:
    """Store the file with a queued ImportBatch and request its job."""
    require_edit(actor)
    with transaction.atomic():
        batch = create_batch(
            actor=actor,
            kind=kind,
            filename=filename,
            data=data,
            dry_run=dry_run,
            correct_people=correct_people,
        )
        suffix = PurePath(filename).suffix.lower()
        # A random stored name: the original name may say whose data it is.
        batch.file.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
        batch.progress_note = "排隊中"
        batch.save(update_fields=["file", "progress_note"])
        job = request_job(
            actor=actor,
            kind=JOB_KIND,
            params={"batch_id": batch.pk},
            unit=getattr(actor, "unit", None),
        )
        batch.job_id = job.pk
        batch.save(update_fields=["job_id"])
    logger.info("import batch %s queued as job %s", batch.pk, job.pk)
    return batch


def _result(batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch_id": batch.pk,
        "status": batch.status,
        "counts": batch.counts,
        "error_count": batch.error_count,
    }


@job_handler(JOB_KIND)
def run_import_job(ctx: JobContext) -> dict[str, Any]:
    """Import the batch's stored file; a rejected file fails the job with the
    number of problems (the batch page lists them)."""
    batch = ImportBatch.objects.select_related("actor").get(
        pk=ctx.job.params["batch_id"]
    )
    if not batch.is_final:
        if not batch.file:
            raise JobFailed("找不到上傳的檔案，請重新上傳")

        def report(percent: int, note: str) -> None:
            ctx.check_cancelled()
            ctx.progress(percent, note)
            ImportBatch.objects.filter(pk=batch.pk).update(
                progress=percent, progress_note=note
            )

        with batch.file.open("rb") as stored:
            data = stored.read()
        try:
            import_file(
                actor=batch.actor,
                kind=batch.kind,
                filename=batch.filename,
                data=data,
                dry_run=batch.dry_run,
                correct_people=batch.correct_people,
                progress=report,
                batch=batch,
            )
        finally:
            batch.file.delete(save=False)
            ImportBatch.objects.filter(pk=batch.pk).update(file="")
    # A retried job whose batch already finished reports the same result.
    batch.refresh_from_db()
    if batch.status == BatchStatus.REJECTED:
        first = batch_errors(batch)[:1]
        raise JobFailed(
            f"檔案有 {batch.error_count} 個問題，未寫入任何資料"
            + (f"；{first[0]}" if first else "")
        )
    if batch.status == BatchStatus.FAILED:
        raise JobFailed(batch.message or "匯入失敗")
    return _result(batch)
