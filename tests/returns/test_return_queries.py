"""The §3.5 items per team, against values worked out by hand.

Period 2024-01-01 .. 2024-12-31 (113/01/01 .. 113/12/31) unless a test says
otherwise. Each person below notes which items they count in.
"""

import datetime as dt

import pytest

from tests.conftest import Tree
from tests.returns.conftest import member, person
from vsis.reports.queries import TeamSelection, team_age_counts
from vsis.reports.return_queries import TeamReturnCounts, team_return_counts
from vsis.units.models import ServiceCategory
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    MembershipStatus,
    RecordBook,
    RecordBookStatus,
    Training,
    TrainingKind,
    Volunteer,
)

D = dt.date
START, END = D(2024, 1, 1), D(2024, 12, 31)
BASIC, SPECIAL = TrainingKind.BASIC, TrainingKind.SPECIAL
_books = iter(range(1, 1000))


def train(v: Volunteer, kind: str, day: dt.date) -> None:
    category = ServiceCategory.objects.first() if kind == SPECIAL else None
    Training.objects.create(volunteer=v, kind=kind, completed_on=day, category=category)


def book(
    v: Volunteer,
    issued: dt.date,
    status: str = RecordBookStatus.FIRST,
    cancelled: dt.date | None = None,
) -> None:
    RecordBook.objects.create(
        volunteer=v,
        number=f"RB{next(_books):05d}",
        issued_on=issued,
        status=status,
        cancelled_on=cancelled,
    )


def insure(v: Volunteer, starts: dt.date, ends: dt.date) -> None:
    Insurance.objects.create(volunteer=v, starts_on=starts, ends_on=ends)


def card(v: Volunteer, issued: dt.date, valid_until: dt.date) -> None:
    HonourCard.objects.create(volunteer=v, issued_on=issued, valid_until=valid_until)


def award(v: Volunteer, day: dt.date) -> None:
    Award.objects.create(volunteer=v, name="志願服務績優獎", awarded_on=day)


PLANS = pytest.mark.parametrize("plan", ["probe", "merge"])


