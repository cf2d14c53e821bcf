"""資料管理: a Django admin site scoped to the user's units.

Any active account with a unit (or a superuser) may enter. What it sees is
limited to its scope (its unit and everything below): lists, change pages,
history, delete pages, autocomplete answers and the choices of every unit or
volunteer field. A row outside the scope is a 404 by URL, as if it did not
exist; a role too weak for an action is a 403 (檢視者 may only look).

Each app registers its models here (its admin.py) with ScopedModelAdmin and
names how a row is placed in the tree (`scope_field`). Apps above units (for
example volunteers) register how their own models are scoped as foreign-key
choices with `register_choices`, so this module imports nothing above units.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection, models, transaction
from django.db.models import Max, Min, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.http import urlencode

from vsis.core.keys import is_key_text
from vsis.core.rocdate import DateParseError, format_roc, parse_date
from vsis.units.models import Level, Unit
from vsis.units.scope import scope_filter, units_in_scope

# A foreign-key select with more choices than this becomes an autocomplete box:
# a county clerk's 2,000 teams would otherwise be a 2,000-option list per row.
AUTOCOMPLETE_ABOVE = 100

ChoiceScope = Callable[[Any], QuerySet[Any]]
_choice_scopes: dict[type[models.Model], ChoiceScope] = {}


def register_choices(model: type[models.Model], in_scope: ChoiceScope) -> None:
    """Limit every foreign key to `model` on this site to `in_scope(user)`."""
    _choice_scopes[model] = in_scope


def upward_units(user: Any) -> QuerySet[Unit]:
    """The user's scope and the units above it.

    For "issued by" fields (紀錄冊 發冊單位, 榮譽卡 核發單位, 獎勵 頒發單位): a
    hospital records a card the county issued, so the county above its scope is
    a valid choice, though nothing else outside the scope is.
    """
    if user.is_superuser:
        return Unit.objects.all()
    if user.unit is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=user.unit.ancestor_ids()) | units_in_scope(user)


def _unit_choices(user: Any) -> QuerySet[Unit]:
    return units_in_scope(user)


register_choices(Unit, _unit_choices)


# --- ROC dates in forms ---------------------------------------------------


class RocDateInput(forms.TextInput):
    """A text box showing a date in the ROC calendar (113/12/31)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"size": 10, "placeholder": "113/12/31", "autocomplete": "off"}
            | (attrs or {})
        )

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return format_roc(value)
        return super().format_value(value)


class RocDateField(forms.DateField):
    """A date typed in the ROC (113/12/31, 1131231) or Gregorian calendar."""

    widget = RocDateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "民國或西元皆可，例如 113/12/31")
        kwargs.pop("input_formats", None)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except DateParseError as error:
            raise ValidationError(str(error), code="invalid") from None


DATE_FIELD_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DateField: {"form_class": RocDateField, "widget": RocDateInput},
}


def roc(value: dt.date | None) -> str:
    """A date for a list column: 113/12/31, or empty."""
    return format_roc(value) if value else ""


_GREGORIAN_YEAR = re.compile(r"^(\d{4})(?=年|$)")


def roc_title(title: str) -> str:
    """Rewrite a date-hierarchy label: 2024 → 113年, 2024年1月 → 113年1月."""
    match = _GREGORIAN_YEAR.match(str(title))
    if not match:
        return str(title)
    year = int(match.group(1)) - 1911
    rest = str(title)[4:]
    return f"{year}年{rest.removeprefix('年')}"


# --- forms ---------------------------------------------------------------


