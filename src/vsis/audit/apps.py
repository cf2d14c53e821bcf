from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vsis.audit"
    label = "audit"
    verbose_name = "審計紀錄"
