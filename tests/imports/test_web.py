"""The upload page: who may use it, the summary, the error table, and files
that are no good never giving a 500."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import Personas, Tree
from tests.imports.conftest import UNIT_HEADER, csv_bytes
from vsis.imports.models import BatchStatus, ImportBatch
from vsis.units.models import Unit

URL = "/imports/"

GOOD = csv_bytes(
    [
        ["單位清冊"],
        UNIT_HEADER,
        ["A113", "醫院關懷隊", "A110", "志工隊", "衛生福利"],
        ["A111", "醫院志工隊", "A110", "志工隊", "衛生福利"],
    ]
)
BAD = csv_bytes(
    [
        UNIT_HEADER,
        ["A113", "", "A110", "志工隊", "衛生福利"],
        ["A114", "醫院<b>隊</b>", "A999", "志工隊", "衛生福利"],
    ]
)


def post(client: Client, data: bytes, name: str = "units.csv", **fields: str):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(URL, {"kind": "units", "file": upload, **fields})


def cells(html: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="grid {table_class}">(.*?)</table>', html, re.S)
    assert table is not None, html
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
        if "<td" in row
    ]


@pytest.fixture
def clerk(client: Client, personas: Personas) -> Client:
    client.force_login(personas.unit_clerk)
    return client


def test_the_page_needs_a_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_viewer_gets_403(client: Client, personas: Personas) -> None:
    client.force_login(personas.viewer)
    assert client.get(URL).status_code == 403
    assert post(client, GOOD).status_code == 403
    assert not Unit.objects.filter(code="A113").exists()


@pytest.mark.parametrize("persona", ["unit_clerk", "county_admin", "superuser"])
def test_clerks_and_admins_see_the_form(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(getattr(personas, persona))
    body = client.get(URL).content.decode()
    assert "資料匯入" in body and 'name="file"' in body and 'name="dry_run"' in body


def test_a_good_file_shows_its_summary(clerk: Client) -> None:
    response = post(clerk, GOOD)
    body = response.content.decode()
    assert response.status_code == 200
    assert "匯入完成" in body
    assert cells(body, "import-summary") == [["單位", "1", "0", "1"]]
    assert Unit.objects.filter(code="A113").exists()
    batch = ImportBatch.objects.get()
    assert f"匯入紀錄 #{batch.pk}" in body
    assert f'href="/imports/{batch.pk}/"' in body  # in the recent list


def test_a_bad_file_shows_every_problem(clerk: Client) -> None:
    body = post(clerk, BAD).content.decode()
    assert "檔案有 2 個問題，未寫入任何資料" in body
    assert cells(body, "import-errors") == [
        ["2", "單位名稱", "必填"],
        ["3", "上層單位代碼", "上層單位代碼不存在：A999"],
    ]
    assert not Unit.objects.filter(code__in=["A113", "A114"]).exists()


def test_a_dry_run_says_nothing_was_written(clerk: Client) -> None:
    body = post(clerk, GOOD, dry_run="on").content.decode()
    assert "檢查通過（試算，未寫入任何資料）" in body
    assert cells(body, "import-summary") == [["單位", "1", "0", "1"]]
    assert not Unit.objects.filter(code="A113").exists()


def test_a_clerk_cannot_import_outside_the_scope(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.other_county_clerk)
    body = post(client, GOOD).content.decode()
    assert cells(body, "import-errors") == [
        ["3", "上層單位代碼", "不在您的管轄範圍"],
        ["4", "單位代碼", "不在您的管轄範圍"],
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04" + b"\x00" * 200, "units.xlsx", "無法讀取這個試算表檔案"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "units.ods", "無法讀取這個試算表檔案"),
        (b"\x80\xff" * 30, "units.csv", "無法辨識檔案的文字編碼"),
        (b"a,b,c\n1,2,3\n", "units.csv", "找不到標題列"),
        (csv_bytes([UNIT_HEADER]), "units.csv", "標題列下方沒有任何資料列"),
    ],
)
def test_unreadable_files_get_a_chinese_message(
    clerk: Client, data: bytes, name: str, message: str
) -> None:
    response = post(clerk, data, name)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "（整個檔案）" in body


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "units.csv", "檔案是空的"),
        (b"%PDF-1.4", "units.pdf", "不支援的檔案類型"),
    ],
)
def test_files_refused_by_the_form(
    clerk: Client, data: bytes, name: str, message: str
) -> None:
    response = post(clerk, data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_no_file_and_no_kind_are_refused(clerk: Client) -> None:
    body = clerk.post(URL, {}).content.decode()
    assert "請選擇要上傳的檔案" in body and "請選擇檔案種類" in body


def test_a_huge_cell_is_a_row_error_not_a_crash(clerk: Client) -> None:
    data = csv_bytes([UNIT_HEADER, ["A113", "隊" * 100_000, "A110", "志工隊", "教育"]])
    body = post(clerk, data).content.decode()
    assert cells(body, "import-errors") == [
        ["2", "單位名稱", "內容過長（上限 100 字，此格 100000 字）"]
    ]


def test_an_unexpected_failure_is_a_page_not_a_500(
    clerk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vsis.imports.kinds import units

    def explode(self: object, table: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(units.UnitImporter, "parse", explode)
    response = post(clerk, GOOD)
    assert response.status_code == 200
    assert "匯入時發生未預期的錯誤，未寫入任何資料" in response.content.decode()
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


def test_a_batch_page_is_its_importer_s_only(
    client: Client, personas: Personas, tree: Tree
) -> None:
    client.force_login(personas.unit_clerk)
    post(client, BAD)
    batch = ImportBatch.objects.get()
    body = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "有錯誤，未寫入" in body
    assert cells(body, "import-errors")[0] == ["2", "單位名稱", "必填"]
    client.force_login(personas.county_clerk)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    client.force_login(personas.superuser)
    assert client.get(f"/imports/{batch.pk}/").status_code == 200
    assert client.get("/imports/999999/").status_code == 404
