from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "vsis.units"
    label = "units"
    verbose_name = "單位與帳號"
