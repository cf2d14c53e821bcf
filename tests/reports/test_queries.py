"""The counting rules, checked against figures worked out by hand.

Reference date 2024-12-31 (113/12/31). Ages are completed years on that day.
"""

import datetime as dt
import random

import pytest

from tests.conftest import Tree
from vsis.core.national_id import generate_id
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.hours.services import refresh_tallies
from vsis.reports.queries import (
    AgeRow,
    ServiceRow,
    TeamSelection,
    distinct_age_counts,
    distinct_service_volunteers,
    split_period,
    team_age_counts,
    team_service_figures,
)
from vsis.units.models import ServiceCategory
from vsis.volunteers.models import Membership, MembershipStatus, Volunteer

D = dt.date
AS_OF = D(2024, 12, 31)
_rng = random.Random(2)


def person(name: str, sex: str, born: dt.date) -> Volunteer:
    return Volunteer.objects.create(
        national_id=generate_id(_rng, sex), name=name, sex=sex, birth_date=born
    )


def member(v: Volunteer, team, joined, left=None, status=MembershipStatus.ACTIVE):  # type: ignore[no-untyped-def]
    return Membership.objects.create(
        volunteer=v, team=team, joined_on=joined, left_on=left, status=status
    )


@pytest.fixture
def people(tree: Tree) -> dict[str, Volunteer]:
    t1, t2, t3 = tree.hospital_team, tree.guide_team, tree.library_team
    v = {
        "v1": person("甲", "M", D(1959, 12, 31)),  # 65 on the day: 65歲以上
        "v2": person("乙", "F", D(1960, 1, 1)),  # 64: 55-64
        "v3": person("丙", "F", D(2000, 5, 5)),  # joins after the day
        "v4": person("丁", "M", D(1980, 1, 1)),  # left the day before
        "v5": person("戊", "F", D(1990, 6, 1)),  # left on the day: counts, 30-49
        "v6": person("己", "M", D(1970, 3, 3)),  # 退出 without a date
        "v7": person("庚", "F", D(2013, 1, 1)),  # 11, 暫停中: counts, 未滿12歲
        "v8": person("辛", "M", D(2007, 12, 31)),  # 17 on the day, 實習中: 12-17
        "v9": person("壬", "F", D(1964, 12, 31)),  # 60: 55-64
        "v10": person("癸", "M", D(1950, 1, 1)),  # other county
    }
    member(v["v1"], t1, D(2020, 1, 1))
    member(v["v2"], t1, D(2024, 12, 31))
    member(v["v3"], t1, D(2025, 1, 1))
    member(v["v4"], t1, D(2019, 1, 1), D(2024, 12, 30), MembershipStatus.QUIT)
    member(v["v5"], t1, D(2019, 1, 1), D(2024, 12, 31), MembershipStatus.QUIT)
    member(v["v6"], t1, D(2019, 1, 1), None, MembershipStatus.QUIT)
    member(v["v7"], t1, D(2023, 1, 1), None, MembershipStatus.SUSPENDED)
    member(v["v8"], t1, D(2024, 1, 1), None, MembershipStatus.INTERN)
    member(v["v1"], t2, D(2022, 1, 1))
    member(v["v9"], t2, D(2022, 1, 1))
    member(v["v2"], t3, D(2023, 1, 1))
    member(v["v10"], tree.school_team, D(2020, 1, 1))
    return v


def row(male: dict[int, int], female: dict[int, int]) -> AgeRow:
    return AgeRow(
        male=[male.get(i, 0) for i in range(7)],
        female=[female.get(i, 0) for i in range(7)],
    )


def test_age_counts_per_team(tree: Tree, people: dict[str, Volunteer]) -> None:
    counts = team_age_counts(TeamSelection(tree.county_a), AS_OF)
    assert counts == {
        tree.hospital_team.pk: row({6: 1, 1: 1}, {5: 1, 3: 1, 0: 1}),
        tree.guide_team.pk: row({6: 1}, {5: 1}),
        tree.library_team.pk: row({}, {5: 1}),
    }
    assert counts[tree.hospital_team.pk].total == 5


def test_age_counts_with_conditions(tree: Tree, people: dict[str, Volunteer]) -> None:
    culture = ServiceCategory.objects.get(name="文化")
    by_category = team_age_counts(
        TeamSelection(tree.county_a, category_id=culture.pk), AS_OF
    )
    assert set(by_category) == {tree.guide_team.pk, tree.library_team.pk}
    women = team_age_counts(TeamSelection(tree.hospital), AS_OF, sex="F")
    assert women[tree.hospital_team.pk] == row({}, {5: 1, 3: 1, 0: 1})
    suspended = team_age_counts(
        TeamSelection(tree.hospital), AS_OF, statuses=[MembershipStatus.SUSPENDED]
    )
    assert suspended == {tree.hospital_team.pk: row({}, {0: 1})}


