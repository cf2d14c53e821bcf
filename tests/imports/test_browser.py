import pytest

from tests.conftest import Personas, login
from tests.imports.conftest import UNIT_HEADER, csv_bytes
from vsis.units.models import Unit


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clerk_uploads_a_file_and_reads_the_problems_then_the_summary(
    page,
    live_server,
    personas: Personas,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    bad = tmp_path / "單位.csv"
    bad.write_bytes(
        csv_bytes(
            [
                ["醫院單位"],
                UNIT_HEADER,
                ["A113", "醫院關懷隊", "A110", "志工隊", "天文"],
            ],
            "cp950",
        )
    )
    good = tmp_path / "單位-修正.csv"
    good.write_bytes(
        csv_bytes(
            [
                ["醫院單位"],
                UNIT_HEADER,
                ["A113", "醫院關懷隊", "A110", "志工隊", "衛生福利"],
            ],
            "cp950",
        )
    )
    login(page, live_server, "hospital_clerk")
    page.click("text=資料匯入")
    page.select_option("select[name=kind]", "units")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('上傳並匯入')")
    errors = page.locator("table.import-errors tbody tr")
    assert errors.count() == 1
    assert errors.first.inner_text().split("\t") == [
        "3",
        "服務類別",
        "未知的服務類別：天文",
    ]
    page.screenshot(path=str(tmp_path / "errors.png"), full_page=True)
    assert not Unit.objects.filter(code="A113").exists()

    page.select_option("select[name=kind]", "units")
    page.set_input_files("input[name=file]", str(good))
    page.click("button:has-text('上傳並匯入')")
    assert page.locator("h2.import-done").inner_text() == "匯入完成"
    summary = page.locator("table.import-summary tbody tr").first.inner_text()
    assert summary.split("\t") == ["單位", "1", "0", "0"]
    assert Unit.objects.get(code="A113").parent.code == "A110"  # type: ignore[union-attr]
