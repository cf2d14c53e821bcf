"""cancel_job: queued and running jobs end 已取消; their files go."""

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.conftest import Personas
from vsis.audit.models import AuditEntry
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import Outcome, execute_job
from vsis.jobs.services import JobStateError, cancel_job, request_job


def test_a_queued_job_is_cancelled_and_never_runs(personas: Personas) -> None:
    clerk = personas.unit_clerk
    job = request_job(actor=clerk, kind="test.echo", params={"n": 1})

    cancelled = cancel_job(job, actor=clerk)

    assert cancelled.status == JobStatus.CANCELLED
    assert cancelled.finished_at is not None
    audit = AuditEntry.objects.get(action="job.cancel")
    assert audit.actor == clerk and audit.target_id == str(job.pk)
    assert audit.changes == {"status": {"old": "queued", "new": "cancelled"}}
    # The task still comes round; it finds nothing to do.
    assert execute_job(job.pk) == Outcome.SKIPPED
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.CANCELLED, 0)


def test_a_running_handler_stops_at_its_next_progress_and_keeps_no_file(
    personas: Personas, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = request_job(actor=personas.unit_clerk, kind="test.cancel_midway", params={})

    with django_capture_on_commit_callbacks(execute=True):
        assert execute_job(job.pk) == Outcome.CANCELLED

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.error == "" and job.result is None
    assert not job.files.exists()
    assert list((media_root / "jobs").rglob("*.*")) == []
    assert AuditEntry.objects.filter(action="job.cancel").count() == 1


def test_the_cancel_frees_the_request_for_a_new_job(personas: Personas) -> None:
    clerk = personas.unit_clerk
    job = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    cancel_job(job, actor=clerk)
    again = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    assert again.is_new and again.pk != job.pk


@pytest.mark.parametrize(
    "ended", [JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED]
)
def test_an_ended_job_cannot_be_cancelled(personas: Personas, ended: str) -> None:
    clerk = personas.unit_clerk
    job = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    Job.objects.filter(pk=job.pk).update(status=ended)
    label = JobStatus(ended).label

    with pytest.raises(JobStateError, match=f"此工作目前為「{label}」，無法取消"):
        cancel_job(job, actor=clerk)

    job.refresh_from_db()
    assert job.status == ended
    assert not AuditEntry.objects.filter(action="job.cancel").exists()


def test_only_the_requester_or_a_superuser_may_cancel(personas: Personas) -> None:
    job = request_job(actor=personas.unit_clerk, kind="test.echo", params={"n": 1})

    # Even the clerk of the county above: a job is its requester's.
    with pytest.raises(PermissionDenied):
        cancel_job(job, actor=personas.county_clerk)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED

    assert cancel_job(job, actor=personas.superuser).status == JobStatus.CANCELLED
