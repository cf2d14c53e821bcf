"""Volunteers and memberships through 資料管理: forms, rules, masking, audit."""

import datetime as dt
import json
import logging
import random
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Personas, Tree
from tests.manage.conftest import People, client_for
from vsis.audit.models import AuditEntry
from vsis.core.national_id import check_digit, generate_id
from vsis.hours.models import MonthlyService, YearlyService
from vsis.volunteers.models import HonourCard, Membership, Training, Volunteer

ADD = reverse("vsis_admin:volunteers_volunteer_add")
LIST = reverse("vsis_admin:volunteers_volunteer_changelist")


def volunteer_form(team: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "national_id": "",
        "id_kind": "national",
        "name": "黃𡘙珍",
        "sex": "F",
        "birth_date": "70/03/15",
        "phone": "",
        "address": "",
        "education": "",
        "skills": "",
        "team": team.pk,
        "joined_on": "113/01/02",
        "status": "active",
    }
    return data | overrides


def fresh_id(sex: str = "F") -> str:
    rng = random.Random(7)
    while True:
        value = generate_id(rng, sex)
        if not Volunteer.objects.filter(national_id=value).exists():
            return value


def change_form(
    volunteer: Volunteer, memberships: list[Membership], **fields: Any
) -> dict[str, Any]:
    """The POST of a volunteer's change page, its inlines left as they are."""
    data: dict[str, Any] = {
        "national_id": volunteer.national_id,
        "id_kind": volunteer.id_kind,
        "name": volunteer.name,
        "sex": volunteer.sex,
        "birth_date": volunteer.birth_date.isoformat(),
        "phone": "",
        "address": "",
        "education": "",
        "skills": "",
    }
    prefixes = [
        "memberships",
        "trainings",
        "record_books",
        "insurances",
        "honour_cards",
        "awards",
    ]
    for prefix in prefixes:
        data |= {
            f"{prefix}-TOTAL_FORMS": 0,
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    data["memberships-TOTAL_FORMS"] = len(memberships)
    data["memberships-INITIAL_FORMS"] = len(memberships)
    for index, m in enumerate(memberships):
        data |= {
            f"memberships-{index}-id": m.pk,
            f"memberships-{index}-volunteer": volunteer.pk,
            f"memberships-{index}-team": m.team_id,
            f"memberships-{index}-joined_on": m.joined_on.isoformat(),
            f"memberships-{index}-left_on": m.left_on.isoformat() if m.left_on else "",
            f"memberships-{index}-status": m.status,
        }
    trainings = list(volunteer.trainings.all())
    data["trainings-TOTAL_FORMS"] = data["trainings-INITIAL_FORMS"] = len(trainings)
    for index, t in enumerate(trainings):
        data |= {
            f"trainings-{index}-id": t.pk,
            f"trainings-{index}-volunteer": volunteer.pk,
            f"trainings-{index}-kind": t.kind,
            f"trainings-{index}-category": t.category_id or "",
            f"trainings-{index}-completed_on": t.completed_on.isoformat(),
            f"trainings-{index}-provider": t.provider,
            f"trainings-{index}-hours": str(t.hours),
        }
    return data | fields


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_a_clerk_adds_a_volunteer_with_a_first_membership(
    tree: Tree, personas: Personas, people: People, caplog: Any
) -> None:
    new_id = fresh_id()
    client = client_for(personas.unit_clerk)
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            ADD, volunteer_form(tree.guide_team, national_id=new_id.lower())
        )
    assert response.status_code == 302, errors_of(response)
    person = Volunteer.objects.get(national_id=new_id)
    assert person.name == "黃𡘙珍" and len(person.name) == 3  # 𡘙 is one character
    assert person.birth_date == dt.date(1981, 3, 15)
    membership = Membership.objects.get(volunteer=person)
    assert (membership.team, membership.joined_on, membership.status) == (
        tree.guide_team,
        dt.date(2024, 1, 2),
        "active",
    )
    # The new person is in the clerk's list at once.
    listed = client.get(LIST, {"q": "黃𡘙珍"})
    assert [v.pk for v in listed.context["cl"].result_list] == [person.pk]
    assert "黃𡘙珍" in listed.content.decode()
    # Audit: who, which rows, and no personal data beyond ids.
    entries = AuditEntry.objects.order_by("id")
    assert [e.action for e in entries] == ["volunteer.create", "membership.create"]
    created, joined = entries
    assert created.actor == personas.unit_clerk
    assert created.target_id == str(person.pk) and created.unit_id == tree.guide_team.pk
    assert created.changes["name"] == {"redacted": True}
    assert created.changes["national_id"] == {"redacted": True}
    # None → None is no change, so left_on is not listed.
    assert joined.changes == {
        "volunteer_id": {"old": None, "new": person.pk},
        "team_id": {"old": None, "new": tree.guide_team.pk},
        "joined_on": {"old": None, "new": "2024-01-02"},
        "status": {"old": None, "new": "active"},
    }
    dumped = json.dumps([e.changes for e in entries], ensure_ascii=False)
    assert new_id not in dumped and "黃𡘙珍" not in dumped and "1981" not in dumped
    assert new_id not in caplog.text and "黃𡘙珍" not in caplog.text


