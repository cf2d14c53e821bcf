"""Who may see and change which units.

An account acts on its own unit and everything below it (its scope); a
superuser's scope is the whole tree. Outside the scope a unit does not exist
for the user (404); inside it, a role too weak for the action is a 403.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from vsis.units.models import Unit


def scope_root(user: Any) -> Unit | None:
    """The top unit of the user's scope; None for a superuser (everything)."""
    if user.is_superuser:
        return None
    return user.unit


def units_in_scope(user: Any) -> QuerySet[Unit]:
    """Every unit the user may see."""
    if not user.is_authenticated or not user.is_active:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    if user.unit is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=user.unit.path)


def scope_filter(user: Any, unit_field: str) -> Q:
    """A Q object restricting rows whose `unit_field` (a Unit FK path) is in scope.

    `unit_field` is a lookup path to a Unit, e.g. "team" or "volunteer__..."; the
    filter compares that unit's materialised path with the user's.
    """
    if user.is_superuser:
        return Q()
    if not user.is_authenticated or user.unit is None:
        return Q(pk__in=[])
    return Q(**{f"{unit_field}__path__startswith": user.unit.path})


def is_in_scope(user: Any, unit: Unit) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.unit is not None and unit.is_within(user.unit)


def get_unit_in_scope(user: Any, *, code: str | None = None, pk: Any = None) -> Unit:
    """The unit with that code or primary key, or Http404 when it is out of scope."""
    lookup = {"code": code} if code is not None else {"pk": pk}
    try:
        unit = Unit.objects.select_related("parent", "category").get(**lookup)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404("查無此單位") from None
    if not is_in_scope(user, unit):
        raise Http404("查無此單位")
    return unit


def require_edit(user: Any) -> None:
    """PermissionDenied unless the user may change data (承辦人, 單位管理者)."""
    if not user.can_edit:
        raise PermissionDenied("您的帳號為檢視者，只能查看資料")


def require_manage_accounts(user: Any) -> None:
    if not user.can_manage_accounts:
        raise PermissionDenied("只有單位管理者可以管理帳號")
