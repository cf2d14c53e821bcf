"""Files as clerks keep them: each format and encoding, titles above the
table, blank rows, footers, aliases, and files that are no spreadsheet."""

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest

from tests.imports.conftest import (
    BUILDERS,
    HOURS_HEADER,
    UNIT_HEADER,
    csv_bytes,
    xlsx_bytes,
)
from vsis.imports.errors import ImportFileError
from vsis.imports.extent import column_number
from vsis.imports.kinds.hours import HoursImporter
from vsis.imports.kinds.units import UnitImporter
from vsis.imports.reading import decode_text, read_table

SERVICE_ROWS = [
    ["○○醫院志工服務紀錄"],
    ["製表日期：113/12/01"],
    [],
    HOURS_HEADER,
    ["A123456789", "王小明", "A111", "113/01/05", "09:00", "12:00", "", "5", "", ""],
    [],
    ["B223456780", "林美麗", "A111", "113/01/06", "", "", "2.5", "", "導覽", ""],
    ["製表人：陳承辦"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950", "utf-16"])
def test_it_reads_csv_in_each_encoding(encoding: str) -> None:
    table = read_table(
        csv_bytes(SERVICE_ROWS, encoding), "紀錄.csv", HoursImporter.columns
    )
    assert table.header_row == 4
    assert [number for number, _cells in table.rows] == [5, 7]
    first = table.rows[0][1]
    assert first[table.index["name"]] == "王小明"
    assert first[table.index["national_id"]] == "A123456789"


def test_big5_and_utf8_decode_to_the_same_text() -> None:
    text = "身分證字號,姓名\n"
    assert decode_text(text.encode("cp950")) == text
    assert decode_text(text.encode("utf-8-sig")) == text
    assert decode_text(text.encode("utf-8")) == text


def test_bytes_of_no_known_encoding_are_refused_in_chinese() -> None:
    with pytest.raises(ImportFileError, match="無法辨識檔案的文字編碼"):
        decode_text(b"\xff\xfe\xfa\xfb\x80\x81" * 3 + b"\x81")


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_workbooks_keep_row_numbers_and_real_date_and_time_cells(fmt: str) -> None:
    rows = [
        ["志工服務紀錄（範例）"],
        [],
        HOURS_HEADER,
        [
            "A123456789",
            "王小明",
            "A111",
            dt.date(2024, 1, 5),
            dt.time(9, 0),
            dt.time(12, 30),
            "",
            3,
            "",
            "",
        ],
    ]
    table = read_table(BUILDERS[fmt](rows), f"紀錄.{fmt}", HoursImporter.columns)
    assert table.header_row == 3
    number, cells = table.rows[0]
    assert number == 4
    assert cells[table.index["served_on"]] == dt.date(2024, 1, 5)
    assert cells[table.index["start_time"]] == dt.time(9, 0)
    assert cells[table.index["end_time"]] == dt.time(12, 30)


def test_a_table_that_starts_off_a1_keeps_the_sheet_row_numbers() -> None:
    rows = [[], [], ["", "", *UNIT_HEADER], ["", "", "A999", "某隊", "A110", "志工隊"]]
    table = read_table(xlsx_bytes(rows), "單位.xlsx", UnitImporter.columns)
    assert table.header_row == 3
    assert table.rows[0][0] == 4
    assert table.index["code"] == 2


def test_english_aliases_and_decorated_headers_are_recognised() -> None:
    rows = [
        ["national_id", "Name", "team_code", "服務日期(民國年/月/日)", "*服務時數"],
        ["A123456789", "王小明", "A111", "113/01/05", "2"],
    ]
    table = read_table(csv_bytes(rows), "x.csv", HoursImporter.columns)
    assert set(table.index) == {
        "national_id",
        "name",
        "team_code",
        "served_on",
        "hours",
    }
    assert table.headers["national_id"] == "national_id"


def test_full_width_headers_are_recognised() -> None:
    rows = [
        ["單位代碼　", "單位名稱", "上層單位代碼", "單位層級"],
        ["X", "Y", "Z", "6"],
    ]
    table = read_table(csv_bytes(rows), "x.csv", UnitImporter.columns)
    assert table.header_row == 1


def test_notes_beside_the_table_and_footers_are_not_rows() -> None:
    rows = [
        [*UNIT_HEADER, "", "說明"],
        ["A999", "某隊", "A110", "志工隊", "文化", "", "新成立"],
        ["", "", "", "", "", "", "以上資料經主管核閱"],
        ["合計：1 個單位"],
        ["以下空白"],
    ]
    table = read_table(csv_bytes(rows), "x.csv", UnitImporter.columns)
    assert [number for number, _cells in table.rows] == [2]


def test_a_header_that_repeats_a_column_is_refused() -> None:
    rows = [["單位代碼", "單位名稱", "代碼", "單位層級"]]
    with pytest.raises(ImportFileError, match="第 1 列的標題重複：「代碼」"):
        read_table(csv_bytes(rows), "x.csv", UnitImporter.columns)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.xlsx", "檔案是空的"),
        (b"%PDF-1.4 not a sheet", "x.pdf", "不支援的檔案類型"),
        (b"PK\x03\x04 broken zip" * 10, "x.xlsx", "無法讀取這個試算表檔案"),
        (b"just some text", "x.ods", "無法讀取這個試算表檔案"),
        (b"\xd0\xcf\x11\xe0 not really", "x.xls", "無法讀取這個試算表檔案"),
        (b"a,b\n1,2\n", "noextension", "不支援的檔案類型"),
        (b'"open quote,1\n' + b"x" * (2 * 1024 * 1024), "x.csv", "CSV 檔格式有誤"),
        (b"a\x00b,c\n", "x.csv", "無法辨識的字元"),
    ],
)
def test_files_that_cannot_be_read_get_a_chinese_message(
    data: bytes, filename: str, message: str
) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_table(data, filename, UnitImporter.columns)


