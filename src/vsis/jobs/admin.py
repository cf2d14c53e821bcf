"""Jobs in the data-management site: read-only, and for superusers only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vsis.jobs.models import Job, JobFile
from vsis.units.adminsite import vsis_admin


class SuperuserReadOnly:
    """Only a superuser sees these rows, and nobody changes them here: every
    change of a job goes through vsis.jobs.services and the runner."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobFileInline(SuperuserReadOnly, admin.TabularInline):
    model = JobFile
    extra = 0
    readonly_fields = ("attempt", "format", "filename", "size", "file", "created_at")
    fields = readonly_fields


@admin.register(Job, site=vsis_admin)
class JobAdmin(SuperuserReadOnly, admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "requester",
        "unit",
        "status",
        "progress",
        "attempts",
        "queued_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["requester__username", "kind", "summary"]
    list_select_related = ["requester", "unit"]
    date_hierarchy = "queued_at"
    inlines = [JobFileInline]
    readonly_fields = (
        "requester",
        "kind",
        "params",
        "params_digest",
        "summary",
        "unit",
        "status",
        "progress",
        "progress_note",
        "attempts",
        "queued_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "expires_at",
        "error",
        "result",
        "task_id",
        "worker",
    )
    fields = readonly_fields
