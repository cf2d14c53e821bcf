"""Every state change of an annual return, one function per verb.

create_return, fill_return, save_return, submit_return and unlock_return each
take `actor=`, check the actor's scope and role and the return's state, lock
the row (select_for_update), write the audit entry and commit in one
transaction. Views, the CLI and the batch helpers below call these; nothing
else writes a return (the model refuses). Who may do what from which state is
the table in docs/decisions/0008-annual-returns.md.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from vsis.audit.services import record_audit
from vsis.core.rocdate import format_roc, format_roc_year
from vsis.returns.checks import trend_warnings, validation_problems
from vsis.returns.consolidation import (
    SubtreeFigures,
    exists_on,
    files_returns,
    form_for,
    year_end,
)
from vsis.returns.errors import (
    BadInput,
    CellProblem,
    Invalid,
    Locked,
    NeedsConfirmation,
    NotPermitted,
    OutOfScope,
    Refused,
    ReturnError,
    StaleVersion,
)
from vsis.returns.items import ALL_KEYS, ITEMS, Kind, to_stored
from vsis.returns.models import (
    STATUS_LABELS,
    AnnualReturn,
    ReturnStatus,
    ReturnSubmission,
    service_write,
)
from vsis.returns.queries import (
    child_statuses,
    previous_year_values,
    return_label,
)
from vsis.units.models import Level, Unit
from vsis.units.scope import is_in_scope

logger = logging.getLogger(__name__)

# 志願服務法 came into force in 2001: no return is filed for a year before it,
# and a typo such as "1" for "114" must not reach back to 民國元年.
FIRST_YEAR = 2001


# --- messages --------------------------------------------------------------------


def user_label(user: Any) -> str:
    """王小明（county_clerk）, or the username alone."""
    if user is None:
        return "（已刪除的帳號）"
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name}（{user.username}）" if name else str(user.username)


def when_label(value: dt.datetime | None) -> str:
    """113/03/02 14:05 in Asia/Taipei."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{format_roc(local.date())} {local:%H:%M}"


def upper_unit_label(unit: Unit) -> str:
    parent = unit.parent if unit.parent_id else None
    return f"上層單位「{parent.name}」" if parent is not None else "系統管理者"


def locked_message(ret: AnnualReturn) -> str:
    """Why a submitted return cannot change: by whom, when, and who can unlock."""
    return (
        f"{return_label(ret)}已於 {when_label(ret.submitted_at)} 由 "
        f"{user_label(ret.submitted_by)} 提交並鎖定，不能再修改。"
        f"如需修改，請洽{upper_unit_label(ret.unit)}解除鎖定。"
    )


# --- checks ----------------------------------------------------------------------


def _require_filer(actor: Any, unit: Unit) -> None:
    if not is_in_scope(actor, unit):
        raise OutOfScope("查無此單位，或不在您的權限範圍內")
    if not getattr(actor, "can_edit", False):
        raise NotPermitted("您的帳號為檢視者，只能查看統計表，不能建立、修改或提交")


def _require_draft(ret: AnnualReturn) -> None:
    if ret.is_locked:
        raise Locked(locked_message(ret))


def _check_version(ret: AnnualReturn, expected: int | None) -> None:
    if expected is not None and expected != ret.version:
        raise StaleVersion(
            f"{return_label(ret)}已於 {when_label(ret.saved_at or ret.filled_at)} 由 "
            f"{user_label(ret.saved_by or ret.filled_by)} 更新（目前為第 "
            f"{ret.version} 版，您開啟的是第 {expected} 版），您的修改尚未存檔。"
            "請對照下方最新內容，確認後再存檔一次。",
            current_version=ret.version,
        )


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(ret: AnnualReturn) -> AnnualReturn:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins.
    return (
        AnnualReturn.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__parent", "submitted_by", "saved_by")
        .get(pk=ret.pk)
    )


