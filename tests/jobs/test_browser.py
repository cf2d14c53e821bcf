"""In Chromium: the job list updates itself when a job finishes, and downloads."""

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Personas, Tree, build_tree, login
from tests.jobs.handlers import XLSX_BYTES
from vsis.jobs.models import JobStatus
from vsis.jobs.runner import execute_job
from vsis.jobs.services import request_job
from vsis.units.categories import INITIAL_CATEGORIES
from vsis.units.models import ServiceCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tree(transactional_db: None) -> Tree:
    """The shared tree, after putting back the migrations' service categories.

    A live-server test commits its rows and the flush after it empties every
    table, categories included. serialized_rollback cannot restore them here:
    once Playwright's event loop runs in this thread, Django's connection is
    a new one (asgiref treats the thread as async) without the serialized data.
    """
    for order, name in enumerate(INITIAL_CATEGORIES, start=1):
        ServiceCategory.objects.get_or_create(name=name, defaults={"sort_order": order})
    return build_tree()


def test_the_list_shows_a_finished_job_without_a_reload_and_downloads_it(
    page: Any, live_server: Any, personas: Personas, tmp_path: Path
) -> None:
    clerk = personas.unit_clerk
    job = request_job(actor=clerk, kind="test.files", params={"n": 1})
    login(page, live_server, clerk.username)

    page.goto(f"{live_server.url}/jobs/")
    row = page.locator(f"#job-{job.pk}")
    assert row.get_attribute("data-status") == JobStatus.QUEUED
    assert "排隊中" in row.inner_text()

    execute_job(job.pk)  # the worker, meanwhile

    # The polling fragment (every 2 s) brings the news; no reload.
    notice = page.get_by_role("status").filter(has_text="已完成")
    notice.wait_for()
    assert "「志工年齡分布表」已完成。請按【Excel】【Ods】下載。" in notice.inner_text()
    assert page.locator(f"#job-{job.pk}").get_attribute("data-status") == "done"
    assert page.locator("div.job-list").get_attribute("data-polling") == "0"

    with page.expect_download() as info:
        page.get_by_role("link", name="【Excel】").click()
    download = info.value
    assert download.suggested_filename == "志工年齡分布表.xlsx"
    saved = tmp_path / "saved.xlsx"
    download.save_as(saved)
    assert saved.read_bytes() == XLSX_BYTES


def test_cancel_in_the_list(page: Any, live_server: Any, personas: Personas) -> None:
    clerk = personas.unit_clerk
    job = request_job(actor=clerk, kind="test.echo", params={"n": 1})
    login(page, live_server, clerk.username)
    page.goto(f"{live_server.url}/jobs/")

    page.once("dialog", lambda dialog: dialog.accept())  # 確定要取消…？
    page.locator(f"#job-{job.pk}").get_by_role("button", name="取消").click()

    page.get_by_role("status").filter(has_text=f"已取消工作 {job.pk}。").wait_for()
    row = page.locator(f"#job-{job.pk}")
    assert row.get_attribute("data-status") == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
