"""資料管理 of the audit trail: read only, scoped by the unit of each entry.

The audit models depend on nothing of ours; this page does (the scoped site and
unit names), as every page may. An entry with no unit (a service category, a
change by the system) is shown to superusers only.
"""

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from vsis.audit.models import AuditEntry
from vsis.core.rocdate import format_roc
from vsis.units.adminsite import ScopedModelAdmin, vsis_admin
from vsis.units.models import Unit
from vsis.units.scope import units_in_scope

ACTION_LABELS = {
    "account.create": "新增帳號",
    "account.update": "修改帳號",
    "account.deactivate": "停用帳號",
    "account.password": "重設密碼",
    "unit.create": "新增單位",
    "unit.update": "修改單位",
    "unit.delete": "刪除單位",
    "category.create": "新增服務類別",
    "category.update": "修改服務類別",
    "category.delete": "刪除服務類別",
    "volunteer.create": "新增志工",
    "volunteer.update": "修改志工",
    "volunteer.delete": "刪除志工",
    "membership.create": "新增隊員資格",
    "membership.update": "修改隊員資格",
    "membership.end": "結束隊員資格",
    "membership.delete": "刪除隊員資格",
    "service_record.create": "新增服務紀錄",
    "service_record.update": "修改服務紀錄",
    "service_record.delete": "刪除服務紀錄",
}
_DETAIL_LABELS = {
    "training": "教育訓練",
    "recordbook": "紀錄冊",
    "insurance": "保險",
    "honourcard": "榮譽卡",
    "award": "獎勵",
}
_VERBS = {"create": "新增", "update": "修改", "delete": "刪除"}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    noun, _, verb = action.partition(".")
    if noun in _DETAIL_LABELS and verb in _VERBS:
        return f"{_VERBS[verb]}{_DETAIL_LABELS[noun]}"
    return action


def describe_change(change: Any) -> str:
    if isinstance(change, dict) and change.get("redacted"):
        return "已變更（個資不記錄內容）"
    if isinstance(change, dict) and ("old" in change or "new" in change):
        old, new = change.get("old"), change.get("new")
        return f"{'—' if old is None else old} → {'—' if new is None else new}"
    return str(change)


def target_label(target_type: str) -> str:
    """volunteers.volunteer → 志工"""
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


class ActionFilter(admin.SimpleListFilter):
    title = "動作"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(action, action_label(action)) for action in sorted(ACTION_LABELS)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


class TargetFilter(admin.SimpleListFilter):
    title = "對象類型"
    parameter_name = "target_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        labels = [
            "units.unit",
            "units.servicecategory",
            "units.user",
            "volunteers.volunteer",
            "volunteers.membership",
            "volunteers.training",
            "volunteers.recordbook",
            "volunteers.insurance",
            "volunteers.honourcard",
            "volunteers.award",
            "hours.servicerecord",
        ]
        return [(label, target_label(label)) for label in labels]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return queryset.filter(target_type=self.value()) if self.value() else queryset


@admin.register(AuditEntry, site=vsis_admin)
class AuditEntryAdmin(ScopedModelAdmin):
    scope_field = None
    list_display = ("at_roc", "actor", "action_name", "target", "unit_name", "summary")
    list_filter = (ActionFilter, TargetFilter, "at")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    search_fields = ("target_id",)
    search_help_text = "對象編號（完全相符）或執行者帳號"
    ordering = ("-at", "-id")
    fields = (
        "at_roc",
        "actor",
        "action_name",
        "target",
        "unit_name",
        "changes_table",
        "reason",
    )
    readonly_fields = fields

    def scope_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any]:
        if not request.user.is_superuser:
            queryset = queryset.filter(
                unit_id__in=units_in_scope(request.user).values("pk")
            )
        names = Unit.objects.filter(pk=OuterRef("unit_id")).values("name")[:1]
        return queryset.annotate(unit_label=Subquery(names))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(target_id=term) | queryset.filter(
            actor__username=term
        ), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="時間", ordering="at")
    def at_roc(self, obj: AuditEntry) -> str:
        local = timezone.localtime(obj.at)
        return f"{format_roc(local.date())} {local:%H:%M:%S}"

    @admin.display(description="動作", ordering="action")
    def action_name(self, obj: AuditEntry) -> str:
        return action_label(obj.action)

    @admin.display(description="對象")
    def target(self, obj: AuditEntry) -> str:
        return f"{target_label(obj.target_type)} #{obj.target_id}"

    @admin.display(description="單位")
    def unit_name(self, obj: AuditEntry) -> str:
        return getattr(obj, "unit_label", None) or (
            f"#{obj.unit_id}" if obj.unit_id else ""
        )

    @admin.display(description="異動內容")
    def summary(self, obj: AuditEntry) -> str:
        names = list(obj.changes)
        shown = "、".join(names[:6])
        return shown + ("……" if len(names) > 6 else "")

    @admin.display(description="異動內容")
    def changes_table(self, obj: AuditEntry) -> str:
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((name, describe_change(c)) for name, c in obj.changes.items()),
        )
        return format_html("<table>{}</table>", rows)