@pytest.fixture
def facts(tree: Tree) -> dict[str, Volunteer]:
    t1, t2, t3 = tree.hospital_team, tree.guide_team, tree.library_team
    p = {
        "p1": person("一", "M", D(1960, 5, 5)),
        "p2": person("二", "F", D(1990, 1, 1)),
        "p3": person("三", "M", D(2010, 7, 1)),
        "p4": person("四", "F", D(1950, 1, 1)),
        "p5": person("五", "M", D(1980, 1, 1)),
        "p6": person("六", "F", D(1975, 1, 1)),
        "p7": person("七", "M", D(1985, 1, 1)),
        "p8": person("八", "F", D(1995, 1, 1)),
    }
    member(p["p1"], t1, D(2020, 1, 1))
    member(p["p2"], t1, D(2024, 6, 1))
    member(p["p3"], t1, D(2023, 1, 1), status=MembershipStatus.INTERN)
    member(p["p4"], t1, D(2010, 1, 1))
    member(p["p5"], t1, D(2010, 1, 1), D(2024, 12, 30), MembershipStatus.QUIT)
    member(p["p6"], t1, D(2022, 1, 1))
    member(p["p6"], t3, D(2022, 1, 1))
    member(p["p7"], t2, D(2025, 1, 1))
    member(p["p8"], t2, D(2021, 1, 1))

    # p1: everything on an edge of the period, all counting.
    train(p["p1"], BASIC, D(2024, 12, 31))  # on the end date: completed
    train(p["p1"], SPECIAL, D(2025, 1, 1))  # after it: not yet
    book(p["p1"], D(2024, 12, 31))  # holder, and issued in the period
    insure(p["p1"], D(2023, 1, 1), D(2024, 1, 1))  # ends on the first day
    card(p["p1"], D(2021, 12, 31), D(2024, 12, 31))  # expires on the end date
    award(p["p1"], D(2024, 1, 1))  # on the first day

    # p2: each fact just outside.
    train(p["p2"], BASIC, D(2025, 1, 1))
    train(p["p2"], SPECIAL, D(2020, 3, 3))  # special only
    book(p["p2"], D(2020, 1, 1), RecordBookStatus.CANCELLED, D(2024, 12, 31))
    book(p["p2"], D(2025, 1, 2), RecordBookStatus.REISSUED)  # after the end
    insure(p["p2"], D(2024, 12, 31), D(2025, 12, 30))  # starts on the last day
    card(p["p2"], D(2021, 12, 31), D(2024, 12, 30))  # expired the day before
    award(p["p2"], D(2023, 12, 31))  # the day before the period

    # p3: a book cancelled only after the end, a renewal in the period,
    # insurance that ended before it, a card issued after it, two awards.
    book(p["p3"], D(2019, 5, 5), RecordBookStatus.CANCELLED, D(2025, 3, 1))
    book(p["p3"], D(2024, 3, 1), RecordBookStatus.RENEWED)
    insure(p["p3"], D(2022, 1, 1), D(2023, 12, 31))
    card(p["p3"], D(2025, 1, 1), D(2028, 1, 1))
    award(p["p3"], D(2024, 12, 31))
    award(p["p3"], D(2024, 6, 1))

    # p4: a book 註銷 without a date; two books issued in the period (one
    # cancelled within it); insured for May only.
    train(p["p4"], BASIC, D(2010, 1, 1))
    train(p["p4"], SPECIAL, D(2015, 1, 1))
    book(p["p4"], D(2015, 1, 1), RecordBookStatus.CANCELLED)
    book(p["p4"], D(2024, 2, 1), RecordBookStatus.FIRST, D(2024, 7, 31))
    book(p["p4"], D(2024, 8, 1), RecordBookStatus.REISSUED)
    insure(p["p4"], D(2024, 5, 1), D(2024, 5, 31))

    # p5 left the day before the end date: nothing of theirs counts.
    train(p["p5"], BASIC, D(2010, 1, 1))
    book(p["p5"], D(2024, 1, 1))
    insure(p["p5"], D(2024, 1, 1), D(2024, 12, 31))
    card(p["p5"], D(2023, 1, 1), D(2026, 1, 1))
    award(p["p5"], D(2024, 5, 5))

    # p6 serves in two teams and counts in both.
    train(p["p6"], BASIC, D(2022, 2, 2))
    insure(p["p6"], D(2024, 1, 1), D(2024, 12, 31))
    award(p["p6"], D(2024, 5, 5))

    # p7 joins after the end date: not counted, award ignored.
    award(p["p7"], D(2024, 5, 5))
    train(p["p7"], BASIC, D(2024, 5, 5))

    # p8: insured only outside the period, a card valid across the end date,
    # a book issued the day before the period.
    insure(p["p8"], D(2025, 1, 1), D(2025, 12, 31))
    insure(p["p8"], D(2022, 1, 1), D(2023, 12, 31))
    card(p["p8"], D(2022, 1, 1), D(2025, 1, 1))
    train(p["p8"], SPECIAL, D(2024, 6, 30))
    book(p["p8"], D(2023, 12, 31))
    return p


@PLANS
def test_each_item_per_team(tree: Tree, facts: dict[str, Volunteer], plan: str) -> None:
    counts = team_return_counts(TeamSelection(tree.county_a), START, END, plan=plan)
    assert counts == {
        # p1, p2, p3, p4, p6 are counted.
        tree.hospital_team.pk: TeamReturnCounts(
            counted=5,
            basic_trained=3,  # p1 (on the end date), p4, p6
            special_trained=2,  # p2, p4
            record_book_holders=3,  # p1, p3 (cancelled later), p4 (reissued)
            record_books_issued=4,  # p1 1, p3 1, p4 2
            insured=4,  # p1 (ends 1 Jan), p2 (starts 31 Dec), p4, p6
            honour_card_holders=1,  # p1 (expires on the end date)
            awarded=3,  # p1 (1 Jan), p3 (31 Dec, once), p6
        ),
        tree.library_team.pk: TeamReturnCounts(
            counted=1, basic_trained=1, insured=1, awarded=1
        ),
        tree.guide_team.pk: TeamReturnCounts(
            counted=1, special_trained=1, record_book_holders=1, honour_card_holders=1
        ),
    }


