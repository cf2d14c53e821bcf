"""Who may do what from which state: one test per cell of the table in
docs/decisions/0008-annual-returns.md, then the refusals one by one.

The return is 甲市立醫院 (A110) 113年度. Actors: its own clerk, the clerk of
甲市政府 above it, a viewer of 甲市政府, the clerk of 乙縣政府 (outside the
tree) and a superuser.
"""

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Personas, Tree
from tests.returns.conftest import YEAR, Crowd, reload
from vsis.audit.models import AuditEntry
from vsis.returns.errors import (
    BadInput,
    Locked,
    NotPermitted,
    OutOfScope,
    Refused,
    StaleVersion,
)
from vsis.returns.models import AnnualReturn, ReturnStatus, ReturnWriteRefused
from vsis.returns.services import (
    create_return,
    fill_return,
    require_return,
    save_return,
    submit_return,
    unlock_return,
)

OK = "ok"


def make_state(state: str, tree: Tree, personas: Personas) -> None:
    if state == "N":
        return
    ret = create_return(tree.hospital, YEAR, actor=personas.unit_clerk)
    ret = fill_return(ret, actor=personas.unit_clerk)
    if state == "Y":
        submit_return(ret, actor=personas.unit_clerk)


def attempt(verb: str, tree: Tree, actor: Any) -> None:
    """Do `verb` on A110's 2024 return the way the pages and the CLI do."""
    if verb == "create":
        create_return(tree.hospital, YEAR, actor=actor)
        return
    ret = require_return(tree.hospital, YEAR, actor=actor)
    if verb == "fill":
        fill_return(ret, actor=actor)
    elif verb == "save":
        save_return(ret, {"funding": Decimal(12000)}, actor=actor)
    elif verb == "submit":
        submit_return(ret, actor=actor, confirm_warnings=True)
    elif verb == "unlock":
        unlock_return(ret, actor=actor, reason="更正服務時數")


ACTORS = ("own", "upper", "viewer", "outsider", "superuser")
# verb, state -> outcome per actor, in the order of ACTORS
TABLE: dict[tuple[str, str], tuple[Any, ...]] = {
    ("create", "N"): (OK, OK, NotPermitted, OutOfScope, OK),
    ("create", "W"): (Refused, Refused, NotPermitted, OutOfScope, Refused),
    ("create", "Y"): (Refused, Refused, NotPermitted, OutOfScope, Refused),
    ("fill", "N"): (Refused, Refused, Refused, OutOfScope, Refused),
    ("fill", "W"): (OK, OK, NotPermitted, OutOfScope, OK),
    ("fill", "Y"): (Locked, Locked, NotPermitted, OutOfScope, Locked),
    ("save", "N"): (Refused, Refused, Refused, OutOfScope, Refused),
    ("save", "W"): (OK, OK, NotPermitted, OutOfScope, OK),
    ("save", "Y"): (Locked, Locked, NotPermitted, OutOfScope, Locked),
    ("submit", "N"): (Refused, Refused, Refused, OutOfScope, Refused),
    ("submit", "W"): (OK, OK, NotPermitted, OutOfScope, OK),
    ("submit", "Y"): (Locked, Locked, NotPermitted, OutOfScope, Locked),
    ("unlock", "N"): (Refused, Refused, Refused, OutOfScope, Refused),
    ("unlock", "W"): (NotPermitted, Refused, NotPermitted, OutOfScope, Refused),
    ("unlock", "Y"): (NotPermitted, OK, NotPermitted, OutOfScope, OK),
}
AFTER = {"create": "W", "fill": "W", "save": "W", "submit": "Y", "unlock": "W"}
CELLS = [
    (verb, state, actor, outcome)
    for (verb, state), outcomes in TABLE.items()
    for actor, outcome in zip(ACTORS, outcomes, strict=True)
]


def _status(tree: Tree) -> str:
    ret = AnnualReturn.objects.filter(unit=tree.hospital, year=YEAR).first()
    return ret.status if ret else "N"


