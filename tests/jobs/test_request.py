"""request_job: one row per request, dedupe while active, enqueue on commit."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django_tasks_db.models import DBTaskResult

from tests.conftest import Personas, Tree
from vsis.audit.models import AuditEntry
from vsis.jobs import services
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.registry import UnknownJobKind
from vsis.jobs.services import request_job


def test_it_queues_one_job_and_enqueues_it_after_commit(
    personas: Personas, tree: Tree, django_capture_on_commit_callbacks: Any
) -> None:
    clerk = personas.unit_clerk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = request_job(
            actor=clerk, kind="test.echo", params={"n": 3}, unit=tree.hospital
        )
        # Nothing is on the queue before the transaction commits.
        assert not DBTaskResult.objects.exists()
    assert job.is_new is True
    assert len(callbacks) == 1
    callbacks[0]()

    job.refresh_from_db()
    assert (job.requester, job.kind, job.params, job.unit) == (
        clerk,
        "test.echo",
        {"n": 3},
        tree.hospital,
    )
    assert job.status == JobStatus.QUEUED
    assert (job.progress, job.attempts, job.started_at, job.finished_at) == (
        0,
        0,
        None,
        None,
    )
    assert job.summary == "數值 3"
    assert len(job.params_digest) == 64
    task = DBTaskResult.objects.get()
    assert str(task.id) == job.task_id
    assert task.task_path == "vsis.jobs.tasks.run_job"
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}
    audit = AuditEntry.objects.get(action="job.request")
    assert (audit.actor, audit.target_id, audit.unit_id) == (
        clerk,
        str(job.pk),
        tree.hospital.pk,
    )


def test_the_same_request_while_active_returns_the_same_job(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    clerk = personas.unit_clerk
    with django_capture_on_commit_callbacks(execute=True):
        first = request_job(actor=clerk, kind="test.echo", params={"n": 1, "m": 2})
        # Same parameters in another order: the same request.
        again = request_job(actor=clerk, kind="test.echo", params={"m": 2, "n": 1})
    assert first.is_new is True and again.is_new is False
    assert again.pk == first.pk
    assert Job.objects.count() == 1
    assert DBTaskResult.objects.count() == 1  # no second task for the double click

    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING)
    assert request_job(actor=clerk, kind="test.echo", params={"n": 1, "m": 2}).pk == (
        first.pk
    )


@pytest.mark.parametrize(
    "ended", [JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED]
)
def test_an_ended_job_does_not_block_a_new_request(
    personas: Personas, ended: str
) -> None:
    clerk = personas.unit_clerk
    first = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    Job.objects.filter(pk=first.pk).update(status=ended)

    second = request_job(actor=clerk, kind="test.echo", params={"n": 1})

    assert second.is_new and second.pk != first.pk


def test_other_users_kinds_params_and_units_are_other_requests(
    personas: Personas, tree: Tree
) -> None:
    clerk = personas.unit_clerk
    base = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    others = [
        request_job(actor=personas.county_clerk, kind="test.echo", params={"n": 1}),
        request_job(actor=clerk, kind="test.files", params={"n": 1}),
        request_job(actor=clerk, kind="test.echo", params={"n": 2}),
        request_job(actor=clerk, kind="test.echo", params={"n": 1}, unit=tree.hospital),
    ]
    assert all(job.is_new for job in others)
    assert len({base.pk, *(job.pk for job in others)}) == 5


def test_dates_are_stored_as_iso_strings(personas: Personas) -> None:
    job = request_job(
        actor=personas.unit_clerk,
        kind="test.echo",
        params={"n": 1, "on": dt.date(2024, 12, 31)},
    )
    job.refresh_from_db()
    assert job.params == {"n": 1, "on": "2024-12-31"}
    again = request_job(
        actor=personas.unit_clerk,
        kind="test.echo",
        params={"on": "2024-12-31", "n": 1},
    )
    assert again.pk == job.pk


def test_a_racing_double_click_gets_the_winners_job(
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Both requests look first and find nothing; the other one inserts first,
    so this one's insert hits the unique constraint and it returns the winner."""
    clerk = personas.unit_clerk
    real_lookup = services._active_job
    winner: list[Job] = []

    def lookup_loses_the_race(actor: Any, kind: str, digest: str) -> Job | None:
        if not winner:
            # The other request commits between our look and our insert.
            winner.append(
                Job.objects.create(
                    requester=actor, kind=kind, params={"n": 1}, params_digest=digest
                )
            )
            return None
        return real_lookup(actor, kind, digest)

    monkeypatch.setattr(services, "_active_job", lookup_loses_the_race)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = request_job(actor=clerk, kind="test.echo", params={"n": 1})

    assert job.pk == winner[0].pk and job.is_new is False
    assert Job.objects.count() == 1
    assert callbacks == []  # the loser enqueued nothing
    assert not AuditEntry.objects.filter(action="job.request").exists()


def test_the_database_refuses_a_second_active_copy(personas: Personas) -> None:
    job = request_job(actor=personas.unit_clerk, kind="test.echo", params={"n": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(
            requester=job.requester,
            kind=job.kind,
            params=job.params,
            params_digest=job.params_digest,
            status=JobStatus.RUNNING,
        )
    # An ended copy is fine.
    Job.objects.create(
        requester=job.requester,
        kind=job.kind,
        params=job.params,
        params_digest=job.params_digest,
        status=JobStatus.DONE,
    )


def test_a_unit_outside_the_scope_is_refused(personas: Personas, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        request_job(
            actor=personas.unit_clerk,
            kind="test.echo",
            params={"n": 1},
            unit=tree.school,
        )
    assert not Job.objects.exists()


def test_an_unknown_kind_is_a_programming_error(personas: Personas) -> None:
    with pytest.raises(UnknownJobKind):
        request_job(actor=personas.unit_clerk, kind="no.such.kind", params={})
    assert not Job.objects.exists()
