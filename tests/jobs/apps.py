from django.apps import AppConfig


class TestHandlersConfig(AppConfig):
    """Registers the test-only job kinds in a worker subprocess."""

    name = "tests.jobs"
    label = "jobs_test_handlers"

    def ready(self) -> None:
        from tests.jobs import handlers  # noqa: F401
