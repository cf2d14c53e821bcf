"""Fixtures for the annual returns: helpers to build people by hand, and a
slightly larger tree for consolidation.

The shared tree (tests/conftest.py) gains, under A100 甲市政府社會局:
    A101 社會局志工隊 (a team of the bureau itself: its "own team")
    A130 甲市立美術館 (using unit) └── A131 美術館志工隊
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.conftest import Tree, make_unit
from vsis.core.national_id import generate_id
from vsis.hours.models import ServiceRecord
from vsis.hours.services import refresh_tallies
from vsis.returns.models import AnnualReturn
from vsis.units.models import Level, Unit
from vsis.volunteers.models import Membership, MembershipStatus, Volunteer

D = dt.date
YEAR = 2024
START, END = D(2024, 1, 1), D(2024, 12, 31)

_rng = random.Random(4)


def person(name: str, sex: str, born: dt.date) -> Volunteer:
    return Volunteer.objects.create(
        national_id=generate_id(_rng, sex), name=name, sex=sex, birth_date=born
    )


def member(  # type: ignore[no-untyped-def]
    v: Volunteer, team: Unit, joined: dt.date, left=None, status=None
) -> Membership:
    return Membership.objects.create(
        volunteer=v,
        team=team,
        joined_on=joined,
        left_on=left,
        status=status or MembershipStatus.ACTIVE,
    )


def serve(
    v: Volunteer, team: Unit, day: dt.date, minutes: int, persons: int = 0
) -> None:
    record = ServiceRecord.objects.create(
        volunteer=v, team=team, served_on=day, minutes=minutes, persons_served=persons
    )
    refresh_tallies([(record.team_id, record.served_on)])


@dataclass
class Wide:
    tree: Tree
    bureau_team: Unit
    museum: Unit
    museum_team: Unit


@pytest.fixture
def wide(tree: Tree) -> Wide:
    bureau_team = make_unit(
        "A101", "社會局志工隊", Level.TEAM, tree.bureau_a, "衛生福利"
    )
    museum = make_unit("A130", "甲市立美術館", Level.USING, tree.bureau_a)
    museum_team = make_unit("A131", "美術館志工隊", Level.TEAM, museum, "文化")
    for unit in (bureau_team, museum, museum_team):
        unit.refresh_from_db()
    return Wide(tree, bureau_team, museum, museum_team)


@dataclass
class Crowd:
    """Volunteers and hours in every team of the wide tree (see `crowd`)."""

    wide: Wide


@pytest.fixture
def crowd(wide: Wide) -> Crowd:
    """One or two counted volunteers per team, with service in 2024.

    team      volunteers (sex, age at 2024-12-31)      minutes  records persons
    A111      M 64 (55-64), F 34 (30-49)               120+60   2       5+1
    A112      F 70 (65+)                               90       1       3
    A121      M 20 (18-29)                             30       1       0
    A131      F 10 (未滿12)                              45       1       2
    A101      M 52 (50-54)                             600      1       10
    B111      F 40 (other county, never in A's figures) 50      1       1
    """
    t = wide.tree
    a = person("甲", "M", D(1960, 5, 5))
    b = person("乙", "F", D(1990, 1, 1))
    c = person("丙", "F", D(1954, 3, 3))
    d = person("丁", "M", D(2004, 4, 4))
    e = person("戊", "F", D(2014, 6, 6))
    f = person("己", "M", D(1972, 2, 2))
    g = person("庚", "F", D(1984, 8, 8))
    member(a, t.hospital_team, D(2020, 1, 1))
    member(b, t.hospital_team, D(2021, 1, 1))
    member(c, t.guide_team, D(2019, 1, 1))
    member(d, t.library_team, D(2023, 1, 1))
    member(e, wide.museum_team, D(2024, 1, 1))
    member(f, wide.bureau_team, D(2018, 1, 1))
    member(g, t.school_team, D(2018, 1, 1))
    serve(a, t.hospital_team, D(2024, 3, 1), 120, 5)
    serve(b, t.hospital_team, D(2024, 12, 31), 60, 1)
    serve(c, t.guide_team, D(2024, 1, 1), 90, 3)
    serve(d, t.library_team, D(2024, 7, 7), 30, 0)
    serve(e, wide.museum_team, D(2024, 5, 5), 45, 2)
    serve(f, wide.bureau_team, D(2024, 9, 9), 600, 10)
    serve(g, t.school_team, D(2024, 9, 9), 50, 1)
    # Outside the period: never counted.
    serve(a, t.hospital_team, D(2023, 12, 31), 999, 9)
    serve(b, t.hospital_team, D(2025, 1, 1), 999, 9)
    return Crowd(wide)


def dec(value: int | str) -> Decimal:
    return Decimal(value)


def reload(ret: AnnualReturn) -> AnnualReturn:
    return AnnualReturn.objects.select_related("unit").get(pk=ret.pk)
