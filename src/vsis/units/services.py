"""State changes of units, service categories and accounts, each with its audit row.

Every function takes the acting user as `actor` (None for the system: a
management command run by the operator), checks the actor's rights and scope,
changes the rows and writes the audit entry in one transaction. Bad data is a
ValidationError with a Chinese message (keyed by field where there is one); a
right the actor lacks is a PermissionDenied.
"""

import datetime as dt
import logging
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, ProtectedError, QuerySet

from vsis.audit.services import diff_fields, record_audit
from vsis.units.models import Level, Role, ServiceCategory, Unit, User
from vsis.units.scope import is_in_scope, require_edit, require_manage_accounts

logger = logging.getLogger(__name__)

# The audit keeps field names, never values, for these: an account's name and
# password are not the trail's business (docs/decisions/0006).
REDACTED = {"redacted": True}
_ACCOUNT_PERSONAL = frozenset({"username", "first_name", "last_name", "email"})
_ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "unit_id",
    "role",
    "is_active",
    "is_superuser",
)
_UNIT_FIELDS = (
    "code",
    "name",
    "level",
    "parent_id",
    "category_id",
    "opened_on",
    "closed_on",
)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def redacted_diff(
    before: dict[str, Any], after: dict[str, Any], personal: frozenset[str]
) -> dict[str, Any]:
    """diff_fields, with only the names of the changed personal fields."""
    return {
        name: (REDACTED if name in personal else change)
        for name, change in diff_fields(before, after).items()
    }


def _actor_id(actor: Any) -> Any:
    return getattr(actor, "pk", None)


# --- accounts ----------------------------------------------------------------


def accounts_in_scope(actor: Any) -> QuerySet[User]:
    """Accounts the actor may manage: those of its subtree, superusers excepted."""
    if actor is None or actor.is_superuser:
        return User.objects.all()
    if not actor.can_manage_accounts or actor.unit is None:
        return User.objects.none()
    return User.objects.filter(
        unit__path__startswith=actor.unit.path, is_superuser=False
    )


def check_account_rights(actor: Any, account: User, previous: User | None) -> None:
    """Scope and rights of `actor` over the new state (and old) of `account`."""
    if actor is None:
        return
    require_manage_accounts(actor)
    if actor.is_superuser:
        return
    if account.is_superuser or (previous is not None and previous.is_superuser):
        raise PermissionDenied("只有超級使用者可以建立或管理超級使用者帳號")
    for unit in (account.unit, previous.unit if previous is not None else None):
        if unit is not None and not is_in_scope(actor, unit):
            raise PermissionDenied("此單位不在您的管轄範圍")
    changes_own_rights = (
        account.role != previous.role
        or account.unit_id != previous.unit_id
        or not account.is_active
        if previous is not None and previous.pk == actor.pk
        else False
    )
    if changes_own_rights:
        raise PermissionDenied("不能變更自己的角色、所屬單位，或停用自己的帳號")


def _check_account(account: User) -> None:
    if account.role not in Role.values:
        raise ValidationError({"role": f"未知的角色：{account.role}"})
    if account.unit is None and not account.is_superuser:
        raise ValidationError(
            {"unit": "請選擇所屬單位（只有超級使用者可以不屬於單位）"}
        )


