"""Requesting, cancelling and downloading jobs: the user's verbs.

Each function owns its state change and its audit row, in one transaction.
The worker's side (claim, progress, outcome) is in vsis.jobs.runner; the
sweeper and the expiry cleanup are in vsis.jobs.maintenance.
"""

import hashlib
import json
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from vsis.audit.services import record_audit
from vsis.jobs.files import delete_files
from vsis.jobs.models import ACTIVE_STATUSES, Job, JobFile, JobStatus
from vsis.jobs.registry import describe_params, get_kind
from vsis.jobs.tasks import enqueue_job
from vsis.units.models import Unit
from vsis.units.scope import is_in_scope

logger = logging.getLogger(__name__)


class JobStateError(Exception):
    """The job is not in a state that allows the action; the message is Chinese."""


def canonical_params(params: Mapping[str, Any]) -> str:
    """Parameters as canonical JSON: sorted keys, dates as ISO strings."""
    return json.dumps(
        params,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def params_digest(kind: str, params: Mapping[str, Any], unit: Unit | None) -> str:
    canonical = canonical_params(
        {"kind": kind, "params": params, "unit": unit.pk if unit else None}
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_job(
    *,
    actor: Any,
    kind: str,
    params: Mapping[str, Any],
    unit: Unit | None = None,
) -> Job:
    """Queue a job, or return the actor's queued/running job of the same request.

    The returned job's `is_new` says which. The task is enqueued after the
    transaction commits. The unit, when given, must be in the actor's scope.
    """
    get_kind(kind)  # an unknown kind is a programming error: fail loudly now
    if unit is not None and not is_in_scope(actor, unit):
        raise PermissionDenied("此單位不在您的權限範圍內")
    stored_params = json.loads(canonical_params(params))
    digest = params_digest(kind, stored_params, unit)

    # Two tries: the active job we collided with may finish in between.
    for _ in range(2):
        existing = _active_job(actor, kind, digest)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    requester=actor,
                    kind=kind,
                    params=stored_params,
                    params_digest=digest,
                    summary=describe_params(kind, stored_params)[:500],
                    unit=unit,
                    heartbeat_at=timezone.now(),
                )
                record_audit(
                    actor=actor,
                    action="job.request",
                    target=job,
                    unit_id=unit.pk if unit else None,
                    changes={"kind": {"old": None, "new": kind}},
                )
                transaction.on_commit(partial(enqueue_job, job.pk))
        except IntegrityError:
            # A concurrent request (a double click) inserted the same job
            # first; the partial unique constraint turned us away.
            logger.info("job request by user %s raced; reusing", actor.pk)
            continue
        job.is_new = True
        logger.info("job %s (%s) requested by user %s", job.pk, kind, actor.pk)
        return job
    existing = _active_job(actor, kind, digest)
    if existing is None:
        raise JobStateError("系統忙碌，請稍後再試")
    return existing


def _active_job(actor: Any, kind: str, digest: str) -> Job | None:
    return (
        Job.objects.filter(
            requester=actor,
            kind=kind,
            params_digest=digest,
            status__in=ACTIVE_STATUSES,
        )
        .order_by("-id")
        .first()
    )


def cancel_job(job: Job, *, actor: Any) -> Job:
    """Cancel a queued or running job of the actor's (a superuser: anyone's).

    A running handler stops at its next progress() or check_cancelled(), or
    when the heartbeat interrupts its query; its files are removed.
    """
    if not (actor.is_superuser or job.requester_id == actor.pk):
        raise PermissionDenied("只有申請人可以取消此工作")
    with transaction.atomic():
        old_status = (
            Job.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        )
        now = timezone.now()
        updated = Job.objects.filter(pk=job.pk).transition(
            JobStatus.CANCELLED,
            finished_at=now,
            progress_note="已取消",
        )
        if not updated:
            job.refresh_from_db()
            raise JobStateError(f"此工作目前為「{job.get_status_display()}」，無法取消")
        delete_files(job.pk)
        record_audit(
            actor=actor,
            action="job.cancel",
            target=job,
            unit_id=job.unit_id,
            changes={"status": {"old": old_status, "new": JobStatus.CANCELLED}},
        )
    job.refresh_from_db()
    logger.info("job %s cancelled by user %s", job.pk, actor.pk)
    return job


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    """The jobs a user may see: their own; a superuser's: all."""
    jobs = Job.objects.select_related("requester", "unit").prefetch_related("files")
    if not user.is_authenticated or not user.is_active:
        return jobs.none()
    return jobs if user.is_superuser else jobs.filter(requester=user)


def get_job_for(user: Any, pk: Any) -> Job:
    """The job with that id if the user may see it, else Http404."""
    try:
        return jobs_visible_to(user).get(pk=pk)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise Http404("查無此工作") from None


def open_job_file(user: Any, *, job_id: Any, file_id: Any) -> JobFile:
    """The file for a download by its requester or a superuser, audited.

    Anyone else, a file of an unfinished or expired job, or a file missing
    from storage: Http404.
    """
    job = get_job_for(user, job_id)
    if job.status != JobStatus.DONE:
        raise Http404("此工作沒有可下載的檔案")
    # Past its deadline a file is gone, whether or not the cleanup has run.
    if job.expires_at is not None and job.expires_at <= timezone.now():
        raise Http404("檔案已過保存期限")
    try:
        job_file = job.files.get(pk=file_id)
    except (JobFile.DoesNotExist, ValueError, TypeError):
        raise Http404("查無此檔案") from None
    name = job_file.file.name
    if not name or not job_file.file.storage.exists(name):
        logger.error("job %s file %s is missing from storage", job.pk, job_file.pk)
        raise Http404("檔案已不存在")
    record_audit(
        actor=user,
        action="job.download",
        target=job_file,
        unit_id=job.unit_id,
        changes={"job": {"old": None, "new": job.pk}},
    )
    return job_file
