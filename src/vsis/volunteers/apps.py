from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "vsis.volunteers"
    label = "volunteers"
    verbose_name = "志工"
