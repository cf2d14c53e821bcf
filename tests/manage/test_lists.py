"""The list machinery: constant queries per page, cheap date levels, ROC labels."""

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Personas, Tree
from tests.manage.conftest import People, client_for, person
from vsis.hours.models import ServiceRecord
from vsis.hours.services import save_service_record
from vsis.units.adminsite import roc_title, with_bounded_dates
from vsis.volunteers.models import Membership


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def add_people(tree: Tree, count: int) -> None:
    for n in range(count):
        someone = person(f"志工{n}", "F", dt.date(1980, 1, 1))
        Membership.objects.create(
            volunteer=someone, team=tree.hospital_team, joined_on=dt.date(2023, 1, 1)
        )
        save_service_record(
            ServiceRecord(
                volunteer=someone,
                team=tree.hospital_team,
                served_on=dt.date(2023, 2, 1 + n),
                minutes=60,
            ),
            actor=None,
        )


def test_list_pages_cost_the_same_queries_for_more_rows(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    urls = [
        reverse("vsis_admin:volunteers_volunteer_changelist"),
        reverse("vsis_admin:volunteers_membership_changelist"),
        reverse("vsis_admin:hours_servicerecord_changelist"),
        reverse("vsis_admin:units_unit_changelist"),
    ]
    before = [queries_for(client, url) for url in urls]
    add_people(tree, 20)
    after = [queries_for(client, url) for url in urls]
    assert before == after


def test_pages_keep_their_order(tree: Tree, personas: Personas, people: People) -> None:
    add_people(tree, 20)
    client = client_for(personas.county_clerk)
    url = reverse("vsis_admin:hours_servicerecord_changelist")
    listed = client.get(url).context["cl"].result_list
    expected = ServiceRecord.objects.filter(
        team__path__startswith=tree.county_a.path
    ).order_by("-served_on", "-id")
    assert [r.pk for r in listed] == [r.pk for r in expected]


def test_date_levels_come_from_the_range(people: People) -> None:
    records = with_bounded_dates(ServiceRecord.objects.all())
    # Records from 2024-03-05 to 2024-04-01.
    assert list(records.dates("served_on", "year")) == [dt.date(2024, 1, 1)]
    assert list(records.dates("served_on", "month")) == [
        dt.date(2024, 3, 1),
        dt.date(2024, 4, 1),
    ]
    march = records.filter(served_on__month=3, team__code="A111")
    assert list(march.dates("served_on", "day")) == [
        dt.date(2024, 3, 5) + dt.timedelta(days=n) for n in range(16)
    ]
    assert list(records.none().dates("served_on", "year")) == []
    # Filtering keeps the behaviour.
    assert list(records.filter(pk=0).dates("served_on", "year")) == []


def test_date_hierarchy_labels_are_roc() -> None:
    assert roc_title("2024") == "113年"
    assert roc_title("2024年3月") == "113年3月"
    assert roc_title("3月5日") == "3月5日"
    assert roc_title("所有日期") == "所有日期"


def test_the_hierarchy_links_show_roc_years(
    tree: Tree, personas: Personas, people: People
) -> None:
    save_service_record(
        ServiceRecord(
            volunteer=people.v1,
            team=tree.hospital_team,
            served_on=dt.date(2023, 5, 5),
            minutes=30,
        ),
        actor=None,
    )
    url = reverse("vsis_admin:hours_servicerecord_changelist")
    body = client_for(personas.unit_clerk).get(url).content.decode()
    assert "served_on__year=2023" in body and ">112年<" in body and ">113年<" in body