def test_without_subunits_only_direct_teams(
    tree: Tree, people: dict[str, Volunteer]
) -> None:
    direct = team_age_counts(
        TeamSelection(tree.hospital, include_subunits=False), AS_OF
    )
    assert set(direct) == {tree.hospital_team.pk, tree.guide_team.pk}
    assert (
        team_age_counts(TeamSelection(tree.county_a, include_subunits=False), AS_OF)
        == {}
    )
    one_team = TeamSelection(tree.guide_team, include_subunits=False)
    assert set(team_age_counts(one_team, AS_OF)) == {tree.guide_team.pk}


def test_distinct_counts_count_a_person_once_per_unit(
    tree: Tree, people: dict[str, Volunteer]
) -> None:
    units = [tree.county_a.pk, tree.hospital.pk, tree.hospital_team.pk]
    distinct = distinct_age_counts(TeamSelection(tree.county_a), AS_OF, units)
    # v1 is in two hospital teams, v2 in a hospital team and the library team.
    assert distinct[tree.county_a.pk] == row({6: 1, 1: 1}, {5: 2, 3: 1, 0: 1})
    assert distinct[tree.county_a.pk].total == 6  # additive: 8
    assert distinct[tree.hospital.pk].total == 6  # additive: 7
    assert (
        distinct[tree.hospital_team.pk]
        == team_age_counts(TeamSelection(tree.county_a), AS_OF)[tree.hospital_team.pk]
    )


def test_a_29_february_birthday_in_a_common_year(tree: Tree) -> None:
    leapling = person("閏", "F", D(2012, 2, 29))
    member(leapling, tree.hospital_team, D(2023, 1, 1))
    selection = TeamSelection(tree.hospital_team)
    # 2024 is a leap year: 12 on the birthday itself, 29 February.
    assert team_age_counts(selection, D(2024, 2, 28))[tree.hospital_team.pk].female[0]
    assert team_age_counts(selection, D(2024, 2, 29))[tree.hospital_team.pk].female[1]
    other = person("閏二", "M", D(2008, 2, 29))
    member(other, tree.hospital_team, D(2023, 1, 1))
    # 2026 is a common year: 18 on 1 March, still 17 on 28 February.
    on_28 = team_age_counts(selection, D(2026, 2, 28))[tree.hospital_team.pk]
    on_1 = team_age_counts(selection, D(2026, 3, 1))[tree.hospital_team.pk]
    assert (on_28.male[1], on_28.male[2]) == (1, 0)
    assert (on_1.male[1], on_1.male[2]) == (0, 1)


def test_each_bracket_boundary_on_and_a_day_before_the_birthday(tree: Tree) -> None:
    """On 2024-06-15: men whose 12th/18th/30th/50th/55th/65th birthday is that
    day, women whose birthday of the same age is the next day (one year short)."""
    as_of = D(2024, 6, 15)
    for age in (12, 18, 30, 50, 55, 65):
        man = person(f"男{age}", "M", D(2024 - age, 6, 15))
        woman = person(f"女{age}", "F", D(2024 - age, 6, 16))
        for volunteer in (man, woman):
            member(volunteer, tree.hospital_team, D(2020, 1, 1))
    counts = team_age_counts(TeamSelection(tree.hospital_team), as_of)
    # Men: 12-17, 18-29, 30-49, 50-54, 55-64, 65歲以上 — one each.
    # Women: 11, 17, 29, 49, 54, 64 — 未滿12歲 up to 55-64, one each.
    assert counts[tree.hospital_team.pk] == AgeRow(
        male=[0, 1, 1, 1, 1, 1, 1], female=[1, 1, 1, 1, 1, 1, 0]
    )


# --- service figures ------------------------------------------------------------


def record(v: Volunteer, team, day, minutes, persons=0):  # type: ignore[no-untyped-def]
    return ServiceRecord(
        volunteer=v, team=team, served_on=day, minutes=minutes, persons_served=persons
    )


