"""Background-job rows: one per request, with its files.

The task queue (django-tasks) only carries a job id; everything a page, the CLI
or a test needs to know about a job is here. Status changes go through
`vsis.jobs.services` and `vsis.jobs.runner`, each one an UPDATE filtered on the
old status (see docs/decisions/0003-background-jobs.md).
"""

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排隊中"
    RUNNING = "running", "產製中"
    DONE = "done", "完成"
    FAILED = "failed", "失敗"
    CANCELLED = "cancelled", "已取消"
    EXPIRED = "expired", "已過期"


# Statuses in which a job still holds (or will hold) a worker's attention; at
# most one job per requester, kind and parameters may be in one of them.
ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)

# The allowed transitions: target status -> the statuses it may come from.
# Every status change is JobQuerySet.transition(), which enforces this.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    JobStatus.RUNNING: (JobStatus.QUEUED,),  # a task's claim
    JobStatus.DONE: (JobStatus.RUNNING,),
    JobStatus.FAILED: (JobStatus.RUNNING,),  # the runner, or the sweeper
    JobStatus.CANCELLED: (JobStatus.QUEUED, JobStatus.RUNNING),
    JobStatus.QUEUED: (JobStatus.RUNNING,),  # the sweeper's retry
    JobStatus.EXPIRED: (JobStatus.DONE,),
}


class JobQuerySet(models.QuerySet["Job"]):
    def transition(self, to: str, **fields: Any) -> int:
        """Move the matching jobs that are in an allowed source state to `to`.

        One UPDATE filtered on the old status: of two racing callers only one
        changes a job. Returns the number of jobs changed.
        """
        return self.filter(status__in=TRANSITIONS[to]).update(status=to, **fields)


class Job(models.Model):
    """One background request: a report to produce or a file to import.

    `params` is the JSON the handler receives, exactly as stored; `params_digest`
    is the SHA-256 of the canonical JSON of (params, unit), so that the same
    request by the same user while one is active finds that one.
    `attempts` counts the runs started; each run's writes are filtered on its
    own attempt number, so a run the sweeper gave up on cannot overwrite the next.
    """

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申請人",
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    kind = models.CharField("工作類型", max_length=64)
    params = models.JSONField("條件", default=dict, encoder=DjangoJSONEncoder)
    params_digest = models.CharField("條件摘要碼", max_length=64)
    summary = models.CharField("條件說明", max_length=500, blank=True)
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name="單位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        "狀態",
        max_length=16,
        choices=JobStatus.choices,
        default=JobStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField("進度", default=0)
    progress_note = models.CharField("進度說明", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("執行次數", default=0)
    queued_at = models.DateTimeField("申請時間", auto_now_add=True)
    started_at = models.DateTimeField("開始時間", null=True, blank=True)
    finished_at = models.DateTimeField("完成時間", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最後回報時間", null=True, blank=True)
    expires_at = models.DateTimeField("檔案保存期限", null=True, blank=True)
    error = models.TextField("失敗原因", blank=True)
    result = models.JSONField("結果", null=True, blank=True, encoder=DjangoJSONEncoder)
    # The django-tasks result id of the latest enqueue or run, to find the
    # queue's own row when a worker died.
    task_id = models.CharField("佇列工作編號", max_length=64, blank=True)
    # host:pid of the process running the current attempt, for the log and
    # the admin; liveness is judged by the heartbeat alone.
    worker = models.CharField("執行程序", max_length=128, blank=True)

    objects = JobQuerySet.as_manager()

    # True on the instance request_job has just created; False when it
    # returned an existing job for the same request. Not stored.
    is_new: bool = False

    class Meta:
        verbose_name = "背景工作"
        verbose_name_plural = "背景工作"
        ordering = ["-queued_at", "-id"]
        constraints = [
            # Two clicks racing each other insert at most one active job; the
            # loser's IntegrityError sends it to the winner's row.
            models.UniqueConstraint(
                fields=["requester", "kind", "params_digest"],
                condition=Q(status__in=["queued", "running"]),
                name="jobs_one_active_request",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="jobs_progress_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-queued_at"], name="jobs_mine_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="jobs_status_idx"),
            models.Index(fields=["status", "expires_at"], name="jobs_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}（{self.get_status_display()}）"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class JobFile(models.Model):
    """One file a job produced, stored under MEDIA_ROOT/jobs/<job>/<attempt>/.

    `filename` is what the user's browser saves it as (Chinese allowed); the
    stored name is ASCII.
    """

    job = models.ForeignKey(
        Job, verbose_name="背景工作", on_delete=models.CASCADE, related_name="files"
    )
    attempt = models.PositiveSmallIntegerField("執行次數")
    format = models.CharField("格式", max_length=16)
    file = models.FileField("檔案", max_length=255)
    filename = models.CharField("下載檔名", max_length=200)
    size = models.PositiveBigIntegerField("大小（位元組）", default=0)
    created_at = models.DateTimeField("建立時間", auto_now_add=True)

    class Meta:
        verbose_name = "工作檔案"
        verbose_name_plural = "工作檔案"
        ordering = ["job", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format.upper())


# The button text of each format in the job list (【Excel】【Ods】).
FORMAT_LABELS = {"xlsx": "Excel", "ods": "Ods", "csv": "CSV", "json": "JSON"}

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
}