class ScopedModelForm(forms.ModelForm):
    """A model form that keeps a row's current out-of-scope choice valid.

    A record book issued by a unit in another county must still save when the
    clerk only corrects its date: its current issuing unit is kept among the
    choices, though no other unit outside the scope is offered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            current = getattr(self.instance, f"{name}_id", None)
            queryset = field.queryset
            if current is None or queryset is None:
                continue
            model = queryset.model
            field.queryset = queryset | model._default_manager.filter(pk=current)


# --- lists that stay fast at 100,000 rows -------------------------------------


class DeferredJoinPaginator(Paginator):
    """Pages found by primary key first, their rows and joins fetched after.

    Sorting the whole joined rows (record, volunteer, team) to keep 50 is what
    makes a large list slow; sorting the narrow (key, sort columns) index rows
    and joining only the 50 keys found is several times faster.

    A short list (a search for one person's records) has all its keys read in
    order and is paged here: asked for the first 50 of a filter it expects
    to match often, PostgreSQL walks the date index backwards through a
    county's millions of records looking for a few hundred rows.
    """

    whole_below = 5000  # rows

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        full = self.object_list
        if not isinstance(full, QuerySet) or self.count > self.whole_below:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(full.values_list("pk", flat=True))[bottom:top]
        return self._get_page(keys, number, self)

    def _get_page(self, object_list: Any, number: int, paginator: Any) -> Page:
        """`object_list` is the page's keys (from page()) or its slice."""
        full = self.object_list
        if isinstance(full, QuerySet):
            keys = (
                object_list
                if isinstance(object_list, list)
                else list(object_list.values_list("pk", flat=True))
            )
            rows = {row.pk: row for row in full.filter(pk__in=keys)}
            object_list = [rows[key] for key in keys if key in rows]
        return Page(object_list, number, paginator)


class BoundedDatesQuerySet(QuerySet[Any]):
    """`dates()` from the range of the rows rather than from every row.

    The admin's date hierarchy asks for the distinct years (months, days) of
    the listed rows: a scan of them all, a Python function call per row on
    SQLite. Here the levels are every year (month, day) between the first and
    the last date, from one MIN/MAX on the same filter; a level with no rows
    may show and lists nothing.
    """

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> Any:
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        if kind == "year":
            days = [dt.date(year, 1, 1) for year in range(first.year, last.year + 1)]
        elif kind == "month":
            days = []
            month = first.replace(day=1)
            while month <= last:
                days.append(month)
                month = (month + dt.timedelta(days=32)).replace(day=1)
        else:
            count = (last - first).days + 1
            days = [first + dt.timedelta(days=n) for n in range(count)]
        return days if order == "ASC" else days[::-1]


_bounded_classes: dict[type[Any], type[Any]] = {}


def with_bounded_dates(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The same queryset whose `dates()` is BoundedDatesQuerySet's."""
    cls = queryset.__class__
    if issubclass(cls, BoundedDatesQuerySet):
        return queryset
    if cls not in _bounded_classes:
        name = f"Bounded{cls.__name__}"
        _bounded_classes[cls] = type(name, (BoundedDatesQuerySet, cls), {})
    queryset = queryset.all()
    queryset.__class__ = _bounded_classes[cls]
    return queryset


def attach_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in field_errors:
                form.add_error(target, item.messages)
    else:
        form.add_error(None, error.messages)


# --- the site ------------------------------------------------------------


class KeyCheckedAutocomplete(AutocompleteSelect):
    """Django's autocomplete select, redrawing a refused form without looking
    up posted values that cannot be a key ("abc" or 30 digits made it a 500)."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        keys = [v for v in value if is_key_text(v)]
        return super().optgroups(name, keys, attr)


class ScopedAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete answers limited exactly like the field's choices.

    The source field's model admin decides the rows (`choices_for`, the same
    call that limits the form field), the answered model's admin searches them
    and labels them (`autocomplete_label`: a volunteer shows with a masked ID
    to tell two people of one name apart).
    """

    def get_queryset(self) -> QuerySet[Any]:
        model_admin = self.model_admin
        source_field = self.source_field
        site = self.admin_site
        try:
            source_admin = site.get_model_admin(source_field.model) if site else None
        except NotRegistered:
            source_admin = None
        choices = (
            source_admin.choices_for(self.request, source_field)
            if isinstance(source_admin, ScopedFieldsMixin)
            else None
        )
        queryset = (
            choices if choices is not None else model_admin.get_queryset(self.request)
        )
        queryset = queryset.complex_filter(source_field.get_limit_choices_to())
        queryset = queryset.order_by(*model_admin.get_ordering(self.request))
        queryset, distinct = model_admin.get_search_results(
            self.request, queryset, self.term
        )
        return queryset.distinct() if distinct else queryset

    def serialize_result(self, obj: Any, to_field_name: str) -> dict[str, str]:
        label = getattr(self.model_admin, "autocomplete_label", str)
        return {"id": str(getattr(obj, to_field_name)), "text": label(obj)}


class VsisAdminSite(admin.AdminSite):
    site_header = "志願服務資訊系統 資料管理"
    site_title = "vsis 資料管理"
    index_title = "資料管理"
    site_url = "/"
    empty_value_display = "—"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and (user.is_superuser or getattr(user, "unit_id", None))
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One login page for the whole system: the site's own (web:login)."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(reverse(f"{self.name}:index"))
            raise PermissionDenied("您的帳號沒有所屬單位，無法使用資料管理")
        target = request.GET.get("next") or reverse(f"{self.name}:index")
        return HttpResponseRedirect(
            f"{reverse('web:login')}?{urlencode({'next': target})}"
        )

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        view = ScopedAutocompleteJsonView.as_view(admin_site=self)
        return cast(HttpResponse, view(request))


vsis_admin = VsisAdminSite(name="vsis_admin")


# --- model admins ----------------------------------------------------------


class ScopedFieldsMixin:
    """Foreign-key choices and date widgets shared by model admins and inlines."""

    admin_site: admin.AdminSite
    # Unit fields whose choices include the units above the user's scope.
    upward_unit_fields: tuple[str, ...] = ()
    field_labels: dict[str, str] = {"volunteer": "志工"}

    def choices_for(self, request: HttpRequest, db_field: Any) -> QuerySet[Any] | None:
        """The rows a foreign key may point to, or None for no limit."""
        model = db_field.related_model
        if model is Unit and db_field.name in self.upward_unit_fields:
            return upward_units(request.user)
        in_scope = _choice_scopes.get(model)
        return in_scope(request.user) if in_scope is not None else None

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        formfield = super().formfield_for_dbfield(  # type: ignore[misc]
            db_field, request, **kwargs
        )
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            # No "add / change / delete the team" buttons beside a choice: a
            # unit or a person is managed on its own page, with its own rules.
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        return formfield

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name in getattr(self, "autocomplete_fields", ()):
            kwargs.setdefault(
                "widget", KeyCheckedAutocomplete(db_field, self.admin_site)
            )
        choices = self.choices_for(request, db_field)
        if choices is not None and "queryset" not in kwargs:
            limit = db_field.get_limit_choices_to()
            kwargs["queryset"] = choices.complex_filter(limit) if limit else choices
        if db_field.name in self.field_labels:
            kwargs.setdefault("label", self.field_labels[db_field.name])
        if (
            choices is not None
            and db_field.name not in getattr(self, "autocomplete_fields", ())
            and "widget" not in kwargs
            and kwargs["queryset"][: AUTOCOMPLETE_ABOVE + 1].count()
            > AUTOCOMPLETE_ABOVE
        ):
            kwargs["widget"] = KeyCheckedAutocomplete(db_field, self.admin_site)
        return super().formfield_for_foreignkey(  # type: ignore[misc]
            db_field, request, **kwargs
        )


def can_enter(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "unit_id", None))
    )


