from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "vsis.jobs"
    label = "jobs"
    verbose_name = "背景工作"
