"""The report job handlers, run in-process with the jobs app's runner."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404
from python_calamine import CalamineWorkbook

from tests.conftest import Personas
from tests.reports.conftest import AS_OF, YEAR, ReportData
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import execute_job
from vsis.jobs.services import request_job
from vsis.reports.params import AgeParams, ServiceParams
from vsis.reports.services import request_report

D = dt.date


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[[Job], Job]:
    """Run a queued job now, as a worker would; returns it refreshed."""

    def execute(job: Job) -> Job:
        with django_capture_on_commit_callbacks(execute=True):
            execute_job(job.pk)
        job.refresh_from_db()
        return job

    return execute


def rows_of(job: Job, fmt: str) -> list[list[Any]]:
    stored = job.files.get(format=fmt)
    book = CalamineWorkbook.from_path(stored.file.path)
    return book.get_sheet_by_name(book.sheet_names[0]).to_python()


def test_the_age_job_makes_an_excel_and_an_ods(
    data: ReportData, personas: Personas, run: Callable[[Job], Job]
) -> None:
    params = AgeParams(unit="A000", as_of=AS_OF, dedupe=True)
    job = request_report(actor=personas.county_clerk, kind="age", params=params)
    assert job.is_new and job.status == JobStatus.QUEUED
    assert job.kind == "report.age" and job.unit == data.tree.county_a
    assert job.summary == "基準日 113/12/31、歸戶"

    job = run(job)
    assert job.status == JobStatus.DONE, job.error
    assert sorted(f.format for f in job.files.all()) == ["ods", "xlsx"]
    assert {f.filename for f in job.files.all()} == {
        "志工年齡分布表_A000_1131231.xlsx",
        "志工年齡分布表_A000_1131231.ods",
    }
    for fmt in ("xlsx", "ods"):
        total = rows_of(job, fmt)[6 + 7]
        assert total[:2] == ["A000", "甲市政府 總計"]
        assert total[-3:] == [3, 3, 6]
    assert job.result is not None
    assert job.result["rows"] == 8
    assert job.result["chart"]["kind"] == "pyramid"
    assert job.result["chart"]["series"][1]["values"] == [0, 0, 1, 1, 0, 1, 0]
    assert job.progress == 100


def test_the_service_job(
    data: ReportData, personas: Personas, run: Callable[[Job], Job]
) -> None:
    params = ServiceParams(unit="A110", start=YEAR[0], end=YEAR[1], category="文化")
    job = request_report(actor=personas.unit_clerk, kind="service", params=params)
    assert job.summary == "服務期間 113/01/01–113/12/31、服務類別 文化"
    job = run(job)
    assert job.status == JobStatus.DONE, job.error
    rows = rows_of(job, "xlsx")
    assert [r[0] for r in rows[6:8]] == ["A112", "A110"]
    assert rows[7][2:10] == [
        1,
        0,
        1,
        1,
        pytest.approx(61 / 60),
        0,
        pytest.approx(61 / 60),
        5,
    ]
    assert job.result is not None
    assert job.result["chart"]["categories"] == ["文化"]


def test_the_same_request_twice_is_one_job(
    data: ReportData, personas: Personas
) -> None:
    params = AgeParams(unit="A000", as_of=AS_OF, statuses=("intern", "active"))
    first = request_report(actor=personas.county_clerk, kind="age", params=params)
    # Same conditions in another order: the same request.
    again = AgeParams(unit="A000", as_of=AS_OF, statuses=("服務中", "實習中"))
    second = request_report(actor=personas.county_clerk, kind="age", params=again)
    assert second.pk == first.pk and not second.is_new
    other = request_report(
        actor=personas.county_clerk,
        kind="age",
        params=AgeParams("A000", D(2024, 6, 30)),
    )
    assert other.pk != first.pk
    assert Job.objects.count() == 2


def test_viewers_may_run_reports(data: ReportData, personas: Personas) -> None:
    job = request_report(
        actor=personas.viewer, kind="age", params=AgeParams("A110", AS_OF)
    )
    assert job.requester == personas.viewer


def test_a_unit_out_of_scope_is_not_found(data: ReportData, personas: Personas) -> None:
    with pytest.raises(Http404):
        request_report(
            actor=personas.unit_clerk, kind="age", params=AgeParams("A000", AS_OF)
        )
    with pytest.raises(Http404):
        request_report(
            actor=personas.other_county_clerk,
            kind="service",
            params=ServiceParams("A110", *YEAR),
        )
    assert not Job.objects.exists()


def test_a_job_whose_unit_left_the_scope_fails_with_a_reason(
    data: ReportData, personas: Personas, run: Callable[[Job], Job]
) -> None:
    clerk = personas.county_clerk
    job = request_report(actor=clerk, kind="age", params=AgeParams("A110", AS_OF))
    clerk.unit = data.tree.county_b
    clerk.save()
    job = run(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "此單位已不在您的權限範圍內，請重新選擇單位"
    assert not job.files.exists()


def test_conditions_that_cannot_be_used_fail_the_job(
    data: ReportData, personas: Personas, run: Callable[[Job], Job]
) -> None:
    clerk = personas.county_clerk
    params = {**AgeParams("A000", AS_OF).to_json(), "category": "星際"}
    job = request_job(actor=clerk, kind="report.age", params=params, unit=None)
    job = run(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "查無服務類別：星際"
