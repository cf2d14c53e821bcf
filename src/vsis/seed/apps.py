from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "vsis.seed"
    label = "seed"
    verbose_name = "示範與效能資料"
