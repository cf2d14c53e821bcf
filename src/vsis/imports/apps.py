from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "vsis.imports"
    label = "imports"
    verbose_name = "資料匯入"

    def ready(self) -> None:
        # Registers the "import" job handler in the web process and the worker.
        from vsis.imports import background  # noqa: F401