def default_period(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def check_year(year: int) -> None:
    """Refuse (BadInput) a year no return can be filed for: before the Act or
    after this year (Asia/Taipei)."""
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        raise BadInput(
            f"年度須介於 {format_roc_year(FIRST_YEAR)} 與 {format_roc_year(this_year)}"
            f" 之間（收到西元 {year} 年）"
        )


def check_period(year: int, start: dt.date, end: dt.date) -> None:
    if start > end:
        raise BadInput(
            f"統計日期起（{format_roc(start)}）不可晚於統計日期迄（{format_roc(end)}）"
        )
    first, last = default_period(year)
    if start < first or end > last:
        raise BadInput(
            f"統計日期須在 {format_roc_year(year)} 之內"
            f"（{format_roc(first)} 至 {format_roc(last)}）"
        )


def _period_json(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}~{end.isoformat()}"


def require_return(unit: Unit, year: int, *, actor: Any) -> AnnualReturn:
    """The unit's return for `year`, for a verb that needs one (not N)."""
    if not is_in_scope(actor, unit):
        raise OutOfScope("查無此單位，或不在您的權限範圍內")
    ret = (
        AnnualReturn.objects.select_related("unit", "unit__parent", "submitted_by")
        .filter(unit=unit, year=year)
        .first()
    )
    if ret is None:
        raise Refused(
            f"{unit.name} 尚未建立 {format_roc_year(year)} 統計表（N 無動作），"
            "請先【新增資料】"
        )
    return ret


# --- create ----------------------------------------------------------------------


def create_return(
    unit: Unit,
    year: int,
    *,
    actor: Any,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> AnnualReturn:
    """Create the unit's draft (N → W) for `year`; one return per unit and year."""
    _require_filer(actor, unit)
    if not files_returns(unit):
        raise BadInput(f"{unit.name}是志工隊，不需填報統計表，請由其上層單位填報")
    check_year(year)
    first, last = default_period(year)
    start, end = period_start or first, period_end or last
    check_period(year, start, end)
    if not exists_on(unit.opened_on, unit.closed_on, year_end(year)):
        raise BadInput(
            f"{unit.name}於 {format_roc(year_end(year))} 不存在（尚未成立或已裁撤），"
            f"不需填報 {format_roc_year(year)} 統計表"
        )
    form = form_for(unit)
    try:
        with transaction.atomic(), service_write():
            existing = (
                AnnualReturn.objects.select_for_update(of=("self",))
                .filter(unit=unit, year=year)
                .first()
            )
            if existing is not None:
                raise Refused(_exists_message(existing))
            ret = AnnualReturn(
                unit=unit,
                year=year,
                form=form,
                period_start=start,
                period_end=end,
                created_by=_actor_or_none(actor),
            )
            ret.save()
            record_audit(
                actor=actor,
                action="return.create",
                target=ret,
                unit_id=unit.pk,
                changes={
                    "status": {"old": "N", "new": "W"},
                    "period": {"old": None, "new": _period_json(start, end)},
                    "form": {"old": None, "new": form},
                },
            )
    except IntegrityError:
        # Another request created it between our check and our insert.
        existing = AnnualReturn.objects.select_related("unit").get(unit=unit, year=year)
        raise Refused(_exists_message(existing)) from None
    logger.info("return %s created for unit %s year %s", ret.pk, unit.pk, year)
    return ret


def _exists_message(ret: AnnualReturn) -> str:
    return (
        f"{return_label(ret)}已存在（狀態：{ret.status} {STATUS_LABELS[ret.status]}），"
        "一個單位每年度只有一份統計表，請直接開啟該表"
    )


# --- fill ------------------------------------------------------------------------


def fill_return(ret: AnnualReturn, *, actor: Any) -> AnnualReturn:
    """Auto-fill every computed cell from the live data, consolidated (W → W).

    Hand-edited cells keep their entered value; their computed value is
    refreshed beside it. The heavy queries run before the row is locked.
    """
    _require_filer(actor, ret.unit)
    current = AnnualReturn.objects.select_related("unit", "submitted_by").get(pk=ret.pk)
    _require_draft(current)
    figures = SubtreeFigures(
        current.unit, current.year, current.period_start, current.period_end
    )
    with transaction.atomic(), service_write():
        locked = _lock(ret)
        _require_draft(locked)
        if (locked.period_start, locked.period_end) != (
            current.period_start,
            current.period_end,
        ):
            raise StaleVersion(
                "統計期間在帶入期間被變更，請重新按【自動帶入最新統計數字】",
                current_version=locked.version,
            )
        _apply_fill(locked, figures, actor=actor)
    logger.info("return %s filled by user %s", ret.pk, getattr(actor, "pk", None))
    return locked


def _apply_fill(ret: AnnualReturn, figures: SubtreeFigures, *, actor: Any) -> None:
    """Write computed values and sources to a locked draft, with its audit row."""
    computed = {
        key: to_stored(value)
        for key, value in figures.consolidated(ret.unit_id).items()
    }
    changes = {
        key: {"old": ret.computed.get(key), "new": computed[key]}
        for key in ALL_KEYS
        if ret.computed.get(key) != computed[key]
    }
    ret.computed = computed
    ret.sources = [source.as_json() for source in figures.sources(ret.unit_id)]
    ret.filled_at = timezone.now()
    ret.filled_by = _actor_or_none(actor)
    ret.version += 1
    ret.save()
    record_audit(
        actor=actor,
        action="return.fill",
        target=ret,
        unit_id=ret.unit_id,
        changes=changes,
    )


# --- save ------------------------------------------------------------------------


def _check_entered(key: str, value: Decimal) -> None:
    item = ITEMS[key]
    if value < 0:
        raise Invalid([CellProblem((key,), f"{item.full_label}：不可為負數")])
    if item.kind is not Kind.HOURS and value != value.to_integral_value():
        raise Invalid([CellProblem((key,), f"{item.full_label}：必須為整數")])


def save_return(
    ret: AnnualReturn,
    values: Mapping[str, Decimal | None],
    *,
    actor: Any,
    expected_version: int | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> AnnualReturn:
    """Save hand edits to a draft (W → W): 暫時存檔.

    `values` maps item keys to a stored value (minutes for hours), or None to
    drop the hand edit and use the computed value again. A value equal to the
    computed one is not a hand edit. With `expected_version`, a draft changed
    since that version is refused (StaleVersion) and nothing is written.
    A new `period` clears the auto-fill: the draft must be filled again.
    """
    _require_filer(actor, ret.unit)
    for key, value in values.items():
        if key not in ITEMS:
            raise BadInput(f"未知的項目：{key}")
        if value is not None:
            _check_entered(key, value)
    with transaction.atomic(), service_write():
        locked = _lock(ret)
        _require_draft(locked)
        _check_version(locked, expected_version)
        before_values = locked.values()
        before_entered = dict(locked.entered)
        entered = dict(locked.entered)
        for key, value in values.items():
            computed = locked.computed.get(key)
            if value is None or (computed is not None and Decimal(computed) == value):
                entered.pop(key, None)
            else:
                entered[key] = to_stored(value)
        locked.entered = entered
        after_values = locked.values()
        changes: dict[str, Any] = {
            key: {
                "old": to_stored(before_values[key]),
                "new": to_stored(after_values[key]),
                "hand": key in entered,
            }
            for key in ALL_KEYS
            if before_values[key] != after_values[key]
            or (key in before_entered) != (key in entered)
        }
        if period is not None and period != (locked.period_start, locked.period_end):
            check_period(locked.year, *period)
            changes["period"] = {
                "old": _period_json(locked.period_start, locked.period_end),
                "new": _period_json(*period),
            }
            locked.period_start, locked.period_end = period
            locked.filled_at = None  # the computed values are of the old period
        if changes:
            locked.version += 1
        locked.saved_at = timezone.now()
        locked.saved_by = _actor_or_none(actor)
        locked.save()
        record_audit(
            actor=actor,
            action="return.save",
            target=locked,
            unit_id=locked.unit_id,
            changes=changes,
        )
    logger.info("return %s saved by user %s", ret.pk, getattr(actor, "pk", None))
    return locked


# --- submit ----------------------------------------------------------------------


def submission_warnings(ret: AnnualReturn, values: dict[str, Decimal]) -> list[str]:
    """What the clerk must confirm: > 50 % changes and children not submitted."""
    warnings = trend_warnings(
        values, previous_year_values(ret.unit, ret.year), ret.year
    )
    counts, current = child_statuses(ret.unit, ret.year)
    pending = counts["N"] + counts["W"]
    if pending:
        warnings.append(
            f"下層單位尚有 {pending} 個未提交（N 無動作 {counts['N']}、W 產製中 "
            f"{counts['W']}），其數字以即時資料計入"
        )
    used = {source["unit_id"]: source["status"] for source in ret.sources}
    if any(used.get(unit_id, status) != status for unit_id, status in current.items()):
        warnings.append(
            "下層單位的填報狀態在上次自動帶入後已變更，建議重新按【自動帶入最新統計數字】"
        )
    return warnings


def submit_return(
    ret: AnnualReturn,
    *,
    actor: Any,
    expected_version: int | None = None,
    confirm_warnings: bool = False,
    note: str = "",
) -> ReturnSubmission:
    """Submit and lock a draft (W → Y), keeping a frozen copy of every figure.

    Refused when a check fails (Invalid, naming the cells) or, unless
    `confirm_warnings`, when there are warnings (NeedsConfirmation).
    """
    _require_filer(actor, ret.unit)
    with transaction.atomic(), service_write():
        locked = _lock(ret)
        _require_draft(locked)
        _check_version(locked, expected_version)
        if locked.filled_at is None:
            raise Refused(
                f"{return_label(locked)}尚未自動帶入（或統計期間已變更），"
                "請先按【自動帶入最新統計數字】再提交"
            )
        values = locked.values()
        problems = validation_problems(values)
        if problems:
            raise Invalid(problems)
        warnings = submission_warnings(locked, values)
        if warnings and not confirm_warnings:
            raise NeedsConfirmation(warnings)
        now = timezone.now()
        submission = ReturnSubmission(
            annual_return=locked,
            number=locked.submissions.count() + 1,
            submitted_at=now,
            submitted_by=_actor_or_none(actor),
            form=locked.form,
            period_start=locked.period_start,
            period_end=locked.period_end,
            computed=dict(locked.computed),
            entered=dict(locked.entered),
            values={key: to_stored(value) for key, value in values.items()},
            sources=list(locked.sources),
            warnings=warnings,
        )
        submission.save()
        locked.status = ReturnStatus.SUBMITTED
        locked.submitted_at = now
        locked.submitted_by = _actor_or_none(actor)
        locked.version += 1
        locked.save()
        reason = "；".join(filter(None, [note, *warnings]))
        record_audit(
            actor=actor,
            action="return.submit",
            target=locked,
            unit_id=locked.unit_id,
            changes={
                "status": {"old": "W", "new": "Y"},
                "submission": {"old": None, "new": submission.number},
            },
            reason=f"已確認：{reason}" if warnings else reason,
        )
    logger.info(
        "return %s submitted (#%s) by user %s",
        ret.pk,
        submission.number,
        getattr(actor, "pk", None),
    )
    return submission


# --- unlock ----------------------------------------------------------------------


def unlock_return(ret: AnnualReturn, *, actor: Any, reason: str) -> AnnualReturn:
    """Unlock a submitted return (Y → W) so its unit can edit and submit again.

    Only an upper unit may unlock (not the unit itself, nor a unit outside the
    tree), with a reason, and not while a return above it is submitted: that
    one has taken these figures and must be unlocked first.
    """
    unit = ret.unit
    if not is_in_scope(actor, unit):
        raise OutOfScope("查無此單位，或不在您的權限範圍內")
    if not getattr(actor, "can_edit", False):
        raise NotPermitted("您的帳號為檢視者，不能解除鎖定")
    if not actor.is_superuser and actor.unit_id == unit.pk:
        raise NotPermitted(
            f"不能解除本單位自己的統計表；請洽{upper_unit_label(unit)}解除鎖定"
        )
    reason = reason.strip()
    if not reason:
        raise BadInput("請填寫解除鎖定的原因")
    with transaction.atomic(), service_write():
        locked = _lock(ret)
        if not locked.is_locked:
            raise Refused(
                f"{return_label(locked)}目前為 W 產製中（尚未提交），不需解除鎖定"
            )
        above = (
            AnnualReturn.objects.filter(
                year=locked.year,
                unit_id__in=locked.unit.ancestor_ids()[:-1],
                status=ReturnStatus.SUBMITTED,
            )
            .select_related("unit")
            .order_by("unit__depth")
            .first()
        )
        if above is not None:
            raise Refused(
                f"上層單位「{above.unit.name}」的 {format_roc_year(above.year)}"
                f"統計表已於 {when_label(above.submitted_at)} 提交，已採用本表數字；"
                "請先解除該表的鎖定，再解除本表"
            )
        locked.status = ReturnStatus.DRAFT
        locked.unlocked_at = timezone.now()
        locked.unlocked_by = _actor_or_none(actor)
        locked.unlock_reason = reason
        locked.version += 1
        locked.save()
        record_audit(
            actor=actor,
            action="return.unlock",
            target=locked,
            unit_id=locked.unit_id,
            changes={"status": {"old": "Y", "new": "W"}},
            reason=reason,
        )
    logger.info("return %s unlocked by user %s", ret.pk, getattr(actor, "pk", None))
    return locked


@dataclass
class BatchResult:
    """Per-unit outcome of a batch: done, or the reason it was not."""

    done: list[AnnualReturn] = field(default_factory=list)
    refused: list[tuple[Unit, str]] = field(default_factory=list)
    skipped: list[tuple[Unit, str]] = field(default_factory=list)


def unlock_returns(
    returns: Iterable[AnnualReturn], *, actor: Any, reason: str
) -> BatchResult:
    """Unlock several returns, top-down so a parent opens before its child.

    Each unlock is its own transaction; the result says which were refused
    and why.
    """
    result = BatchResult()
    for ret in sorted(returns, key=lambda r: (r.unit.depth, r.unit.code)):
        try:
            result.done.append(unlock_return(ret, actor=actor, reason=reason))
        except ReturnError as error:
            result.refused.append((ret.unit, error.message))
    return result


def submit_backlog(
    root: Unit,
    year: int,
    *,
    actor: Any,
    period: tuple[dt.date, dt.date] | None = None,
) -> BatchResult:
    """Create, auto-fill and submit the return of every unit in `root`'s subtree
    that files for `year` and has none yet (N), bottom-up, in one transaction.

    For turning the workflow on for past years. Drafts (W) and submitted
    returns (Y) are left as they are and listed as skipped. One pass of the
    counting queries serves every unit: each child is submitted with its live
    figures, which are then exactly what its parent consolidates.
    """
    _require_filer(actor, root)
    if not files_returns(root):
        raise BadInput(f"{root.name}是志工隊，不需填報統計表")
    check_year(year)
    start, end = period or default_period(year)
    check_period(year, start, end)
    result = BatchResult()
    units = list(
        Unit.objects.filter(path__startswith=root.path)
        .exclude(level=Level.TEAM)
        .order_by("-depth", "code")
    )
    existing = dict(
        AnnualReturn.objects.filter(year=year, unit__in=units).values_list(
            "unit_id", "status"
        )
    )
    day = year_end(year)
    with transaction.atomic():
        figures = SubtreeFigures(root, year, start, end)
        for unit in units:
            if not exists_on(unit.opened_on, unit.closed_on, day):
                continue
            if unit.pk in existing:
                status = existing[unit.pk]
                result.skipped.append((unit, f"已有統計表（{STATUS_LABELS[status]}）"))
                continue
            ret = create_return(
                unit, year, actor=actor, period_start=start, period_end=end
            )
            with service_write():
                _apply_fill(_lock(ret), figures, actor=actor)
            submission = submit_return(
                ret, actor=actor, confirm_warnings=True, note="批次提交"
            )
            figures.mark_submitted(unit.pk, submission)
            result.done.append(ret)
    logger.info(
        "backlog for unit %s year %s: %s submitted, %s skipped",
        root.pk,
        year,
        len(result.done),
        len(result.skipped),
    )
    return result
