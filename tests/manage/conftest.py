"""People, memberships and service records on the shared unit tree.

    v1 王小明 (M)  A111 醫院志工隊      since 2020-01-01
    v2 陳美玲 (F)  A112 醫院導覽志工隊  2021-03-01 – 2023-06-30, 退出
    v3 林𡘙生 (F)  A121 圖書館志工隊    since 2022-01-01 (a name outside the BMP)
    v4 張志豪 (M)  B111 國小志工隊      since 2019-09-01
    v5 李淑芬 (F)  A111 since 2020-05-01 and B111 since 2021-01-01 (two counties)

Service records (minutes, persons served): v1@A111 2024-03-05 120/3 and
2024-03-20 90/0; v5@A111 2024-03-10 60/2; v4@B111 2024-03-11 30/1;
v3@A121 2024-04-01 45/0. Trainings: v1 and v4 basic. Record books: v1
(issued by A000) and v4 (B000). Insurance: v5 (seen by both counties). Honour
card: v3. The audit trail is emptied after setup, so tests count only the rows
they cause.
"""

import datetime as dt
import random
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.conftest import Personas, Tree
from vsis.audit.models import AuditEntry
from vsis.core.national_id import generate_id
from vsis.hours.models import ServiceRecord
from vsis.hours.services import save_service_record
from vsis.volunteers.models import (
    HonourCard,
    Insurance,
    Membership,
    MembershipStatus,
    RecordBook,
    Training,
    Volunteer,
)

RNG = random.Random(20241231)
D = dt.date


def new_id(sex: str) -> str:
    while True:
        candidate = generate_id(RNG, sex)
        if not Volunteer.objects.filter(national_id=candidate).exists():
            return candidate


def person(name: str, sex: str, born: dt.date) -> Volunteer:
    return Volunteer.objects.create(
        national_id=new_id(sex), name=name, sex=sex, birth_date=born
    )


@dataclass
class People:
    v1: Volunteer
    v2: Volunteer
    v3: Volunteer
    v4: Volunteer
    v5: Volunteer


@pytest.fixture
def people(tree: Tree, personas: Personas) -> People:
    v1 = person("王小明", "M", D(1960, 5, 1))
    v2 = person("陳美玲", "F", D(1975, 8, 15))
    v3 = person("林𡘙生", "F", D(1990, 2, 28))
    v4 = person("張志豪", "M", D(1955, 12, 31))
    v5 = person("李淑芬", "F", D(1949, 1, 1))
    Membership.objects.create(
        volunteer=v1, team=tree.hospital_team, joined_on=D(2020, 1, 1)
    )
    Membership.objects.create(
        volunteer=v2,
        team=tree.guide_team,
        joined_on=D(2021, 3, 1),
        left_on=D(2023, 6, 30),
        status=MembershipStatus.QUIT,
    )
    Membership.objects.create(
        volunteer=v3, team=tree.library_team, joined_on=D(2022, 1, 1)
    )
    Membership.objects.create(
        volunteer=v4, team=tree.school_team, joined_on=D(2019, 9, 1)
    )
    Membership.objects.create(
        volunteer=v5, team=tree.hospital_team, joined_on=D(2020, 5, 1)
    )
    Membership.objects.create(
        volunteer=v5, team=tree.school_team, joined_on=D(2021, 1, 1)
    )
    for volunteer, team, day, minutes, served in [
        (v1, tree.hospital_team, D(2024, 3, 5), 120, 3),
        (v1, tree.hospital_team, D(2024, 3, 20), 90, 0),
        (v5, tree.hospital_team, D(2024, 3, 10), 60, 2),
        (v4, tree.school_team, D(2024, 3, 11), 30, 1),
        (v3, tree.library_team, D(2024, 4, 1), 45, 0),
    ]:
        save_service_record(
            ServiceRecord(
                volunteer=volunteer,
                team=team,
                served_on=day,
                minutes=minutes,
                persons_served=served,
            ),
            actor=None,
        )
    Training.objects.create(volunteer=v1, kind="basic", completed_on=D(2020, 2, 1))
    Training.objects.create(volunteer=v4, kind="basic", completed_on=D(2019, 10, 1))
    RecordBook.objects.create(
        volunteer=v1,
        number="RB-0001",
        issued_on=D(2020, 3, 1),
        issuing_unit=tree.county_a,
    )
    RecordBook.objects.create(
        volunteer=v4,
        number="RB-0002",
        issued_on=D(2019, 11, 1),
        issuing_unit=tree.county_b,
    )
    Insurance.objects.create(
        volunteer=v5, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31)
    )
    HonourCard.objects.create(
        volunteer=v3, issued_on=D(2023, 1, 1), valid_until=D(2025, 12, 31)
    )
    AuditEntry.objects.all().delete()
    return People(v1, v2, v3, v4, v5)


def client_for(user: object) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


PERSONAS = [
    "unit_clerk",
    "county_clerk",
    "viewer",
    "other_county_clerk",
    "county_admin",
    "superuser",
]
