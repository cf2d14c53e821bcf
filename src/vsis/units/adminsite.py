"""A Django admin site scoped to the user's units.

Any active account with a unit (or a superuser) may enter; what it sees is
limited to its scope, and only 承辦人 and 單位管理者 may change anything.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vsis.units.scope import scope_filter, units_in_scope


class VsisAdminSite(admin.AdminSite):
    site_header = "志願服務資訊系統 資料管理"
    site_title = "vsis 資料管理"
    index_title = "資料管理"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and (user.is_superuser or getattr(user, "unit_id", None))
        )


vsis_admin = VsisAdminSite(name="vsis_admin")


class ScopedModelAdmin(admin.ModelAdmin):
    """A model admin whose rows are limited to the user's scope.

    `scope_field` is the lookup path from the model to the Unit that places a
    row in the tree ("" for the Unit model itself, "team" for memberships).
    """

    scope_field: str = ""
    scope_distinct: bool = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.scope_field:
            queryset = queryset.filter(scope_filter(request.user, self.scope_field))
        else:
            queryset = queryset.filter(pk__in=units_in_scope(request.user).values("pk"))
        return queryset.distinct() if self.scope_distinct else queryset

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.can_edit)  # type: ignore[union-attr]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        from vsis.units.models import Unit

        if db_field.related_model is Unit:
            queryset = units_in_scope(request.user)
            limit = db_field.get_limit_choices_to()
            kwargs["queryset"] = queryset.filter(**limit) if limit else queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
