"""Writing the audit trail. Callers run this inside their own transaction."""

from typing import Any

from django.db import models

from vsis.audit.models import AuditEntry


def record_audit(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    unit_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one audit row for `action` on `target` (or the type/id given)."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        unit_id=unit_id,
        changes=changes or {},
        reason=reason,
    )


def diff_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """{name: {"old", "new"}} for each key whose value differs."""
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
