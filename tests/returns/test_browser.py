"""The whole flow in Chromium: a unit clerk creates, fills, edits, saves and
submits; the county finds it on the board and unlocks it with a reason."""

import pytest

from tests.conftest import Personas, login
from tests.returns.conftest import YEAR, Crowd
from vsis.audit.models import AuditEntry
from vsis.returns.models import AnnualReturn, ReturnStatus


@pytest.mark.browser
def test_create_fill_edit_save_submit_then_unlock_from_the_board(
    page,  # type: ignore[no-untyped-def]
    live_server,
    crowd: Crowd,
    personas: Personas,
    tmp_path,
) -> None:
    login(page, live_server, "hospital_clerk")
    page.click("summary:has-text('報表列印')")
    page.click("text=全國推動志願服務業務成果統計表")
    page.wait_for_url(f"{live_server.url}/returns/")
    page.fill("input[name=year]", "113")
    page.click("text=【產生所屬單位新統計表單】")
    page.wait_for_url(f"{live_server.url}/returns/A110/{YEAR}/")
    assert "W 產製中" in page.inner_text("[data-testid=status]")

    page.click("button:has-text('【自動帶入最新統計數字】')")
    page.wait_for_selector("text=已自動帶入最新統計數字")
    assert page.input_value("#v_volunteers") == "3"
    assert page.input_value("#v_hours") == "4.5"

    page.fill("#v_funding", "12000")
    page.fill("#v_persons_served", "10")
    page.click("button:has-text('【暫時存檔】')")
    page.wait_for_selector("text=已暫時存檔")
    assert page.is_visible("[data-testid=edited-funding]")
    assert page.input_value("#v_funding") == "12000"
    page.screenshot(path=str(tmp_path / "draft.png"), full_page=True)

    # Pressed again, the auto-fill leaves the two hand edits alone.
    page.click("button:has-text('【自動帶入最新統計數字】')")
    page.wait_for_selector("text=手動修改的 2 格保留原值")
    assert page.input_value("#v_persons_served") == "10"
    assert page.input_value("#v_funding") == "12000"
    assert page.input_value("#v_volunteers") == "3"

    page.click("button:has-text('【提交】')")
    page.wait_for_selector("[data-testid=locked]")
    assert "Y 已提交" in page.inner_text("[data-testid=status]")
    assert "解除鎖定" in page.inner_text("[data-testid=locked]")
    ret = AnnualReturn.objects.get(unit__code="A110", year=YEAR)
    assert ret.status == ReturnStatus.SUBMITTED
    assert ret.entered == {"funding": "12000", "persons_served": "10"}

    page.click("button:has-text('登出')")
    login(page, live_server, "county_clerk")
    page.goto(f"{live_server.url}/returns/board/")
    page.fill("input[name=q]", "醫院")
    page.fill("input[name=year]", "113")
    page.click("button:has-text('查詢')")
    row = page.locator("tr[data-unit=A110]")
    assert "Y 已提交" in row.inner_text()
    cell = f"document.getElementById('change-{ret.unit_id}')"
    page.wait_for_function(f"{cell}.textContent.trim() === '未異動'")
    row.locator("input[name=ids]").check()
    page.fill("textarea[name=reason]", "服務人次請依紀錄更正")
    page.click("button:has-text('【解除鎖定】勾選的單位')")
    page.wait_for_selector("text=已解除鎖定 1 份")
    assert "W 產製中" in page.locator("tr[data-unit=A110]").inner_text()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT
    assert ret.unlock_reason == "服務人次請依紀錄更正"
    unlock = AuditEntry.objects.get(action="return.unlock")
    assert unlock.actor == personas.county_clerk