@pytest.fixture
def service(tree: Tree, people: dict[str, Volunteer]) -> dict[str, Volunteer]:
    t1, t2 = tree.hospital_team, tree.guide_team
    v1, v2, v5 = people["v1"], people["v2"], people["v5"]
    records = [
        record(v1, t1, D(2024, 1, 1), 120, 10),
        record(v1, t1, D(2024, 12, 31), 60, 0),
        record(v1, t1, D(2023, 12, 31), 30, 2),
        record(v1, t2, D(2024, 6, 15), 90, 5),
        record(v2, t1, D(2024, 2, 29), 45, 3),
        record(v2, t1, D(2025, 1, 1), 60, 1),
        record(v5, t1, D(2024, 3, 10), 30, 1),
        record(v5, t1, D(2024, 3, 11), 30, 1),
    ]
    ServiceRecord.objects.bulk_create(records)
    refresh_tallies((r.team_id, r.served_on) for r in records)
    return people


def test_split_period() -> None:
    parts = split_period(D(2023, 12, 15), D(2025, 2, 10))
    assert parts.days == [
        (D(2023, 12, 15), D(2023, 12, 31)),
        (D(2025, 2, 1), D(2025, 2, 10)),
    ]
    assert parts.years == [2024]
    assert parts.months == [D(2025, 1, 1)]
    assert split_period(D(2024, 1, 1), D(2024, 12, 31)).single_unique_source
    assert split_period(D(2024, 2, 1), D(2024, 2, 29)).months == [D(2024, 2, 1)]


def test_tallies_sum_the_records(tree: Tree, service: dict[str, Volunteer]) -> None:
    t1 = tree.hospital_team
    year = YearlyService.objects.get(year=2024, team=t1, volunteer=service["v1"])
    assert (year.records, year.minutes, year.persons_served) == (2, 180, 10)
    march = MonthlyService.objects.get(month=D(2024, 3, 1), team=t1)
    assert (march.records, march.minutes, march.sex) == (2, 60, "F")


def test_service_figures_for_a_whole_year(
    tree: Tree, service: dict[str, Volunteer]
) -> None:
    figures = team_service_figures(
        TeamSelection(tree.county_a), D(2024, 1, 1), D(2024, 12, 31)
    )
    assert figures == {
        tree.hospital_team.pk: ServiceRow(
            volunteers_male=1,
            volunteers_female=2,
            attendances=5,
            minutes_male=180,
            minutes_female=105,
            persons_served=15,
        ),
        tree.guide_team.pk: ServiceRow(1, 0, 1, 90, 0, 5),
    }


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # the first and last day are inclusive
        (D(2024, 1, 1), D(2024, 1, 1), ServiceRow(1, 0, 1, 120, 0, 10)),
        (D(2024, 12, 31), D(2024, 12, 31), ServiceRow(1, 0, 1, 60, 0, 0)),
        # the day before and after are excluded; a person across parts counts once
        (D(2023, 12, 31), D(2024, 1, 1), ServiceRow(1, 0, 2, 150, 0, 12)),
        (D(2024, 1, 2), D(2024, 12, 30), ServiceRow(0, 2, 3, 0, 105, 5)),
        (D(2024, 2, 29), D(2024, 3, 10), ServiceRow(0, 2, 2, 0, 75, 4)),
        (D(2024, 1, 1), D(2024, 12, 30), ServiceRow(1, 2, 4, 120, 105, 15)),
        (D(2023, 1, 1), D(2024, 12, 31), ServiceRow(1, 2, 6, 210, 105, 17)),
        (D(2023, 1, 1), D(2025, 12, 31), ServiceRow(1, 2, 7, 210, 165, 18)),
    ],
)
def test_service_figures_for_any_period(
    tree: Tree,
    service: dict[str, Volunteer],
    start: dt.date,
    end: dt.date,
    expected: ServiceRow,
) -> None:
    figures = team_service_figures(TeamSelection(tree.hospital_team), start, end)
    assert figures[tree.hospital_team.pk] == expected


def test_distinct_service_volunteers(tree: Tree, service: dict[str, Volunteer]) -> None:
    units = [tree.hospital.pk, tree.county_a.pk]
    distinct = distinct_service_volunteers(
        TeamSelection(tree.county_a), D(2024, 1, 1), D(2024, 12, 31), units
    )
    # v1 served in both hospital teams: once per unit (additive would be 2 men).
    assert distinct == {tree.hospital.pk: (1, 2), tree.county_a.pk: (1, 2)}
    half = distinct_service_volunteers(
        TeamSelection(tree.county_a), D(2024, 1, 2), D(2024, 12, 30), units
    )
    assert half == {tree.hospital.pk: (1, 2), tree.county_a.pk: (1, 2)}


def test_an_empty_or_inverted_period(tree: Tree, service: dict[str, Volunteer]) -> None:
    selection = TeamSelection(tree.county_a)
    assert team_service_figures(selection, D(2024, 5, 2), D(2024, 5, 1)) == {}
    assert team_service_figures(selection, D(2030, 1, 1), D(2030, 12, 31)) == {}
