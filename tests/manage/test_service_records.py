"""Service records through 資料管理: hours, rules, tallies and audit."""

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Personas, Tree
from tests.manage.conftest import People, client_for
from vsis.audit.models import AuditEntry
from vsis.hours.admin import HoursError, format_hours, parse_hours
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.units.models import Unit
from vsis.volunteers.models import Volunteer

ADD = reverse("vsis_admin:hours_servicerecord_add")


def record_form(volunteer: Volunteer, team: Unit, **overrides: Any) -> dict[str, Any]:
    data = {
        "volunteer": volunteer.pk,
        "team": team.pk,
        "served_on": "113/03/25",
        "start_time": "",
        "end_time": "",
        "hours": "2.5",
        "persons_served": "4",
        "item": "門診引導",
        "note": "",
    }
    return data | overrides


def tally(
    model: Any, team: Unit, volunteer: Volunteer, **period: Any
) -> tuple[int, int, int] | None:
    row = model.objects.filter(team=team, volunteer=volunteer, **period).first()
    return None if row is None else (row.records, row.minutes, row.persons_served)


MARCH = {"month": dt.date(2024, 3, 1)}
APRIL = {"month": dt.date(2024, 4, 1)}
YEAR = {"year": 2024}


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_the_fixture_tallies(tree: Tree, people: People) -> None:
    # 120 + 90 minutes and 3 + 0 persons on 5 and 20 March.
    assert tally(MonthlyService, tree.hospital_team, people.v1, **MARCH) == (2, 210, 3)
    assert tally(YearlyService, tree.hospital_team, people.v1, **YEAR) == (2, 210, 3)


def test_adding_a_record_updates_the_tallies(
    tree: Tree, personas: Personas, people: People
) -> None:
    response = client_for(personas.unit_clerk).post(
        ADD, record_form(people.v1, tree.hospital_team)
    )
    assert response.status_code == 302, errors_of(response)
    record = ServiceRecord.objects.get(served_on=dt.date(2024, 3, 25))
    assert record.minutes == 150
    # 210 + 150 minutes, 3 + 4 persons, three attendances.
    assert tally(MonthlyService, tree.hospital_team, people.v1, **MARCH) == (3, 360, 7)
    assert tally(YearlyService, tree.hospital_team, people.v1, **YEAR) == (3, 360, 7)
    # v5's tally in the same team and month is untouched.
    assert tally(MonthlyService, tree.hospital_team, people.v5, **MARCH) == (1, 60, 2)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.unit_id) == (
        "service_record.create",
        personas.unit_clerk,
        tree.hospital_team.pk,
    )
    assert entry.changes["minutes"] == {"old": None, "new": 150}
    assert entry.changes["served_on"] == {"old": None, "new": "2024-03-25"}


def test_moving_a_record_to_another_month_moves_its_tally(
    tree: Tree, personas: Personas, people: People
) -> None:
    record = ServiceRecord.objects.get(
        volunteer=people.v1, served_on=dt.date(2024, 3, 5)
    )
    url = reverse("vsis_admin:hours_servicerecord_change", args=[record.pk])
    client = client_for(personas.unit_clerk)
    page = client.get(url)
    assert page.context["adminform"].form.initial["hours"] == "2"
    data = record_form(
        people.v1,
        tree.hospital_team,
        served_on="2024-04-02",
        start_time="09:00",
        end_time="10:30",
        hours="",
        persons_served="3",
    )
    assert client.post(url, data).status_code == 302
    record.refresh_from_db()
    assert (record.served_on, record.minutes) == (dt.date(2024, 4, 2), 90)
    # March keeps the 90-minute record of the 20th; April gets the moved one.
    assert tally(MonthlyService, tree.hospital_team, people.v1, **MARCH) == (1, 90, 0)
    assert tally(MonthlyService, tree.hospital_team, people.v1, **APRIL) == (1, 90, 3)
    assert tally(YearlyService, tree.hospital_team, people.v1, **YEAR) == (2, 180, 3)
    entry = AuditEntry.objects.get(action="service_record.update")
    assert entry.changes["minutes"] == {"old": 120, "new": 90}
    assert entry.changes["served_on"] == {"old": "2024-03-05", "new": "2024-04-02"}