def test_a_zip_that_is_no_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError, match="無法讀取這個試算表檔案"):
        read_table(out.getvalue(), "x.xlsx", UnitImporter.columns)


def test_a_file_without_the_kind_s_header_says_so() -> None:
    data = csv_bytes([HOURS_HEADER, ["A123456789"]])
    with pytest.raises(ImportFileError, match="找不到標題列"):
        read_table(data, "x.csv", UnitImporter.columns)


def test_the_table_is_found_on_a_later_sheet() -> None:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("封面").write(0, 0, "說明")
    sheet = book.add_worksheet("單位")
    for c, header in enumerate(UNIT_HEADER):
        sheet.write(0, c, header)
    sheet.write_row(1, 0, ["A999", "某隊", "A110", "志工隊", "文化"])
    book.close()
    table = read_table(out.getvalue(), "x.xlsx", UnitImporter.columns)
    assert table.rows[0][1][0] == "A999"


UNIT_ROWS = [UNIT_HEADER, ["A130", "甲市立公園", "A100", "志願服務運用單位", ""]]


def replace_part(workbook: bytes, part: str, edit: Callable[[str], str]) -> bytes:
    """The workbook with one XML part rewritten."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = edit(data.decode()).encode()
            target.writestr(info, data)
    return out.getvalue()


def test_a_stray_value_far_out_is_refused_before_the_grid_is_built() -> None:
    # One value in XFD1048576: a grid from A1 would be 17 billion cells, and
    # calamine's failed allocation would abort the process.
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(UNIT_ROWS):
        for c, cell in enumerate(row):
            sheet.write_string(r, c, cell)
    sheet.write_string(1_048_575, 16_383, "x")
    book.close()
    with pytest.raises(ImportFileError) as refused:
        read_table(out.getvalue(), "單位.xlsx", UnitImporter.columns)
    assert str(refused.value) == (
        "工作表的範圍過大：有資料的儲存格遠至第 1,048,576 列、第 16,384 欄，"
        "請刪除表格以外的內容後重新存檔"
    )


def test_cells_without_references_are_counted_in_place() -> None:
    # A row of 5,000 cells that name no position (each is the one after the
    # last), then a row 5,000: 5,000 × 5,000 cells is more than 20 million.
    wide = "<c><v>1</v></c>" * 5_000

    def stretch(xml: str) -> str:
        rows = f'<row r="4">{wide}</row><row r="5000"><c><v>1</v></c></row>'
        return xml.replace("</sheetData>", rows + "</sheetData>")

    data = replace_part(xlsx_bytes(UNIT_ROWS), "xl/worksheets/sheet1.xml", stretch)
    with pytest.raises(ImportFileError, match="遠至第 5,000 列、第 5,000 欄"):
        read_table(data, "x.xlsx", UnitImporter.columns)


def test_repeated_ods_cells_count_as_the_copies_they_stand_for() -> None:
    filled = (
        '<table:table-row table:number-rows-repeated="30000">'
        '<table:table-cell office:value-type="string" '
        'table:number-columns-repeated="1000"><text:p>x</text:p>'
        "</table:table-cell></table:table-row></table:table>"
    )
    # LibreOffice ends a sheet with its empty rows as one repeated row.
    empty = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1024"/>'
        "</table:table-row></table:table>"
    )
    ods = BUILDERS["ods"](UNIT_ROWS)

    def add(rows: str) -> Callable[[str], str]:
        return lambda xml: xml.replace("</table:table>", rows, 1)

    refused = replace_part(ods, "content.xml", add(filled))
    # Two rows above, then 30,000 copies of a row of 1,000 filled cells.
    with pytest.raises(ImportFileError, match="遠至第 30,002 列、第 1,000 欄"):
        read_table(refused, "x.ods", UnitImporter.columns)
    table = read_table(
        replace_part(ods, "content.xml", add(empty)), "x.ods", UnitImporter.columns
    )
    assert [cells[0] for _, cells in table.rows] == ["A130"]


@pytest.mark.parametrize(
    ("letters", "number"), [(b"A", 1), (b"Z", 26), (b"AA", 27), (b"XFD", 16_384)]
)
def test_column_letters_count_from_one(letters: bytes, number: int) -> None:
    assert column_number(letters) == number
