"""Large files are imported by a background job (docs/decisions/0003, 0004).

The upload is stored with its ImportBatch; the job carries only the batch id,
re-reads the file, runs the same import_file as the page and the CLI, and
deletes the stored file when it is done (it holds personal data).

Progress goes to the job (ctx.progress), which inside the import's
transaction only checks for a cancel and leaves the figure to the heartbeat's
own connection, so the job row is never locked by the import (0003). The batch
page shows the job's progress.
"""

import logging
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from vsis.imports.models import BatchStatus, ImportBatch, ImportKind
from vsis.imports.services import batch_errors, create_batch, import_file
from vsis.jobs.registry import JobCancelled, JobContext, JobFailed, job_handler
from vsis.jobs.services import request_job
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
        job = request_job(
            actor=actor,
            kind=JOB_KIND,
            params={
                "batch_id": batch.pk,
                "kind": kind,
                "filename": batch.filename,
                "dry_run": dry_run,
            },
            unit=getattr(actor, "unit", None),
        )
        batch.job_id = job.pk
        batch.save(update_fields=["file", "job_id"])
    logger.info("import batch %s queued as job %s", batch.pk, job.pk)
    return batch


def describe_import(params: Mapping[str, Any]) -> str:
    """The job list's 條件 column: 志工資料「名冊.xlsx」（僅檢查）."""
    kind = ImportKind(params["kind"]).label if params.get("kind") else ""
    checked = "（僅檢查）" if params.get("dry_run") else ""
    return f"{kind}「{params.get('filename', '')}」{checked}"


def describe_result(result: Mapping[str, Any]) -> str:
    counts = result.get("counts") or {}
    new = sum(c.get("new", 0) for c in counts.values())
    updated = sum(c.get("updated", 0) for c in counts.values())
    verb = "檢查通過，將" if result.get("status") == BatchStatus.CHECKED else "已"
    return f"{verb}新增 {new} 筆、更新 {updated} 筆"


def _result(batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch_id": batch.pk,
        "status": batch.status,
        "counts": batch.counts,
        "error_count": batch.error_count,
    }


@job_handler(
    JOB_KIND,
    label="資料匯入",
    describe=describe_import,
    describe_result=describe_result,
)
def run_import_job(ctx: JobContext) -> dict[str, Any]:
    """Import the batch's stored file. A rejected file fails the job with the
    number of problems (the batch page lists them); a batch that already
    finished (a retried job) reports the same result again."""
    batch = ImportBatch.objects.select_related("actor").get(pk=ctx.params["batch_id"])
    if not batch.is_final:
        if not batch.file:
            raise JobFailed("找不到上傳的檔案，請重新上傳")
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
                progress=ctx.progress,
                batch=batch,
            )
        except Exception:
            # A cancel shows as JobCancelled, or as the database error of the
            # query the heartbeat interrupted.
            if ctx.is_cancelled():
                ImportBatch.objects.filter(pk=batch.pk).update(
                    status=BatchStatus.FAILED, message="已取消，未寫入任何資料"
                )
                raise JobCancelled("此工作已取消") from None
            raise
        finally:
            batch.file.delete(save=False)
            ImportBatch.objects.filter(pk=batch.pk).update(file="")
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
