"""The django-tasks task that carries a job id to a worker, and its enqueue."""

import logging

from django.conf import settings
from django_tasks import TaskContext, task

from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import execute_job

logger = logging.getLogger(__name__)


@task(takes_context=True, queue_name=settings.VSIS_TASK_QUEUE)
def run_job(context: TaskContext, job_id: int) -> str:
    """Run job `job_id` (see vsis.jobs.runner.execute_job)."""
    return execute_job(job_id, task_id=str(context.task_result.id))


def enqueue_job(job_id: int) -> None:
    """Put one run of the job on the queue; call it after the job is committed."""
    result = run_job.enqueue(job_id)
    # With the immediate backend the job has already run and set its own id.
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, task_id="").update(
        task_id=str(result.id)
    )
    logger.info("job %s enqueued as task %s", job_id, result.id)
