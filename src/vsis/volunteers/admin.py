"""資料管理 of volunteers, memberships, trainings, record books, insurance,
honour cards and awards.

A volunteer is created on the volunteer page together with a first membership
(志工隊, 加入日期, 志工狀態 on the same form): a person without one would be in no
one's scope. A person already serving elsewhere joins a team through the
membership page, named by their full ID. See docs/decisions/0006.
"""

import copy
import datetime as dt
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from vsis.core.ages import age_on
from vsis.core.keys import is_key_text
from vsis.core.national_id import mask_id, normalise_id
from vsis.core.rocdate import roc_year
from vsis.units.adminsite import (
    AUTOCOMPLETE_ABOVE,
    KeyCheckedAutocomplete,
    RocDateField,
    ScopedInline,
    ScopedModelAdmin,
    ScopedModelForm,
    attach_errors,
    register_choices,
    roc,
    vsis_admin,
)
from vsis.units.models import Level, ServiceCategory, Unit
from vsis.units.scope import is_in_scope, scope_filter, units_in_scope
from vsis.volunteers import services
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    Membership,
    MembershipStatus,
    RecordBook,
    RecordBookStatus,
    Training,
    TrainingKind,
    Volunteer,
)
from vsis.volunteers.queries import (
    covering_membership_q,
    memberships_in_scope,
    shows_full_id,
    spans_overlap,
    volunteer_scope_filter,
    volunteers_in_scope,
)

register_choices(Volunteer, volunteers_in_scope)


def search_people(queryset: QuerySet[Volunteer], term: str) -> QuerySet[Volunteer]:
    """Volunteers by name (a part of it), full ID (exact) or team code (exact).

    The ID is matched exactly, on its unique index, never by a part of it.
    """
    term = term.strip()
    if not term:
        return queryset
    in_team = Membership.objects.filter(team__code=term.upper()).values("volunteer_id")
    return queryset.filter(
        Q(name__icontains=term) | Q(national_id=normalise_id(term)) | Q(pk__in=in_team)
    )


# Up to this many people found by a search are listed by id (an index look-up
# per person in the lists of their details); more fall back to a join.
PEOPLE_LISTED = 2000


def person_matches(term: str, field: str = "volunteer") -> Q | None:
    """Rows whose volunteer (through `field`) search_people finds; None when it
    finds nobody.

    The people are looked up once and their ids listed, so a county's millions
    of records are reached through the volunteer index. A search finding more
    people than that (a common surname) becomes conditions on the joined
    volunteer row; never an IN over a subquery of volunteers, which OR-ed with
    other conditions PostgreSQL may run again for every listed row.
    """
    people = search_people(Volunteer.objects.all(), term)
    found = list(people.values_list("pk", flat=True)[: PEOPLE_LISTED + 1])
    if not found:
        return None
    if len(found) <= PEOPLE_LISTED:
        return Q(**{f"{field}_id__in": found})
    in_team = Membership.objects.filter(team__code=term.upper()).values("volunteer_id")
    return (
        Q(**{f"{field}__name__icontains": term})
        | Q(**{f"{field}__national_id": normalise_id(term)})
        | Q(**{f"{field}_id__in": in_team})
    )


def team_choice_field(user: Any, admin_site: Any) -> forms.ModelChoiceField:
    """A 志工隊 field of the teams in the user's scope (autocomplete when many)."""
    teams = units_in_scope(user).filter(level=Level.TEAM).order_by("path")
    field = forms.ModelChoiceField(queryset=teams, label="志工隊")
    if teams[: AUTOCOMPLETE_ABOVE + 1].count() > AUTOCOMPLETE_ABOVE:
        field.widget = KeyCheckedAutocomplete(
            Membership._meta.get_field("team"), admin_site
        )
    return field


# --- volunteers ----------------------------------------------------------------


class ServingFilter(admin.SimpleListFilter):
    title = "在隊狀態"
    parameter_name = "serving"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "目前在隊"), ("no", "已離隊")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        if self.value() not in ("yes", "no"):
            return queryset
        today = timezone.localdate()
        serving = (
            memberships_in_scope(request.user)
            .filter(covering_membership_q(today))
            .values("volunteer_id")
        )
        if self.value() == "yes":
            return queryset.filter(pk__in=serving)
        return queryset.exclude(pk__in=serving)