@PLANS
def test_within_period_items_follow_the_start_date(
    tree: Tree, facts: dict[str, Volunteer], plan: str
) -> None:
    counts = team_return_counts(
        TeamSelection(tree.hospital_team), D(2024, 6, 1), END, plan=plan
    )[tree.hospital_team.pk]
    # Not in June-December: p1's insurance (ended 1 Jan) and award (1 Jan),
    # p4's insurance (May) and first book (February), p3's renewal (March),
    # p6's award (May).
    assert counts.insured == 2  # p2, p6
    assert counts.awarded == 1  # p3 (p6's award is in May)
    assert counts.record_books_issued == 2  # p1, p4's reissue
    # Items on the end date do not depend on the start.
    assert (counts.basic_trained, counts.record_book_holders) == (3, 3)
    assert counts.honour_card_holders == 1


def test_counted_equals_the_age_counts(tree: Tree, facts: dict[str, Volunteer]) -> None:
    selection = TeamSelection(tree.county_a)
    ages = team_age_counts(selection, END)
    counts = team_return_counts(selection, START, END)
    assert {team: row.total for team, row in ages.items()} == {
        team: c.counted for team, c in counts.items()
    }


@PLANS
def test_an_earlier_end_date_moves_every_item(
    tree: Tree, facts: dict[str, Volunteer], plan: str
) -> None:
    counts = team_return_counts(
        TeamSelection(tree.hospital_team), D(2024, 1, 1), D(2024, 12, 30), plan=plan
    )[tree.hospital_team.pk]
    # On 30 December p5 is still a member; p1's basic training and book are
    # not yet there; p2's insurance has not started; p2's first book is not
    # yet cancelled and p2's card is still valid.
    assert counts.counted == 6
    assert counts.basic_trained == 3  # p4, p5, p6
    assert counts.record_book_holders == 4  # p2, p3, p4, p5
    assert counts.record_books_issued == 4  # p3 1, p4 2, p5 1
    assert counts.insured == 4  # p1, p4, p5, p6
    assert counts.honour_card_holders == 3  # p1, p2, p5
    assert counts.awarded == 4  # p1, p3 (June), p5, p6


def test_the_plan_follows_the_size_on_postgresql(
    tree: Tree, facts: dict[str, Volunteer], monkeypatch: pytest.MonkeyPatch
) -> None:
    import vsis.reports.return_queries as rq

    monkeypatch.setattr(rq, "MERGE_PLAN_TEAMS", 2)
    chosen: list[str] = []
    for name in ("_probe_counts", "_merge_counts"):
        original = getattr(rq, name)

        def spy(*args, _original=original, _name=name):  # type: ignore[no-untyped-def]
            chosen.append(_name)
            return _original(*args)

        monkeypatch.setattr(rq, name, spy)
    rq.team_return_counts(TeamSelection(tree.county_a), START, END)
    rq.team_return_counts(TeamSelection(tree.hospital_team), START, END)
    from django.db import connection

    big = "_merge_counts" if connection.vendor == "postgresql" else "_probe_counts"
    assert chosen == [big, "_probe_counts"]


def test_an_unknown_plan_is_an_error(tree: Tree) -> None:
    with pytest.raises(ValueError, match="unknown plan"):
        team_return_counts(TeamSelection(tree.county_a), START, END, plan="x")
