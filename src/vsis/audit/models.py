from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One state change: who did what to which record, when, and why.

    `changes` maps a field or item name to {"old": ..., "new": ...}. Personal
    data never goes in here: records are named by type and primary key.
    """

    at = models.DateTimeField("時間", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="執行者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("動作", max_length=64)
    target_type = models.CharField("對象類型", max_length=64)
    target_id = models.CharField("對象編號", max_length=64)
    # The unit the change belongs to, for scoping the trail; not a foreign key
    # so that this app depends on nothing of ours.
    unit_id = models.BigIntegerField("單位編號", null=True, blank=True)
    changes = models.JSONField("異動內容", default=dict, blank=True)
    reason = models.TextField("原因", blank=True)

    class Meta:
        verbose_name = "審計紀錄"
        verbose_name_plural = "審計紀錄"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