def test_deleting_records_updates_the_tallies(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    first = ServiceRecord.objects.get(
        volunteer=people.v1, served_on=dt.date(2024, 3, 20)
    )
    url = reverse("vsis_admin:hours_servicerecord_delete", args=[first.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert tally(MonthlyService, tree.hospital_team, people.v1, **MARCH) == (1, 120, 3)
    # The bulk action goes through the same service, record by record.
    rest = ServiceRecord.objects.filter(team=tree.hospital_team)
    changelist = reverse("vsis_admin:hours_servicerecord_changelist")
    response = client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in rest],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not MonthlyService.objects.filter(team=tree.hospital_team).exists()
    assert not YearlyService.objects.filter(team=tree.hospital_team).exists()
    assert tally(MonthlyService, tree.library_team, people.v3, **APRIL) == (1, 45, 0)
    assert AuditEntry.objects.filter(action="service_record.delete").count() == 3


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hours": "24.5"}, "hours", "不可超過 24 小時"),
        ({"hours": "0"}, "hours", "須大於 0"),
        ({"hours": "abc"}, "hours", "請填數字"),
        ({"hours": "1.33"}, "hours", "整數分鐘"),
        ({"hours": ""}, "hours", "請填服務時數"),
        (
            {"hours": "", "start_time": "10:00", "end_time": "09:00"},
            "end_time",
            "迄時須晚於起時",
        ),
        ({"hours": "", "start_time": "10:00"}, "end_time", "請同時填起時與迄時"),
        (
            {"hours": "3", "start_time": "09:00", "end_time": "11:00"},
            "hours",
            "不可超過起時到迄時",
        ),
        ({"served_on": "2019-12-31"}, "served_on", "不是「醫院志工隊」的隊員"),
        ({"served_on": "113/02/30"}, "served_on", "不存在的日期"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_writes_nothing(
    tree: Tree,
    personas: Personas,
    people: People,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(personas.unit_clerk).post(
        ADD, record_form(people.v1, tree.hospital_team, **overrides)
    )
    assert response.status_code == 200
    assert any(message in e for e in errors_of(response)[field]), errors_of(response)
    assert ServiceRecord.objects.count() == 5 and AuditEntry.objects.count() == 0


def test_a_future_date_is_refused(
    tree: Tree, personas: Personas, people: People
) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(personas.unit_clerk).post(
        ADD, record_form(people.v1, tree.hospital_team, served_on=tomorrow.isoformat())
    )
    assert "不可晚於今天" in errors_of(response)["served_on"][0]


def test_service_after_leaving_the_team_is_refused(
    tree: Tree, personas: Personas, people: People
) -> None:
    # v2 left the guide team on 2023-06-30; that day still counts.
    client = client_for(personas.unit_clerk)
    late = client.post(
        ADD, record_form(people.v2, tree.guide_team, served_on="112/07/01")
    )
    message = errors_of(late)["served_on"][0]
    assert "110/03/01–112/06/30" in message
    last_day = client.post(
        ADD, record_form(people.v2, tree.guide_team, served_on="112/06/30")
    )
    assert last_day.status_code == 302
    # A team the person never joined.
    other = client.post(ADD, record_form(people.v1, tree.guide_team))
    assert "沒有此隊的隊員資格" in errors_of(other)["served_on"][0]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2.5", 150),
        ("2", 120),
        ("２．５", 150),
        ("2:30", 150),
        ("0.25", 15),
        ("1.5小時", 90),
        ("24", 1440),
    ],
)
def test_hours_are_read_exactly(text: str, minutes: int) -> None:
    assert parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["1.33", "2:75", "-1", "1e2", "兩小時"])
def test_unreadable_hours(text: str) -> None:
    with pytest.raises(HoursError):
        parse_hours(text)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(150, "2.5"), (120, "2"), (15, "0.25"), (100, "1:40"), (6, "0.1")],
)
def test_hours_are_shown_exactly(minutes: int, text: str) -> None:
    assert format_hours(minutes) == text
    assert parse_hours(text) == minutes
