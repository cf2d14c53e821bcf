"""Consolidation up the tree, against figures worked out by hand.

The `crowd` fixture (tests/returns/conftest.py) puts, in 2024:
    A111 醫院志工隊    a M 64, b F 34     180 min, 2 records, 6 served
    A112 醫院導覽志工隊 c F 70             90 min, 1 record, 3 served
    A121 圖書館志工隊   d M 20             30 min, 1 record, 0 served
    A131 美術館志工隊   e F 10             45 min, 1 record, 2 served
    A101 社會局志工隊   f M 52             600 min, 1 record, 10 served
So 甲市立醫院 (A110) = 3 volunteers (1 M, 2 F), 270 min, 3 records, 9 served;
甲市立圖書館 (A120) = d; 甲市立美術館 (A130) = e; 甲市政府社會局 (A100) =
its own team A101 plus the three using units.
"""

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import Personas
from tests.returns.conftest import END, START, YEAR, Crowd, member, person, reload
from vsis.reports.queries import TeamSelection, team_age_counts, team_service_figures
from vsis.returns.consolidation import SubtreeFigures, form_for
from vsis.returns.items import ALL_KEYS, age_key
from vsis.returns.models import ReturnForm
from vsis.returns.services import (
    create_return,
    fill_return,
    save_return,
    submit_return,
)
from vsis.units.models import Level, Unit

D = dt.date


def figures(unit: Unit) -> dict[str, Decimal]:
    return SubtreeFigures(unit, YEAR, START, END).consolidated(unit.pk)


def test_a_using_unit_is_its_teams(crowd: Crowd) -> None:
    hospital = figures(crowd.wide.tree.hospital)
    expected = dict.fromkeys(ALL_KEYS, Decimal(0))
    expected.update(
        unit_count=Decimal(1),
        team_count=Decimal(2),
        volunteers_male=Decimal(1),
        volunteers_female=Decimal(2),
        volunteers=Decimal(3),
        hours=Decimal(270),  # minutes
        attendances=Decimal(3),
        persons_served=Decimal(9),
        **{
            age_key("male", 5): Decimal(1),  # a, 64
            age_key("female", 3): Decimal(1),  # b, 34
            age_key("female", 6): Decimal(1),  # c, 70
        },
    )
    assert hospital == expected


def test_with_no_hand_edits_a_return_equals_its_live_subtree(
    crowd: Crowd, personas: Personas
) -> None:
    tree = crowd.wide.tree
    ret = fill_return(
        create_return(tree.county_a, YEAR, actor=personas.county_clerk),
        actor=personas.county_clerk,
    )
    values = ret.values()
    # By hand: a..f are the six volunteers of 甲市政府's subtree.
    assert (values["volunteers_male"], values["volunteers_female"]) == (3, 3)
    assert values["hours"] == 120 + 60 + 90 + 30 + 45 + 600
    assert (values["attendances"], values["persons_served"]) == (6, 21)
    assert (values["unit_count"], values["team_count"]) == (3, 5)
    # And independently, straight from the per-team queries of reports.queries.
    selection = TeamSelection(tree.county_a)
    ages = team_age_counts(selection, END)
    service = team_service_figures(selection, START, END)
    assert values["volunteers"] == sum(row.total for row in ages.values())
    assert values["hours"] == sum(row.minutes for row in service.values())
    for index in range(7):
        assert values[age_key("male", index)] == sum(
            row.male[index] for row in ages.values()
        )


@pytest.fixture
def children_in_every_state(crowd: Crowd, personas: Personas) -> dict[str, object]:
    """Under 甲市政府社會局: A110 submitted (Y) with persons served edited to
    100, A120 a draft (W) with persons served edited to 50, A130 none (N)."""
    tree, clerk = crowd.wide.tree, personas.county_clerk
    hospital = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    hospital = save_return(hospital, {"persons_served": Decimal(100)}, actor=clerk)
    submit_return(hospital, actor=clerk)
    library = fill_return(create_return(tree.library, YEAR, actor=clerk), actor=clerk)
    save_return(library, {"persons_served": Decimal(50)}, actor=clerk)
    return {"hospital": hospital, "library": library}


