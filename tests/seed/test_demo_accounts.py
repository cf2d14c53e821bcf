"""The demo logins and their scopes; seeding twice."""

import pytest
from django.test import Client

from tests.seed.conftest import TODAY
from vsis.seed.demo import DEMO_PASSWORD
from vsis.seed.generate import GENERATOR_VERSION
from vsis.seed.models import SeedRun
from vsis.seed.services import SeedError, SeedSummary, seed_database
from vsis.units.models import Level, Role, Unit, User
from vsis.units.scope import is_in_scope, scope_root, units_in_scope


@pytest.mark.django_db
def test_demo_accounts_sit_where_the_readme_says(seeded_demo: SeedSummary) -> None:
    users = {u.username: u for u in User.objects.select_related("unit")}
    assert set(users) == {"admin", "mohw", "county", "clerk", "viewer"}
    for user in users.values():
        assert user.check_password(DEMO_PASSWORD)
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert scope_root(users["admin"]) is None
    assert users["mohw"].unit.name == "衛生福利部"
    assert users["mohw"].role == Role.CLERK
    assert users["county"].unit.name == "示範市政府"
    assert users["county"].unit.level == Level.COUNTY
    assert users["county"].role == Role.CLERK
    assert users["clerk"].unit.name == "示範市立醫院"
    assert users["clerk"].unit.level == Level.USING
    assert users["clerk"].unit.parent.name == "示範市政府衛生局"
    assert users["viewer"].unit == users["county"].unit
    assert users["viewer"].role == Role.VIEWER and not users["viewer"].can_edit
    assert not any(users[n].is_superuser for n in ("mohw", "county", "clerk"))


@pytest.mark.django_db
def test_demo_scopes_nest(seeded_demo: SeedSummary) -> None:
    users = {u.username: u for u in User.objects.select_related("unit")}
    other_county = Unit.objects.get(name="範例縣政府")
    hospital = users["clerk"].unit
    assert units_in_scope(users["mohw"]).count() == Unit.objects.count()
    assert is_in_scope(users["county"], hospital)
    assert not is_in_scope(users["county"], other_county)
    assert not is_in_scope(users["clerk"], users["county"].unit)
    clerk_units = units_in_scope(users["clerk"])
    assert clerk_units.filter(level=Level.TEAM).exists()
    assert all(u.path.startswith(hospital.path) for u in clerk_units)


@pytest.mark.django_db
def test_a_demo_login_works(seeded_demo: SeedSummary) -> None:
    client = Client()
    assert client.login(username="county", password=DEMO_PASSWORD)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_seed_refuses_a_database_with_units_and_if_empty_skips_it(
    seeded_demo: SeedSummary,
) -> None:
    before = Unit.objects.count()
    with pytest.raises(SeedError, match="已有單位資料"):
        seed_database("demo", today=TODAY)
    assert seed_database("demo", if_empty=True, today=TODAY) is None
    assert Unit.objects.count() == before
    run = SeedRun.objects.get()
    assert (run.scale, run.seed, run.records) == ("demo", 7, seeded_demo.records)
    assert run.version == GENERATOR_VERSION
