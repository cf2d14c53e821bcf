"""資料管理 of service records.

Every save and delete goes through hours.services, which keeps the monthly and
yearly tallies equal to the records in the same transaction. Hours are typed as
hours (2.5 or 2:30) or taken from the start and end times, and stored as whole
minutes.
"""

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from vsis.core.rocdate import format_roc
from vsis.hours.models import ServiceRecord
from vsis.hours.services import delete_service_record, save_service_record
from vsis.units.adminsite import ScopedModelAdmin, ScopedModelForm, roc, vsis_admin
from vsis.units.models import Level, Unit
from vsis.volunteers.admin import person_matches
from vsis.volunteers.models import Membership
from vsis.volunteers.queries import membership_covering

MAX_MINUTES = 24 * 60
_DECIMAL_HOURS = re.compile(r"^\d+(\.\d+)?$")
_CLOCK_HOURS = re.compile(r"^(\d+):([0-5]\d)$")


class HoursError(ValueError):
    """Hours that cannot be read; str() is the Chinese reason."""


def parse_hours(text: str) -> int:
    """Minutes in `text`: decimal hours (2.5, ２.５) or hours:minutes (2:30)."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    value = value.removesuffix("小時").removesuffix("h").strip()
    if match := _CLOCK_HOURS.match(value):
        return int(match.group(1)) * 60 + int(match.group(2))
    if not _DECIMAL_HOURS.match(value):
        raise HoursError("服務時數請填數字，例如 2.5 或 2:30")
    try:
        minutes = Decimal(value) * 60
    except InvalidOperation:
        raise HoursError("服務時數請填數字，例如 2.5 或 2:30") from None
    if minutes != minutes.to_integral_value():
        raise HoursError("服務時數須是整數分鐘，例如 1.5、0.25，或寫成 1:20")
    return int(minutes)


def format_hours(minutes: int) -> str:
    """150 → 2.5, 120 → 2, 100 → 1:40 (decimals only where they are exact)."""
    if minutes % 15 == 0 or minutes % 6 == 0:
        text = f"{Decimal(minutes) / 60:.2f}".rstrip("0").rstrip(".")
        return text
    return f"{minutes // 60}:{minutes % 60:02d}"


def _minutes_between(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class ServiceRecordForm(ScopedModelForm):
    hours = forms.CharField(
        label="服務時數（小時）",
        required=False,
        help_text="例如 2.5 或 2:30；空白時以起時到迄時計算（交通時間不計）",
    )

    class Meta:
        model = ServiceRecord
        fields = (
            "volunteer",
            "team",
            "served_on",
            "start_time",
            "end_time",
            "hours",
            "persons_served",
            "item",
            "note",
        )
        widgets = {
            "start_time": forms.TimeInput(attrs={"placeholder": "09:00", "size": 6}),
            "end_time": forms.TimeInput(attrs={"placeholder": "12:00", "size": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["hours"] = format_hours(self.instance.minutes)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        minutes = self._minutes(cleaned)
        if minutes is not None:
            if minutes <= 0:
                self.add_error("hours", "服務時數須大於 0")
            elif minutes > MAX_MINUTES:
                self.add_error("hours", "服務時數不可超過 24 小時")
            else:
                self.instance.minutes = minutes
        served_on = cleaned.get("served_on")
        if served_on and served_on > timezone.localdate():
            self.add_error("served_on", "服務日期不可晚於今天")
        volunteer, team = cleaned.get("volunteer"), cleaned.get("team")
        if (
            served_on
            and volunteer
            and team
            and not self.has_error("served_on")
            and membership_covering(volunteer.pk, team.pk, served_on) is None
        ):
            self.add_error("served_on", self._not_a_member(volunteer, team, served_on))
        return cleaned

    def _minutes(self, cleaned: dict[str, Any]) -> int | None:
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        span = None
        if start and end:
            span = _minutes_between(start, end)
            if span <= 0:
                self.add_error("end_time", "迄時須晚於起時（跨日服務請分兩筆登錄）")
                return None
        elif (start or end) and not cleaned.get("hours"):
            self.add_error("end_time", "請同時填起時與迄時，或直接填服務時數")
            return None
        typed = (cleaned.get("hours") or "").strip()
        if not typed:
            if span is None:
                if not self.has_error("end_time"):
                    self.add_error("hours", "請填服務時數，或同時填起時與迄時")
                return None
            return span
        try:
            minutes = parse_hours(typed)
        except HoursError as error:
            self.add_error("hours", str(error))
            return None
        if span is not None and minutes > span:
            self.add_error("hours", "服務時數不可超過起時到迄時的時間")
            return None
        return minutes

    @staticmethod
    def _not_a_member(volunteer: Any, team: Any, day: dt.date) -> str:
        spans = Membership.objects.filter(volunteer_id=volunteer.pk, team_id=team.pk)
        listed = "、".join(
            f"{format_roc(m.joined_on)}–{format_roc(m.left_on) if m.left_on else '今'}"
            + (
                "（已退出，未填離隊日期）"
                if m.status == "quit" and not m.left_on
                else ""
            )
            for m in spans.order_by("joined_on")
        )
        where = f"此志工在 {format_roc(day)} 不是「{team.name}」的隊員"
        if not listed:
            return f"{where}（沒有此隊的隊員資格），請先新增隊員資格"
        return f"{where}（隊員資格期間：{listed}），請核對服務日期或隊員資格"


@admin.register(ServiceRecord, site=vsis_admin)
class ServiceRecordAdmin(ScopedModelAdmin):
    scope_field = "team"
    deferred_join_pages = True
    form = ServiceRecordForm
    list_display = (
        "served",
        "volunteer_name",
        "team",
        "hours_display",
        "persons_served",
        "item",
    )
    list_display_links = ("served", "volunteer_name")
    list_filter = ("served_on", "team__category")
    list_select_related = ("volunteer", "team")
    date_hierarchy = "served_on"
    search_fields = ("item",)
    search_help_text = "志工姓名（部分）、完整證號、志工隊代碼，或服務項目"
    ordering = ("-served_on", "-id")
    autocomplete_fields = ("volunteer",)
    fieldsets = (
        (None, {"fields": ("volunteer", "team", "served_on")}),
        ("時數", {"fields": ("start_time", "end_time", "hours", "persons_served")}),
        ("內容", {"fields": ("item", "note")}),
    )

    # TODO(#5): a search that reaches no team, or more people than
    # PEOPLE_LISTED (a surname alone), or the 服務項目 text, reads every record
    # in scope (about 10 s for the largest county); a trigram index on the
    # item and names (pg_trgm) would take it to the rows that match.

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """A team code lists that team's records; else a name or ID lists the
        people's records; else the term is looked for in 服務項目. One at a
        time: OR-ed together, every search would read all the records in
        scope for the item text (seconds for a county)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        code = term.upper()
        if Unit.objects.filter(code=code, level=Level.TEAM).exists():
            return queryset.filter(team__code=code), False
        people = person_matches(term)
        if people is not None:
            return queryset.filter(people), False
        return queryset.filter(item__icontains=term), False

    @admin.display(description="服務日期", ordering="served_on")
    def served(self, obj: ServiceRecord) -> str:
        return roc(obj.served_on)

    @admin.display(description="志工", ordering="volunteer__name")
    def volunteer_name(self, obj: ServiceRecord) -> str:
        return obj.volunteer.name

    @admin.display(description="服務時數", ordering="minutes")
    def hours_display(self, obj: ServiceRecord) -> str:
        return format_hours(obj.minutes)

    def save_model(
        self, request: HttpRequest, obj: ServiceRecord, form: Any, change: bool
    ) -> None:
        previous = ServiceRecord.objects.get(pk=obj.pk) if change else None
        save_service_record(obj, actor=request.user, previous=previous)

    def delete_model(self, request: HttpRequest, obj: ServiceRecord) -> None:
        delete_service_record(obj, actor=request.user)