def test_the_first_membership_is_required_and_in_scope(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    data = volunteer_form(tree.library_team, national_id=fresh_id())
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert "team" in errors_of(response)
    response = client.post(ADD, data | {"team": "", "joined_on": ""})
    assert {"team", "joined_on"} <= set(errors_of(response))
    assert Volunteer.objects.count() == 5 and AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("A12345678", "格式不正確"),
        ("A123456788", "檢查碼不正確"),
        ("", "這個欄位是必須的"),
    ],
)
def test_a_bad_national_id_gets_a_chinese_message(
    tree: Tree, personas: Personas, people: People, typed: str, message: str
) -> None:
    response = client_for(personas.unit_clerk).post(
        ADD, volunteer_form(tree.hospital_team, national_id=typed)
    )
    assert response.status_code == 200
    assert any(message in e for e in errors_of(response)["national_id"])
    assert Volunteer.objects.count() == 5


def test_an_id_already_registered_points_to_the_membership_page(
    tree: Tree, personas: Personas, people: People
) -> None:
    response = client_for(personas.unit_clerk).post(
        ADD,
        volunteer_form(tree.hospital_team, national_id=people.v4.national_id, sex="M"),
    )
    assert "隊員資格" in errors_of(response)["national_id"][0]


def test_sex_must_agree_with_the_id(
    tree: Tree, personas: Personas, people: People
) -> None:
    prefix = "A1" + "2345678"
    male_id = prefix + str(check_digit(prefix))
    response = client_for(personas.unit_clerk).post(
        ADD, volunteer_form(tree.hospital_team, national_id=male_id, sex="F")
    )
    assert "性別與證號第二碼不符" in errors_of(response)["sex"][0]


def test_viewers_see_the_id_masked_and_clerks_in_full(
    personas: Personas, people: People
) -> None:
    full = people.v1.national_id
    masked = full[:3] + "****" + full[-3:]
    for url in (
        LIST,
        reverse("vsis_admin:volunteers_volunteer_change", args=[people.v1.pk]),
    ):
        seen = client_for(personas.viewer).get(url).content.decode()
        assert masked in seen and full not in seen, url
        clerk = client_for(personas.county_clerk).get(url).content.decode()
        assert full in clerk, url
    memberships = reverse("vsis_admin:volunteers_membership_changelist")
    seen = client_for(personas.viewer).get(memberships).content.decode()
    assert masked in seen and full not in seen


