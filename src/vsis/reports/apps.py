from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vsis.reports"
    label = "reports"
    verbose_name = "報表"

    def ready(self) -> None:
        # Registers the report job kinds in every process (web and worker).
        from vsis.reports import handlers  # noqa: F401