class CategoryFilter(admin.SimpleListFilter):
    title = "服務類別"
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [(str(c.pk), c.name) for c in ServiceCategory.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        value = self.value()
        if not value or not is_key_text(value):
            return queryset
        in_category = (
            memberships_in_scope(request.user)
            .filter(team__category_id=int(value))
            .values("volunteer_id")
        )
        return queryset.filter(pk__in=in_category)


class VolunteerChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        queryset = super().get_queryset(request, exclude_parameters)
        # One query for the teams of the whole page, limited to the scope.
        teams = memberships_in_scope(request.user).select_related("team")
        return queryset.prefetch_related(
            Prefetch(
                "memberships",
                queryset=teams.order_by("-joined_on"),
                to_attr="scoped_memberships",
            )
        )


class VolunteerForm(ScopedModelForm):
    class Meta:
        model = Volunteer
        fields = services.VOLUNTEER_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        candidate = copy.copy(self.instance)
        for name in services.VOLUNTEER_FIELDS:
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        if "national_id" not in self.fields:
            return cleaned
        try:
            services.check_volunteer(candidate)
        except ValidationError as error:
            attach_errors(self, error)
        if "national_id" in cleaned and "national_id" not in self.errors:
            cleaned["national_id"] = candidate.national_id
        return cleaned


class VolunteerAddForm(VolunteerForm):
    """A new person and the team they join, saved together."""

    actor: Any = None
    admin_site: Any = None
    team = forms.ModelChoiceField(queryset=Unit.objects.none(), label="志工隊")
    joined_on = RocDateField(label="加入日期", initial=timezone.localdate)
    status = forms.ChoiceField(
        label="志工狀態",
        choices=MembershipStatus.choices,
        initial=MembershipStatus.ACTIVE,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = team_choice_field(self.actor, self.admin_site)
        self.fields["team"] = team_field
        teams = list(units_in_scope(self.actor).filter(level=Level.TEAM)[:2])
        if len(teams) == 1:
            team_field.initial = teams[0].pk
        self.order_fields([*services.VOLUNTEER_FIELDS, "team", "joined_on", "status"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        joined, born = cleaned.get("joined_on"), cleaned.get("birth_date")
        if joined and born and joined < born:
            self.add_error("joined_on", "加入日期不可早於出生日期")
        return cleaned

    def first_membership(self) -> Membership:
        return Membership(
            team=self.cleaned_data["team"],
            joined_on=self.cleaned_data["joined_on"],
            status=self.cleaned_data["status"],
        )


class MembershipFormSet(BaseInlineFormSet):
    """The memberships of one person on their page, checked as a whole.

    Spans of one team must not overlap, every service record must stay inside
    a span, and at least one membership must remain.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        volunteer = self.instance
        in_formset = [f.instance.pk for f in self.forms if f.instance.pk is not None]
        kept: dict[int, list[tuple[dt.date, dt.date | None, str, Any]]] = defaultdict(
            list
        )
        touched: set[int] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if form.instance.pk is not None:
                touched.add(form.instance.team_id)
            if not data or data.get("DELETE"):
                continue
            team = data["team"]
            touched.add(team.pk)
            kept[team.pk].append(
                (data["joined_on"], data.get("left_on"), data["status"], form)
            )
        others = Membership.objects.filter(volunteer_id=volunteer.pk).exclude(
            pk__in=in_formset
        )
        if not any(kept.values()) and not others.exists():
            raise ValidationError("至少要保留一筆隊員資格；若此人已離隊請填離隊日期")
        for team_id in touched:
            spans = kept.get(team_id, [])
            stored = [
                (m.joined_on, m.left_on, m.status, None)
                for m in others.filter(team_id=team_id)
            ]
            self._check_overlaps(spans, stored)
            days = services.uncovered_service_days(
                volunteer.pk, team_id, [span[:3] for span in spans + stored]
            )
            if days:
                raise ValidationError(services.uncovered_message(days))

    @staticmethod
    def _check_overlaps(spans: list[Any], stored: list[Any]) -> None:
        everything = spans + stored
        for index, (start, end, _status, form) in enumerate(spans):
            for other in everything[index + 1 :]:
                if spans_overlap(start, end, other[0], other[1]):
                    clash = Membership(joined_on=other[0], left_on=other[1])
                    form.add_error("joined_on", services.overlap_message(clash))
                    return


class MembershipInline(ScopedInline):
    model = Membership
    formset = MembershipFormSet
    fields = ("team", "joined_on", "left_on", "status")
    verbose_name = "隊員資格"
    verbose_name_plural = "隊員資格（您管轄的志工隊）"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .filter(scope_filter(request.user, "team"))
            .select_related("team")
            .order_by("-joined_on")
        )


class DetailForm(ScopedModelForm):
    """Date order and duplicates of trainings, books, insurance, cards, awards."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        model = self._meta.model
        get = cleaned.get
        volunteer = get("volunteer") or getattr(self.instance, "volunteer", None)
        same_person = model._default_manager.filter(
            volunteer_id=getattr(volunteer, "pk", None)
        ).exclude(pk=self.instance.pk)
        if model is Training:
            if get("kind") == TrainingKind.SPECIAL and not get("category"):
                self.add_error("category", "特殊訓練須選擇服務類別")
            completed = get("completed_on")
            if completed and completed > timezone.localdate():
                self.add_error("completed_on", "完訓日期不可晚於今天")
            elif (
                completed
                and volunteer
                and same_person.filter(
                    kind=get("kind"), completed_on=completed
                ).exists()
            ):
                self.add_error("completed_on", "此志工在同一天已有同類別的訓練紀錄")
        elif model is Insurance:
            starts, ends = get("starts_on"), get("ends_on")
            if starts and ends and ends < starts:
                self.add_error("ends_on", "保險迄日不可早於保險起日")
            elif (
                starts
                and ends
                and volunteer
                and same_person.filter(starts_on=starts, ends_on=ends).exists()
            ):
                self.add_error("starts_on", "此志工已有相同起迄日的保險")
        elif model is HonourCard:
            issued, until = get("issued_on"), get("valid_until")
            if issued and until and until < issued:
                self.add_error("valid_until", "有效期限不可早於核發日期")
        elif model is RecordBook:
            cancelled = get("cancelled_on")
            if get("status") == RecordBookStatus.CANCELLED and not cancelled:
                self.add_error("cancelled_on", "註銷的紀錄冊請填註銷日期")
            if cancelled and get("issued_on") and cancelled < get("issued_on"):
                self.add_error("cancelled_on", "註銷日期不可早於發冊日期")
        return cleaned


class DetailInline(ScopedInline):
    form = DetailForm
    upward_unit_fields = ("issuing_unit", "awarding_unit")


class TrainingInline(DetailInline):
    model = Training
    fields = ("kind", "category", "completed_on", "provider", "hours")


class RecordBookInline(DetailInline):
    model = RecordBook
    fields = ("number", "issued_on", "issuing_unit", "status", "cancelled_on")


class InsuranceInline(DetailInline):
    model = Insurance
    fields = ("starts_on", "ends_on", "insurer", "policy_number")


class HonourCardInline(DetailInline):
    model = HonourCard
    fields = ("number", "issued_on", "valid_until", "issuing_unit")


class AwardInline(DetailInline):
    model = Award
    fields = ("name", "awarded_on", "awarding_unit")


def save_detail_formset(request: HttpRequest, formset: Any) -> None:
    """Save an inline of person details through the services."""
    instances = formset.save(commit=False)
    for detail in formset.deleted_objects:
        services.delete_volunteer_detail(detail, actor=request.user)
    for detail in instances:
        services.save_volunteer_detail(detail, actor=request.user)


class IdColumnsMixin:
    """The ID column of a list: full for 承辦人, masked for 檢視者."""

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))  # type: ignore[misc]
        if not shows_full_id(request.user):
            columns = ["masked_id" if c == "full_id" else c for c in columns]
        return columns


@admin.register(Volunteer, site=vsis_admin)
class VolunteerAdmin(IdColumnsMixin, ScopedModelAdmin):
    scope_field = None
    form = VolunteerForm
    list_display = ("name", "full_id", "sex", "birth", "age", "teams")
    list_filter = (
        ServingFilter,
        CategoryFilter,
        "sex",
        "id_kind",
        "is_indigenous",
        "is_new_resident",
    )
    search_fields = ("name", "national_id")
    search_help_text = "姓名（部分）、完整證號，或志工隊代碼"
    ordering = ("-id",)
    sortable_by = ("name", "sex", "birth")
    inlines = (
        MembershipInline,
        TrainingInline,
        RecordBookInline,
        InsuranceInline,
        HonourCardInline,
        AwardInline,
    )

    def scope_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any]:
        return queryset.filter(volunteer_scope_filter(request.user))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        return VolunteerChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return search_people(queryset, search_term), False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        id_field = "national_id" if shows_full_id(request.user) else "masked_id"
        fieldsets: list[Any] = [
            (None, {"fields": (id_field, "id_kind", "name", "sex", "birth_date")}),
            ("聯絡方式", {"fields": ("phone", "address")}),
            (
                "其他",
                {"fields": ("education", "skills", "is_indigenous", "is_new_resident")},
            ),
        ]
        if obj is None:
            fieldsets.append(
                ("加入志工隊", {"fields": ("team", "joined_on", "status")})
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields: tuple[str, ...] = () if shows_full_id(request.user) else ("masked_id",)
        if obj is not None and services.has_memberships_outside_scope(
            request.user, obj
        ):
            # Shown, not editable: the upper unit corrects who the person is
            # (save_volunteer refuses it too).
            fields += services.IDENTITY_FIELDS
        return fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # A new person's first team is on the form itself.
        return self.inlines if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = VolunteerAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        extra = {"actor": request.user, "admin_site": self.admin_site}
        return type(form.__name__, (form,), extra)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and services.has_memberships_outside_scope(
            request.user, obj
        ):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="身分證字號")
    def full_id(self, obj: Volunteer) -> str:
        return obj.national_id

    @admin.display(description="身分證字號")
    def masked_id(self, obj: Volunteer) -> str:
        return mask_id(obj.national_id)

    @admin.display(description="出生日期", ordering="birth_date")
    def birth(self, obj: Volunteer) -> str:
        return roc(obj.birth_date)

    @admin.display(description="年齡")
    def age(self, obj: Volunteer) -> int:
        return age_on(obj.birth_date, timezone.localdate())

    @admin.display(description="服務的志工隊")
    def teams(self, obj: Volunteer) -> str:
        today = timezone.localdate()
        names = []
        for membership in getattr(obj, "scoped_memberships", []):
            ended = membership.left_on is not None and membership.left_on < today
            quit_ = membership.status == MembershipStatus.QUIT
            suffix = "（已離隊）" if ended or quit_ else ""
            names.append(f"{membership.team.name}{suffix}")
        return "、".join(dict.fromkeys(names))

    def autocomplete_label(self, obj: Volunteer) -> str:
        born = roc_year(obj.birth_date.year)
        return f"{obj.name}（{mask_id(obj.national_id)}，{born}年生）"

    def save_model(
        self, request: HttpRequest, obj: Volunteer, form: Any, change: bool
    ) -> None:
        if change:
            services.save_volunteer(obj, actor=request.user)
        else:
            services.save_volunteer(
                obj, actor=request.user, first_membership=form.first_membership()
            )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        if formset.model is not Membership:
            save_detail_formset(request, formset)
            return
        instances = formset.save(commit=False)
        deferred = []
        # Deletions first (a span may be replaced by a new one), but never the
        # person's last membership before the new ones are in.
        for membership in formset.deleted_objects:
            remaining = Membership.objects.filter(
                volunteer_id=membership.volunteer_id
            ).exclude(pk=membership.pk)
            if remaining.exists():
                services.delete_membership(membership, actor=request.user)
            else:
                deferred.append(membership)
        for membership in instances:
            services.save_membership(membership, actor=request.user)
        for membership in deferred:
            services.delete_membership(membership, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Volunteer) -> None:
        services.delete_volunteer(obj, actor=request.user)


# --- memberships -------------------------------------------------------------------


class CurrentFilter(admin.SimpleListFilter):
    title = "在隊狀態"
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "目前在隊"), ("no", "已離隊")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        covering = covering_membership_q(timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(covering)
        if self.value() == "no":
            return queryset.exclude(covering)
        return queryset


class MembershipForm(ScopedModelForm):
    """One membership; a new one may name a person serving elsewhere by full ID."""

    person_id = forms.CharField(
        label="或輸入志工的完整證號",
        required=False,
        help_text="此人已在其他單位服務、尚不在您的名單時，以身分證字號指定",
    )

    class Meta:
        model = Membership
        fields = ("volunteer", "team", "joined_on", "left_on", "status")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "volunteer" in self.fields:
            self.fields["volunteer"].required = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        typed = normalise_id(cleaned.get("person_id") or "")
        if "volunteer" in self.fields:
            if typed:
                person = Volunteer.objects.filter(national_id=typed).first()
                if person is None:
                    self.add_error(
                        "person_id", "查無此證號的志工；新的志工請到「志工」新增"
                    )
                else:
                    cleaned["volunteer"] = person
            elif not cleaned.get("volunteer") and "volunteer" not in self.errors:
                self.add_error("volunteer", "請選擇志工，或輸入志工的完整證號")
        volunteer = cleaned.get("volunteer") or (
            self.instance.volunteer if self.instance.pk else None
        )
        team, joined = cleaned.get("team"), cleaned.get("joined_on")
        if self.errors or volunteer is None or team is None or joined is None:
            return cleaned
        candidate = Membership(
            pk=self.instance.pk,
            volunteer=volunteer,
            team=team,
            joined_on=joined,
            left_on=cleaned.get("left_on"),
            status=cleaned.get("status") or MembershipStatus.ACTIVE,
        )
        try:
            services.check_membership(candidate)
        except ValidationError as error:
            attach_errors(self, error)
            return cleaned
        teams = {team.pk}
        if self.instance.pk is not None:
            teams.add(self.instance.team_id)
        for team_id in teams:
            spans = [
                (m.joined_on, m.left_on, m.status)
                for m in Membership.objects.filter(
                    volunteer_id=volunteer.pk, team_id=team_id
                ).exclude(pk=self.instance.pk)
            ]
            if team_id == team.pk:
                spans.append((candidate.joined_on, candidate.left_on, candidate.status))
            days = services.uncovered_service_days(volunteer.pk, team_id, spans)
            if days:
                self.add_error(None, services.uncovered_message(days))
        return cleaned


class EndMembershipForm(forms.Form):
    left_on = RocDateField(label="離隊日期")
    status = forms.ChoiceField(
        label="離隊後狀態",
        choices=[(MembershipStatus.QUIT, MembershipStatus.QUIT.label)],
        initial=MembershipStatus.QUIT,
    )


@admin.register(Membership, site=vsis_admin)
class MembershipAdmin(IdColumnsMixin, ScopedModelAdmin):
    scope_field = "team"
    deferred_join_pages = True
    form = MembershipForm
    list_display = (
        "volunteer_name",
        "full_id",
        "team",
        "joined",
        "left",
        "status",
    )
    list_filter = (CurrentFilter, "status", "team__category", "joined_on")
    list_select_related = ["volunteer", "team"]
    date_hierarchy = "joined_on"
    search_fields = ("volunteer__name",)
    search_help_text = "志工姓名（部分）、完整證號，或志工隊代碼"
    ordering = ("-joined_on", "-id")
    autocomplete_fields = ("volunteer",)
    actions = ("end_memberships",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(team__code=term.upper())
        people = person_matches(term)
        return queryset.filter(match if people is None else people | match), False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("volunteer", "person_id", "team", "joined_on", "left_on", "status")
        return ("volunteer", "team", "joined_on", "left_on", "status")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The person of a membership never changes; a wrong one is deleted.
        return ("volunteer",) if obj is not None else ()

    @admin.display(description="志工", ordering="volunteer__name")
    def volunteer_name(self, obj: Membership) -> str:
        return obj.volunteer.name

    @admin.display(description="身分證字號")
    def full_id(self, obj: Membership) -> str:
        return obj.volunteer.national_id

    @admin.display(description="身分證字號")
    def masked_id(self, obj: Membership) -> str:
        return mask_id(obj.volunteer.national_id)

    @admin.display(description="加入日期", ordering="joined_on")
    def joined(self, obj: Membership) -> str:
        return roc(obj.joined_on)

    @admin.display(description="離隊日期", ordering="left_on")
    def left(self, obj: Membership) -> str:
        return roc(obj.left_on)

    def save_model(
        self, request: HttpRequest, obj: Membership, form: Any, change: bool
    ) -> None:
        services.save_membership(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.delete_membership(obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Also asked for the memberships a volunteer's deletion would take along.
        if obj is not None and not is_in_scope(request.user, obj.team):
            return False
        return super().has_delete_permission(request, obj)

    def row_label(self, obj: Membership) -> str:
        return f"{obj.volunteer.name}（{obj.team.name}）"

    @admin.action(description="結束所選的隊員資格（離隊）")
    def end_memberships(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """Ask for the leave date, then end each running membership on it."""
        running = queryset.filter(left_on__isnull=True)
        form = EndMembershipForm(request.POST if "left_on" in request.POST else None)
        if form.is_bound and form.is_valid():
            ended, failed = 0, []
            for membership in running.select_related("volunteer", "team"):
                try:
                    services.end_membership(
                        membership,
                        left_on=form.cleaned_data["left_on"],
                        status=form.cleaned_data["status"],
                        actor=request.user,
                    )
                    ended += 1
                except ValidationError as error:
                    failed.append(
                        f"{membership.volunteer.name}：{'；'.join(error.messages)}"
                    )
            if ended:
                self.message_user(
                    request, f"已結束 {ended} 筆隊員資格", messages.SUCCESS
                )
            for line in failed:
                self.message_user(request, line, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "結束隊員資格",
            "opts": self.opts,
            "form": form,
            "memberships": running.select_related("volunteer", "team")[:200],
            "count": running.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "end_memberships",
        }
        return TemplateResponse(
            request, "admin/volunteers/membership/end_memberships.html", context
        )


# --- trainings, record books, insurance, honour cards, awards ------------------------


class VolunteerDetailAdmin(ScopedModelAdmin):
    """A list of one kind of person detail, scoped through the person."""

    scope_field = None
    deferred_join_pages = True
    form = DetailForm
    autocomplete_fields = ("volunteer",)
    list_select_related = ["volunteer"]
    upward_unit_fields = ("issuing_unit", "awarding_unit")
    search_help_text = "志工姓名（部分）、完整證號，或志工隊代碼"
    number_field = ""

    def scope_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any]:
        return queryset.filter(volunteer_scope_filter(request.user, "volunteer_id"))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = person_matches(term) or Q(pk__in=[])
        if self.number_field:
            match |= Q(**{self.number_field: term})
        return queryset.filter(match), False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("volunteer",) if obj is not None else ()

    @admin.display(description="志工", ordering="volunteer__name")
    def volunteer_name(self, obj: Any) -> str:
        return str(obj.volunteer.name)

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        services.save_volunteer_detail(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_volunteer_detail(obj, actor=request.user)


def _date_column(field: str, label: str) -> Any:
    @admin.display(description=label, ordering=field)
    def column(self: Any, obj: Any) -> str:
        return roc(getattr(obj, field))

    return column


@admin.register(Training, site=vsis_admin)
class TrainingAdmin(VolunteerDetailAdmin):
    list_display = (
        "volunteer_name",
        "kind",
        "category",
        "completed",
        "provider",
        "hours",
    )
    list_filter = ("kind", "category", "completed_on")
    list_select_related = ["volunteer", "category"]
    date_hierarchy = "completed_on"
    ordering = ("-completed_on", "-id")
    search_fields = ("volunteer__name",)
    completed = _date_column("completed_on", "完訓日期")


@admin.register(RecordBook, site=vsis_admin)
class RecordBookAdmin(VolunteerDetailAdmin):
    list_display = ("number", "volunteer_name", "issued", "issuing_unit", "status")
    list_filter = ("status", "issued_on")
    list_select_related = ["volunteer", "issuing_unit"]
    date_hierarchy = "issued_on"
    ordering = ("-issued_on", "-id")
    search_fields = ("number",)
    search_help_text = "紀錄冊編號、志工姓名（部分）或完整證號"
    number_field = "number"
    issued = _date_column("issued_on", "發冊日期")


@admin.register(Insurance, site=vsis_admin)
class InsuranceAdmin(VolunteerDetailAdmin):
    list_display = ("volunteer_name", "starts", "ends", "insurer", "policy_number")
    list_filter = ("starts_on", "ends_on")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "-id")
    search_fields = ("policy_number",)
    search_help_text = "保單號碼、志工姓名（部分）或完整證號"
    number_field = "policy_number"
    starts = _date_column("starts_on", "保險起日")
    ends = _date_column("ends_on", "保險迄日")


@admin.register(HonourCard, site=vsis_admin)
class HonourCardAdmin(VolunteerDetailAdmin):
    list_display = ("number", "volunteer_name", "issued", "valid", "issuing_unit")
    list_filter = ("issued_on", "valid_until")
    list_select_related = ["volunteer", "issuing_unit"]
    date_hierarchy = "issued_on"
    ordering = ("-issued_on", "-id")
    search_fields = ("number",)
    search_help_text = "卡號、志工姓名（部分）或完整證號"
    number_field = "number"
    issued = _date_column("issued_on", "核發日期")
    valid = _date_column("valid_until", "有效期限")


@admin.register(Award, site=vsis_admin)
class AwardAdmin(VolunteerDetailAdmin):
    list_display = ("volunteer_name", "name", "awarded", "awarding_unit")
    list_filter = ("awarded_on",)
    list_select_related = ["volunteer", "awarding_unit"]
    date_hierarchy = "awarded_on"
    ordering = ("-awarded_on", "-id")
    search_fields = ("name",)
    search_help_text = "獎項、志工姓名（部分）或完整證號"
    awarded = _date_column("awarded_on", "獎勵日期")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        queryset_by_person, _ = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset_by_person | queryset.filter(name__icontains=term), False
