"""The status table, and that a change from a state not in it does nothing."""

import pytest

from vsis.jobs.models import TRANSITIONS, Job, JobStatus
from vsis.jobs.services import request_job
from vsis.units.models import User

Q, R, D, F, C, E = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.DONE,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.EXPIRED,
)
# From docs/decisions/0003: target <- sources.
ALLOWED = {(Q, R), (R, D), (R, F), (Q, C), (R, C), (R, Q), (D, E)}


def test_the_table_is_the_decisions() -> None:
    assert {
        (source, target)
        for target, sources in TRANSITIONS.items()
        for source in sources
    } == ALLOWED


@pytest.mark.parametrize("source", list(JobStatus))
@pytest.mark.parametrize("target", list(JobStatus))
def test_transition_moves_only_from_allowed_states(
    db: None, source: str, target: str
) -> None:
    user = User.objects.create(username="requester")
    job = request_job(actor=user, kind="test.echo", params={"n": 1})
    Job.objects.filter(pk=job.pk).update(status=source)

    changed = Job.objects.filter(pk=job.pk).transition(target)

    allowed = (source, target) in ALLOWED
    assert changed == (1 if allowed else 0)
    job.refresh_from_db()
    assert job.status == (target if allowed else source)
