"""A clerk adds a volunteer with a membership in a real browser."""

import random

import pytest

from tests.conftest import Personas, Tree, login
from vsis.core.national_id import generate_id
from vsis.volunteers.models import Membership, Volunteer


@pytest.mark.browser
def test_a_clerk_adds_a_volunteer_from_the_menu(
    page,
    live_server,
    tree: Tree,
    personas: Personas,  # type: ignore[no-untyped-def]
) -> None:
    national_id = generate_id(random.Random(3), "F")
    login(page, live_server, "hospital_clerk")

    page.click("nav.menu >> text=資料管理")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.click("a[href='/admin/volunteers/volunteer/']")
    page.click(".object-tools a.addlink")
    page.fill("#id_national_id", national_id)
    page.fill("#id_name", "黃𡘙珍")
    page.select_option("#id_sex", "F")
    page.fill("#id_birth_date", "70/03/15")
    page.select_option("#id_team", str(tree.guide_team.pk))
    page.fill("#id_joined_on", "113/01/02")
    page.click("input[name=_save]")

    page.wait_for_url(f"{live_server.url}/admin/volunteers/volunteer/")
    row = page.locator("#result_list tbody tr").first
    assert row.locator("th").inner_text() == "黃𡘙珍"
    assert national_id in row.inner_text()
    assert "醫院導覽志工隊" in row.inner_text()
    person = Volunteer.objects.get(national_id=national_id)
    assert Membership.objects.get(volunteer=person).team == tree.guide_team
