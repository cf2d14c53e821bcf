from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vsis.reports"
    label = "reports"
    verbose_name = "報表"