def test_children_in_n_w_and_y(
    crowd: Crowd, personas: Personas, children_in_every_state: dict[str, object]
) -> None:
    tree = crowd.wide.tree
    bureau = fill_return(
        create_return(tree.bureau_a, YEAR, actor=personas.county_clerk),
        actor=personas.county_clerk,
    )
    values = bureau.values()
    # own team A101: 10; A110 submitted: 100 (its hand edit); A120 draft: its
    # live 0, not the 50 typed into the draft; A130 none: its live 2.
    assert values["persons_served"] == 10 + 100 + 0 + 2
    assert values["hours"] == 600 + 270 + 30 + 45
    sources = {s["code"]: (s["status"], s["source"]) for s in bureau.sources}
    assert sources == {
        "A110": ("Y", "submitted"),
        "A120": ("W", "live"),
        "A130": ("N", "live"),
    }
    # The county above: the bureau is only a draft, so its live figures are
    # used, computed the same way (taking A110's submitted 100).
    county = fill_return(
        create_return(tree.county_a, YEAR, actor=personas.county_clerk),
        actor=personas.county_clerk,
    )
    assert county.values()["persons_served"] == 112
    assert county.sources == [
        {
            "unit_id": tree.bureau_a.pk,
            "code": "A100",
            "name": "甲市政府社會局",
            "status": "W",
            "source": "live",
            "files_this_year": True,
            "period_differs": False,
        }
    ]


def test_a_submitted_child_is_frozen_against_later_data(
    crowd: Crowd, personas: Personas, children_in_every_state: dict[str, object]
) -> None:
    tree = crowd.wide.tree
    late = person("遲", "M", D(1980, 1, 1))
    member(late, tree.hospital_team, D(2024, 12, 1))  # after A110 submitted
    bureau = fill_return(
        create_return(tree.bureau_a, YEAR, actor=personas.county_clerk),
        actor=personas.county_clerk,
    )
    assert bureau.values()["volunteers"] == 6  # A110's submission still says 3
    assert figures(tree.hospital)["volunteers"] == 4  # its live figure


