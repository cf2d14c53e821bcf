"""State changes of units and accounts, each with its audit row."""

import logging
import secrets
from typing import Any

from django.db import transaction

from vsis.audit.services import record_audit
from vsis.units.models import Role, Unit, User

logger = logging.getLogger(__name__)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_account(
    *,
    actor: Any,
    username: str,
    unit: Unit,
    role: str,
    password: str,
    display_name: str = "",
) -> User:
    """Create an account of `role` in `unit` with the given password."""
    if role not in Role.values:
        raise ValueError(f"未知的角色：{role}")
    with transaction.atomic():
        user = User(username=username, unit=unit, role=role, first_name=display_name)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        record_audit(
            actor=actor,
            action="account.create",
            target=user,
            unit_id=unit.pk,
            changes={"role": {"old": None, "new": role}},
        )
    logger.info("account %s created in unit %s", user.pk, unit.pk)
    return user