def test_memberships_of_one_team_may_not_overlap(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    url = reverse("vsis_admin:volunteers_membership_add")
    base = {
        "volunteer": people.v1.pk,
        "team": tree.hospital_team.pk,
        "status": "active",
    }
    response = client.post(url, base | {"joined_on": "2023-05-01"})
    message = errors_of(response)["joined_on"][0]
    assert "109/01/01 至 今" in message and "不可重疊" in message
    # v2 left the guide team on 2023-06-30: rejoining that day overlaps,
    # the day after does not.
    again = {"volunteer": people.v2.pk, "team": tree.guide_team.pk, "status": "active"}
    assert "joined_on" in errors_of(
        client.post(url, again | {"joined_on": "112/06/30"})
    )
    assert client.post(url, again | {"joined_on": "112/07/01"}).status_code == 302
    assert Membership.objects.filter(volunteer=people.v2).count() == 2
    # Another team at the same time is fine.
    other = base | {"team": tree.guide_team.pk, "joined_on": "2023-05-01"}
    assert client.post(url, other).status_code == 302


def test_overlap_is_checked_on_the_volunteer_page_too(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    v1 = people.v1
    mine = list(Membership.objects.filter(volunteer=v1))
    data = change_form(v1, mine)
    data |= {
        "memberships-TOTAL_FORMS": 2,
        "memberships-1-volunteer": v1.pk,
        "memberships-1-team": tree.hospital_team.pk,
        "memberships-1-joined_on": "2015-01-01",
        "memberships-1-left_on": "2020-01-01",
        "memberships-1-status": "quit",
    }
    url = reverse("vsis_admin:volunteers_volunteer_change", args=[v1.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "不可重疊" in response.content.decode()
    data["memberships-1-left_on"] = "2019-12-31"
    assert client.post(url, data).status_code == 302
    assert Membership.objects.filter(volunteer=v1).count() == 2


def test_a_membership_may_not_strand_service_records(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    membership = Membership.objects.get(volunteer=people.v1)
    url = reverse("vsis_admin:volunteers_membership_change", args=[membership.pk])
    data = {
        "team": tree.hospital_team.pk,
        "joined_on": "2020-01-01",
        "status": "quit",
        "left_on": "2024-03-10",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "1 天的服務紀錄（最早 113/03/20）" in response.content.decode()
    assert client.post(url, data | {"left_on": "2024-03-31"}).status_code == 302
    membership.refresh_from_db()
    assert membership.left_on == dt.date(2024, 3, 31)
    entry = AuditEntry.objects.get(action="membership.update")
    assert entry.actor == personas.unit_clerk
    assert entry.changes == {
        "left_on": {"old": None, "new": "2024-03-31"},
        "status": {"old": "active", "new": "quit"},
    }


def test_a_person_serving_elsewhere_joins_by_full_id(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    v4 = people.v4
    assert (
        client.get(
            reverse("vsis_admin:volunteers_volunteer_change", args=[v4.pk])
        ).status_code
        == 404
    )
    url = reverse("vsis_admin:volunteers_membership_add")
    data = {
        "person_id": v4.national_id.lower(),
        "team": tree.guide_team.pk,
        "joined_on": "113/02/01",
        "status": "intern",
    }
    assert client.post(url, data).status_code == 302
    assert (
        client.get(
            reverse("vsis_admin:volunteers_volunteer_change", args=[v4.pk])
        ).status_code
        == 200
    )
    # The clerk sees only the team in its own scope on the person's page.
    page = client.get(reverse("vsis_admin:volunteers_volunteer_change", args=[v4.pk]))
    assert (
        "醫院導覽志工隊" in page.content.decode()
        and "國小志工隊" not in page.content.decode()
    )
    unknown = client.post(url, data | {"person_id": fresh_id()})
    assert "查無此證號的志工" in errors_of(unknown)["person_id"][0]


def test_ending_memberships_from_the_list(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    url = reverse("vsis_admin:volunteers_membership_changelist")
    chosen = Membership.objects.filter(volunteer__in=[people.v3, people.v1])
    ids = [str(m.pk) for m in chosen]
    ask = client.post(url, {"action": "end_memberships", "_selected_action": ids})
    assert ask.status_code == 200 and "離隊日期" in ask.content.decode()
    done = client.post(
        url,
        {
            "action": "end_memberships",
            "_selected_action": ids,
            "left_on": "113/12/31",
            "status": "quit",
        },
    )
    assert done.status_code == 302
    assert set(chosen.values_list("left_on", flat=True)) == {dt.date(2024, 12, 31)}
    assert (
        AuditEntry.objects.filter(
            action="membership.end", actor=personas.county_clerk
        ).count()
        == 2
    )


def test_the_only_membership_cannot_be_deleted(
    personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    membership = Membership.objects.get(volunteer=people.v2)
    url = reverse("vsis_admin:volunteers_membership_delete", args=[membership.pk])
    response = client.post(url, {"post": "yes"}, follow=True)
    assert "唯一的隊員資格" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.count() == 0


def test_a_volunteer_serving_in_another_county_cannot_be_deleted(
    personas: Personas, people: People
) -> None:
    url = reverse("vsis_admin:volunteers_volunteer_delete", args=[people.v5.pk])
    assert client_for(personas.unit_clerk).post(url, {"post": "yes"}).status_code == 403
    assert Volunteer.objects.filter(pk=people.v5.pk).exists()


def test_a_volunteer_without_records_is_deleted_with_an_audit_row(
    tree: Tree, personas: Personas, people: People
) -> None:
    url = reverse("vsis_admin:volunteers_volunteer_delete", args=[people.v2.pk])
    assert client_for(personas.unit_clerk).post(url, {"post": "yes"}).status_code == 302
    assert not Volunteer.objects.filter(pk=people.v2.pk).exists()
    entry = AuditEntry.objects.get(action="volunteer.delete")
    assert (entry.actor, entry.target_id, entry.unit_id) == (
        personas.unit_clerk,
        str(people.v2.pk),
        tree.guide_team.pk,
    )
    # v1 has service records: the page lists them as protected and refuses.
    url = reverse("vsis_admin:volunteers_volunteer_delete", args=[people.v1.pk])
    page = client_for(personas.unit_clerk).post(url, {"post": "yes"})
    assert (
        page.status_code == 200 and Volunteer.objects.filter(pk=people.v1.pk).exists()
    )


def test_a_sex_correction_reaches_the_tallies(
    tree: Tree, personas: Personas, people: People
) -> None:
    v1 = people.v1
    assert set(
        MonthlyService.objects.filter(volunteer=v1).values_list("sex", flat=True)
    ) == {"M"}
    # A correct female ID for the person, and the sex with it.
    prefix = "A2" + v1.national_id[2:9]
    corrected = prefix + str(check_digit(prefix))
    url = reverse("vsis_admin:volunteers_volunteer_change", args=[v1.pk])
    data = change_form(
        v1,
        list(Membership.objects.filter(volunteer=v1)),
        sex="F",
        national_id=corrected,
    )
    response = client_for(personas.unit_clerk).post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(
        MonthlyService.objects.filter(volunteer=v1).values_list("sex", flat=True)
    ) == {"F"}
    assert set(
        YearlyService.objects.filter(volunteer=v1).values_list("sex", flat=True)
    ) == {"F"}
    entry = AuditEntry.objects.get(action="volunteer.update")
    assert entry.changes == {
        "national_id": {"redacted": True},
        "sex": {"redacted": True},
    }
    assert entry.unit_id == tree.hospital_team.pk


def test_details_are_saved_through_the_volunteer_page(
    tree: Tree, personas: Personas, people: People
) -> None:
    v1 = people.v1
    data = change_form(v1, list(Membership.objects.filter(volunteer=v1)))
    data |= {
        "honour_cards-TOTAL_FORMS": 1,
        "honour_cards-0-volunteer": v1.pk,
        "honour_cards-0-number": "HC-001",
        "honour_cards-0-issued_on": "113/05/01",
        "honour_cards-0-valid_until": "116/04/30",
        "honour_cards-0-issuing_unit": tree.county_a.pk,
    }
    url = reverse("vsis_admin:volunteers_volunteer_change", args=[v1.pk])
    assert client_for(personas.unit_clerk).post(url, data).status_code == 302
    card = v1.honour_cards.get()
    assert (card.issued_on, card.valid_until, card.issuing_unit) == (
        dt.date(2024, 5, 1),
        dt.date(2027, 4, 30),
        tree.county_a,
    )
    entry = AuditEntry.objects.get(action="honourcard.create")
    assert entry.unit_id == tree.county_a.pk
    assert entry.changes["number"] == {"redacted": True}
    assert entry.changes["issued_on"] == {"old": None, "new": "2024-05-01"}
    # An issuing unit in the other county is not a choice.
    data = change_form(v1, list(Membership.objects.filter(volunteer=v1)))
    data |= {
        "honour_cards-TOTAL_FORMS": 1,
        "honour_cards-0-volunteer": v1.pk,
        "honour_cards-0-number": "HC-002",
        "honour_cards-0-issued_on": "113/06/01",
        "honour_cards-0-valid_until": "116/05/31",
        "honour_cards-0-issuing_unit": tree.county_b.pk,
    }
    response = client_for(personas.unit_clerk).post(url, data)
    assert response.status_code == 200
    cards = next(
        f
        for f in response.context["inline_admin_formsets"]
        if f.formset.model is HonourCard
    )
    assert list(cards.formset.errors[0]) == ["issuing_unit"]
    assert v1.honour_cards.count() == 1


def test_training_rules(tree: Tree, personas: Personas, people: People) -> None:
    url = reverse("vsis_admin:volunteers_training_add")
    client = client_for(personas.unit_clerk)
    base = {
        "volunteer": people.v1.pk,
        "kind": "special",
        "completed_on": "113/01/01",
        "provider": "",
        "hours": "6",
    }
    assert "特殊訓練須選擇服務類別" in errors_of(client.post(url, base))["category"][0]
    same_day = base | {"kind": "basic", "completed_on": "2020-02-01"}
    assert (
        "同一天已有同類別" in errors_of(client.post(url, same_day))["completed_on"][0]
    )
    assert client.post(url, base | {"kind": "basic"}).status_code == 302
    assert Training.objects.filter(volunteer=people.v1).count() == 2


def test_who_a_person_is_is_corrected_above_when_they_serve_elsewhere(
    tree: Tree, personas: Personas, people: People
) -> None:
    from django.core.exceptions import ValidationError

    from vsis.volunteers.services import save_volunteer

    v5 = people.v5  # 李淑芬 serves in A111 and in the other county's B111
    mine = list(Membership.objects.filter(volunteer=v5, team=tree.hospital_team))
    url = reverse("vsis_admin:volunteers_volunteer_change", args=[v5.pk])
    client = client_for(personas.county_clerk)

    page = client.get(url).content.decode()
    assert 'name="birth_date"' not in page and 'name="name"' not in page
    assert 'name="phone"' in page
    data = change_form(v5, mine, birth_date="1950-02-02", name="李淑華", phone="02-1")
    assert client.post(url, data).status_code == 302
    v5.refresh_from_db()
    assert (v5.name, v5.birth_date, v5.phone) == ("李淑芬", dt.date(1949, 1, 1), "02-1")

    # Whatever the route, the service refuses, naming the field and why.
    v5.birth_date = dt.date(1950, 2, 2)
    with pytest.raises(ValidationError) as refused:
        save_volunteer(v5, actor=personas.county_clerk)
    assert "須由上層單位更正" in refused.value.message_dict["birth_date"][0]
    # The central authority above both counties may.
    save_volunteer(v5, actor=personas.superuser)
    v5.refresh_from_db()
    assert v5.birth_date == dt.date(1950, 2, 2)