def create_account(
    *,
    actor: Any,
    username: str,
    unit: Unit | None,
    role: str,
    password: str,
    display_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create an active account of `role` in `unit` with the given password.

    A superuser account may have no unit; only a superuser (or the system) may
    create one. A 單位管理者 creates accounts in units of its own scope only.
    The password must pass the site's password validators.
    """
    user = User(
        username=username.strip(),
        unit=unit,
        role=role,
        first_name=display_name.strip(),
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    check_account_rights(actor, user, None)
    _check_account(user)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        record_audit(
            actor=actor,
            action="account.create",
            target=user,
            unit_id=user.unit_id,
            changes=redacted_diff(
                {}, _snapshot(user, _ACCOUNT_FIELDS), _ACCOUNT_PERSONAL
            )
            | {"password": REDACTED},
        )
    logger.info(
        "account %s created in unit %s by user %s",
        user.pk,
        user.unit_id,
        _actor_id(actor),
    )
    return user


def update_account(account: User, *, actor: Any) -> User:
    """Save a change of an account's name, unit, role, activity or superuser flag.

    Nobody but a superuser changes their own role or unit or deactivates
    themselves, so a unit cannot lock out its last 單位管理者 by accident.
    """
    with transaction.atomic():
        previous = User.objects.select_for_update().get(pk=account.pk)
        check_account_rights(actor, account, previous)
        _check_account(account)
        account.is_staff = account.is_superuser
        account.full_clean(exclude=["password"])
        account.save()
        changes = redacted_diff(
            _snapshot(previous, _ACCOUNT_FIELDS),
            _snapshot(account, _ACCOUNT_FIELDS),
            _ACCOUNT_PERSONAL,
        )
        action = (
            "account.deactivate"
            if previous.is_active and not account.is_active
            else "account.update"
        )
        if changes:
            record_audit(
                actor=actor,
                action=action,
                target=account,
                unit_id=account.unit_id,
                changes=changes,
            )
    logger.info("account %s updated by user %s", account.pk, _actor_id(actor))
    return account


def deactivate_account(account: User, *, actor: Any) -> User:
    """停用: the account can no longer sign in; its history stays."""
    account.is_active = False
    return update_account(account, actor=actor)


def set_account_password(account: User, password: str, *, actor: Any) -> User:
    """Replace an account's password (reset by a 單位管理者 or by the system)."""
    with transaction.atomic():
        previous = User.objects.select_for_update().get(pk=account.pk)
        check_account_rights(actor, account, previous)
        validate_password(password, account)
        account.set_password(password)
        account.save(update_fields=["password"])
        record_audit(
            actor=actor,
            action="account.password",
            target=account,
            unit_id=account.unit_id,
            changes={"password": REDACTED},
        )
    logger.info("password of account %s reset by user %s", account.pk, _actor_id(actor))
    return account


# --- units -------------------------------------------------------------------


def check_unit(unit: Unit, *, actor: Any, previous: Unit | None = None) -> None:
    """The rules of the tree for a new or changed unit; ValidationError if broken.

    Under a unit of the actor's scope only (the root only for a superuser);
    below its parent's level; never under a team or under itself; above its
    children's level; a team has a service category and no children, and a team
    with members or service records stays a team.
    """
    errors: dict[str, str] = {}
    parent = unit.parent
    superuser = actor is None or actor.is_superuser
    if parent is None:
        if not superuser:
            errors["parent"] = "請選擇上層單位（只有超級使用者可以建立最上層單位）"
    else:
        moved = previous is None or previous.parent_id != unit.parent_id
        if moved and not superuser and not is_in_scope(actor, parent):
            errors["parent"] = "上層單位不在您的管轄範圍"
        elif parent.level == Level.TEAM:
            errors["parent"] = "志工隊之下不能再設單位"
        elif unit.pk is not None and parent.is_within(unit):
            errors["parent"] = "不能把單位移到它自己或其下層單位之下"
        elif unit.level is not None and unit.level <= parent.level:
            errors["level"] = (
                f"單位層級必須低於上層單位（上層單位為「{Level(parent.level).label}」）"
            )
    if unit.level == Level.TEAM and unit.category_id is None:
        errors["category"] = "志工隊須選擇服務類別"
    if unit.opened_on and unit.closed_on and unit.closed_on < unit.opened_on:
        errors["closed_on"] = "裁撤日期不可早於成立日期"
    if unit.pk is not None and "level" not in errors:
        lowest_child = unit.children.aggregate(level=Min("level"))["level"]
        if lowest_child is not None and unit.level == Level.TEAM:
            errors["level"] = "志工隊不能有下層單位；此單位已有下層單位"
        elif lowest_child is not None and unit.level >= lowest_child:
            errors["level"] = (
                f"此單位已有「{Level(lowest_child).label}」層級的下層單位，"
                "本單位的層級必須高於它"
            )
        elif (
            previous is not None
            and previous.level == Level.TEAM
            and unit.level != Level.TEAM
            and (unit.memberships.exists() or unit.service_records.exists())
        ):
            errors["level"] = "此志工隊已有隊員資格或服務紀錄，不能改為其他層級"
    if (
        previous is not None
        and not superuser
        and previous.pk == actor.unit_id
        and (previous.parent_id != unit.parent_id or previous.level != unit.level)
    ):
        errors["parent"] = "不能變更自己所屬單位的上層單位或層級"
    if errors:
        raise ValidationError(errors)


def save_unit(unit: Unit, *, actor: Any) -> Unit:
    """Create or change a unit (moving it moves its subtree), with audit."""
    if actor is not None:
        require_edit(actor)
    with transaction.atomic():
        previous = None
        if unit.pk is not None:
            previous = Unit.objects.select_for_update().get(pk=unit.pk)
            if actor is not None and not is_in_scope(actor, previous):
                raise PermissionDenied("此單位不在您的管轄範圍")
        check_unit(unit, actor=actor, previous=previous)
        unit.full_clean(exclude=["path", "depth"])
        unit.save()
        before = _snapshot(previous, _UNIT_FIELDS) if previous is not None else {}
        record_audit(
            actor=actor,
            action="unit.create" if previous is None else "unit.update",
            target=unit,
            unit_id=unit.pk,
            changes=diff_fields(before, _snapshot(unit, _UNIT_FIELDS)),
        )
    logger.info("unit %s saved by user %s", unit.pk, _actor_id(actor))
    return unit


def delete_unit(unit: Unit, *, actor: Any) -> None:
    """Delete a unit with nothing below or in it (audited under its parent)."""
    if actor is not None:
        require_edit(actor)
        if not is_in_scope(actor, unit):
            raise PermissionDenied("此單位不在您的管轄範圍")
        if not actor.is_superuser and unit.pk == actor.unit_id:
            raise PermissionDenied("不能刪除自己所屬的單位")
    unit_id, parent_id = unit.pk, unit.parent_id
    snapshot = _snapshot(unit, _UNIT_FIELDS)
    try:
        with transaction.atomic():
            unit.delete()
            record_audit(
                actor=actor,
                action="unit.delete",
                target_type=Unit._meta.label_lower,
                target_id=unit_id,
                unit_id=parent_id,
                changes=diff_fields(snapshot, {}),
            )
    except ProtectedError:
        raise ValidationError(
            "此單位仍有下層單位、帳號、隊員資格或服務紀錄，不能刪除"
        ) from None
    logger.info("unit %s deleted by user %s", unit_id, _actor_id(actor))


# --- service categories --------------------------------------------------------


def _require_superuser(actor: Any) -> None:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("服務類別只有超級使用者可以修改")


def save_category(category: ServiceCategory, *, actor: Any) -> ServiceCategory:
    """Create or change a service category (superusers only), with audit."""
    _require_superuser(actor)
    fields = ("name", "sort_order", "is_active")
    with transaction.atomic():
        before = {}
        if category.pk is not None:
            before = _snapshot(ServiceCategory.objects.get(pk=category.pk), fields)
        category.full_clean()
        category.save()
        record_audit(
            actor=actor,
            action="category.create" if not before else "category.update",
            target=category,
            changes=diff_fields(before, _snapshot(category, fields)),
        )
    return category


def delete_category(category: ServiceCategory, *, actor: Any) -> None:
    """Delete a category no unit or training uses (superusers only)."""
    _require_superuser(actor)
    category_id, name = category.pk, category.name
    try:
        with transaction.atomic():
            category.delete()
            record_audit(
                actor=actor,
                action="category.delete",
                target_type=ServiceCategory._meta.label_lower,
                target_id=category_id,
                changes={"name": {"old": name, "new": None}},
            )
    except ProtectedError:
        raise ValidationError(
            "此服務類別仍有單位或訓練使用，不能刪除；可改為停用"
        ) from None
