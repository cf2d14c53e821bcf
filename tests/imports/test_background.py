"""Files at or above VSIS_IMPORT_BACKGROUND_BYTES: a job, a progress page,
the same import, the stored upload removed afterwards."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import Personas
from tests.imports.conftest import UNIT_HEADER, csv_bytes
from vsis.imports.background import describe_import, describe_result
from vsis.imports.kinds import units
from vsis.imports.models import BatchStatus, ImportBatch
from vsis.imports.services import import_file
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import Outcome, execute_job
from vsis.jobs.services import cancel_job
from vsis.units.models import Unit

GOOD = csv_bytes(
    [
        ["單位清冊"],
        UNIT_HEADER,
        ["A113", "醫院關懷隊", "A110", "志工隊", "衛生福利"],
        ["A114", "醫院病房隊", "A110", "志工隊", "衛生福利"],
    ]
)
BAD = csv_bytes([UNIT_HEADER, ["A113", "", "A110", "志工隊", "衛生福利"]])


@pytest.fixture(autouse=True)
def small_threshold(settings: Any) -> None:
    settings.VSIS_IMPORT_BACKGROUND_BYTES = 50


@pytest.fixture
def clerk(client: Client, personas: Personas) -> Client:
    client.force_login(personas.unit_clerk)
    return client


def upload(client: Client, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    file = SimpleUploadedFile("醫院單位.csv", data)
    return client.post("/imports/", {"kind": "units", "file": file, **fields})


def run(job_id: int, capture: Any) -> str:
    # Storage deletions happen on commit; run them as a worker would.
    with capture(execute=True):
        return execute_job(job_id)


def test_a_large_file_is_queued_then_imported_by_the_job(
    clerk: Client,
    personas: Personas,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = upload(clerk, GOOD)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert batch.status == BatchStatus.QUEUED and batch.file
    stored = Path(batch.file.path)
    assert stored.read_bytes() == GOOD and stored.is_relative_to(media_root)
    assert "醫院單位" not in stored.name  # the stored name says nothing
    job = Job.objects.get(pk=batch.job_id)
    assert (job.kind, job.status, job.requester) == (
        "import",
        JobStatus.QUEUED,
        personas.unit_clerk,
    )
    assert not Unit.objects.filter(code="A113").exists()

    page = clerk.get(f"/imports/{batch.pk}/").content.decode()
    assert "排隊中" in page and "<progress" in page
    assert 'hx-trigger="every 2s"' in page

    assert run(job.pk, django_capture_on_commit_callbacks) == Outcome.DONE
    batch.refresh_from_db()
    job.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED and job.progress == 100
    assert batch.counts == {"單位": {"new": 2, "updated": 0, "unchanged": 0}}
    assert job.result["status"] == "imported"
    assert Unit.objects.filter(code__in=["A113", "A114"]).count() == 2
    assert not batch.file and not stored.exists()

    fragment = clerk.get(f"/imports/{batch.pk}/", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and "hx-trigger" not in body
    assert "匯入完成" in body and "<progress" not in body


def test_a_rejected_file_fails_the_job_and_lists_its_problems(
    clerk: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(clerk, BAD)
    batch = ImportBatch.objects.get()
    assert run(batch.job_id, django_capture_on_commit_callbacks) == Outcome.FAILED  # type: ignore[arg-type]
    job = Job.objects.get(pk=batch.job_id)
    assert (
        job.error == "檔案有 1 個問題，未寫入任何資料；第 2 列，欄位「單位名稱」：必填"
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REJECTED and not batch.file
    page = clerk.get(f"/imports/{batch.pk}/").content.decode()
    assert "檔案有 1 個問題，未寫入任何資料" in page and "必填" in page


def test_a_dry_run_in_the_background_writes_nothing(
    clerk: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(clerk, GOOD, dry_run="on")
    batch = ImportBatch.objects.get()
    assert run(batch.job_id, django_capture_on_commit_callbacks) == Outcome.DONE  # type: ignore[arg-type]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED
    assert not Unit.objects.filter(code="A113").exists()
    job = Job.objects.get(pk=batch.job_id)
    assert describe_result(job.result) == "檢查通過，將新增 2 筆、更新 0 筆"
    assert describe_import(job.params) == "單位「醫院單位.csv」（僅檢查）"


def test_a_job_cancelled_while_reading_stops_and_writes_nothing(
    clerk: Client,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    upload(clerk, GOOD)
    batch = ImportBatch.objects.get()
    job = Job.objects.get(pk=batch.job_id)
    parse = units.UnitImporter.parse

    def cancel_then_parse(self: units.UnitImporter, table: Any) -> None:
        cancel_job(Job.objects.get(pk=job.pk), actor=personas.unit_clerk)
        parse(self, table)

    monkeypatch.setattr(units.UnitImporter, "parse", cancel_then_parse)
    assert run(job.pk, django_capture_on_commit_callbacks) == Outcome.CANCELLED
    batch.refresh_from_db()
    assert (batch.status, batch.message) == (
        BatchStatus.FAILED,
        "已取消，未寫入任何資料",
    )
    assert not batch.file
    assert not Unit.objects.filter(code="A113").exists()


def test_a_progress_report_that_raises_inside_the_transaction_writes_nothing(
    personas: Personas,
) -> None:
    notes: list[str] = []

    class Stop(Exception):
        pass

    def progress(percent: int, note: str) -> None:
        notes.append(note)
        if note == "寫入資料":  # inside the transaction, after the checks
            raise Stop

    with pytest.raises(Stop):
        import_file(
            actor=personas.unit_clerk,
            kind="units",
            filename="x.csv",
            data=GOOD,
            progress=progress,
        )
    assert notes == ["讀取檔案", "檢查每一列", "與系統資料比對", "寫入資料"]
    assert not Unit.objects.filter(code="A113").exists()
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


def test_a_retried_job_of_a_finished_batch_does_not_import_again(
    clerk: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(clerk, GOOD)
    batch = ImportBatch.objects.get()
    assert run(batch.job_id, django_capture_on_commit_callbacks) == Outcome.DONE  # type: ignore[arg-type]
    # As the sweeper would after a worker died just before marking it done:
    Job.objects.filter(pk=batch.job_id).update(status=JobStatus.QUEUED)
    assert run(batch.job_id, django_capture_on_commit_callbacks) == Outcome.DONE  # type: ignore[arg-type]
    batch.refresh_from_db()
    assert batch.counts == {"單位": {"new": 2, "updated": 0, "unchanged": 0}}
    assert Unit.objects.filter(code="A113").count() == 1


def test_a_viewer_cannot_start_a_background_import(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.viewer)
    assert upload(client, GOOD).status_code == 403
    assert not Job.objects.exists() and not ImportBatch.objects.exists()
