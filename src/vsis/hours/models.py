"""Service records and the per-month and per-year tallies kept beside them.

A record names the team the volunteer served in at the time, so reports of a
past period do not change when the volunteer later moves. Hours are stored as
whole minutes; nothing here is a float.
"""

from django.db import models
from django.db.models import Q

from vsis.core.rocdate import format_roc
from vsis.units.models import Unit
from vsis.volunteers.models import Sex, Volunteer


class ServiceRecord(models.Model):
    """服務紀錄: one attendance (出勤) of one volunteer in one team on one day."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    team = models.ForeignKey(
        Unit,
        verbose_name="志工隊",
        on_delete=models.PROTECT,
        related_name="service_records",
        limit_choices_to={"level": 6},
    )
    served_on = models.DateField("服務日期")
    start_time = models.TimeField("起時", null=True, blank=True)
    end_time = models.TimeField("迄時", null=True, blank=True)
    minutes = models.PositiveIntegerField("服務時數（分鐘）")
    persons_served = models.PositiveIntegerField("服務人次", default=0)
    item = models.CharField("服務項目", max_length=100, blank=True)
    note = models.CharField("備註", max_length=200, blank=True)
    # A digest of the fields that identify the record in an imported file, so a
    # re-import of the same row finds it instead of adding it again.
    source_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "服務紀錄"
        verbose_name_plural = "服務紀錄"
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__lte=24 * 60), name="service_minutes_in_a_day"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "served_on"], name="service_team_date_idx"),
            models.Index(
                fields=["volunteer", "served_on"], name="service_volunteer_date_idx"
            ),
            # The record lists are newest first: a county's first page walks
            # this index backwards instead of sorting its millions of records.
            models.Index(fields=["served_on", "id"], name="service_date_idx"),
        ]

    def __str__(self) -> str:
        hours = f"{self.minutes // 60}:{self.minutes % 60:02d}"
        return (
            f"{self.volunteer.name}・{self.team.name}"
            f"（{format_roc(self.served_on)}，{hours}）"
        )


class ServiceTally(models.Model):
    """Base for the tallies: one volunteer's service in one team over a span.

    Kept current by hours.services in the same transaction as the records they
    sum, so a report never sees a record without its tally. `sex` is copied
    from the volunteer (and updated with it) so reports need no join.
    """

    team = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    sex = models.CharField(max_length=1, choices=Sex.choices)
    records = models.PositiveIntegerField()  # 出勤人次
    minutes = models.PositiveBigIntegerField()
    persons_served = models.PositiveBigIntegerField()

    class Meta:
        abstract = True


class MonthlyService(ServiceTally):
    month = models.DateField(help_text="the first day of the month")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "team", "volunteer"], name="monthly_service_key"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "month"], name="monthly_service_team_idx"),
            models.Index(fields=["volunteer"], name="monthly_service_vol_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.volunteer_id} {self.month:%Y-%m}"


class YearlyService(ServiceTally):
    year = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "team", "volunteer"], name="yearly_service_key"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "year"], name="yearly_service_team_idx"),
            models.Index(fields=["volunteer"], name="yearly_service_vol_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.volunteer_id} {self.year}"
