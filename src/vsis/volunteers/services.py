"""State changes of volunteers and what belongs to them, each with its audit row.

Each function takes `actor` (None for the system), checks the actor may edit
and that the person and teams are in its scope, validates, writes and records
the audit entry in one transaction. Bad data is a ValidationError with a
Chinese message keyed by field; a right the actor lacks is a PermissionDenied.

The audit trail outlives the person's record and keeps old values, so it never
holds personal data: for a volunteer's fields and for identifying numbers
(紀錄冊編號, 榮譽卡號, 保單號碼) it keeps the names of the changed fields only
(see docs/decisions/0006). Memberships, trainings and the like keep their
values: they are the administrative facts the statistics count, tied to the
person by a database id only.
"""

import datetime as dt
import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from vsis.audit.services import record_audit
from vsis.core.national_id import is_valid_taiwan_id, normalise_id, sex_digit
from vsis.core.rocdate import format_roc
from vsis.units.models import Level, Unit
from vsis.units.scope import is_in_scope, require_edit, scope_filter
from vsis.units.services import redacted_diff
from vsis.volunteers.models import (
    Award,
    HonourCard,
    IdKind,
    Insurance,
    Membership,
    MembershipStatus,
    RecordBook,
    Training,
    Volunteer,
)
from vsis.volunteers.queries import (
    covering_membership_q,
    has_memberships_outside_scope,
    is_volunteer_in_scope,
    overlapping_memberships,
    span_covers,
)

logger = logging.getLogger(__name__)

VOLUNTEER_FIELDS = (
    "national_id",
    "id_kind",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "education",
    "is_indigenous",
    "is_new_resident",
    "skills",
)
# Every field of a volunteer is about the person.
_VOLUNTEER_PERSONAL = frozenset(VOLUNTEER_FIELDS)
_MEMBERSHIP_FIELDS = ("volunteer_id", "team_id", "joined_on", "left_on", "status")

VolunteerDetail = Training | RecordBook | Insurance | HonourCard | Award
_DETAIL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Training: ("kind", "category_id", "completed_on", "provider", "hours"),
    RecordBook: ("number", "issued_on", "issuing_unit_id", "status", "cancelled_on"),
    Insurance: ("starts_on", "ends_on", "insurer", "policy_number"),
    HonourCard: ("number", "issued_on", "valid_until", "issuing_unit_id"),
    Award: ("name", "awarded_on", "awarding_unit_id"),
}
_DETAIL_UNIT_FIELD: dict[type[models.Model], str] = {
    RecordBook: "issuing_unit",
    HonourCard: "issuing_unit",
    Award: "awarding_unit",
}
# Numbers that identify a person as surely as the ID does.
_DETAIL_PERSONAL = frozenset({"number", "policy_number"})

