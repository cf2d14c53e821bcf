"""Each worker command serves its own task backend and refuses the other, so a
half-switched deployment fails at start instead of leaving jobs queued."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_the_database_worker_refuses_the_rq_backend(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }

    # db_worker's own check of its --backend argument.
    with pytest.raises(CommandError, match="is not a database backend"):
        call_command("worker", "--batch", "--maintenance-interval", "0")


def test_the_rq_worker_refuses_the_database_backend(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }

    with pytest.raises(CommandError, match="vsis worker"):
        call_command("rq_worker", "--burst", "--maintenance-interval", "0")
