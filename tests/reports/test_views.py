"""The VR report pages for each persona: forms, errors, scope, jobs, chart."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.conftest import Personas
from tests.reports.conftest import ReportData
from vsis.core.rocdate import format_roc
from vsis.jobs.models import Job, JobStatus
from vsis.jobs.runner import execute_job

AGE = {"unit": "A000", "as_of": "113/12/31", "include_subunits": "on"}
SERVICE = {
    "unit": "A110",
    "start": "113/01/01",
    "end": "2024-12-31",
    "include_subunits": "on",
}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, kind: str, data: dict[str, Any]) -> Any:
    return client.post(reverse(f"reports:{kind}"), data)


@pytest.mark.parametrize("kind", ["age", "service"])
def test_anonymous_is_sent_to_login(db: None, kind: str) -> None:
    response = Client().get(reverse(f"reports:{kind}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    response = Client().post(reverse(f"reports:{kind}"), AGE)
    assert response.status_code == 302 and not Job.objects.exists()


def test_the_age_form_starts_from_the_users_unit_and_today(
    data: ReportData, personas: Personas
) -> None:
    response = client_for(personas.unit_clerk).get(reverse("reports:age"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "志工年齡分布表" in html and "【列印】" in html
    assert re.search(r'name="unit"[^>]*value="A110"', html)
    assert f'value="{format_roc(timezone.localdate())}"' in html
    assert re.search(r'name="include_subunits"[^>]*checked', html)
    # The picker lists units of the scope only.
    picker = html[html.index('<datalist id="unit-options">') :]
    options = re.findall(
        r'<option value="(\w+)">', picker[: picker.index("</datalist>")]
    )
    assert options == ["A110", "A111", "A112", "A113", "A114", "A115"]
    assert "服務中" in html and "暫停中" in html  # 志工狀態 choices


def test_the_service_form_defaults_to_this_year(
    data: ReportData, personas: Personas
) -> None:
    html = client_for(personas.county_clerk).get(reverse("reports:service")).content
    today = timezone.localdate()
    assert f'value="{format_roc(today.replace(month=1, day=1))}"'.encode() in html
    assert f'value="{format_roc(today)}"'.encode() in html


@pytest.mark.parametrize("persona", ["county_clerk", "viewer", "superuser"])
def test_print_queues_a_job(data: ReportData, personas: Personas, persona: str) -> None:
    user = getattr(personas, persona)
    client = client_for(user)
    response = post(client, "age", {**AGE, "dedupe": "on", "sex": "F"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:age") + "?")
    job = Job.objects.get()
    assert (job.requester, job.kind, job.status) == (user, "report.age", "queued")
    assert job.params == {
        "unit": "A000",
        "as_of": "2024-12-31",
        "include_subunits": True,
        "category": None,
        "statuses": [],
        "sex": "F",
        "dedupe": True,
    }
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "已開始產製「志工年齡分布表」" in html
    # The conditions come back filled in.
    assert re.search(r'name="unit"[^>]*value="A000"', html)
    assert re.search(r'name="dedupe"[^>]*checked', html)
    assert "基準日 113/12/31、女、歸戶" in html  # the job row's 條件


def test_print_twice_gives_the_same_job(data: ReportData, personas: Personas) -> None:
    client = client_for(personas.county_clerk)
    post(client, "service", SERVICE)
    response = post(client, "service", SERVICE)
    assert Job.objects.count() == 1
    assert "正在產製中" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("unit_clerk", "A000"),  # above one's own unit
        ("unit_clerk", "A121"),  # a sibling's team
        ("other_county_clerk", "A110"),  # another county
    ],
)
def test_a_unit_out_of_scope_reads_like_an_unknown_one(
    data: ReportData, personas: Personas, persona: str, unit: str
) -> None:
    client = client_for(getattr(personas, persona))
    for kind, params in (("age", AGE), ("service", SERVICE)):
        response = post(client, kind, {**params, "unit": unit})
        assert response.status_code == 200
        body = response.content.decode()
        assert f"查無單位代碼（或不在您的權限範圍內）：{unit}" in body
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("age", {"unit": "ZZZ9"}, "查無單位代碼（或不在您的權限範圍內）：ZZZ9"),
        ("age", {"unit": ""}, "請選擇單位"),
        ("age", {"as_of": ""}, "請輸入基準日"),
        ("age", {"as_of": "去年"}, "基準日：無法辨識的日期格式：去年"),
        ("age", {"as_of": "113/02/30"}, "基準日：不存在的日期：113/02/30"),
        (
            "age",
            {"as_of": "0001-01-01"},
            "基準日須在民國元年（1912年）至西元2999年之間",
        ),
        ("age", {"sex": "X"}, "性別不正確"),
        ("age", {"statuses": ["vacation"]}, "志工狀態不正確"),
        ("age", {"category": "星際"}, "請從清單中選擇服務類別"),
        ("service", {"start": ""}, "請輸入服務日期起"),
        ("service", {"end": "2024-13-01"}, "服務日期迄：不存在的日期：2024-13-01"),
        (
            "service",
            {"start": "113/12/31", "end": "113/01/01"},
            "服務日期迄不可早於服務日期起",
        ),
    ],
)
def test_bad_input_is_a_chinese_form_error(
    data: ReportData,
    personas: Personas,
    kind: str,
    changes: dict[str, Any],
    message: str,
) -> None:
    base = AGE if kind == "age" else SERVICE
    response = post(client_for(personas.county_clerk), kind, {**base, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_roc_and_gregorian_dates_are_both_accepted(
    data: ReportData, personas: Personas
) -> None:
    client = client_for(personas.county_clerk)
    post(client, "service", {**SERVICE, "start": "1130101", "end": "113.12.31"})
    job = Job.objects.get()
    assert (job.params["from"], job.params["to"]) == ("2024-01-01", "2024-12-31")


def test_the_job_list_says_running_while_the_worker_builds_the_report(
    data: ReportData, personas: Personas
) -> None:
    client = client_for(personas.county_clerk)
    post(client, "age", AGE)
    job = Job.objects.get()
    # What the worker's claim and first progress() write (jobs.runner).
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, progress=40, progress_note="寫入 Excel"
    )
    html = client.get(reverse("reports:age")).content.decode()
    row = re.search(
        rf'<tr id="job-{job.pk}" data-status="running">(.*?)</tr>', html, re.S
    )
    assert row is not None
    assert "產製中" in row.group(1) and "寫入 Excel" in row.group(1)
    assert "【Excel】" not in row.group(1) and "取消" in row.group(1)


def test_a_done_job_shows_its_buttons_and_chart(
    data: ReportData,
    personas: Personas,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(personas.county_clerk)
    post(client, "age", AGE)
    job = Job.objects.get()
    running = client.get(reverse("reports:chart", args=["age"])).content.decode()
    assert 'hx-trigger="every 3s"' in running  # the chart waits for the job
    with django_capture_on_commit_callbacks(execute=True):
        assert execute_job(job.pk) == "done"
    html = client.get(reverse("reports:age")).content.decode()
    assert "【Excel】" in html and "【Ods】" in html
    assert "<svg" in html and "甲市政府 志工年齡金字塔" in html
    assert re.search(r'<rect class="bar male"[^>]*><title>65歲以上：2 人</title>', html)
    done = client.get(reverse("reports:chart", args=["age"])).content.decode()
    assert "every 3s" not in done

    xlsx = job.files.get(format="xlsx")
    response = client.get(reverse("jobs:download", args=[job.pk, xlsx.pk]))
    assert response.status_code == 200
    path = Path(xlsx.file.path)
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["志工年齡分布表", "圖表"]
    # Only the requester (and superusers) can fetch it.
    other = client_for(personas.viewer)
    assert (
        other.get(reverse("jobs:download", args=[job.pk, xlsx.pk])).status_code == 404
    )
    superuser = client_for(personas.superuser)
    assert (
        superuser.get(reverse("jobs:download", args=[job.pk, xlsx.pk])).status_code
        == 200
    )


def test_the_service_chart_is_hours_by_category(
    data: ReportData, personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(personas.county_clerk)
    post(client, "service", {**SERVICE, "unit": "A000"})
    with django_capture_on_commit_callbacks(execute=True):
        execute_job(Job.objects.get().pk)
    html = client.get(reverse("reports:service")).content.decode()
    assert re.search(
        r'<rect class="bar hours"[^>]*><title>衛生福利：2.60 小時</title>', html
    )
    assert re.search(
        r'<rect class="bar hours"[^>]*><title>文化：1.52 小時</title>', html
    )


def test_the_unit_picker_searches_the_scope(
    data: ReportData, personas: Personas
) -> None:
    url = reverse("reports:units")

    def codes(user: Any, text: str) -> list[str]:
        html = client_for(user).get(url, {"unit": text}).content.decode()
        return re.findall(r'<option value="(\w+)">', html)

    assert codes(personas.county_clerk, "圖書") == ["A120", "A121"]
    assert codes(personas.county_clerk, "a11") == [
        "A110",
        "A111",
        "A112",
        "A113",
        "A114",
        "A115",
    ]
    assert codes(personas.unit_clerk, "A") == [
        "A110",
        "A111",
        "A112",
        "A113",
        "A114",
        "A115",
    ]
    assert codes(personas.unit_clerk, "圖書") == []
    assert codes(personas.other_county_clerk, "甲") == []
    assert codes(personas.superuser, "H000") == ["H000"]
    assert Client().get(url).status_code == 302


def test_a_nul_in_the_picker_or_the_polled_job_list_is_no_500(
    data: ReportData, personas: Personas
) -> None:
    # SQLite takes a NUL in a text parameter, PostgreSQL refuses it.
    client = client_for(personas.county_clerk)
    picker = client.get(reverse("reports:units"), {"unit": "A1\x0011"})
    assert re.findall(r'<option value="(\w+)">', picker.content.decode()) == ["A111"]
    post(client, "age", AGE)
    jobs = client.get(reverse("jobs:fragment"), {"kind": "report.age\x00"})
    assert jobs.status_code == 200
    assert 'id="job-' not in jobs.content.decode()


def test_unknown_chart_kind_is_404(data: ReportData, personas: Personas) -> None:
    client = client_for(personas.county_clerk)
    assert client.get(reverse("reports:chart", args=["weather"])).status_code == 404


def test_a_type_in_code_with_its_name_is_accepted(
    data: ReportData, personas: Personas
) -> None:
    client = client_for(personas.county_clerk)
    assert post(client, "age", {**AGE, "unit": "a110 甲市立醫院"}).status_code == 302
    assert Job.objects.get().params["unit"] == "A110"


def test_reports_does_not_import_web() -> None:
    import vsis.reports

    root = Path(vsis.reports.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"^\s*(from|import) vsis\.web", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


def test_job_status_after_a_failure_is_shown(
    data: ReportData, personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    clerk = personas.county_clerk
    client = client_for(clerk)
    post(client, "age", {**AGE, "unit": "A110"})
    clerk.unit = data.tree.county_b
    clerk.save()
    with django_capture_on_commit_callbacks(execute=True):
        execute_job(Job.objects.get().pk)
    assert Job.objects.get().status == JobStatus.FAILED
    html = client_for(clerk).get(reverse("reports:age")).content.decode()
    assert "此單位已不在您的權限範圍內" in html


def test_a_date_far_in_the_past_is_still_a_date(
    data: ReportData, personas: Personas
) -> None:
    client = client_for(personas.county_clerk)
    assert post(client, "age", {**AGE, "as_of": "1/1/1"}).status_code == 302
    assert Job.objects.get().params["as_of"] == dt.date(1912, 1, 1).isoformat()