@pytest.mark.parametrize(
    ("verb", "state", "actor_name", "outcome"),
    CELLS,
    ids=[f"{v}-{s}-{a}" for v, s, a, _ in CELLS],
)
def test_transition_table(
    crowd: Crowd,
    personas: Personas,
    verb: str,
    state: str,
    actor_name: str,
    outcome: Any,
) -> None:
    tree = crowd.wide.tree
    make_state(state, tree, personas)
    actor = {
        "own": personas.unit_clerk,
        "upper": personas.county_clerk,
        "viewer": personas.viewer,
        "outsider": personas.other_county_clerk,
        "superuser": personas.superuser,
    }[actor_name]
    audit_rows = AuditEntry.objects.count()
    if outcome == OK:
        attempt(verb, tree, actor)
        assert _status(tree) == AFTER[verb]
        assert AuditEntry.objects.count() == audit_rows + 1
    else:
        with pytest.raises(outcome) as caught:
            attempt(verb, tree, actor)
        assert type(caught.value) is outcome  # not a subclass standing in
        assert caught.value.message  # every refusal says why, in words
        assert _status(tree) == state  # nothing changed
        assert AuditEntry.objects.count() == audit_rows


def test_the_table_has_every_cell() -> None:
    verbs = {"create", "fill", "save", "submit", "unlock"}
    assert {(v, s) for v, s in TABLE} == {(v, s) for v in verbs for s in "NWY"}


# --- refusals say why ------------------------------------------------------------


@pytest.fixture
def submitted(crowd: Crowd, personas: Personas) -> AnnualReturn:
    tree = crowd.wide.tree
    personas.unit_clerk.first_name = "王小明"
    personas.unit_clerk.save()
    ret = create_return(tree.hospital, YEAR, actor=personas.unit_clerk)
    ret = fill_return(ret, actor=personas.unit_clerk)
    submit_return(ret, actor=personas.unit_clerk)
    return reload(ret)


def _when(ret: AnnualReturn) -> str:
    from django.utils import timezone

    local = timezone.localtime(ret.submitted_at)
    return f"{local.year - 1911}/{local:%m/%d %H:%M}"


def test_submitting_twice_names_who_when_and_who_can_unlock(
    submitted: AnnualReturn, personas: Personas
) -> None:
    with pytest.raises(Locked) as caught:
        submit_return(submitted, actor=personas.unit_clerk)
    message = caught.value.message
    assert "甲市立醫院 113年度統計表" in message
    assert "王小明（hospital_clerk）" in message
    assert _when(submitted) in message
    assert "上層單位「甲市政府社會局」解除鎖定" in message
    assert reload(submitted).submissions.count() == 1


def test_editing_while_locked_is_refused_and_changes_nothing(
    submitted: AnnualReturn, personas: Personas
) -> None:
    before = dict(reload(submitted).entered)
    with pytest.raises(Locked, match="提交並鎖定"):
        save_return(submitted, {"funding": Decimal(5)}, actor=personas.county_clerk)
    with pytest.raises(Locked, match="上層單位「甲市政府社會局」"):
        fill_return(submitted, actor=personas.superuser)
    assert reload(submitted).entered == before


def test_the_unit_cannot_unlock_itself(
    submitted: AnnualReturn, personas: Personas
) -> None:
    with pytest.raises(NotPermitted) as caught:
        unlock_return(submitted, actor=personas.unit_clerk, reason="自己改")
    assert "不能解除本單位自己的統計表" in caught.value.message
    assert "甲市政府社會局" in caught.value.message
    assert reload(submitted).status == ReturnStatus.SUBMITTED


def test_a_unit_outside_the_tree_cannot_unlock(
    submitted: AnnualReturn, personas: Personas
) -> None:
    with pytest.raises(OutOfScope):
        unlock_return(submitted, actor=personas.other_county_clerk, reason="x")
    assert reload(submitted).status == ReturnStatus.SUBMITTED


def test_unlocking_needs_a_reason(submitted: AnnualReturn, personas: Personas) -> None:
    for reason in ("", "   ", "\n"):
        with pytest.raises(BadInput, match="請填寫解除鎖定的原因"):
            unlock_return(submitted, actor=personas.county_clerk, reason=reason)
    assert reload(submitted).status == ReturnStatus.SUBMITTED


