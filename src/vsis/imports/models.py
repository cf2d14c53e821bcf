"""Who imported what: one ImportBatch per file handed to the importer."""

from django.conf import settings
from django.db import models


class ImportKind(models.TextChoices):
    UNITS = "units", "單位"
    VOLUNTEERS = "volunteers", "志工資料"
    HOURS = "hours", "服務紀錄"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "排隊中"
    RUNNING = "running", "處理中"
    IMPORTED = "imported", "已匯入"
    CHECKED = "checked", "檢查通過（未寫入）"
    REJECTED = "rejected", "有錯誤，未寫入"
    FAILED = "failed", "失敗"


FINAL_STATUSES = (
    BatchStatus.IMPORTED,
    BatchStatus.CHECKED,
    BatchStatus.REJECTED,
    BatchStatus.FAILED,
)


class ImportBatch(models.Model):
    """One file given to the importer, whether it was written, only checked
    (試算) or rejected. `errors` holds [row, column, reason] triples (the first
    ERROR_LIMIT of them; `error_count` is the full number); `counts` maps a
    record label to {"new", "updated", "unchanged"}. The uploaded file is kept
    only while a background job needs it; while that job runs, its progress
    is the job's (jobs.Job)."""

    ERROR_LIMIT = 10_000

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="匯入者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name="匯入者單位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField("種類", max_length=16, choices=ImportKind.choices)
    filename = models.CharField("檔名", max_length=255)
    size = models.PositiveBigIntegerField("大小（位元組）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    dry_run = models.BooleanField("僅檢查", default=False)
    correct_people = models.BooleanField("更正個人資料", default=False)
    status = models.CharField(
        "狀態", max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    row_count = models.PositiveIntegerField("資料列數", default=0)
    counts = models.JSONField("筆數", default=dict, blank=True)
    error_count = models.PositiveIntegerField("問題數", default=0)
    errors = models.JSONField("問題", default=list, blank=True)
    message = models.TextField("說明", blank=True)
    file = models.FileField("檔案", upload_to="imports/", blank=True)
    # The background job's id; a plain number so this app's migrations do not
    # depend on the jobs app's.
    job_id = models.BigIntegerField("背景工作", null=True, blank=True)
    created_at = models.DateTimeField("建立時間", auto_now_add=True)
    started_at = models.DateTimeField("開始時間", null=True, blank=True)
    finished_at = models.DateTimeField("完成時間", null=True, blank=True)

    class Meta:
        verbose_name = "匯入紀錄"
        verbose_name_plural = "匯入紀錄"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def new_total(self) -> int:
        return sum(c.get("new", 0) for c in self.counts.values())
