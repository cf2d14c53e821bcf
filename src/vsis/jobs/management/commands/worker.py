"""`vsis worker`: django-tasks-db's db_worker plus the job sweeper and cleanup.

Every worker runs the maintenance once at start and then every
--maintenance-interval seconds in a background thread, so a deployment that
runs workers needs no cron entry for crashed jobs or expired files. Several
workers sweeping at once is safe (see vsis.jobs.maintenance).
"""

import logging
import os
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from vsis.jobs.maintenance import run_maintenance

logger = logging.getLogger(__name__)


def default_interval() -> float:
    # Often enough that a dead job is found soon after it turns stale.
    return float(max(5, min(60, settings.VSIS_JOB_STALE_SECONDS // 4)))


class Maintenance(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(name="vsis-job-maintenance", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                run_maintenance_safely()
        finally:
            connections.close_all()


def run_maintenance_safely() -> None:
    try:
        run_maintenance()
    except DatabaseError:
        # A locked or unreachable database now is no reason to stop working.
        logger.warning("job maintenance failed; trying again later", exc_info=True)
    except Exception:
        logger.exception("job maintenance failed")


class Command(DbWorkerCommand):
    help = "Run background jobs; also recover crashed jobs and delete expired files"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--maintenance-interval",
            type=float,
            default=None,
            help="Seconds between sweeps and cleanups (default: from "
            "VSIS_JOB_STALE_SECONDS, 5-60; 0 turns them off)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options.pop("maintenance_interval")
        if interval is None:
            interval = default_interval()
        reloader_parent = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        # The autoreloader's parent only watches files; its child does the work.
        if interval > 0 and not reloader_parent:
            run_maintenance_safely()
            Maintenance(interval).start()
        super().handle(*args, **options)
