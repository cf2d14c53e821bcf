"""Importing a file: read, check every row, then write all of it or nothing.

`import_file` is the one entry point the page, the CLI and the background job
share. A file with any problem writes no data; a good file is written in one
transaction together with its ImportBatch status and audit row. Every call
leaves an ImportBatch, so who imported (or tried to import) what is kept.
"""

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from vsis.audit.services import record_audit
from vsis.imports import cells
from vsis.imports.errors import ImportFileError, RowError
from vsis.imports.kinds.base import Importer, ImportOptions, Progress, Summary
from vsis.imports.kinds.hours import HoursImporter
from vsis.imports.kinds.units import UnitImporter
from vsis.imports.kinds.volunteers import VolunteerImporter
from vsis.imports.models import BatchStatus, ImportBatch
from vsis.imports.reading import read_table
from vsis.units.scope import require_edit

logger = logging.getLogger(__name__)

IMPORTERS: dict[str, type[Importer]] = {
    UnitImporter.kind: UnitImporter,
    VolunteerImporter.kind: VolunteerImporter,
    HoursImporter.kind: HoursImporter,
}
# A hard ceiling on what is read into memory; the 100,000-row service file of
# the scale target is under 10 MB as CSV.
MAX_IMPORT_BYTES = 50 * 1024 * 1024


@dataclass
class ImportOutcome:
    batch: ImportBatch
    errors: list[RowError] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Leaves the import's transaction without writing anything."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_batch(
    *,
    actor: Any,
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    correct_people: bool = False,
    status: str = BatchStatus.QUEUED,
) -> ImportBatch:
    """The ImportBatch row for a file about to be imported."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}")
    return ImportBatch.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        unit=getattr(actor, "unit", None),
        kind=kind,
        filename=filename[-255:],
        size=len(data),
        sha256=sha256_of(data),
        dry_run=dry_run,
        correct_people=correct_people,
        status=status,
    )


def import_file(
    *,
    actor: Any,
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    correct_people: bool = False,
    progress: Progress | None = None,
    batch: ImportBatch | None = None,
) -> ImportOutcome:
    """Import one file of `kind` ("units", "volunteers", "hours") as `actor`.

    `actor` None is the system (unrestricted scope); a user needs an editing
    role (PermissionDenied otherwise) and may only touch units in scope. With
    `dry_run` everything is checked and written inside a transaction that is
    then rolled back, so the counts are the ones a real import would give.
    `progress(percent, note)` is called along the way, inside the write
    transaction too, and may raise to abandon the import.
    """
    if actor is not None:
        require_edit(actor)
    if batch is None:
        batch = create_batch(
            actor=actor,
            kind=kind,
            filename=filename,
            data=data,
            dry_run=dry_run,
            correct_people=correct_people,
        )
    batch.status = BatchStatus.RUNNING
    batch.started_at = timezone.now()
    batch.save(update_fields=["status", "started_at"])
    started = time.monotonic()
    importer = IMPORTERS[kind](
        actor=actor,
        options=ImportOptions(correct_people=correct_people),
        progress=progress,
    )
    outcome = ImportOutcome(batch=batch)
    try:
        _run(importer, outcome, data=data, filename=filename, dry_run=dry_run)
    except Exception:
        logger.exception("import batch %s failed", batch.pk)
        _finish(batch, BatchStatus.FAILED, outcome, message="匯入時發生未預期的錯誤")
        raise
    finally:
        cells.clear_caches()
    if outcome.batch.status == BatchStatus.RUNNING:
        status = BatchStatus.REJECTED if outcome.errors else BatchStatus.CHECKED
        _finish(batch, status, outcome)
    logger.info(
        "import batch %s (%s) by user %s: %s rows, %s errors, status %s, %.1f s",
        batch.pk,
        kind,
        getattr(actor, "pk", None),
        batch.row_count,
        len(outcome.errors),
        batch.status,
        time.monotonic() - started,
    )
    return outcome


def _run(
    importer: Importer,
    outcome: ImportOutcome,
    *,
    data: bytes,
    filename: str,
    dry_run: bool,
) -> None:
    importer.progress(5, "讀取檔案")
    if len(data) > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        outcome.errors = [RowError(0, "", f"檔案超過 {limit} MB 上限，請分批匯入")]
        return
    try:
        table = read_table(data, filename, importer.columns)
    except ImportFileError as exc:
        outcome.errors = [RowError(0, "", str(exc))]
        return
    outcome.batch.row_count = len(table.rows)
    importer.check_columns(table)
    if importer.errors:
        outcome.errors = importer.errors.sorted()
        return
    if not table.rows:
        outcome.errors = [RowError(0, "", "標題列下方沒有任何資料列")]
        return
    importer.progress(15, "檢查每一列")
    importer.parse(table)
    try:
        with transaction.atomic():
            importer.progress(35, "與系統資料比對")
            importer.check()
            if importer.errors:
                raise _Rollback
            importer.progress(55, "寫入資料")
            importer.write(outcome.summary)
            if dry_run:
                raise _Rollback
            _finish(outcome.batch, BatchStatus.IMPORTED, outcome)
            record_audit(
                actor=importer.actor,
                action=f"import.{importer.kind}",
                target=outcome.batch,
                unit_id=outcome.batch.unit_id,
                changes={"counts": {"old": None, "new": outcome.summary.as_json()}},
            )
    except _Rollback:
        pass
    except IntegrityError:
        logger.warning("import batch %s hit a concurrent change", outcome.batch.pk)
        outcome.batch.status = BatchStatus.RUNNING
        outcome.summary = Summary()
        outcome.errors = [
            RowError(0, "", "匯入期間資料被同時修改，未寫入任何資料，請重新匯入")
        ]
        return
    outcome.errors = importer.errors.sorted()
    if outcome.errors:
        outcome.summary = Summary()
    importer.progress(100, "完成")


def _finish(
    batch: ImportBatch, status: str, outcome: ImportOutcome, message: str = ""
) -> None:
    batch.status = status
    batch.finished_at = timezone.now()
    batch.counts = outcome.summary.as_json()
    batch.error_count = len(outcome.errors)
    batch.errors = [e.as_json() for e in outcome.errors[: ImportBatch.ERROR_LIMIT]]
    batch.message = message
    batch.save(
        update_fields=[
            "status",
            "finished_at",
            "counts",
            "error_count",
            "errors",
            "message",
            "row_count",
        ]
    )


def batch_errors(batch: ImportBatch) -> list[RowError]:
    """The stored problems of a batch as RowErrors."""
    return [RowError(int(r), str(c), str(m)) for r, c, m in batch.errors]
