"""Jobs in the data-management site: superusers read them; nobody edits them."""

from typing import Any

from django.test import Client

from tests.conftest import Personas
from vsis.jobs.runner import execute_job
from vsis.jobs.services import request_job


def test_a_superuser_reads_jobs_and_their_files(
    client: Client, personas: Personas, committed: Any
) -> None:
    job = committed(
        request_job, actor=personas.unit_clerk, kind="test.files", params={"n": 1}
    )
    committed(execute_job, job.pk)
    client.force_login(personas.superuser)

    listing = client.get("/admin/jobs/job/")
    assert listing.status_code == 200
    assert "test.files" in listing.content.decode()

    page = client.get(f"/admin/jobs/job/{job.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "志工年齡分布表.xlsx" in html and "志工年齡分布表.ods" in html
    assert 'name="_save"' not in html  # read-only: no save button
    assert client.get("/admin/jobs/job/add/").status_code == 403
    assert client.post(f"/admin/jobs/job/{job.pk}/delete/").status_code == 403


def test_other_accounts_do_not_see_jobs_in_the_admin(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.county_admin)
    assert client.get("/admin/jobs/job/").status_code == 403
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/jobs/" not in index.content.decode()
