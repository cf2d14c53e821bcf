"""Accounts through 資料管理: who manages whom, and the audit of it."""

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Personas, Tree
from tests.manage.conftest import PERSONAS, People, client_for
from vsis.audit.models import AuditEntry
from vsis.units.models import Role, User

LIST = reverse("vsis_admin:units_user_changelist")
ADD = reverse("vsis_admin:units_user_add")


def account_form(unit: Any, **fields: Any) -> dict[str, Any]:
    return {
        "username": "new_clerk",
        "first_name": "新承辦",
        "unit": unit.pk,
        "role": Role.CLERK,
        "password1": "Lantern-42-river",
        "password2": "Lantern-42-river",
    } | fields


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_reach_the_account_pages(
    personas: Personas, people: People, persona: str
) -> None:
    client = client_for(getattr(personas, persona))
    status = client.get(LIST).status_code
    if persona == "county_admin":
        assert status == 200
        listed = client.get(LIST).context["cl"].result_list
        # The four accounts of 甲市政府's subtree; not b_clerk, not the superuser.
        assert {u.username for u in listed} == {
            "hospital_clerk",
            "county_clerk",
            "county_viewer",
            "county_admin",
        }
    elif persona == "superuser":
        assert status == 200
        assert client.get(LIST).context["cl"].result_count == 6
    else:
        assert status == 403
        assert client.get(ADD).status_code == 403
        url = reverse("vsis_admin:units_user_change", args=[personas.viewer.pk])
        assert client.get(url).status_code == 403


def test_an_account_outside_the_scope_is_a_404(
    personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    for other in (personas.other_county_clerk, personas.superuser):
        url = reverse("vsis_admin:units_user_change", args=[other.pk])
        assert client.get(url).status_code == 404
        password = reverse("vsis_admin:units_user_password", args=[other.pk])
        assert client.get(password).status_code == 404


def test_a_unit_admin_creates_an_account_in_scope(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    form = client.get(ADD).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert set(form.fields["unit"].queryset.values_list("code", flat=True)) == {
        "A000", "A100", "A110", "A111", "A112", "A120", "A121",
    }  # fmt: skip
    # is_superuser posted anyway is ignored.
    response = client.post(ADD, account_form(tree.hospital, is_superuser="on"))
    assert response.status_code == 302, errors_of(response)
    account = User.objects.get(username="new_clerk")
    assert (account.unit, account.role, account.is_superuser) == (
        tree.hospital,
        "clerk",
        False,
    )
    assert account.check_password("Lantern-42-river")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.unit_id) == (
        "account.create",
        personas.county_admin,
        tree.hospital.pk,
    )
    assert entry.changes["role"] == {"old": None, "new": "clerk"}
    assert entry.changes["username"] == {"redacted": True}
    assert entry.changes["password"] == {"redacted": True}
    assert "Lantern" not in str(entry.changes)


def test_a_unit_admin_cannot_grant_outside_its_scope(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    response = client.post(ADD, account_form(tree.school))
    assert "unit" in errors_of(response)
    assert "unit" in errors_of(client.post(ADD, account_form(tree.central)))
    assert not User.objects.filter(username="new_clerk").exists()


def test_weak_or_mismatched_passwords_are_refused(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    short = client.post(
        ADD, account_form(tree.hospital, password1="abc", password2="abc")
    )
    assert "password1" in errors_of(short)
    mismatch = client.post(ADD, account_form(tree.hospital, password2="other-thing-99"))
    assert "不一致" in errors_of(mismatch)["password2"][0]
    taken = client.post(ADD, account_form(tree.hospital, username="county_clerk"))
    assert "username" in errors_of(taken)


def test_a_generated_password_is_shown_once(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    data = account_form(
        tree.library, generate="on", password1="", password2="", role="viewer"
    )
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.search(
        r'class="generated-password"[^>]*>([^<]+)<', response.content.decode()
    )
    assert shown is not None
    account = User.objects.get(username="new_clerk")
    assert account.check_password(shown.group(1))
    assert account.role == "viewer"
    # The change page never shows it again.
    page = client.get(reverse("vsis_admin:units_user_change", args=[account.pk]))
    assert shown.group(1) not in page.content.decode()


def test_role_change_and_deactivation_are_audited(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    viewer = personas.viewer
    url = reverse("vsis_admin:units_user_change", args=[viewer.pk])
    data = {
        "username": viewer.username,
        "first_name": "",
        "unit": viewer.unit_id,
        "role": Role.CLERK,
        "is_active": "on",
    }
    assert client.post(url, data).status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == Role.CLERK
    entry = AuditEntry.objects.get(action="account.update")
    assert entry.changes == {"role": {"old": "viewer", "new": "clerk"}}
    assert entry.actor == personas.county_admin
    response = client.post(
        LIST,
        {"action": "deactivate", "_selected_action": [personas.unit_clerk.pk]},
    )
    assert response.status_code == 302
    personas.unit_clerk.refresh_from_db()
    assert not personas.unit_clerk.is_active
    entry = AuditEntry.objects.get(action="account.deactivate")
    assert entry.changes == {"is_active": {"old": True, "new": False}}


def test_an_admin_cannot_demote_or_deactivate_itself(
    personas: Personas, people: People
) -> None:
    me = personas.county_admin
    client = client_for(me)
    url = reverse("vsis_admin:units_user_change", args=[me.pk])
    data = {
        "username": me.username,
        "first_name": "",
        "unit": me.unit_id,
        "role": Role.VIEWER,
        "is_active": "on",
    }
    response = client.post(url, data)
    assert "不能變更自己的角色" in str(errors_of(response)["__all__"])
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_password_reset_typed_or_generated(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_admin)
    target = personas.unit_clerk
    url = reverse("vsis_admin:units_user_password", args=[target.pk])
    assert client.get(url).status_code == 200
    typed = client.post(
        url, {"password1": "Harbour-77-lights", "password2": "Harbour-77-lights"}
    )
    assert typed.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Harbour-77-lights")
    generated = client.post(url, {"generate": "on"})
    shown = re.search(
        r'class="generated-password"[^>]*>([^<]+)<', generated.content.decode()
    )
    assert shown is not None
    target.refresh_from_db()
    assert target.check_password(shown.group(1))
    entries = AuditEntry.objects.filter(
        action="account.password", target_id=str(target.pk)
    )
    assert entries.count() == 2
    assert all(e.changes == {"password": {"redacted": True}} for e in entries)
    assert all(e.actor == personas.county_admin for e in entries)


def test_the_superuser_may_create_a_superuser(
    personas: Personas, people: People
) -> None:
    client = client_for(personas.superuser)
    data = account_form(personas.county_admin.unit, is_superuser="on", username="root2")
    data["unit"] = ""
    response = client.post(ADD, data)
    assert response.status_code == 302, errors_of(response)
    created = User.objects.get(username="root2")
    assert created.is_superuser and created.unit is None