_CITIZEN = re.compile(r"^[A-Z][12]\d{8}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal: JSON has no exact decimals
        return str(value)
    return value


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _actor_id(actor: Any) -> Any:
    return getattr(actor, "pk", None)


def _check_can_edit(actor: Any) -> None:
    if actor is not None:
        require_edit(actor)


def _check_team(actor: Any, team: Unit) -> None:
    if team.level != Level.TEAM:
        raise ValidationError({"team": "請選擇志工隊層級的單位"})
    if actor is not None and not is_in_scope(actor, team):
        raise PermissionDenied("此志工隊不在您的管轄範圍")


def _check_volunteer_scope(actor: Any, volunteer: Volunteer) -> None:
    if actor is not None and not is_volunteer_in_scope(actor, volunteer):
        raise PermissionDenied("此志工不在您的管轄範圍")


def home_team_id(volunteer_id: int, actor: Any = None) -> int | None:
    """The team an audit row about the person is filed under.

    The most recent membership the actor can see, so the entry shows in the
    trail of the unit whose clerk made the change and of every unit above it.
    """
    memberships = Membership.objects.filter(volunteer_id=volunteer_id)
    if actor is not None:
        memberships = memberships.filter(scope_filter(actor, "team"))
    return (
        memberships.order_by("-joined_on", "-pk")
        .values_list("team_id", flat=True)
        .first()
    )


# --- validation ------------------------------------------------------------------


def id_number_error(value: str, kind: str) -> str | None:
    """Why a normalised ID number of `kind` is not valid, or None."""
    if not value:
        return "請填寫身分證字號或證號"
    if kind == IdKind.PASSPORT:
        if not _PASSPORT.match(value):
            return "護照號碼只能有英文字母與數字，長度 5 至 20 碼"
        return None
    if kind == IdKind.NATIONAL and not _CITIZEN.match(value):
        return "身分證字號格式不正確：應為 1 個英文字母加 9 個數字，第二碼為 1 或 2"
    if kind == IdKind.RESIDENT and (
        _CITIZEN.match(value) or not re.match(r"^[A-Z][89A-D]\d{8}$", value)
    ):
        return (
            "居留證號碼格式不正確：應為 1 個英文字母，第二碼為 8、9 或 A 至 D，"
            "再加 8 個數字"
        )
    if not is_valid_taiwan_id(value):
        return "證號檢查碼不正確，請再核對一次"
    return None


def check_volunteer(volunteer: Volunteer) -> None:
    """The ID (shape, check digit, unique), sex against the ID, birth date."""
    errors: dict[str, str] = {}
    volunteer.national_id = normalise_id(volunteer.national_id or "")
    if message := id_number_error(volunteer.national_id, volunteer.id_kind):
        errors["national_id"] = message
    elif (
        Volunteer.objects.filter(national_id=volunteer.national_id)
        .exclude(pk=volunteer.pk)
        .exists()
    ):
        errors["national_id"] = (
            "此證號已有志工資料（可能在其他單位服務）。若此人要加入您的志工隊，"
            "請到「隊員資格」新增，並以證號指定志工"
        )
    digit_sex = (
        sex_digit(volunteer.national_id) if "national_id" not in errors else None
    )
    if digit_sex is not None and volunteer.sex and volunteer.sex != digit_sex:
        errors["sex"] = "性別與證號第二碼不符（1、8 為男，2、9 為女）"
    if volunteer.birth_date and volunteer.birth_date > timezone.localdate():
        errors["birth_date"] = "出生日期不可晚於今天"
    if not (volunteer.name or "").strip():
        errors["name"] = "請填寫姓名"
    if errors:
        raise ValidationError(errors)


def check_membership(
    membership: Membership, *, exclude_ids: list[int] | None = None
) -> None:
    """Leave date after joining; no overlap with the person's other spans there."""
    if membership.left_on and membership.left_on < membership.joined_on:
        raise ValidationError({"left_on": "離隊日期不可早於加入日期"})
    ids = list(exclude_ids or [])
    if membership.pk is not None:
        ids.append(membership.pk)
    clash = overlapping_memberships(
        membership.volunteer_id,
        membership.team_id,
        membership.joined_on,
        membership.left_on,
        exclude_ids=ids,
    ).first()
    if clash is not None:
        raise ValidationError({"joined_on": overlap_message(clash)})


def overlap_message(other: Membership) -> str:
    until = format_roc(other.left_on) if other.left_on else "今"
    return (
        f"此志工在同一志工隊已有 {format_roc(other.joined_on)} 至 {until} 的隊員資格，"
        "期間不可重疊（前一段請先填離隊日期，新的加入日期須晚於離隊日期）"
    )


def _check_records_covered(volunteer_id: int, team_id: int) -> None:
    """Every service record of the person in the team lies in one of their spans."""
    # hours sits above volunteers; the import is local so that volunteers'
    # models stay free of it. A membership change must not strand records.
    from vsis.hours.models import ServiceRecord

    covering = Membership.objects.filter(
        volunteer_id=OuterRef("volunteer_id"), team_id=OuterRef("team_id")
    ).filter(covering_membership_q(OuterRef("served_on")))
    stranded = (
        ServiceRecord.objects.filter(volunteer_id=volunteer_id, team_id=team_id)
        .exclude(Exists(covering))
        .order_by("served_on")
    )
    first = stranded.values_list("served_on", flat=True).first()
    if first is not None:
        count = stranded.count()
        raise ValidationError(
            f"此志工在該隊有 {count} 筆服務紀錄（最早 {format_roc(first)}）"
            "會落在隊員資格期間之外，請先修改或刪除那些服務紀錄"
        )


Span = tuple[dt.date, dt.date | None, str]


def uncovered_service_days(
    volunteer_id: int, team_id: int, spans: list[Span]
) -> list[dt.date]:
    """Days the person served in the team that none of `spans` would cover.

    For a form about to change memberships: `spans` are (joined, left, status)
    of every membership of the person in the team as they would be saved.
    """
    from vsis.hours.models import ServiceRecord

    days = (
        ServiceRecord.objects.filter(volunteer_id=volunteer_id, team_id=team_id)
        .order_by("served_on")
        .values_list("served_on", flat=True)
        .distinct()
    )
    return [day for day in days if not any(span_covers(*span, day) for span in spans)]


def uncovered_message(days: list[dt.date]) -> str:
    return (
        f"此志工在該隊有 {len(days)} 天的服務紀錄（最早 {format_roc(days[0])}）"
        "會落在隊員資格期間之外，請先修改或刪除那些服務紀錄"
    )


# --- volunteers ----------------------------------------------------------------


def save_volunteer(
    volunteer: Volunteer, *, actor: Any, first_membership: Membership | None = None
) -> Volunteer:
    """Create a volunteer with their first membership, or change one.

    A new person needs `first_membership` (unsaved, of a team in the actor's
    scope): without one the person would be in no one's scope. A change of sex
    is carried into the service tallies in the same transaction.
    """
    _check_can_edit(actor)
    with transaction.atomic():
        previous = None
        if volunteer.pk is None:
            if first_membership is None:
                raise ValidationError("新增志工時須同時指定加入的志工隊")
            _check_team(actor, first_membership.team)
        else:
            _check_volunteer_scope(actor, volunteer)
            previous = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
            _check_identity_change(actor, previous, volunteer)
        check_volunteer(volunteer)
        volunteer.full_clean(validate_unique=False)
        volunteer.save()
        before = _snapshot(previous, VOLUNTEER_FIELDS) if previous is not None else {}
        changes = redacted_diff(
            before, _snapshot(volunteer, VOLUNTEER_FIELDS), _VOLUNTEER_PERSONAL
        )
        if previous is not None and previous.sex != volunteer.sex:
            # The tallies copy the sex so reports need no join (decision 0002).
            from vsis.hours.services import refresh_volunteer_sex

            refresh_volunteer_sex(volunteer.pk, volunteer.sex)
        if previous is None or changes:
            record_audit(
                actor=actor,
                action="volunteer.create" if previous is None else "volunteer.update",
                target=volunteer,
                unit_id=(
                    first_membership.team_id
                    if first_membership is not None and previous is None
                    else home_team_id(volunteer.pk, actor)
                ),
                changes=changes,
            )
        if first_membership is not None and previous is None:
            first_membership.volunteer = volunteer
            _save_membership(first_membership, actor=actor, action="membership.create")
    logger.info("volunteer %s saved by user %s", volunteer.pk, _actor_id(actor))
    return volunteer


# Who the person is: what the reports count them by, and what the other
# units that record them know them as.
IDENTITY_FIELDS = ("national_id", "id_kind", "name", "sex", "birth_date")
IDENTITY_ELSEWHERE = (
    "此志工也在您管轄範圍外的志工隊服務，證號、姓名、性別與出生日期須由上層單位更正"
)


def _check_identity_change(
    actor: Any, previous: Volunteer, volunteer: Volunteer
) -> None:
    """A unit corrects who a person is only when it sees every team they serve
    in: otherwise the change would move another county's figures (the same
    rule as the import's 更正個人資料)."""
    changed = [
        name
        for name in IDENTITY_FIELDS
        if getattr(previous, name) != getattr(volunteer, name)
    ]
    if (
        changed
        and actor is not None
        and has_memberships_outside_scope(actor, volunteer)
    ):
        raise ValidationError({name: IDENTITY_ELSEWHERE for name in changed})


def delete_volunteer(volunteer: Volunteer, *, actor: Any) -> None:
    """Delete a person with all their memberships and details.

    Refused while the person serves in a team outside the actor's scope (end
    the membership instead) or has service records (they are the figures).
    """
    from vsis.hours.models import ServiceRecord

    _check_can_edit(actor)
    _check_volunteer_scope(actor, volunteer)
    if actor is not None and has_memberships_outside_scope(actor, volunteer):
        raise PermissionDenied("此志工也在其他單位服務，不能刪除；請改為結束隊員資格")
    with transaction.atomic():
        if ServiceRecord.objects.filter(volunteer_id=volunteer.pk).exists():
            raise ValidationError("此志工已有服務紀錄，不能刪除；請改為結束隊員資格")
        volunteer_id = volunteer.pk
        unit_id = home_team_id(volunteer_id, actor)
        memberships = Membership.objects.filter(volunteer_id=volunteer_id).count()
        volunteer.delete()
        record_audit(
            actor=actor,
            action="volunteer.delete",
            target_type=Volunteer._meta.label_lower,
            target_id=volunteer_id,
            unit_id=unit_id,
            changes={"memberships": {"old": memberships, "new": 0}},
        )
    logger.info("volunteer %s deleted by user %s", volunteer_id, _actor_id(actor))


# --- memberships -----------------------------------------------------------------


def _save_membership(membership: Membership, *, actor: Any, action: str) -> Membership:
    previous = None
    if membership.pk is not None:
        previous = Membership.objects.select_for_update().get(pk=membership.pk)
        if previous.volunteer_id != membership.volunteer_id:
            raise ValidationError("不能變更隊員資格所屬的志工")
        _check_team(actor, previous.team)
    _check_team(actor, membership.team)
    # Lock the person so two clerks cannot add overlapping spans at once.
    Volunteer.objects.select_for_update().filter(pk=membership.volunteer_id).exists()
    check_membership(membership)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    membership.save()
    _check_records_covered(membership.volunteer_id, membership.team_id)
    if previous is not None and previous.team_id != membership.team_id:
        _check_records_covered(membership.volunteer_id, previous.team_id)
    before = _snapshot(previous, _MEMBERSHIP_FIELDS) if previous is not None else {}
    changes = redacted_diff(
        before, _snapshot(membership, _MEMBERSHIP_FIELDS), frozenset()
    )
    if previous is None or changes:
        record_audit(
            actor=actor,
            action=action,
            target=membership,
            unit_id=membership.team_id,
            changes=changes,
        )
    return membership


def save_membership(membership: Membership, *, actor: Any) -> Membership:
    """Create or change one membership (隊員資格), with audit.

    The person must be in the actor's scope or, for a person who serves
    elsewhere, be named by their full ID (see the membership form): the new
    membership is what brings them into the scope.
    """
    _check_can_edit(actor)
    with transaction.atomic():
        saved = _save_membership(
            membership,
            actor=actor,
            action="membership.create"
            if membership.pk is None
            else "membership.update",
        )
    logger.info("membership %s saved by user %s", saved.pk, _actor_id(actor))
    return saved


def end_membership(
    membership: Membership,
    *,
    left_on: dt.date,
    actor: Any,
    status: str = MembershipStatus.QUIT,
) -> Membership:
    """離隊: close a running membership on `left_on` (the person counts that day)."""
    _check_can_edit(actor)
    if membership.left_on is not None:
        raise ValidationError(
            {"left_on": f"此隊員資格已於 {format_roc(membership.left_on)} 離隊"}
        )
    membership.left_on = left_on
    membership.status = status
    with transaction.atomic():
        saved = _save_membership(membership, actor=actor, action="membership.end")
    logger.info("membership %s ended by user %s", saved.pk, _actor_id(actor))
    return saved


def delete_membership(membership: Membership, *, actor: Any) -> None:
    """Remove a membership entered by mistake (to record leaving, end it instead).

    The person's only membership cannot go (they would drop out of every
    scope), nor one whose span holds service records.
    """
    _check_can_edit(actor)
    _check_team(actor, membership.team)
    with transaction.atomic():
        Volunteer.objects.select_for_update().filter(
            pk=membership.volunteer_id
        ).exists()
        others = Membership.objects.filter(
            volunteer_id=membership.volunteer_id
        ).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError(
                "這是此志工唯一的隊員資格，不能刪除；若此人已離隊請填離隊日期，"
                "若整筆志工資料是誤建請刪除志工"
            )
        membership_id, team_id = membership.pk, membership.team_id
        snapshot = _snapshot(membership, _MEMBERSHIP_FIELDS)
        membership.delete()
        _check_records_covered(snapshot["volunteer_id"], team_id)
        record_audit(
            actor=actor,
            action="membership.delete",
            target_type=Membership._meta.label_lower,
            target_id=membership_id,
            unit_id=team_id,
            changes=redacted_diff(snapshot, {}, frozenset()),
        )
    logger.info("membership %s deleted by user %s", membership_id, _actor_id(actor))


# --- trainings, record books, insurance, honour cards, awards ----------------------


def _check_detail(detail: Any, actor: Any, previous: Any) -> None:
    _check_volunteer_scope(actor, detail.volunteer)
    if previous is not None and previous.volunteer_id != detail.volunteer_id:
        raise ValidationError("不能變更此筆資料所屬的志工")
    unit_field = _DETAIL_UNIT_FIELD.get(type(detail))
    if actor is None or actor.is_superuser or unit_field is None:
        return
    unit = getattr(detail, unit_field)
    unchanged = previous is not None and getattr(previous, f"{unit_field}_id") == (
        unit.pk if unit else None
    )
    if unit is None or unchanged:
        return
    # An issuing unit may be the actor's own scope or a unit above it.
    if not (is_in_scope(actor, unit) or actor.unit.is_within(unit)):
        raise PermissionDenied("發證（頒發）單位不在您的管轄範圍")


def _detail_unit_id(detail: Any, actor: Any) -> int | None:
    unit_field = _DETAIL_UNIT_FIELD.get(type(detail))
    unit_id = getattr(detail, f"{unit_field}_id") if unit_field else None
    return unit_id or home_team_id(detail.volunteer_id, actor)


def save_volunteer_detail(detail: VolunteerDetail, *, actor: Any) -> VolunteerDetail:
    """Create or change a training, record book, insurance, honour card or award."""
    _check_can_edit(actor)
    model = type(detail)
    fields = ("volunteer_id", *_DETAIL_FIELDS[model])
    name = model._meta.model_name
    with transaction.atomic():
        previous = None
        if detail.pk is not None:
            previous = model._default_manager.select_for_update().get(pk=detail.pk)
        _check_detail(detail, actor, previous)
        detail.full_clean()
        detail.save()
        before = _snapshot(previous, fields) if previous is not None else {}
        changes = redacted_diff(before, _snapshot(detail, fields), _DETAIL_PERSONAL)
        if previous is None or changes:
            record_audit(
                actor=actor,
                action=f"{name}.create" if previous is None else f"{name}.update",
                target=detail,
                unit_id=_detail_unit_id(detail, actor),
                changes=changes,
            )
    logger.info("%s %s saved by user %s", name, detail.pk, _actor_id(actor))
    return detail


def delete_volunteer_detail(detail: VolunteerDetail, *, actor: Any) -> None:
    """Delete a training, record book, insurance, honour card or award."""
    _check_can_edit(actor)
    model = type(detail)
    name = model._meta.model_name
    _check_volunteer_scope(actor, detail.volunteer)
    with transaction.atomic():
        detail_id, unit_id = detail.pk, _detail_unit_id(detail, actor)
        snapshot = _snapshot(detail, ("volunteer_id", *_DETAIL_FIELDS[model]))
        detail.delete()
        record_audit(
            actor=actor,
            action=f"{name}.delete",
            target_type=model._meta.label_lower,
            target_id=detail_id,
            unit_id=unit_id,
            changes=redacted_diff(snapshot, {}, _DETAIL_PERSONAL),
        )
    logger.info("%s %s deleted by user %s", name, detail_id, _actor_id(actor))
