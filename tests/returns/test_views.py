"""The return pages through the test client: scope per persona, the one form's
three buttons, typed errors, a stale tab and a locked return."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd, reload
from vsis.returns.models import AnnualReturn, ReturnStatus
from vsis.returns.services import create_return, fill_return, submit_return

URL = f"/returns/A110/{YEAR}/"


def form_fields(body: str) -> dict[str, str]:
    """The inputs of the return form as a browser would post them."""
    fields = dict(
        re.findall(
            r'name="((?:[vo]_|version|period_|o_period_)[\w]*)" value="([^"]*)"', body
        )
    )
    return fields


@pytest.fixture
def draft(crowd: Crowd, personas: Personas) -> AnnualReturn:
    clerk = personas.unit_clerk
    return fill_return(
        create_return(crowd.wide.tree.hospital, YEAR, actor=clerk), actor=clerk
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("unit_clerk", 200),
        ("county_clerk", 200),
        ("viewer", 200),
        ("other_county_clerk", 404),
        ("superuser", 200),
    ],
)
def test_every_page_checks_scope(
    client: Client, draft: AnnualReturn, personas: Personas, persona: str, status: int
) -> None:
    client.force_login(getattr(personas, persona))
    for url in (URL, f"{URL}history/", f"{URL}export.xlsx"):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_log_in(client: Client, draft: AnnualReturn) -> None:
    for url in ("/returns/", URL, "/returns/board/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_viewer_sees_but_cannot_change(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.viewer)
    page = client.get(URL).content.decode()
    assert "【提交】" not in page and 'name="v_funding"' not in page
    response = client.post(URL, {"action": "save", "v_funding": "1", "o_funding": "0"})
    assert response.status_code == 403
    # The refusal says why, in the site's own page (not Django's English one).
    assert "您的帳號為檢視者，只能查看統計表" in response.content.decode()
    create = client.post("/returns/", {"unit_code": "A120", "year": "113"})
    assert create.status_code == 403
    assert reload(draft).entered == {}
    missing = client.get("/returns/B110/2024/")  # another county: "not there"
    assert missing.status_code == 404
    assert "查無此頁面或資料，或不在您的權限範圍內" in missing.content.decode()


def test_a_team_has_no_return_page(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    assert client.get(f"/returns/A111/{YEAR}/").status_code == 404


def test_new_return_from_the_index(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    page = client.get("/returns/").content.decode()
    assert "【產生所屬單位新統計表單】" in page
    response = client.post(
        "/returns/",
        {
            "unit_code": "A120",
            "year": "113",
            "period_start": "113/01/01",
            "period_end": "2024-12-31",
        },
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/returns/A120/{YEAR}/"
    )
    ret = AnnualReturn.objects.get(unit__code="A120")
    assert (ret.year, ret.status, ret.created_by) == (YEAR, "W", personas.county_clerk)
    again = client.post("/returns/", {"unit_code": "A120", "year": "2024"}, follow=True)
    assert "已存在（狀態：W 產製中）" in again.content.decode()
    wrong = client.post("/returns/", {"unit_code": "ZZZ", "year": "113"})
    assert "查無單位代碼「ZZZ」" in wrong.content.decode()
    bad = client.post(
        "/returns/", {"unit_code": "A120", "year": "113", "period_end": "13/13/13"}
    )
    assert bad.status_code == 200 and "統計日期迄" in bad.content.decode()
    outside = client.post("/returns/", {"unit_code": "B110", "year": "113"})
    assert "查無單位代碼「B110」" in outside.content.decode()


def test_edit_save_fill_and_submit_through_the_form(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    assert fields["v_volunteers"] == "3" and fields["o_volunteers"] == "3"
    assert fields["v_hours"] == "4.5"
    fields.update({"v_persons_served": "20", "v_funding": "1,500", "action": "save"})
    assert client.post(URL, fields).status_code == 302
    ret = reload(draft)
    assert ret.entered == {"persons_served": "20", "funding": "1500"}

    page = client.get(URL).content.decode()
    assert 'data-testid="edited-persons_served"' in page
    fields = form_fields(page)
    fields["action"] = "fill"
    client.post(URL, fields)
    assert reload(draft).entered == {"persons_served": "20", "funding": "1500"}

    fields = form_fields(client.get(URL).content.decode())
    fields.update({"v_persons_served": "", "action": "submit"})  # back to computed
    response = client.post(URL, fields)
    assert response.status_code == 302
    ret = reload(draft)
    assert ret.status == ReturnStatus.SUBMITTED
    assert ret.values()["persons_served"] == 9
    locked = client.get(URL).content.decode()
    assert "提交並鎖定" in locked and "【提交】" not in locked


def test_typed_errors_name_the_cell_and_save_nothing(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    fields.update(
        {
            "v_persons_served": "12",
            "v_insured": "-2",
            "v_hours": "1.234",
            "action": "save",
        }
    )
    response = client.post(URL, fields)
    body = response.content.decode()
    assert response.status_code == 200
    assert "投保人數：不可為負數（收到「-2」）" in body
    assert "服務時數：時數最多到小數點後兩位" in body
    assert "本次未存檔任何資料" in body
    assert 'value="12"' in body  # what was typed is kept on the page
    assert reload(draft).entered == {}


def test_submit_shows_failed_checks_by_cell(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    fields.update({"v_volunteers": "4", "action": "submit"})
    body = client.post(URL, fields).content.decode()
    assert "志工人數：男 1 ＋ 女 2 ＝ 3，與合計 4 不符" in body
    assert "年齡 總計 3 與志工人數 合計 4 不符" in body
    assert reload(draft).status == ReturnStatus.DRAFT


def test_warnings_are_confirmed_on_the_page(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    clerk = personas.county_clerk
    fill_return(create_return(crowd.wide.tree.bureau_a, YEAR, actor=clerk), actor=clerk)
    client.force_login(clerk)
    url = f"/returns/A100/{YEAR}/"
    page = client.get(url).content.decode()
    assert "N 無動作 <strong>3</strong>" in page  # the children before submitting
    fields = form_fields(page)
    fields["action"] = "submit"
    body = client.post(url, fields).content.decode()
    assert "下層單位尚有 3 個未提交" in body and 'name="confirm_warnings"' in body
    fields = form_fields(body)
    fields.update({"action": "submit", "confirm_warnings": "1"})
    assert client.post(url, fields).status_code == 302
    assert AnnualReturn.objects.get(unit__code="A100").status == ReturnStatus.SUBMITTED


def two_tabs(
    personas: Personas,
) -> tuple[Client, Client, dict[str, str], dict[str, str]]:
    """The hospital's clerk and the county's clerk, each with the form open."""
    first, second = Client(), Client()
    first.force_login(personas.unit_clerk)
    second.force_login(personas.county_clerk)
    mine = form_fields(first.get(URL).content.decode())
    theirs = form_fields(second.get(URL).content.decode())
    return first, second, mine, theirs


def test_two_people_saving_the_same_draft(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    first, second, mine, theirs = two_tabs(personas)
    mine.update({"v_funding": "1000", "action": "save"})
    assert first.post(URL, mine).status_code == 302
    theirs.update({"v_persons_served": "30", "v_awarded": "2", "action": "save"})
    response = second.post(URL, theirs)
    body = response.content.decode()
    assert response.status_code == 409
    assert "hospital_clerk" in body and "您的修改尚未存檔" in body
    assert "您的輸入：30" in body and "您的輸入：2" in body
    assert reload(draft).entered == {"funding": "1000"}  # the first save stands
    # Re-applying from the page that came back saves theirs on top of the first.
    again = form_fields(body)
    assert again["v_persons_served"] == "30" and again["o_persons_served"] == "9"
    again["action"] = "save"
    assert second.post(URL, again).status_code == 302
    assert reload(draft).entered == {
        "funding": "1000",
        "persons_served": "30",
        "awarded": "2",
    }


def test_a_stale_tab_cannot_change_a_locked_return(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    stale = form_fields(client.get(URL).content.decode())
    submit_return(draft, actor=personas.unit_clerk)
    for action in ("save", "fill", "submit"):
        stale.update({"v_funding": "99", "action": action})
        response = client.post(URL, stale)
        body = response.content.decode()
        assert response.status_code == 409
        assert "提交並鎖定，不能再修改" in body
        assert "上層單位「甲市政府社會局」解除鎖定" in body
    ret = reload(draft)
    assert ret.status == ReturnStatus.SUBMITTED and ret.entered == {}


@pytest.mark.parametrize(
    "post",
    [
        {"action": "save", "version": "abc"},
        {"action": "launch", "version": "2"},
        {"action": "save", "v_unknown": "1"},
        {
            "action": "save",
            "period_start": "113/13/01",
            "period_end": "113/12/31",
            "o_period_start": "113/01/01",
            "o_period_end": "113/12/31",
        },
        {
            "action": "save",
            "period_start": "113/12/31",
            "period_end": "113/01/01",
            "o_period_start": "113/01/01",
            "o_period_end": "113/12/31",
        },
    ],
)
def test_odd_posts_never_fail_with_500(
    client: Client, draft: AnnualReturn, personas: Personas, post: dict[str, str]
) -> None:
    client.force_login(personas.unit_clerk)
    response = client.post(URL, post)
    assert response.status_code in (200, 302, 409)


def test_changing_the_period_asks_for_a_new_fill(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    fields.update({"period_start": "113/07/01", "action": "save"})
    client.post(URL, fields)
    ret = reload(draft)
    assert ret.period_start.isoformat() == "2024-07-01" and ret.filled_at is None
    fields = form_fields(client.get(URL).content.decode())
    fields["action"] = "submit"
    body = client.post(URL, fields).content.decode()
    assert "請先按【自動帶入最新統計數字】再提交" in body
    fields["action"] = "fill"
    client.post(URL, fields)
    assert reload(draft).values()["hours"] == Decimal(60)


def test_the_admin_is_read_only(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    listing = client.get("/admin/returns/annualreturn/")
    assert listing.status_code == 200 and "甲市立醫院" in listing.content.decode()
    change_url = f"/admin/returns/annualreturn/{draft.pk}/change/"
    response = client.post(change_url, {"status": "Y"})
    assert response.status_code == 403
    assert client.get("/admin/returns/annualreturn/add/").status_code == 403
    assert reload(draft).status == ReturnStatus.DRAFT
    client.force_login(personas.other_county_clerk)
    assert (
        "甲市立醫院" not in client.get("/admin/returns/annualreturn/").content.decode()
    )


def test_an_upper_unit_creates_a_missing_return_from_its_page(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    client.force_login(personas.county_clerk)
    page = client.get(f"/returns/A130/{YEAR}/").content.decode()
    assert "尚未建立 113年度 統計表（N 無動作）" in page
    assert 'name="unit_code" value="A130"' in page
    response = client.post("/returns/", {"unit_code": "A130", "year": "113"})
    assert response["Location"] == f"/returns/A130/{YEAR}/"
    client.force_login(personas.viewer)
    assert (
        'name="unit_code"' not in client.get(f"/returns/A120/{YEAR}/").content.decode()
    )


@pytest.mark.parametrize(
    "url",
    [
        "/returns/A110/0/",
        "/returns/A110/2000/",  # before 志願服務法 (2001): no return exists
        "/returns/A110/99999/",
        "/returns/A110/99999999999999999999999/",
        "/returns/A110/0/history/",
        "/returns/A110/99999/submissions/1/",
        "/returns/A110/99999999999999999999999/export.xlsx",
    ],
)
def test_a_year_no_return_can_have_is_not_found(
    client: Client, draft: AnnualReturn, personas: Personas, url: str
) -> None:
    client.force_login(personas.unit_clerk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "save"}).status_code in (404, 405)


def test_years_typed_out_of_range_are_refused_in_words(
    client: Client, crowd: Crowd, personas: Personas
) -> None:
    this_year = timezone.localdate().year - 1911
    client.force_login(personas.county_clerk)
    for typed, received in (("0", 1911), ("1", 1912), ("2000", 2000)):
        body = client.post(
            "/returns/", {"unit_code": "A110", "year": typed}
        ).content.decode()
        assert f"年度須介於 90年度 與 {this_year}年度 之間" in body
        assert f"收到西元 {received} 年" in body
    assert not AnnualReturn.objects.exists()


def test_a_locked_return_is_shown_without_editable_cells(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    from vsis.returns.services import save_return

    clerk = personas.unit_clerk
    save_return(draft, {"funding": Decimal(800)}, actor=clerk)
    submit_return(draft, actor=clerk)
    client.force_login(personas.county_clerk)
    body = client.get(URL).content.decode()
    shaded = re.findall(r'<td class="num editable[^"]*">\s*<span id="v_(\w+)"', body)
    assert shaded == ["funding"]  # orange only where a hand edit is
    assert "本表已鎖定，不能修改" in body and "橙色為可修改的儲存格" not in body
    assert 'name="v_funding"' not in body


def test_the_stale_page_shows_the_colleagues_value_beside_yours(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    first, second, mine, theirs = two_tabs(personas)
    mine.update({"v_funding": "15000", "action": "save"})
    first.post(URL, mine)
    theirs.update({"v_funding": "9999", "action": "save"})
    body = second.post(URL, theirs).content.decode()
    assert re.search(
        r'data-testid="pending-funding">目前存檔值：15000；您的輸入：9999<', body
    )
    assert reload(draft).entered == {"funding": "15000"}


def test_failed_checks_outline_their_cells_before_a_submission(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    from vsis.returns.services import save_return

    save_return(draft, {"volunteers": Decimal(4)}, actor=personas.unit_clerk)
    client.force_login(personas.unit_clerk)
    body = client.get(URL).content.decode()
    assert "提交前須修正（目前數字）" in body
    outlined = re.findall(r'problem">\s*<input id="v_(\w+)"', body)
    # 男 1 + 女 2 = 3 against 合計 4; the age grid's 3 against 4.
    assert set(outlined) == {
        "volunteers_male",
        "volunteers_female",
        "volunteers",
        *(f"age_{sex}_{i}" for sex in ("male", "female") for i in range(7)),
    }


def test_a_refused_submit_says_saved_only_when_something_was(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    from vsis.returns.services import save_return

    save_return(draft, {"volunteers": Decimal(4)}, actor=personas.unit_clerk)
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    fields["action"] = "submit"
    body = client.post(URL, fields).content.decode()
    assert "提交未成功：以下檢核未通過<" in body
    fields = form_fields(body)
    fields.update({"action": "submit", "v_funding": "10"})
    body = client.post(URL, fields).content.decode()
    assert "提交未成功：以下檢核未通過（您的修改已暫時存檔）" in body
    assert reload(draft).entered == {"volunteers": "4", "funding": "10"}


def test_saving_with_nothing_typed_writes_nothing(
    client: Client, draft: AnnualReturn, personas: Personas
) -> None:
    from vsis.audit.models import AuditEntry

    first, second, mine, theirs = two_tabs(personas)
    mine.update({"v_funding": "500", "action": "save"})
    first.post(URL, mine)
    version, rows = reload(draft).version, AuditEntry.objects.count()
    theirs["action"] = "save"  # an older page, nothing typed in it
    response = second.post(URL, theirs, follow=True)
    assert response.status_code == 200
    assert "沒有修改的儲存格，未存檔" in response.content.decode()
    assert (reload(draft).version, AuditEntry.objects.count()) == (version, rows)
    assert reload(draft).saved_by == personas.unit_clerk


@pytest.mark.parametrize("version", [None, "abc"])
def test_a_save_without_a_readable_version_is_refused_as_stale(
    client: Client, draft: AnnualReturn, personas: Personas, version: str | None
) -> None:
    client.force_login(personas.unit_clerk)
    fields = form_fields(client.get(URL).content.decode())
    fields.pop("version")
    if version is not None:
        fields["version"] = version
    fields.update({"v_funding": "1000", "action": "save"})
    response = client.post(URL, fields)
    assert response.status_code == 409
    assert "您的修改尚未存檔" in response.content.decode()
    assert reload(draft).entered == {}
