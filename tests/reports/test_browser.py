"""The click path of both VR reports in Chromium, down to the downloaded files.

報表列印 → VR-志工資料統計 → the report → 【列印】 → the job list shows the job
waiting → the job runs → the list shows 完成 without a reload → 【Excel】 and
【Ods】 download files that python-calamine reads back.

The jobs really run. For the age report the test plays the worker: 【列印】
leaves the job queued, and the test runs it with execute_job, as
`vsis worker` would. The service report switches django-tasks to its
immediate backend, so 【列印】's request runs the task after its commit.
"""

import os
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import Personas, login
from tests.reports.conftest import ReportData
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import execute_job

# A live server needs real commits; build_tree puts the categories back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


def open_report(page: Any, title: str) -> None:
    page.click("summary:has-text('報表列印')")
    panel = page.locator(".dropdown-panel .group", has_text="VR-志工資料統計")
    panel.get_by_role("link", name=title).click()
    page.wait_for_selector(f"h1:has-text('{title}')")


def download(
    page: Any, tmp_path: Path, title: str, button: str = "【Excel】"
) -> list[list[Any]]:
    """Click a done job's button; the first sheet of the file, read back."""
    row = page.locator("tr[data-status=done]", has_text=title).first
    row.wait_for()
    with page.expect_download() as info:
        row.get_by_role("link", name=button).click()
    suffix = {"【Excel】": ".xlsx", "【Ods】": ".ods"}[button]
    assert info.value.suggested_filename.endswith(suffix)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(book.sheet_names[0]).to_python()


def screenshot(page: Any, name: str) -> None:
    # VSIS_SCREENSHOTS=dir keeps a picture of the page for a person to look at.
    if folder := os.environ.get("VSIS_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_age_report_click_path(
    live_server: Any,
    page: Any,
    data: ReportData,
    personas: Personas,
    tmp_path: Path,
) -> None:
    login(page, live_server, personas.county_clerk.username)
    open_report(page, "志工年齡分布表")
    page.fill("input[name=unit]", "A000")
    page.fill("input[name=as_of]", "113/12/31")
    page.check("input[name=dedupe]")
    page.click("button:has-text('【列印】')")

    page.wait_for_selector("text=已開始產製「志工年齡分布表」")
    job = Job.objects.get()
    waiting = page.locator(f"#job-{job.pk}")
    assert waiting.get_attribute("data-status") == JobStatus.QUEUED
    assert "排隊中" in waiting.inner_text()
    assert waiting.get_by_role("link", name="【Excel】").count() == 0

    assert execute_job(job.pk) == "done"  # the worker, meanwhile

    # The list polls itself: no reload brings the buttons.
    excel = download(page, tmp_path, "志工年齡分布表")
    ods = download(page, tmp_path, "志工年齡分布表", "【Ods】")
    for rows in (excel, ods):
        assert rows[0][0] == "甲市政府 志工年齡分布表"
        assert rows[1][0] == "基準日：113/12/31"
        total = rows[6 + 7]
        assert total[:2] == ["A000", "甲市政府 總計"]
        assert total[-3:] == [3, 3, 6]  # 歸戶: six persons
    page.wait_for_selector("svg.report-chart rect.bar.male")
    screenshot(page, "age.png")


def test_service_report_click_path(
    live_server: Any,
    page: Any,
    data: ReportData,
    personas: Personas,
    immediate_tasks: None,
    tmp_path: Path,
) -> None:
    login(page, live_server, personas.unit_clerk.username)
    open_report(page, "志工服務成果表")
    # The picker offers the units of the clerk's scope as one types.
    page.fill("input[name=unit]", "")
    page.type("input[name=unit]", "醫院導覽")
    page.wait_for_function(
        "document.querySelectorAll('#unit-options option').length === 1"
    )
    assert page.locator("#unit-options option").get_attribute("value") == "A112"
    page.fill("input[name=unit]", "A110")
    page.fill("input[name=start]", "113/01/01")
    page.fill("input[name=end]", "113/12/31")
    page.click("button:has-text('【列印】')")

    rows = download(page, tmp_path, "志工服務成果表")
    assert rows[1][0] == "服務期間：113/01/01 至 113/12/31"
    assert [r[0] for r in rows[6:10]] == ["A111", "A112", "A113", "A110"]
    assert rows[9][2:6] == [2, 2, 4, 5]  # 服務志工人數 男 女 計, 出勤人次
    assert round(rows[9][8] * 60) == 217  # 服務時數 計, to the minute
    page.wait_for_selector("svg.report-chart rect.bar.hours")
    screenshot(page, "service.png")