class ScopedModelAdmin(ScopedFieldsMixin, admin.ModelAdmin):
    """A model admin whose rows are limited to the user's scope.

    `scope_field` is the lookup path from the model to the Unit that places a
    row in the tree ("" for the Unit model itself, "team" for memberships);
    None means the rows are not scoped (override `scope_queryset` instead).
    Every view finds its object through the scoped queryset, so a row outside
    the scope is a 404. Changes go through `save_model` / `delete_model`, which
    each app points at its service functions; bulk deletion calls
    `delete_model` per row so no row escapes its service.
    """

    scope_field: str | None = ""
    form = ScopedModelForm

    class Media:
        css = {"all": ["units/admin.css"]}

    list_per_page = 50
    list_max_show_all = 500
    # The filtered count is needed for the pages; the unfiltered one is a second
    # full count that a clerk with 100,000 rows would wait for on every search.
    show_full_result_count = False
    formfield_overrides = DATE_FIELD_OVERRIDES
    # For lists that join other tables to each row (select_related).
    deferred_join_pages = False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        paginator_class = (
            DeferredJoinPaginator if self.deferred_join_pages else Paginator
        )
        return paginator_class(queryset, per_page, orphans, allow_empty_first_page)

    def scope_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any]:
        user = request.user
        if self.scope_field is None or user.is_superuser:
            return queryset
        if self.scope_field == "":
            unit = getattr(user, "unit", None)
            if unit is None:
                return queryset.none()
            return queryset.filter(path__startswith=unit.path)
        if "__" not in self.scope_field:
            # A semi-join on the unit ids in scope reads the unit tree once;
            # a join compares every row's unit path.
            in_scope = units_in_scope(user).order_by().values("pk")
            return queryset.filter(**{f"{self.scope_field}_id__in": in_scope})
        return queryset.filter(scope_filter(user, self.scope_field))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if not can_enter(request.user):
            return super().get_queryset(request).none()
        queryset = self.scope_queryset(request, super().get_queryset(request))
        return with_bounded_dates(queryset) if self.date_hierarchy else queryset

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"查無此{self.opts.verbose_name}")
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_enter(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def row_label(self, obj: Any) -> str:
        """How a row is named in a refusal message."""
        return str(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                try:
                    self.delete_model(request, obj)
                except ValidationError as error:
                    reason = "；".join(error.messages)
                    raise ValidationError(f"{self.row_label(obj)}：{reason}") from None

    def _refused(
        self, request: HttpRequest, error: ValidationError, url: str
    ) -> HttpResponse:
        # A service refused what the form could not foresee (a race, or a rule
        # about other rows): nothing was written; say why instead of a 500.
        self.message_user(request, "；".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(url)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            return self._refused(request, error, request.get_full_path())

    def delete_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            info = self.opts.app_label, self.opts.model_name
            url = reverse(
                f"{self.admin_site.name}:%s_%s_change" % info, args=[object_id]
            )
            return self._refused(request, error, url)

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        # Django filters on the posted ids as they come: one that is not an id
        # or too large for the column (a tampered form) fails the query: a 500.
        pk = self.opts.pk
        low, high = connection.ops.integer_field_range(pk.get_internal_type())
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                number = pk.to_python(value)
            except ValidationError:
                number = None
            if not isinstance(number, int) or not low <= number <= high:
                raise BadRequest("選取的項目不正確")
        return super().response_action(request, queryset, *args, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        # Actions run here: all or nothing, like the other writing views.
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except ValidationError as error:
            return self._refused(request, error, request.get_full_path())


class ScopedInline(ScopedFieldsMixin, admin.TabularInline):
    """A tabular inline with the site's choices, dates and edit rights."""

    form = ScopedModelForm
    extra = 0
    formfield_overrides = DATE_FIELD_OVERRIDES

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_enter(request.user)


def non_team_units(queryset: QuerySet[Unit]) -> QuerySet[Unit]:
    """Units that may have children: a team has none."""
    return queryset.exclude(level=Level.TEAM)
