"""Read-only admin of returns and submissions: every change goes through the
return services (the pages and the CLI), never through the admin."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vsis.returns.models import AnnualReturn, ReturnSubmission
from vsis.units.adminsite import ScopedModelAdmin, vsis_admin


class ReadOnlyScopedAdmin(ScopedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AnnualReturn, site=vsis_admin)
class AnnualReturnAdmin(ReadOnlyScopedAdmin):
    scope_field = "unit"
    list_display = (
        "unit",
        "year",
        "form",
        "status",
        "version",
        "saved_at",
        "submitted_at",
        "submitted_by",
    )
    list_filter = ("year", "status", "form")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit", "submitted_by")


@admin.register(ReturnSubmission, site=vsis_admin)
class ReturnSubmissionAdmin(ReadOnlyScopedAdmin):
    scope_field = "annual_return__unit"
    list_display = ("annual_return", "number", "submitted_at", "submitted_by")
    list_filter = ("annual_return__year",)
    list_select_related = ("annual_return", "submitted_by")
