"""The files of both VR reports, read back with python-calamine (and their XML)."""

import datetime as dt
import json
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from python_calamine import CalamineWorkbook

from tests.reports.conftest import ReportData
from vsis.core.ages import BRACKET_LABELS
from vsis.reports import services
from vsis.reports.charts import Chart, Series
from vsis.reports.definitions import AgeReport, ReportRow, UnitRef
from vsis.reports.params import AgeParams, ReportParamError
from vsis.reports.queries import AgeRow
from vsis.reports.services import ReportTooLarge, generate_report
from vsis.reports.writers import xlsx
from vsis.reports.writers.ods import OdsWriter
from vsis.reports.writers.xlsx import XlsxWriter

AGE = {"unit": "A000", "as_of": "2024-12-31", "dedupe": True}
SERVICE = {"unit": "A000", "from": "2024-01-01", "to": "2024-12-31"}
FIRST_DATA = 6  # title, period, conditions, time made, two header rows
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def sheet(path: Path, index: int = 0) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(book.sheet_names[index]).to_python()


def merges(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    book = CalamineWorkbook.from_path(str(path))
    ranges = book.get_sheet_by_name(book.sheet_names[0]).merged_cell_ranges
    return list(ranges or [])


@pytest.fixture
def age_files(data: ReportData, tmp_path: Path) -> dict[str, Path]:
    return generate_report("age", AGE, ["xlsx", "ods", "json"], tmp_path)


@pytest.fixture
def service_files(data: ReportData, tmp_path: Path) -> dict[str, Path]:
    return generate_report("service", SERVICE, ["xlsx", "ods", "json"], tmp_path)


def test_file_names(age_files: dict[str, Path], service_files: dict[str, Path]) -> None:
    assert age_files["xlsx"].name == "志工年齡分布表_A000_1131231.xlsx"
    assert service_files["ods"].name == "志工服務成果表_A000_1131231.ods"


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_age_sheet_reads_back(age_files: dict[str, Path], fmt: str) -> None:
    rows = sheet(age_files[fmt])
    assert rows[0][0] == "甲市政府 志工年齡分布表"
    assert rows[1][0] == "基準日：113/12/31"
    assert rows[2][0] == (
        "單位：甲市政府（A000）　含下層單位：是　服務類別：全部　"
        "志工狀態：全部　性別：全部　歸戶：是"
    )
    assert rows[4][:3] == ["單位代碼", "單位名稱", "未滿12歲"]
    assert rows[4][2::3][:8] == [*BRACKET_LABELS, "合計"]
    assert rows[5][2:5] == ["男", "女", "小計"]
    assert rows[5][-3:] == ["男", "女", "總計"]
    body = rows[FIRST_DATA : FIRST_DATA + 8]
    assert [(r[0], r[1]) for r in body] == [
        ("A111", "醫院志工隊"),
        ("A112", "醫院導覽志工隊"),
        ("A113", "醫院空白志工隊"),
        ("A110", "甲市立醫院 小計"),
        ("A121", "圖書館志工隊"),
        ("A120", "甲市立圖書館 小計"),
        ("A100", "甲市政府社會局 小計"),
        ("A000", "甲市政府 總計"),
    ]
    for row in body:
        assert all(isinstance(v, float) for v in row[2:]), row  # numeric cells
    # A111: 65歲以上 男 1; 12-17 男 1; 55-64 / 18-29 / 30-49 女 1 each.
    assert body[0][2:] == [
        0, 0, 0,  1, 0, 1,  0, 1, 1,  0, 1, 1,  0, 0, 0,  0, 1, 1,  1, 0, 1,
        2, 3, 5,
    ]  # fmt: skip
    # The total counts p1 and p2 once (歸戶): 6 persons, not 8.
    assert body[-1][-3:] == [3, 3, 6]
    notes = [r[0] for r in rows[FIRST_DATA + 9 :] if r[0]]
    assert notes[0] == "說明："
    assert any("本表已歸戶" in note for note in notes)
    assert any("基準日（113/12/31）" in note for note in notes)


def test_xlsx_header_is_merged(age_files: dict[str, Path]) -> None:
    ranges = merges(age_files["xlsx"])
    assert ((4, 2), (4, 4)) in ranges  # 未滿12歲 over 男 女 小計
    assert ((4, 23), (4, 25)) in ranges  # 合計
    assert ((4, 0), (5, 0)) in ranges  # 單位代碼 over both header rows
    assert ((4, 1), (5, 1)) in ranges
    assert ((0, 0), (0, 25)) in ranges  # the title across the table


def test_ods_header_is_merged(age_files: dict[str, Path]) -> None:
    with zipfile.ZipFile(age_files["ods"]) as package:
        assert package.namelist()[0] == "mimetype"
        assert package.read("mimetype") == (
            b"application/vnd.oasis.opendocument.spreadsheet"
        )
        content = package.read("content.xml").decode()
    assert re.search(
        r'number-columns-spanned="3"[^>]*><text:p>未滿12歲</text:p>', content
    )
    assert re.search(r'number-rows-spanned="2"[^>]*><text:p>單位代碼</text:p>', content)
    assert "@@vsis-report-rows@@" not in content
    # Numbers are float cells with a grouping number style, never text.
    assert 'office:value-type="float" office:value="5"' in content
    assert 'office:value-type="string" calcext:value-type="string"><text:p>5<' not in (
        content
    )


def test_the_ods_repeats_its_header_rows_on_every_printed_page(
    age_files: dict[str, Path],
) -> None:
    with zipfile.ZipFile(age_files["ods"]) as package:
        content = package.read("content.xml").decode()
    repeated = re.search(
        r"<table:table-header-rows>(.*?)</table:table-header-rows>", content
    )
    assert repeated is not None
    assert repeated.group(1).count("<table:table-row") == 2
    assert "單位代碼" in repeated.group(1) and "小計" in repeated.group(1)


def test_every_ods_row_holds_a_cell(
    age_files: dict[str, Path], service_files: dict[str, Path]
) -> None:
    # ODF's schema: a table-row has one or more cells; an empty one (the gap
    # above the footnote) makes the file invalid for strict readers.
    # Rows: the head, 8 report rows, a gap, 說明, then 4 or 5 footnotes.
    for path, footnotes in ((age_files["ods"], 4), (service_files["ods"], 5)):
        with zipfile.ZipFile(path) as package:
            root = ElementTree.fromstring(package.read("content.xml"))
        rows = root.findall(f".//{{{TABLE_NS}}}table-row")
        assert len(rows) == FIRST_DATA + 8 + 1 + 1 + footnotes
        assert min(len(row) for row in rows) >= 1


def test_service_sheet_reads_back(service_files: dict[str, Path]) -> None:
    for fmt in ("xlsx", "ods"):
        rows = sheet(service_files[fmt])
        assert rows[1][0] == "服務期間：113/01/01 至 113/12/31"
        assert rows[4][2:] == [
            "服務志工人數", "", "", "出勤人次", "服務時數", "", "", "服務人次",
            "平均每人服務時數",
        ]  # fmt: skip
        assert rows[5][2:10] == ["男", "女", "計", "", "男", "女", "計", ""]
        a111, a112, a113 = rows[FIRST_DATA : FIRST_DATA + 3]
        assert a111[2:] == [1, 2, 3, 4, 1.5, 1.1, 2.6, 13, 0.87]
        # 61 minutes: the cell keeps the hours to the minute, not 1.02.
        assert a112[6] == pytest.approx(61 / 60, abs=1e-12)
        assert round(a112[6] * 60) == 61
        assert a113[2:10] == [0] * 8
        assert a113[10] == ""  # no volunteer: no average
        total = rows[FIRST_DATA + 7]
        assert total[:2] == ["A000", "甲市政府 總計"]
        # Excel keeps 15-16 significant digits: approx, yet exact to the minute.
        assert total[2:10] == pytest.approx([2, 3, 5, 6, 151 / 60, 1.6, 247 / 60, 19])
        assert [round(v * 60) for v in total[6:9]] == [151, 96, 247]
    assert ((4, 2), (4, 4)) in merges(service_files["xlsx"])
    assert ((4, 5), (5, 5)) in merges(service_files["xlsx"])  # 出勤人次


def test_xlsx_number_formats_avoid_text_and_exponents(
    service_files: dict[str, Path],
) -> None:
    with zipfile.ZipFile(service_files["xlsx"]) as package:
        styles = package.read("xl/styles.xml").decode()
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert 'formatCode="#,##0.00"' in styles
    assert 'formatCode="#,##0"' in styles
    assert "E+" not in sheet_xml and "E-" not in sheet_xml


SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_cell_styles(path: Path) -> dict[str, dict[str, Any]]:
    """Each cell of sheet 1 (by reference) with its number format, boldness and
    fill, looked up through the style number in styles.xml."""
    with zipfile.ZipFile(path) as package:
        styles = ElementTree.fromstring(package.read("xl/styles.xml"))
        sheet_xml = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    formats = {
        f.get("numFmtId"): f.get("formatCode") for f in styles.iter(f"{SHEET_NS}numFmt")
    }
    fonts = list(styles.iter(f"{SHEET_NS}font"))
    fills = list(styles.iter(f"{SHEET_NS}fill"))
    xfs = list(styles.find(f"{SHEET_NS}cellXfs") or [])
    cells = {}
    for cell in sheet_xml.iter(f"{SHEET_NS}c"):
        xf = xfs[int(cell.get("s", "0"))]
        colour = fills[int(xf.get("fillId", "0"))].find(f".//{SHEET_NS}fgColor")
        cells[cell.get("r", "")] = {
            "format": formats.get(xf.get("numFmtId", "0"), "General"),
            "bold": fonts[int(xf.get("fontId", "0"))].find(f"{SHEET_NS}b") is not None,
            "fill": None if colour is None else colour.get("rgb"),
        }
    return cells


def test_xlsx_data_rows_carry_the_styles_of_their_kind(
    service_files: dict[str, Path],
) -> None:
    # Rows 7-9 are A111-A113 (teams), row 10 is A110 (a subtotal), row 14 the
    # total; column G is 服務時數 男, C 服務志工人數 男, B the name.
    cells = xlsx_cell_styles(service_files["xlsx"])
    team, subtotal, total = "FF000000", "FFEEF3F8", "FFD9E2EC"
    assert cells["C7"]["format"] == "#,##0" and not cells["C7"]["bold"]
    assert cells["G7"]["format"] == "#,##0.00"
    assert cells["B7"]["fill"] in (None, team)
    assert cells["B10"] == {"format": "General", "bold": True, "fill": subtotal}
    assert cells["G10"] == {"format": "#,##0.00", "bold": True, "fill": subtotal}
    assert cells["C14"] == {"format": "#,##0", "bold": True, "fill": total}
    assert cells["K14"]["format"] == "#,##0.00"  # 平均每人服務時數


def test_xlsx_chart_sheets(
    age_files: dict[str, Path], service_files: dict[str, Path]
) -> None:
    pyramid = sheet(age_files["xlsx"], 1)
    assert pyramid[0][0] == "甲市政府 志工年齡金字塔"
    assert pyramid[1] == ["年齡層", "男", "女", "男（繪圖用負值）"]
    assert pyramid[2] == ["未滿12歲", 1, 0, -1]
    assert pyramid[8] == ["65歲以上", 1, 0, -1]
    with zipfile.ZipFile(age_files["xlsx"]) as package:
        chart = package.read("xl/charts/chart1.xml").decode()
    assert '<c:barDir val="bar"/>' in chart and chart.count("<c:ser>") == 2
    assert "<c:f>圖表!$D$3:$D$9</c:f>" in chart  # men drawn from the negative column
    # The longest bar is 1 person: the axis runs -2..2 with a tick at every 1.
    assert '<c:max val="2"/><c:min val="-2"/>' in chart
    assert '<c:majorUnit val="1"/>' in chart
    by_category = sheet(service_files["xlsx"], 1)
    assert by_category[1] == ["類別", "服務時數"]
    assert by_category[2:4] == [["衛生福利", 2.6], ["文化", 1.52]]


@pytest.mark.parametrize(
    ("widest", "reach", "step"),
    [(0, 1, 1), (3, 4, 1), (4, 6, 2), (9, 10, 5), (572, 600, 200), (600, 800, 200),
     (1999, 2000, 500), (190_000, 200_000, 50_000)],
)  # fmt: skip
def test_the_pyramid_axis_ticks_on_round_numbers(
    widest: int, reach: int, step: int
) -> None:
    assert xlsx.pyramid_axis(widest) == (reach, step)


def test_json_of_the_age_report(age_files: dict[str, Path]) -> None:
    document = json.loads(age_files["json"].read_text(encoding="utf-8"))
    assert document["unit"] == "A000"
    assert document["unit_name"] == "甲市政府"
    assert document["as_of"] == "2024-12-31"
    assert document["brackets"] == list(BRACKET_LABELS)
    assert document["conditions"] == {
        "unit": "A000",
        "as_of": "2024-12-31",
        "include_subunits": True,
        "category": None,
        "statuses": [],
        "sex": None,
        "dedupe": True,
    }
    assert document["rows"][0] == {
        "code": "A111",
        "name": "醫院志工隊",
        "kind": "team",
        "male": [0, 1, 0, 0, 0, 0, 1],
        "female": [0, 0, 1, 1, 0, 1, 0],
        "total": 5,
    }
    assert document["rows"][3]["kind"] == "subtotal"
    assert document["rows"][3]["name"] == "甲市立醫院"  # no 小計 suffix in JSON
    assert document["rows"][-1] == {
        "code": "A000",
        "name": "甲市政府",
        "kind": "total",
        "male": [1, 1, 0, 0, 0, 0, 1],
        "female": [0, 0, 1, 1, 0, 1, 0],
        "total": 6,
    }


def test_json_of_the_service_report(service_files: dict[str, Path]) -> None:
    text = service_files["json"].read_text(encoding="utf-8")
    document = json.loads(text)
    assert (document["unit"], document["from"], document["to"]) == (
        "A000",
        "2024-01-01",
        "2024-12-31",
    )
    assert document["rows"][1] == {
        "code": "A112",
        "name": "醫院導覽志工隊",
        "kind": "team",
        "volunteers_male": 1,
        "volunteers_female": 0,
        "volunteers": 1,
        "attendances": 1,
        "hours_male": 1.016667,
        "hours_female": 0,
        "hours": 1.016667,
        "persons_served": 5,
        "hours_per_volunteer": 1.02,
        "minutes_male": 61,
        "minutes_female": 0,
        "minutes": 61,
    }
    assert document["rows"][2]["hours_per_volunteer"] is None
    total = document["rows"][-1]
    assert total["kind"] == "total"
    assert (total["hours"], total["minutes"], total["hours_per_volunteer"]) == (
        4.116667,
        247,
        0.82,
    )
    # Hours are written from Decimal: no binary-float tails in the text.
    assert '"hours": 4.116667,' in text
    for row in document["rows"]:
        assert round(row["hours"] * 60) == row["minutes"]


def test_bad_conditions_write_nothing(data: ReportData, tmp_path: Path) -> None:
    with pytest.raises(ReportParamError, match="查無單位代碼"):
        generate_report("age", {**AGE, "unit": "NOPE"}, ["xlsx"], tmp_path)
    with pytest.raises(ReportParamError, match="不支援的檔案格式：pdf"):
        generate_report("age", AGE, ["pdf"], tmp_path)
    with pytest.raises(ReportParamError, match="沒有這種報表"):
        generate_report("weather", AGE, ["xlsx"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_no_file(
    data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: XlsxWriter, row: ReportRow[Any]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(XlsxWriter, "write_row", broken)
    with pytest.raises(OSError, match="disk full"):
        generate_report("age", AGE, ["ods", "xlsx", "json"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_too_many_rows_for_a_sheet(
    data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SHEET_MAX_ROWS", 19)
    with pytest.raises(ReportTooLarge, match="超過試算表上限 19 列"):
        generate_report("age", AGE, ["xlsx"], tmp_path)


def test_progress_is_reported(
    data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "PROGRESS_EVERY", 3)
    seen: list[tuple[int, str]] = []
    generate_report(
        "age", AGE, ["xlsx"], tmp_path, progress=lambda p, n: seen.append((p, n))
    )
    percents = [p for p, _ in seen]
    assert percents == sorted(percents) and percents[0] == 2
    assert (10 + 85 * 6 // 8, "寫入第 6 / 8 列") in seen


def test_many_rows_stream_through_both_sheet_writers(tmp_path: Path) -> None:
    spec = AgeReport(
        AgeParams(unit="X", as_of=dt.date(2024, 12, 31)),
        UnitRef("X", "大單位"),
        generated_at=dt.datetime(2024, 12, 31, 9, 0),
    )
    count = 5000
    writers = [
        XlsxWriter(spec, tmp_path / "big.xlsx"),
        OdsWriter(spec, tmp_path / "big.ods"),
    ]
    for index in range(count):
        figures = AgeRow(male=[index % 7] * 7, female=[1] * 7)
        row = ReportRow(f"T{index:05d}", f"第{index}隊 <&>", "team", 1, figures)
        for writer in writers:
            writer.write_row(row)
    chart = Chart(
        "pyramid",
        "圖",
        BRACKET_LABELS,
        (Series("男", (1,) * 7), Series("女", (2,) * 7)),
        "人",
    )
    for writer in writers:
        writer.close(chart)
    for name in ("big.xlsx", "big.ods"):
        rows = sheet(tmp_path / name)[FIRST_DATA : FIRST_DATA + count]
        assert len(rows) == count
        assert rows[-1][:2] == ["T04999", "第4999隊 <&>"]
        assert sum(r[-1] for r in rows) == sum(i % 7 * 7 + 7 for i in range(count))


def _peak_bytes_writing(rows: int, folder: Path) -> int:
    """Peak Python allocation while both sheet writers take `rows` rows."""
    spec = AgeReport(
        AgeParams(unit="X", as_of=dt.date(2024, 12, 31)),
        UnitRef("X", "大單位"),
        generated_at=dt.datetime(2024, 12, 31, 9, 0),
    )
    chart = Chart("pyramid", "圖", BRACKET_LABELS, (Series("男", (1,) * 7),), "人")
    folder.mkdir()
    tracemalloc.start()
    try:
        writers = [
            XlsxWriter(spec, folder / "a.xlsx"),
            OdsWriter(spec, folder / "a.ods"),
        ]
        tracemalloc.reset_peak()
        for index in range(rows):
            figures = AgeRow(male=[index] * 7, female=[index + 1] * 7)
            row = ReportRow(f"T{index:05d}", f"第{index}隊", "team", 1, figures)
            for writer in writers:
                writer.write_row(row)
        for writer in writers:
            writer.close(chart)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_sheet_writers_hold_no_rows(tmp_path: Path) -> None:
    # Ten times the rows, the same memory (about 1 MB, give or take 0.1 MB):
    # each row goes to disk as it comes. A writer keeping its rows, as odfdo
    # would, adds some 0.7 KB a row, 1.2 MB here.
    few = _peak_bytes_writing(200, tmp_path / "few")
    many = _peak_bytes_writing(2000, tmp_path / "many")
    assert many - few < 500_000


def test_xlsx_writer_uses_constant_memory(tmp_path: Path) -> None:
    spec = AgeReport(
        AgeParams(unit="X", as_of=dt.date(2024, 12, 31)),
        UnitRef("X", "單位"),
        generated_at=dt.datetime(2024, 12, 31, 9, 0),
    )
    writer = xlsx.XlsxWriter(spec, tmp_path / "a.xlsx")
    assert writer.book.constant_memory


def test_the_ods_prints_landscape_one_page_wide(age_files: dict[str, Path]) -> None:
    with zipfile.ZipFile(age_files["ods"]) as package:
        styles = package.read("styles.xml").decode()
    layout = re.search(r'<style:page-layout style:name="Mpm1">.*?/>', styles)
    assert layout is not None
    for attribute in (
        'style:print-orientation="landscape"',
        'fo:page-width="29.7cm"',
        'style:scale-to-X="1"',
        'style:scale-to-Y="0"',
    ):
        assert attribute in layout[0]
    default = re.search(
        r'<style:master-page style:name="Default".*?</style:master', styles
    )
    assert default is not None
    footer = "<style:footer><text:p>第 <text:page-number>1</text:page-number> 頁"
    assert footer in default[0] and ">Page <" not in default[0]
