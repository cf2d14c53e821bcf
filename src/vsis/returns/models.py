"""Annual returns (OP 線上填報) and the frozen copy of each submission.

A unit has at most one return per year. Its status is W (產製中, a draft) or Y
(已提交, locked); a unit without a return is N (無動作), which is not stored.
Cell values are kept as decimal strings in two maps: `computed` (what the last
auto-fill found) and `entered` (hand edits); a cell's value is its entered
value if any, else its computed value. See docs/decisions/0008.

Only vsis.returns.services writes these rows: `save()` and `delete()` refuse
outside it, so no admin action, shell snippet or stray form can unlock or edit
a return by accident.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from vsis.units.models import Unit

_service_write: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "returns_service_write", default=False
)


@contextlib.contextmanager
def service_write() -> Iterator[None]:
    """Let the service functions (and only they) save return rows."""
    token = _service_write.set(True)
    try:
        yield
    finally:
        _service_write.reset(token)


class ReturnWriteRefused(RuntimeError):
    """A return row was written outside vsis.returns.services."""


class ReturnStatus(models.TextChoices):
    DRAFT = "W", "產製中"
    SUBMITTED = "Y", "已提交"


NO_RETURN = "N"
STATUS_LABELS = {NO_RETURN: "無動作", "W": "產製中", "Y": "已提交"}


class ReturnForm(models.TextChoices):
    """Which of the two forms a unit files (decided by its place in the tree)."""

    NATIONAL = "national", "全國推動志願服務業務成果統計表"
    COUNTY = "county", "直轄市、縣(市)推展志願服務志工人數及服務成果統計表"


def _user_fk(label: str) -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class GuardedModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not _service_write.get():
            raise ReturnWriteRefused("統計表只能透過線上填報功能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ReturnWriteRefused("統計表與提交紀錄不能刪除")


class AnnualReturn(GuardedModel):
    """One unit's return for one year."""

    unit = models.ForeignKey(
        Unit,
        verbose_name="填報單位",
        on_delete=models.PROTECT,
        related_name="annual_returns",
    )
    year = models.PositiveSmallIntegerField("年度（西元）")
    form = models.CharField("表別", max_length=10, choices=ReturnForm.choices)
    period_start = models.DateField("統計日期起")
    period_end = models.DateField("統計日期迄")
    status = models.CharField(
        "狀態", max_length=1, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    # Optimistic locking: every change adds one; a save naming an older version
    # is refused so that the second of two editors cannot overwrite the first.
    version = models.PositiveIntegerField("版本", default=1)
    computed = models.JSONField("系統計算值", default=dict, blank=True)
    entered = models.JSONField("手動修改值", default=dict, blank=True)
    # The direct child units at the last fill and where their figures came from.
    sources = models.JSONField("下層單位來源", default=list, blank=True)

    created_at = models.DateTimeField("建立時間", auto_now_add=True)
    created_by = _user_fk("建立者")
    filled_at = models.DateTimeField("自動帶入時間", null=True, blank=True)
    filled_by = _user_fk("自動帶入者")
    saved_at = models.DateTimeField("最後存檔時間", null=True, blank=True)
    saved_by = _user_fk("最後存檔者")
    submitted_at = models.DateTimeField("提交時間", null=True, blank=True)
    submitted_by = _user_fk("提交者")
    unlocked_at = models.DateTimeField("解除鎖定時間", null=True, blank=True)
    unlocked_by = _user_fk("解除鎖定者")
    unlock_reason = models.TextField("解除鎖定原因", blank=True)

    class Meta:
        verbose_name = "年度統計表"
        verbose_name_plural = "年度統計表"
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="return_unit_year"),
            models.CheckConstraint(
                condition=Q(status__in=["W", "Y"]), name="return_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="return_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="return_year_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.status}"

    @property
    def is_locked(self) -> bool:
        return self.status == ReturnStatus.SUBMITTED

    def value(self, item: str) -> Decimal:
        """The cell's value: entered if edited by hand, else computed, else 0."""
        raw = self.entered.get(item, self.computed.get(item))
        return Decimal(raw) if raw is not None else Decimal(0)

    def values(self) -> dict[str, Decimal]:
        from vsis.returns.items import ALL_KEYS

        return {key: self.value(key) for key in ALL_KEYS}


class ReturnSubmission(GuardedModel):
    """The frozen copy of every figure of a return at one submission."""

    annual_return = models.ForeignKey(
        AnnualReturn,
        verbose_name="統計表",
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    number = models.PositiveSmallIntegerField("提交次數")
    submitted_at = models.DateTimeField("提交時間")
    submitted_by = _user_fk("提交者")
    form = models.CharField("表別", max_length=10, choices=ReturnForm.choices)
    period_start = models.DateField("統計日期起")
    period_end = models.DateField("統計日期迄")
    computed = models.JSONField("系統計算值", default=dict)
    entered = models.JSONField("手動修改值", default=dict)
    values = models.JSONField("提交值", default=dict)
    sources = models.JSONField("下層單位來源", default=list)
    warnings = models.JSONField("已確認之提醒", default=list)

    class Meta:
        verbose_name = "統計表提交紀錄"
        verbose_name_plural = "統計表提交紀錄"
        ordering = ["annual_return", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["annual_return", "number"], name="submission_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.annual_return_id}#{self.number}"
