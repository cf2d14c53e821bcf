from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vsis.web"
    label = "web"
    verbose_name = "網頁"
