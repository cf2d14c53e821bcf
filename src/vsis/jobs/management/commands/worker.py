"""`vsis worker`: django-tasks-db's db_worker plus the job sweeper and cleanup.

Every worker runs the maintenance once at start and then every
--maintenance-interval seconds in a background thread, so a deployment that
runs workers needs no cron entry for crashed jobs or expired files. Several
workers sweeping at once is safe (see vsis.jobs.maintenance).
"""

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from vsis.jobs.maintenance import add_maintenance_argument, start_maintenance


class Command(DbWorkerCommand):
    help = "Run background jobs; also recover crashed jobs and delete expired files"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        add_maintenance_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options.pop("maintenance_interval")
        reloader_parent = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        # The autoreloader's parent only watches files; its child does the work.
        if not reloader_parent:
            start_maintenance(interval)
        super().handle(*args, **options)
