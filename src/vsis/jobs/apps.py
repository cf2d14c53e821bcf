from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "vsis.jobs"
    label = "jobs"
    verbose_name = "背景工作"

    def ready(self) -> None:
        # The task must be registered wherever jobs are enqueued or run.
        from vsis.jobs import tasks  # noqa: F401