def test_refilling_keeps_hand_edits_and_refreshes_computed(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.unit_clerk
    ret = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    ret = save_return(
        ret, {"attendances": Decimal(30), "funding": Decimal(5000)}, actor=clerk
    )
    late = person("新", "F", D(2000, 1, 1))
    member(late, tree.guide_team, D(2024, 3, 1))
    ret = fill_return(ret, actor=clerk)
    assert ret.computed["volunteers_female"] == "3"  # refreshed
    assert ret.values()["volunteers_female"] == 3
    assert ret.values()["attendances"] == 30  # edited: kept
    assert ret.computed["attendances"] == "3"  # computed kept beside it
    assert ret.values()["funding"] == 5000
    assert set(ret.entered) == {"attendances", "funding"}


def test_a_child_submitted_with_another_period_is_flagged(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.county_clerk
    library = create_return(tree.library, YEAR, actor=clerk, period_start=D(2024, 7, 1))
    submit_return(fill_return(library, actor=clerk), actor=clerk)
    bureau = fill_return(create_return(tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    flagged = [s["code"] for s in bureau.sources if s["period_differs"]]
    assert flagged == ["A120"]


def test_funding_adds_up_from_submitted_children(
    crowd: Crowd, personas: Personas
) -> None:
    tree, clerk = crowd.wide.tree, personas.county_clerk
    for unit, money in ((tree.hospital, 30000), (tree.library, 1500)):
        ret = fill_return(create_return(unit, YEAR, actor=clerk), actor=clerk)
        ret = save_return(ret, {"funding": Decimal(money)}, actor=clerk)
        submit_return(ret, actor=clerk)
    bureau = fill_return(create_return(tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    assert bureau.computed["funding"] == "31500"


def test_units_and_teams_count_when_they_exist_on_the_end_date(
    crowd: Crowd,
) -> None:
    tree = crowd.wide.tree
    tree.guide_team.closed_on = D(2024, 12, 31)  # closed on the day: counts
    tree.guide_team.save()
    tree.library_team.closed_on = D(2024, 12, 30)  # closed the day before
    tree.library_team.save()
    crowd.wide.museum.opened_on = D(2025, 1, 1)  # opens after the end date
    crowd.wide.museum.save()
    values = figures(tree.bureau_a)
    assert values["team_count"] == 4  # A101, A111, A112, A131
    assert values["unit_count"] == 2  # A110, A120
    # Volunteers follow the memberships, whatever the team's dates.
    assert values["volunteers"] == 6


def test_the_form_follows_the_place_in_the_tree(crowd: Crowd) -> None:
    tree = crowd.wide.tree
    ministry = Unit.objects.create(
        code="E000", name="教育部", level=Level.MINISTRY, parent=tree.central
    )
    school = Unit.objects.create(
        code="E100", name="國立大學", level=Level.USING, parent=ministry
    )
    assert form_for(tree.central) == ReturnForm.NATIONAL
    assert form_for(ministry) == ReturnForm.NATIONAL
    assert form_for(school) == ReturnForm.NATIONAL
    assert form_for(tree.county_a) == ReturnForm.COUNTY
    assert form_for(tree.bureau_a) == ReturnForm.COUNTY
    assert form_for(tree.hospital) == ReturnForm.COUNTY


def test_hours_typed_with_decimals_are_kept_exactly(
    crowd: Crowd, personas: Personas
) -> None:
    from vsis.returns.items import ITEMS, display_text, parse_input

    tree, clerk = crowd.wide.tree, personas.county_clerk
    hospital = fill_return(create_return(tree.hospital, YEAR, actor=clerk), actor=clerk)
    hours = parse_input(ITEMS["hours"], "12.34")
    assert hours == Decimal("740.4")  # minutes
    hospital = save_return(hospital, {"hours": hours}, actor=clerk)
    submit_return(hospital, actor=clerk)
    assert display_text(ITEMS["hours"], reload(hospital).value("hours")) == "12.34"
    bureau = fill_return(create_return(tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    # 740.4 + 600 + 30 + 45 minutes = 1415.4 min = 23.59 h, no rounding on the way.
    assert bureau.values()["hours"] == Decimal("1415.4")
    assert display_text(ITEMS["hours"], bureau.values()["hours"]) == "23.59"


@pytest.mark.django_db(transaction=True)
def test_the_counts_run_beside_the_other_queries_outside_a_transaction(
    crowd: Crowd, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from django.db import connection, transaction

    import vsis.returns.consolidation as consolidation
    from vsis.audit.models import AuditEntry

    threads: list[str] = []
    original = consolidation.team_return_counts

    def spy(*args: object) -> object:
        threads.append(threading.current_thread().name)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(consolidation, "team_return_counts", spy)
    here = threading.current_thread().name
    on_postgres = connection.vendor == "postgresql"
    bureau = crowd.wide.tree.bureau_a
    values = figures(bureau)
    assert (values["volunteers"], values["hours"], values["team_count"]) == (6, 945, 5)
    assert (threads[-1] != here) == on_postgres
    if on_postgres:
        # The fixture's committed rows stay in this backend's pending table
        # statistics for up to a second, which would (safely) keep the next
        # query inline; flush them now.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
    with transaction.atomic():
        # A transaction that has written nothing the counts read: still beside.
        AuditEntry.objects.create(action="x", target_type="t", target_id="1")
        assert figures(bureau)["volunteers"] == 6
        assert (threads[-1] != here) == on_postgres
        # Once it has written a membership, another connection would miss it.
        newcomer = person("新", "F", D(1990, 2, 2))
        member(newcomer, crowd.wide.bureau_team, D(2024, 5, 1))
        values = figures(bureau)
        assert values["volunteers"] == 7 and values["basic_trained"] == 0
        assert threads[-1] == here
        transaction.set_rollback(True)
