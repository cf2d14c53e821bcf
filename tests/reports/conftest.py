"""People, memberships and service records for the report tests.

On top of the shared tree (tests/conftest.py) three more teams under the
hospital: A113 with nobody in it, A114 closed in 2020 and A115 opened in 2025.

Reference date 2024-12-31 (113/12/31); bracket of each person on that day:

    p1 男 1959-12-31  65 → 65歲以上   A111 and A112 (two teams)
    p2 女 1960-01-01  64 → 55-64歲    A111 and A121 (two teams)
    p3 女 2000-05-05  24 → 18-29歲    A111
    p4 男 2007-12-31  17 → 12-17歲    A111, 實習中
    p5 女 1990-06-01  34 → 30-49歲    A111, 暫停中
    p6 男 1980-01-01                  left A111 on 2024-12-30: not counted
    p7 男 2013-01-01  11 → 未滿12歲    A121
    p8 女 1950-01-01                  B111 (the other county)

Service records (minutes, persons served):

    p1 A111 2024-01-01  90 10     p1 A112 2024-06-15  61  5
    p2 A111 2024-12-31  45  3     p2 A121 2024-03-10  30  1
    p3 A111 2023-12-31  60  2     p5 A111 2024-02-29  20  0
    p5 A111 2024-03-01   1  0     p8 B111 2024-05-05 120  4
"""

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Tree, make_unit
from vsis.core.national_id import generate_id
from vsis.hours.models import ServiceRecord
from vsis.hours.services import refresh_tallies
from vsis.units.models import Level, Unit
from vsis.volunteers.models import Membership, MembershipStatus, Volunteer

D = dt.date
AS_OF = D(2024, 12, 31)
YEAR = (D(2024, 1, 1), D(2024, 12, 31))


@dataclass
class ReportData:
    tree: Tree
    empty_team: Unit
    closed_team: Unit
    new_team: Unit
    people: dict[str, Volunteer]


def _person(rng: random.Random, name: str, sex: str, born: dt.date) -> Volunteer:
    return Volunteer.objects.create(
        national_id=generate_id(rng, sex), name=name, sex=sex, birth_date=born
    )


@pytest.fixture
def data(tree: Tree) -> ReportData:
    rng = random.Random(7)
    empty = make_unit("A113", "醫院空白志工隊", Level.TEAM, tree.hospital, "衛生福利")
    closed = make_unit(
        "A114", "醫院已裁撤志工隊", Level.TEAM, tree.hospital, "衛生福利"
    )
    closed.closed_on = D(2020, 6, 30)
    closed.save()
    new = make_unit("A115", "醫院新志工隊", Level.TEAM, tree.hospital, "衛生福利")
    new.opened_on = D(2025, 1, 1)
    new.save()
    p = {
        "p1": _person(rng, "甲", "M", D(1959, 12, 31)),
        "p2": _person(rng, "乙", "F", D(1960, 1, 1)),
        "p3": _person(rng, "丙", "F", D(2000, 5, 5)),
        "p4": _person(rng, "丁", "M", D(2007, 12, 31)),
        "p5": _person(rng, "戊", "F", D(1990, 6, 1)),
        "p6": _person(rng, "己", "M", D(1980, 1, 1)),
        "p7": _person(rng, "庚", "M", D(2013, 1, 1)),
        "p8": _person(rng, "辛", "F", D(1950, 1, 1)),
    }
    t1, t2, t3 = tree.hospital_team, tree.guide_team, tree.library_team
    active, quit_ = MembershipStatus.ACTIVE, MembershipStatus.QUIT
    for person, team, joined, left, status in [
        ("p1", t1, D(2020, 1, 1), None, active),
        ("p1", t2, D(2021, 1, 1), None, active),
        ("p2", t1, D(2020, 1, 1), None, active),
        ("p2", t3, D(2022, 1, 1), None, active),
        ("p3", t1, D(2023, 1, 1), None, active),
        ("p4", t1, D(2024, 1, 1), None, MembershipStatus.INTERN),
        ("p5", t1, D(2019, 1, 1), None, MembershipStatus.SUSPENDED),
        ("p6", t1, D(2019, 1, 1), D(2024, 12, 30), quit_),
        ("p7", t3, D(2023, 1, 1), None, active),
        ("p8", tree.school_team, D(2020, 1, 1), None, active),
    ]:
        Membership.objects.create(
            volunteer=p[person],
            team=team,
            joined_on=joined,
            left_on=left,
            status=status,
        )
    records = [
        ServiceRecord(
            volunteer=p[person],
            team=team,
            served_on=day,
            minutes=minutes,
            persons_served=served,
        )
        for person, team, day, minutes, served in [
            ("p1", t1, D(2024, 1, 1), 90, 10),
            ("p1", t2, D(2024, 6, 15), 61, 5),
            ("p2", t1, D(2024, 12, 31), 45, 3),
            ("p2", t3, D(2024, 3, 10), 30, 1),
            ("p3", t1, D(2023, 12, 31), 60, 2),
            ("p5", t1, D(2024, 2, 29), 20, 0),
            ("p5", t1, D(2024, 3, 1), 1, 0),
            ("p8", tree.school_team, D(2024, 5, 5), 120, 4),
        ]
    ]
    ServiceRecord.objects.bulk_create(records)
    refresh_tallies((r.team_id, r.served_on) for r in records)
    return ReportData(tree, empty, closed, new, p)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Job files of each test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)
