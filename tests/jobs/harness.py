"""`python -m tests.jobs.harness ...`: a test's hands in a scratch database.

Run with DJANGO_SETTINGS_MODULE=tests.jobs.worker_settings and DATABASE_URL set
to the scratch database (see test_worker_process.py):

    setup                 migrate, and create the requesting user
    request KIND PARAMS   request a job (PARAMS is JSON); prints its id
    cancel JOB_ID         cancel it as its requester
"""

import json
import sys


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from vsis.jobs.models import Job
    from vsis.jobs.services import cancel_job, request_job
    from vsis.units.models import User

    command, *args = argv
    if command == "setup":
        call_command("migrate", verbosity=0, interactive=False)
        User.objects.get_or_create(username="worker_tester")
    elif command == "request":
        kind, params = args
        user = User.objects.get(username="worker_tester")
        job = request_job(actor=user, kind=kind, params=json.loads(params))
        print(job.pk)
    elif command == "cancel":
        job = Job.objects.get(pk=int(args[0]))
        cancel_job(job, actor=job.requester)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
