"""`vsis jobs sweep|cleanup|list`: the job maintenance for cron and operators.

`vsis worker` runs sweep and cleanup by itself; these are for deployments
whose workers are something else, and for looking at the queue.
"""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vsis.jobs.maintenance import expire_job_files, sweep_stale_jobs
from vsis.jobs.models import ACTIVE_STATUSES, Job


class Command(BaseCommand):
    help = "Background jobs: sweep crashed ones, clean up expired files, list"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="requeue or fail jobs whose worker died")
        sub.add_parser("cleanup", help="delete expired and stray job files")
        listing = sub.add_parser("list", help="the latest jobs, as JSON lines")
        listing.add_argument(
            "--active", action="store_true", help="queued/running only"
        )
        listing.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sweep":
            self.stdout.write(str(sweep_stale_jobs()))
        elif action == "cleanup":
            self.stdout.write(str(expire_job_files()))
        elif action == "list":
            self._list(active=options["active"], limit=options["limit"])
        else:  # pragma: no cover - argparse refuses others
            raise CommandError(f"unknown action {action}")

    def _list(self, *, active: bool, limit: int) -> None:
        jobs = Job.objects.order_by("-id")
        if active:
            jobs = jobs.filter(status__in=ACTIVE_STATUSES)
        for job in jobs[:limit]:
            row = {
                "id": job.pk,
                "kind": job.kind,
                "status": job.status,
                "requester_id": job.requester_id,
                "attempts": job.attempts,
                "progress": job.progress,
                "queued_at": job.queued_at.isoformat(),
                "heartbeat_at": job.heartbeat_at.isoformat()
                if job.heartbeat_at
                else None,
                "error": job.error,
            }
            self.stdout.write(json.dumps(row, ensure_ascii=False))
