"""Reading an uploaded file into a table of cells under a recognised header.

Workbooks (.xlsx, .xls, .ods) are read with python-calamine, which gives real
date and time cells as Python dates and times; .csv is read with the csv
module after finding its encoding (UTF-8 with or without BOM, then CP950/Big5;
a UTF-16 BOM is honoured too). The header row is found among title and blank
rows above the table by matching cells against the kind's column names.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from python_calamine import CalamineError, CalamineWorkbook

from vsis.imports.cells import Cell, is_blank, text
from vsis.imports.errors import ImportFileError
from vsis.imports.extent import SheetTooLarge, check_extent

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")
SUFFIXES = WORKBOOK_SUFFIXES + CSV_SUFFIXES

# How far down a sheet the header row may sit below titles and blank rows.
_HEADER_SEARCH_ROWS = 30
# csv's own default is 128 KiB; a cell larger than this is no data of ours.
_CSV_FIELD_LIMIT = 1024 * 1024
# Rows below the table that only carry a note or a signature line.
_FOOTER_PREFIXES = (
    "註", "備註", "說明", "製表", "填表", "承辦", "審核", "主管", "合計", "總計",
    "小計", "以下空白",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A column of an import file: its key, its Chinese header and aliases."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Table:
    """The rows under the header row, blank and footer rows left out."""

    header_row: int  # 1-based, as the spreadsheet shows it
    index: dict[str, int]  # column key -> position in a row
    headers: dict[str, str]  # column key -> header text as written in the file
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)

    def has(self, column: Column) -> bool:
        return column.key in self.index

    def header_of(self, column: Column) -> str:
        return self.headers.get(column.key, column.header)


def fold_header(value: Cell) -> str:
    """A header cell reduced for matching: NFKC, lower case, no spaces, no
    required-field stars, no trailing note in brackets such as (民國年)."""
    folded = unicodedata.normalize("NFKC", text(value)).lower()
    folded = re.sub(r"[\s*:：]+", "", folded)
    return re.sub(r"\([^()]*\)$", "", folded)


def _sheets_of_workbook(data: bytes) -> list[list[list[Cell]]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        # skip_empty_area=False keeps the grid anchored at A1, so row numbers
        # are the ones the spreadsheet shows.
        sheets: list[list[list[Cell]]] = []
        for index in range(len(workbook.sheet_names)):
            grid = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
            sheets.append([list(row) for row in grid])
        return sheets
    except CalamineError as exc:
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise ImportFileError("檔案有密碼保護，請解除密碼後再上傳") from None
        raise ImportFileError(
            "無法讀取這個試算表檔案，檔案可能已損毀或不是 Excel/ODS 格式"
        ) from None
    except Exception:  # calamine raises plain errors for some broken files
        raise ImportFileError(
            "無法讀取這個試算表檔案，檔案可能已損毀或不是 Excel/ODS 格式"
        ) from None


def decode_text(data: bytes) -> str:
    """The text of a csv file: UTF-16 by BOM, else UTF-8 (BOM or not), else
    CP950 (Big5 as Windows writes it)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("無法辨識檔案的文字編碼，請另存為 UTF-8 或 Big5 的 CSV 檔")


def _sheet_of_csv(data: bytes) -> list[list[Cell]]:
    content = decode_text(data)
    if "\x00" in content:
        raise ImportFileError("檔案含有無法辨識的字元，可能不是 CSV 文字檔")
    first_line = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        return [
            list(row)
            for row in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
        ]
    except csv.Error:
        raise ImportFileError(
            "CSV 檔格式有誤（引號未成對或單一欄位過大），請檢查後重新存檔"
        ) from None


def read_sheets(data: bytes, filename: str) -> list[list[list[Cell]]]:
    """Every sheet of the file as a grid of cells (a csv file is one sheet)."""
    if not data:
        raise ImportFileError("檔案是空的")
    suffix = PurePath(filename).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        try:
            check_extent(data, suffix)
        except SheetTooLarge as exc:
            raise ImportFileError(str(exc)) from None
        return _sheets_of_workbook(data)
    if suffix in CSV_SUFFIXES:
        return [_sheet_of_csv(data)]
    raise ImportFileError(
        "不支援的檔案類型，請上傳 .xlsx、.xls、.ods 或 .csv 檔"
        + (f"（收到 {suffix}）" if suffix else "")
    )


def _match_header(
    row: Sequence[Cell], lookup: dict[str, Column]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    repeated: list[str] = []
    for position, cell in enumerate(row):
        column = lookup.get(fold_header(cell))
        if column is None:
            continue
        if column.key in index:
            repeated.append(text(cell))
            continue
        index[column.key] = position
        headers[column.key] = text(cell)
    return index, headers, repeated


def _is_footer(row: Sequence[Cell], index: dict[str, int]) -> bool:
    filled = [(pos, cell) for pos, cell in enumerate(row) if not is_blank(cell)]
    if not filled:
        return True
    used = set(index.values())
    if all(pos not in used for pos, _ in filled):
        return True  # only notes beside the table
    return len(filled) == 1 and text(filled[0][1]).startswith(_FOOTER_PREFIXES)


def find_table(sheet: list[list[Cell]], columns: Sequence[Column]) -> Table | None:
    """The table under the first row that names at least two of the columns,
    or None. ImportFileError when that row repeats a column."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            lookup[fold_header(name)] = column
    for position, row in enumerate(sheet[:_HEADER_SEARCH_ROWS]):
        index, headers, repeated = _match_header(row, lookup)
        if len(index) < 2:
            continue
        if repeated:
            names = "、".join(f"「{name}」" for name in repeated)
            raise ImportFileError(f"第 {position + 1} 列的標題重複：{names}")
        table = Table(header_row=position + 1, index=index, headers=headers)
        width = max(index.values()) + 1
        for offset, cells in enumerate(sheet[position + 1 :], start=position + 2):
            if _is_footer(cells, index):
                continue
            if len(cells) < width:
                cells = [*cells, *([""] * (width - len(cells)))]
            table.rows.append((offset, cells))
        return table
    return None


def read_table(data: bytes, filename: str, columns: Sequence[Column]) -> Table:
    """The first table in the file whose header names the given columns."""
    for sheet in read_sheets(data, filename):
        table = find_table(sheet, columns)
        if table is not None:
            return table
    expected = "、".join(column.header for column in columns if column.required)
    raise ImportFileError(
        f"找不到標題列：請確認檔案的種類正確，且表格上方有一列欄位名稱（如{expected}）"
    )
