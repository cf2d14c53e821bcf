"""Units through 資料管理: where a unit may be placed, and its audit."""

from typing import Any

from django.urls import reverse

from tests.conftest import Personas, Tree
from tests.manage.conftest import People, client_for
from vsis.audit.models import AuditEntry
from vsis.units.models import Level, ServiceCategory, Unit

ADD = reverse("vsis_admin:units_unit_add")


def unit_form(**fields: Any) -> dict[str, Any]:
    return {
        "code": "A113",
        "name": "醫院關懷志工隊",
        "level": Level.TEAM,
        "parent": "",
        "category": ServiceCategory.objects.get(name="衛生福利").pk,
        "opened_on": "",
        "closed_on": "",
    } | fields


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_a_clerk_adds_a_team_under_its_unit(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    initial = client.get(ADD).context["adminform"].form.initial
    assert initial["parent"] == tree.hospital.pk and initial["level"] == Level.TEAM
    response = client.post(
        ADD, unit_form(parent=tree.hospital.pk, opened_on="113/01/01")
    )
    assert response.status_code == 302, errors_of(response)
    team = Unit.objects.get(code="A113")
    assert team.path == f"{tree.hospital.path}{team.pk}/"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.unit_id) == (
        "unit.create",
        personas.unit_clerk,
        team.pk,
    )
    assert entry.changes["parent_id"] == {"old": None, "new": tree.hospital.pk}
    assert entry.changes["opened_on"] == {"old": None, "new": "2024-01-01"}


def test_the_rules_of_the_tree(tree: Tree, personas: Personas, people: People) -> None:
    client = client_for(personas.county_clerk)
    # Not at the root, unless superuser.
    assert "parent" in errors_of(client.post(ADD, unit_form()))
    # Not under a unit outside the scope (not even offered).
    assert "parent" in errors_of(client.post(ADD, unit_form(parent=tree.county_b.pk)))
    # Not under a team.
    assert "parent" in errors_of(
        client.post(ADD, unit_form(parent=tree.hospital_team.pk))
    )
    # Below the parent's level.
    same = unit_form(parent=tree.hospital.pk, level=Level.USING, code="A130")
    assert "必須低於上層單位" in errors_of(client.post(ADD, same))["level"][0]
    # A team needs a category.
    bare = unit_form(parent=tree.hospital.pk, category="")
    assert "志工隊須選擇服務類別" in errors_of(client.post(ADD, bare))["category"][0]
    # Closed after opened.
    dates = unit_form(
        parent=tree.hospital.pk, opened_on="113/05/01", closed_on="113/04/30"
    )
    assert "closed_on" in errors_of(client.post(ADD, dates))
    assert Unit.objects.count() == 12 and AuditEntry.objects.count() == 0


def test_a_unit_with_children_keeps_a_level_above_them(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    url = reverse("vsis_admin:units_unit_change", args=[tree.hospital.pk])
    data = unit_form(
        code="A110", name="甲市立醫院", parent=tree.bureau_a.pk, level=Level.TEAM
    )
    assert "志工隊不能有下層單位" in errors_of(client.post(url, data))["level"][0]
    # A team with members stays a team.
    url = reverse("vsis_admin:units_unit_change", args=[tree.hospital_team.pk])
    data = unit_form(
        code="A111", name="醫院志工隊", parent=tree.bureau_a.pk, level=Level.USING
    )
    assert "隊員資格" in errors_of(client.post(url, data))["level"][0]
    # Nor may a unit move under its own subtree.
    url = reverse("vsis_admin:units_unit_change", args=[tree.bureau_a.pk])
    data = unit_form(
        code="A100",
        name="甲市政府社會局",
        parent=tree.hospital.pk,
        level=Level.LOCAL,
        category="",
    )
    assert "parent" in errors_of(client.post(url, data))


def test_moving_a_unit_within_the_scope_is_audited(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    url = reverse("vsis_admin:units_unit_change", args=[tree.guide_team.pk])
    category = tree.guide_team.category_id
    data = unit_form(
        code="A112", name="醫院導覽志工隊", parent=tree.library.pk, category=category
    )
    assert client.post(url, data).status_code == 302
    moved = Unit.objects.get(pk=tree.guide_team.pk)
    assert moved.path.startswith(tree.library.path)
    entry = AuditEntry.objects.get(action="unit.update")
    assert entry.changes == {
        "parent_id": {"old": tree.hospital.pk, "new": tree.library.pk}
    }


def test_ones_own_unit_cannot_be_moved_or_deleted(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.unit_clerk)
    url = reverse("vsis_admin:units_unit_change", args=[tree.hospital.pk])
    page = client.get(url)
    assert "parent" not in page.context["adminform"].form.fields
    renamed = client.post(
        url, {"code": "A110", "name": "甲市立醫院（新名）", "category": ""}
    )
    assert renamed.status_code == 302, errors_of(renamed)
    assert Unit.objects.get(pk=tree.hospital.pk).parent_id == tree.bureau_a.pk
    delete = reverse("vsis_admin:units_unit_delete", args=[tree.hospital.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_a_unit_in_use_cannot_be_deleted(
    tree: Tree, personas: Personas, people: People
) -> None:
    client = client_for(personas.county_clerk)
    delete = reverse("vsis_admin:units_unit_delete", args=[tree.hospital_team.pk])
    page = client.post(delete, {"post": "yes"})
    assert (
        page.status_code == 200
        and Unit.objects.filter(pk=tree.hospital_team.pk).exists()
    )
    empty = Unit.objects.create(
        code="A199", name="空單位", level=Level.USING, parent=tree.bureau_a
    )
    delete = reverse("vsis_admin:units_unit_delete", args=[empty.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action="unit.delete")
    assert (entry.target_id, entry.unit_id) == (str(empty.pk), tree.bureau_a.pk)


def test_the_superuser_may_add_a_top_unit(personas: Personas, people: People) -> None:
    data = unit_form(code="E000", name="教育部", level=Level.MINISTRY, category="")
    assert client_for(personas.superuser).post(ADD, data).status_code == 302
    assert Unit.objects.get(code="E000").parent is None
