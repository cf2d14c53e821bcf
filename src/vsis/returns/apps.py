from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "vsis.returns"
    label = "returns"
    verbose_name = "線上填報"
