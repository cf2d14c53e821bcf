from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "vsis.hours"
    label = "hours"
    verbose_name = "服務紀錄"
