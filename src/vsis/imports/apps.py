from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "vsis.imports"
    label = "imports"
    verbose_name = "資料匯入"