def test_unlocking_refused_while_a_return_above_has_taken_it(
    submitted: AnnualReturn, crowd: Crowd, personas: Personas
) -> None:
    tree = crowd.wide.tree
    bureau = create_return(tree.bureau_a, YEAR, actor=personas.county_clerk)
    bureau = fill_return(bureau, actor=personas.county_clerk)
    submit_return(bureau, actor=personas.county_clerk, confirm_warnings=True)
    with pytest.raises(Refused) as caught:
        unlock_return(submitted, actor=personas.county_clerk, reason="更正")
    assert "上層單位「甲市政府社會局」的 113年度統計表已於" in caught.value.message
    assert "請先解除該表的鎖定" in caught.value.message
    # Top-down works: the bureau first (by the county), then the hospital.
    unlock_return(bureau, actor=personas.county_clerk, reason="下層更正")
    unlock_return(submitted, actor=personas.county_clerk, reason="更正")
    assert reload(submitted).status == ReturnStatus.DRAFT


def test_the_root_is_unlocked_by_the_system_administrator(
    crowd: Crowd, personas: Personas
) -> None:
    from tests.conftest import make_user
    from vsis.units.models import Role

    tree = crowd.wide.tree
    mohw = make_user("mohw_clerk", tree.central, Role.CLERK)
    ret = create_return(tree.central, YEAR, actor=mohw)
    ret = fill_return(ret, actor=mohw)
    submit_return(ret, actor=mohw, confirm_warnings=True)
    with pytest.raises(NotPermitted, match="請洽系統管理者解除鎖定"):
        unlock_return(ret, actor=mohw, reason="x")
    unlock_return(ret, actor=personas.superuser, reason="年度結算更正")
    assert reload(ret).status == ReturnStatus.DRAFT


def test_a_stale_version_is_refused_and_nothing_is_lost(
    crowd: Crowd, personas: Personas
) -> None:
    tree = crowd.wide.tree
    ret = create_return(tree.hospital, YEAR, actor=personas.unit_clerk)
    ret = fill_return(ret, actor=personas.unit_clerk)
    seen = ret.version
    save_return(
        ret,
        {"funding": Decimal(100)},
        actor=personas.county_clerk,
        expected_version=seen,
    )
    with pytest.raises(StaleVersion) as caught:
        save_return(
            ret,
            {"persons_served": Decimal(7)},
            actor=personas.unit_clerk,
            expected_version=seen,
        )
    assert caught.value.current_version == seen + 1
    assert "county_clerk" in caught.value.message
    assert f"第 {seen + 1} 版" in caught.value.message
    current = reload(ret)
    assert current.entered == {"funding": "100"}  # the first save stands
    with pytest.raises(StaleVersion):
        submit_return(ret, actor=personas.unit_clerk, expected_version=seen)


def test_creating_needs_a_filing_unit_and_a_sane_period(
    crowd: Crowd, personas: Personas
) -> None:
    import datetime as dt

    tree = crowd.wide.tree
    with pytest.raises(BadInput, match="志工隊，不需填報"):
        create_return(tree.hospital_team, YEAR, actor=personas.unit_clerk)
    with pytest.raises(BadInput, match="不可晚於"):
        create_return(
            tree.hospital,
            YEAR,
            actor=personas.unit_clerk,
            period_start=dt.date(2024, 6, 1),
            period_end=dt.date(2024, 5, 31),
        )
    with pytest.raises(BadInput, match="113年度 之內"):
        create_return(
            tree.hospital,
            YEAR,
            actor=personas.unit_clerk,
            period_end=dt.date(2025, 1, 1),
        )
    with pytest.raises(BadInput, match="年度須介於"):
        create_return(tree.hospital, 2999, actor=personas.unit_clerk)
    tree.library.closed_on = dt.date(2024, 6, 30)
    tree.library.save()
    with pytest.raises(BadInput, match="不存在（尚未成立或已裁撤）"):
        create_return(tree.library, YEAR, actor=personas.county_clerk)
    assert not AnnualReturn.objects.exists()


def test_a_return_cannot_be_written_outside_the_services(
    submitted: AnnualReturn,
) -> None:
    submitted.status = ReturnStatus.DRAFT
    with pytest.raises(ReturnWriteRefused):
        submitted.save()
    with pytest.raises(ReturnWriteRefused):
        submitted.delete()
    with pytest.raises(ReturnWriteRefused):
        submitted.submissions.get().save()
    assert reload(submitted).status == ReturnStatus.SUBMITTED
