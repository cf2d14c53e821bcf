"""`vsis rq_worker`: django-rq's rqworker for the Redis backend, plus the job
sweeper and cleanup that `vsis worker` runs beside the database backend.

Only with VSIS_TASK_BACKEND=rq (and `pip install 'vsis[rq]'`). Start as many as
the machines allow, on one host or several; they share the Redis queue and the
database, and sweeping from several at once is safe.
"""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django_rq.management.commands.rqworker import Command as RQWorkerCommand

from vsis.jobs.maintenance import add_maintenance_argument, start_maintenance

# django-tasks-rq runs a task only through its own job class.
TASK_JOB_CLASS = "django_tasks_rq.Job"


class Command(RQWorkerCommand):
    help = (
        "Run background jobs from Redis; also recover crashed jobs and delete "
        "expired files"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(job_class=TASK_JOB_CLASS)
        add_maintenance_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        backend = str(settings.TASKS["default"]["BACKEND"])
        if not backend.startswith("django_tasks_rq."):
            raise CommandError(
                "VSIS_TASK_BACKEND is not rq; use `vsis worker` for this backend"
            )
        queues = args or (settings.VSIS_TASK_QUEUE,)
        start_maintenance(options.pop("maintenance_interval"))
        super().handle(*queues, **options)
