"""Every persona against every list, change page and right of 資料管理."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Personas, Tree
from tests.manage.conftest import PERSONAS, People, client_for
from vsis.hours.models import ServiceRecord
from vsis.units.models import Unit
from vsis.volunteers.models import Membership, Training


def changelist(model: str) -> str:
    return reverse(f"vsis_admin:{model}_changelist")


def change(model: str, pk: Any) -> str:
    return reverse(f"vsis_admin:{model}_change", args=[pk])


# Rows each persona sees, worked out from the tree and tests/manage/conftest.py.
VISIBLE = {
    "units_unit": {
        "unit_clerk": 3,  # A110, A111, A112
        "county_clerk": 7,  # A000 and its six below
        "viewer": 7,
        "other_county_clerk": 4,  # B000, B100, B110, B111
        "county_admin": 7,
        "superuser": 12,
    },
    "volunteers_volunteer": {
        "unit_clerk": 3,  # v1, v2 (left), v5
        "county_clerk": 4,  # + v3
        "viewer": 4,
        "other_county_clerk": 2,  # v4, v5
        "county_admin": 4,
        "superuser": 5,
    },
    "volunteers_membership": {
        "unit_clerk": 3,
        "county_clerk": 4,
        "viewer": 4,
        "other_county_clerk": 2,
        "county_admin": 4,
        "superuser": 6,
    },
    "hours_servicerecord": {
        "unit_clerk": 3,
        "county_clerk": 4,
        "viewer": 4,
        "other_county_clerk": 1,
        "county_admin": 4,
        "superuser": 5,
    },
    "volunteers_training": {
        "unit_clerk": 1,
        "county_clerk": 1,
        "viewer": 1,
        "other_county_clerk": 1,
        "county_admin": 1,
        "superuser": 2,
    },
    "volunteers_recordbook": {
        "unit_clerk": 1,
        "county_clerk": 1,
        "viewer": 1,
        "other_county_clerk": 1,
        "county_admin": 1,
        "superuser": 2,
    },
    # v5 serves in both counties: her insurance is seen by both.
    "volunteers_insurance": {name: 1 for name in PERSONAS},
    "volunteers_honourcard": {
        "unit_clerk": 0,
        "county_clerk": 1,
        "viewer": 1,
        "other_county_clerk": 0,
        "county_admin": 1,
        "superuser": 1,
    },
    "volunteers_award": {name: 0 for name in PERSONAS},
    "units_servicecategory": {name: 22 for name in PERSONAS},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("model", sorted(VISIBLE))
def test_each_list_shows_the_rows_in_scope(
    personas: Personas, people: People, persona: str, model: str
) -> None:
    response = client_for(getattr(personas, persona)).get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == VISIBLE[model][persona]


@pytest.mark.parametrize(
    "model",
    [
        "units_unit",
        "volunteers_volunteer",
        "volunteers_membership",
        "volunteers_training",
        "volunteers_recordbook",
        "volunteers_insurance",
        "volunteers_honourcard",
        "volunteers_award",
        "hours_servicerecord",
        "audit_auditentry",
    ],
)
def test_every_list_renders_for_a_viewer(
    personas: Personas, people: People, model: str
) -> None:
    assert client_for(personas.viewer).get(changelist(model)).status_code == 200


def test_the_audit_trail_is_scoped_by_the_unit_of_each_entry(
    tree: Tree, personas: Personas, people: People
) -> None:
    from vsis.audit.models import AuditEntry
    from vsis.audit.services import record_audit

    record_audit(
        actor=None,
        action="x.test",
        target_type="t",
        target_id=1,
        unit_id=tree.library_team.pk,
    )
    record_audit(
        actor=None,
        action="x.test",
        target_type="t",
        target_id=2,
        unit_id=tree.school_team.pk,
    )
    record_audit(
        actor=None,
        action="x.test",
        target_type="t",
        target_id=3,
        unit_id=tree.hospital.pk,
    )
    record_audit(actor=None, action="x.test", target_type="t", target_id=4)
    expected = {
        "unit_clerk": {"3"},
        "county_clerk": {"1", "3"},
        "viewer": {"1", "3"},
        "other_county_clerk": {"2"},
        "county_admin": {"1", "3"},
        "superuser": {"1", "2", "3", "4"},
    }
    for persona, ids in expected.items():
        client = client_for(getattr(personas, persona))
        response = client.get(changelist("audit_auditentry"))
        assert {e.target_id for e in response.context["cl"].result_list} == ids
        outside = AuditEntry.objects.exclude(target_id__in=ids).first()
        if outside is not None:
            assert client.get(change("audit_auditentry", outside.pk)).status_code == 404
        mine = AuditEntry.objects.get(target_id=sorted(ids)[0])
        url = change("audit_auditentry", mine.pk)
        assert client.get(url).status_code == 200
        assert client.post(url, {}).status_code == 403


def test_anonymous_is_sent_to_the_login_page(people: People) -> None:
    response = Client().get(reverse("vsis_admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == "/login/?next=%2Fadmin%2F"
    response = Client().get(changelist("volunteers_volunteer"))
    assert response.status_code == 302


def test_an_account_without_a_unit_may_not_enter(db: None) -> None:
    from tests.conftest import make_user

    stray = make_user("stray", None, "clerk")
    response = client_for(stray).get(reverse("vsis_admin:index"), follow=True)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "sees_accounts"),
    [
        ("unit_clerk", False),
        ("county_clerk", False),
        ("viewer", False),
        ("other_county_clerk", False),
        ("county_admin", True),
        ("superuser", True),
    ],
)
def test_the_index_lists_the_models_and_accounts_for_managers_only(
    personas: Personas, people: People, persona: str, sees_accounts: bool
) -> None:
    response = client_for(getattr(personas, persona)).get(reverse("vsis_admin:index"))
    body = response.content.decode()
    assert response.status_code == 200
    for label in ("單位", "志工", "隊員資格", "服務紀錄", "審計紀錄", "教育訓練"):
        assert label in body
    assert (changelist("units_user") in body) is sees_accounts


def _targets(tree: Tree, people: People) -> dict[str, tuple[str, Any]]:
    record = ServiceRecord.objects.get(volunteer=people.v1, served_on="2024-03-05")
    school_record = ServiceRecord.objects.get(volunteer=people.v4)
    return {
        "hospital_team": ("units_unit", tree.hospital_team.pk),
        "library_team": ("units_unit", tree.library_team.pk),
        "school_team": ("units_unit", tree.school_team.pk),
        "v1": ("volunteers_volunteer", people.v1.pk),
        "v3": ("volunteers_volunteer", people.v3.pk),
        "v4": ("volunteers_volunteer", people.v4.pk),
        "v5": ("volunteers_volunteer", people.v5.pk),
        "v1_membership": (
            "volunteers_membership",
            Membership.objects.get(volunteer=people.v1).pk,
        ),
        "v4_membership": (
            "volunteers_membership",
            Membership.objects.get(volunteer=people.v4).pk,
        ),
        "v1_record": ("hours_servicerecord", record.pk),
        "v4_record": ("hours_servicerecord", school_record.pk),
        "v1_training": (
            "volunteers_training",
            Training.objects.get(volunteer=people.v1).pk,
        ),
        "v4_training": (
            "volunteers_training",
            Training.objects.get(volunteer=people.v4).pk,
        ),
    }


IN_SCOPE = {
    "unit_clerk": {
        "hospital_team", "v1", "v5", "v1_membership", "v1_record", "v1_training",
    },
    "county_clerk": {
        "hospital_team", "library_team", "v1", "v3", "v5", "v1_membership",
        "v1_record", "v1_training",
    },
    "other_county_clerk": {
        "school_team", "v4", "v5", "v4_membership", "v4_record", "v4_training",
    },
    "superuser": {
        "hospital_team", "library_team", "school_team", "v1", "v3", "v4", "v5",
        "v1_membership", "v4_membership", "v1_record", "v4_record", "v1_training",
        "v4_training",
    },
}  # fmt: skip
IN_SCOPE["viewer"] = IN_SCOPE["county_admin"] = IN_SCOPE["county_clerk"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_pages_are_200_in_scope_and_404_outside(
    tree: Tree, personas: Personas, people: People, persona: str
) -> None:
    client = client_for(getattr(personas, persona))
    for name, (model, pk) in _targets(tree, people).items():
        seen = 200 if name in IN_SCOPE[persona] else 404
        # A viewer may not delete; nor may anyone but a superuser delete v5,
        # who also serves in the other county.
        refused = persona == "viewer" or (name == "v5" and persona != "superuser")
        for url, expected in (
            (change(model, pk), seen),
            (reverse(f"vsis_admin:{model}_history", args=[pk]), seen),
            (
                reverse(f"vsis_admin:{model}_delete", args=[pk]),
                403 if seen == 200 and refused else seen,
            ),
        ):
            assert client.get(url).status_code == expected, (name, url)


def test_a_missing_id_is_a_404_not_a_redirect(
    personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    assert client.get(change("volunteers_volunteer", 999999)).status_code == 404
    assert client.get(change("volunteers_volunteer", "abc")).status_code == 404


def test_a_tampered_selection_is_a_bad_request(
    personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    mine = Membership.objects.filter(volunteer=people.v3).get()
    for selected in (["abc", str(mine.pk)], ["1.5"], [str(2**63)]):
        response = client.post(
            changelist("volunteers_membership"),
            {"action": "delete_selected", "_selected_action": selected},
        )
        assert response.status_code == 400, selected


def test_a_viewer_may_look_but_not_change(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.viewer)
    page = client.get(change("volunteers_volunteer", people.v1.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "查看 志工" in body and 'name="name"' not in body
    assert client.get(reverse("vsis_admin:volunteers_volunteer_add")).status_code == 403
    assert (
        client.post(reverse("vsis_admin:volunteers_volunteer_add"), {}).status_code
        == 403
    )
    posted = client.post(change("volunteers_volunteer", people.v1.pk), {"name": "改名"})
    assert posted.status_code == 403
    url = reverse("vsis_admin:volunteers_volunteer_delete", args=[people.v1.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    unit_url = change("units_unit", tree.library.pk)
    assert client.post(unit_url, {"name": "x"}).status_code == 403
    people.v1.refresh_from_db()
    assert people.v1.name == "王小明"
    record_url = reverse("vsis_admin:hours_servicerecord_add")
    assert client.post(record_url, {}).status_code == 403


def test_a_clerk_sees_the_add_button_and_the_viewer_does_not(
    personas: Personas, people: People
) -> None:
    clerk = client_for(personas.unit_clerk).get(changelist("volunteers_volunteer"))
    viewer = client_for(personas.viewer).get(changelist("volunteers_volunteer"))
    add_url = reverse("vsis_admin:volunteers_volunteer_add")
    assert add_url in clerk.content.decode()
    assert add_url not in viewer.content.decode()


def test_service_categories_are_edited_by_superusers_only(
    personas: Personas, people: People
) -> None:
    from vsis.units.models import ServiceCategory

    category = ServiceCategory.objects.get(name="其他")
    url = change("units_servicecategory", category.pk)
    clerk = client_for(personas.county_admin)
    assert clerk.get(url).status_code == 200
    assert clerk.post(url, {"name": "改", "sort_order": 1}).status_code == 403
    superuser = client_for(personas.superuser)
    data = {"name": "其他類", "sort_order": 99, "is_active": "on"}
    assert superuser.post(url, data).status_code == 302
    category.refresh_from_db()
    assert category.name == "其他類"


def _choice_values(response: Any, field: str, form_key: str = "adminform") -> set[Any]:
    form = response.context[form_key].form
    return {obj.pk for obj in form.fields[field].queryset}


def test_foreign_key_choices_are_limited_to_the_scope(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    add_volunteer = client.get(reverse("vsis_admin:volunteers_volunteer_add"))
    assert _choice_values(add_volunteer, "team") == {
        tree.hospital_team.pk,
        tree.guide_team.pk,
    }
    add_record = client.get(reverse("vsis_admin:hours_servicerecord_add"))
    assert _choice_values(add_record, "team") == {
        tree.hospital_team.pk,
        tree.guide_team.pk,
    }
    assert _choice_values(add_record, "volunteer") == {
        people.v1.pk,
        people.v2.pk,
        people.v5.pk,
    }
    add_membership = client.get(reverse("vsis_admin:volunteers_membership_add"))
    assert _choice_values(add_membership, "team") == {
        tree.hospital_team.pk,
        tree.guide_team.pk,
    }
    add_unit = client_for(personas.county_clerk).get(
        reverse("vsis_admin:units_unit_add")
    )
    assert _choice_values(add_unit, "parent") == {
        tree.county_a.pk,
        tree.bureau_a.pk,
        tree.hospital.pk,
        tree.library.pk,
    }
    # An issuing unit may also be above the scope: the county issues cards.
    add_card = client.get(reverse("vsis_admin:volunteers_honourcard_add"))
    assert _choice_values(add_card, "issuing_unit") == {
        tree.central.pk,
        tree.county_a.pk,
        tree.bureau_a.pk,
        tree.hospital.pk,
        tree.hospital_team.pk,
        tree.guide_team.pk,
    }


def test_a_posted_choice_outside_the_scope_is_refused(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    response = client.post(
        reverse("vsis_admin:hours_servicerecord_add"),
        {
            "volunteer": people.v4.pk,
            "team": tree.school_team.pk,
            "served_on": "113/03/01",
            "hours": "2",
            "persons_served": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"volunteer", "team"}
    assert ServiceRecord.objects.count() == 5


def _autocomplete(
    client: Client, app: str, model: str, field: str, term: str = ""
) -> Any:
    response = client.get(
        reverse("vsis_admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_autocomplete_answers_only_from_the_scope_with_masked_ids(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.other_county_clerk)
    results = _autocomplete(client, "hours", "servicerecord", "volunteer")
    assert {r["id"] for r in results} == {str(people.v4.pk), str(people.v5.pk)}
    texts = " ".join(r["text"] for r in results)
    assert people.v4.national_id not in texts
    assert f"{people.v4.national_id[:3]}****{people.v4.national_id[-3:]}" in texts
    assert _autocomplete(client, "hours", "servicerecord", "volunteer", "王小明") == []
    teams = _autocomplete(client, "volunteers", "membership", "team")
    assert [r["id"] for r in teams] == [str(tree.school_team.pk)]
    parents = _autocomplete(client, "units", "unit", "parent")
    assert {r["id"] for r in parents} == {
        str(u.pk) for u in (tree.county_b, tree.bureau_b, tree.school)
    }


def test_search_finds_by_name_by_exact_id_and_by_team_code(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)

    def found(term: str) -> set[int]:
        response = client.get(changelist("volunteers_volunteer"), {"q": term})
        return {v.pk for v in response.context["cl"].result_list}

    assert found("小明") == {people.v1.pk}
    assert found(people.v3.national_id.lower()) == {people.v3.pk}
    assert found(people.v3.national_id[:6]) == set()  # no partial ID search
    assert found("a121") == {people.v3.pk}
    assert found(people.v4.national_id) == set()  # out of scope


def test_list_dates_are_roc(personas: Personas, people: People) -> None:
    body = client_for(personas.unit_clerk).get(changelist("hours_servicerecord"))
    cells = re.findall(r'class="field-served"><a [^>]*>([^<]*)<', body.content.decode())
    assert sorted(cells) == ["113/03/05", "113/03/10", "113/03/20"]
    hierarchy = client_for(personas.unit_clerk).get(changelist("hours_servicerecord"))
    assert "113年" in hierarchy.content.decode()


def test_units_outside_scope_cannot_be_reached_by_a_filter(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    response = client.get(changelist("units_unit"), {"q": "B111"})
    assert response.context["cl"].result_count == 0
    response = client.get(changelist("units_unit"), {"level__exact": 6})
    assert {u.code for u in response.context["cl"].result_list} == {"A111", "A112"}
    assert Unit.objects.filter(level=6).count() == 4


# A volunteer subquery OR-ed into a list's filter is run once per listed row
# when PostgreSQL cannot hash it (a county's records: minutes to hours).
VOLUNTEER_SUBQUERY = re.compile(r'IN \(SELECT [^()]*FROM "volunteers_volunteer"')


@pytest.mark.parametrize("model", ["hours_servicerecord", "volunteers_membership"])
def test_detail_searches_join_the_person_instead_of_a_subquery(
    tree: Tree, personas: Personas, people: People, model: str
) -> None:
    client = client_for(personas.county_clerk)

    def found(term: str) -> set[int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(changelist(model), {"q": term})
        for query in queries.captured_queries:
            assert not VOLUNTEER_SUBQUERY.search(query["sql"]), query["sql"]
        return {row.volunteer_id for row in response.context["cl"].result_list}

    assert found("小明") == {people.v1.pk}
    assert found(people.v3.national_id.lower()) == {people.v3.pk}
    assert found(people.v4.national_id) == set()  # out of scope


def test_record_search_takes_a_team_code_a_person_or_an_item(
    tree: Tree, personas: Personas, people: People
) -> None:
    ServiceRecord.objects.filter(volunteer=people.v5).update(item="門診引導")
    client = client_for(personas.county_clerk)

    def found(term: str) -> list[tuple[str, str]]:
        response = client.get(changelist("hours_servicerecord"), {"q": term})
        rows = response.context["cl"].result_list
        return sorted((r.volunteer.name, r.served_on.isoformat()) for r in rows)

    # 李淑芬 serves in A111 and B111; a code lists that team's records only.
    assert found("a111") == [
        ("李淑芬", "2024-03-10"),
        ("王小明", "2024-03-05"),
        ("王小明", "2024-03-20"),
    ]
    assert found("小明") == [("王小明", "2024-03-05"), ("王小明", "2024-03-20")]
    assert found(people.v3.national_id) == [("林𡘙生", "2024-04-01")]
    assert found("門診") == [("李淑芬", "2024-03-10")]  # nobody's name: the item
    assert found("B111") == []  # the other county's team


@pytest.mark.parametrize("whole_below", [0, 5000])
def test_record_pages_are_the_same_whether_read_whole_or_by_limit(
    personas: Personas,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
    whole_below: int,
) -> None:
    from vsis.hours.admin import ServiceRecordAdmin
    from vsis.units.adminsite import DeferredJoinPaginator

    monkeypatch.setattr(ServiceRecordAdmin, "list_per_page", 2)
    monkeypatch.setattr(DeferredJoinPaginator, "whole_below", whole_below)
    client = client_for(personas.superuser)

    def page(number: int) -> list[str]:
        response = client.get(changelist("hours_servicerecord"), {"p": number})
        return [r.served_on.isoformat() for r in response.context["cl"].result_list]

    # Five records, newest first, two a page.
    assert [page(1), page(2), page(3)] == [
        ["2024-04-01", "2024-03-20"],
        ["2024-03-11", "2024-03-10"],
        ["2024-03-05"],
    ]


@pytest.mark.parametrize("junk", ["²", "9" * 30, "abc", "-1"])
def test_a_junk_category_filter_lists_everyone_instead_of_failing(
    personas: Personas, people: People, junk: str
) -> None:
    client = client_for(personas.county_clerk)
    response = client.get(changelist("volunteers_volunteer"), {"category": junk})
    assert response.status_code == 200
    names = {v.name for v in response.context["cl"].result_list}
    assert names == {"王小明", "陳美玲", "林𡘙生", "李淑芬"}


@pytest.mark.parametrize("junk", ["abc", "9" * 23, "²"])
@pytest.mark.parametrize(
    ("model", "form"),
    [
        ("hours_servicerecord", {"served_on": "113/03/25", "hours": "1"}),
        ("volunteers_membership", {"joined_on": "113/03/25", "status": "active"}),
    ],
)
def test_a_tampered_person_field_is_a_form_error_not_a_500(
    tree: Tree,
    personas: Personas,
    people: People,
    model: str,
    form: dict[str, str],
    junk: str,
) -> None:
    client = client_for(personas.unit_clerk)
    data = {"volunteer": junk, "team": tree.hospital_team.pk, **form}
    response = client.post(reverse(f"vsis_admin:{model}_add"), data)
    assert response.status_code == 200
    assert "volunteer" in response.context["adminform"].form.errors
