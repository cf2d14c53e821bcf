"""How far the sheets of a workbook reach, read from its XML before calamine.

calamine turns a sheet into one dense grid from its first to its farthest
filled cell. A single stray value in XFD1048576 asks it for hundreds of
gigabytes, and the failed allocation aborts the process, the web server with
it. So the farthest cell of each sheet is found first, and a sheet whose grid
would pass MAX_SHEET_CELLS is refused with a Chinese message instead.

.xls is not scanned: its format stops at 65,536 rows × 256 columns, a grid
calamine can build.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, iterparse

# 1,000,000 rows of 20 columns; a 50 MB file holds far fewer filled cells.
MAX_SHEET_CELLS = 20_000_000

_CHUNK = 1 << 20
# A cell's reference ("AB12") as an attribute; a row's is digits only.
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
# A cell element, with or without a namespace prefix.
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_SHEET_NS = (
    "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
    "{http://purl.oclc.org/ooxml/spreadsheetml/main}",
)
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


class SheetTooLarge(Exception):
    """A sheet's grid would be larger than MAX_SHEET_CELLS; the message is Chinese."""


def check_extent(data: bytes, suffix: str) -> None:
    """SheetTooLarge if any sheet of the .xlsx/.xlsm/.ods reaches too far.

    A file that is no zip, or whose XML is broken, passes: calamine then
    refuses it with its own error.
    """
    scan = {".ods": _ods_extents, ".xlsx": _xlsx_extents, ".xlsm": _xlsx_extents}
    if suffix not in scan:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            rows, columns = max(scan[suffix](package), key=_area, default=(0, 0))
    except Exception:  # not a zip, a part missing, broken XML: calamine will say
        return
    if rows * columns > MAX_SHEET_CELLS:
        raise SheetTooLarge(
            f"工作表的範圍過大：有資料的儲存格遠至第 {rows:,} 列、第 {columns:,} 欄，"
            "請刪除表格以外的內容後重新存檔"
        )


def _area(extent: tuple[int, int]) -> int:
    return extent[0] * extent[1]


def column_number(letters: bytes) -> int:
    """1 for A, 26 for Z, 27 for AA, 16,384 for XFD."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _xlsx_extents(package: zipfile.ZipFile) -> Iterator[tuple[int, int]]:
    # Every XML part is scanned, not only xl/worksheets/: a sheet may live
    # wherever the workbook's relationships say.
    for info in package.infolist():
        if not info.filename.endswith(".xml"):
            continue
        with package.open(info) as stream:
            rows, columns, sequential = _referenced_extent(stream)
        if sequential:
            with package.open(info) as stream:
                rows, columns = _counted_extent(stream)
        yield rows, columns


def _referenced_extent(stream: IO[bytes]) -> tuple[int, int, bool]:
    """The farthest cell reference, and whether some cell has none."""
    rows = columns = 0
    sequential = False
    carry = b""
    while chunk := stream.read(_CHUNK):
        text = carry + chunk
        cut = text.rfind(b"<")  # a tag cut by the chunk waits for the next
        text, carry = text[:cut], text[cut:]
        references = _CELL_REF.findall(text)
        if references:
            rows = max(rows, max(int(row) for _, row in references))
            letters = {letters for letters, _ in references}
            columns = max(columns, max(map(column_number, letters)))
        # Style-only cells count too: the bound is generous, never short.
        sequential = sequential or len(_CELL_TAG.findall(text)) > len(references)
    return rows, columns, sequential


def _counted_extent(stream: IO[bytes]) -> tuple[int, int]:
    """The extent of a sheet whose cells (some) go without a reference: each
    such cell is the one after the previous, each such row the next."""
    rows = columns = 0
    row = column = 0
    for event, element in iterparse(stream, events=("start", "end")):
        namespace, _, tag = element.tag.partition("}")
        if namespace + "}" not in _SHEET_NS:
            continue
        if tag == "row" and event == "start":
            number = element.get("r", "")
            row = int(number) if number.isdecimal() else row + 1
            column = 0
        elif tag == "c" and event == "end":
            match = re.fullmatch(r"([A-Z]{1,3})([0-9]{1,7})", element.get("r", ""))
            column = column_number(match.group(1).encode()) if match else column + 1
            if len(element):  # a value, an inline string or a formula
                rows, columns = max(rows, row), max(columns, column)
        elif tag == "row" and event == "end":
            element.clear()
    return rows, columns


def _ods_extents(package: zipfile.ZipFile) -> Iterator[tuple[int, int]]:
    """Per table: the farthest filled cell, repeated rows and columns counted
    as the copies they stand for."""
    with package.open("content.xml") as stream:
        rows = columns = row = column = repeat_rows = 0
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag
            if tag == f"{_TABLE}table" and event == "start":
                rows = columns = row = 0
            elif tag == f"{_TABLE}table" and event == "end":
                yield rows, columns
                element.clear()
            elif tag == f"{_TABLE}table-row" and event == "start":
                repeat_rows = _repeat(element, "number-rows-repeated")
                column = 0
            elif tag == f"{_TABLE}table-row" and event == "end":
                row += repeat_rows
                element.clear()
            elif tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell") and (
                event == "end"
            ):
                repeat_columns = _repeat(element, "number-columns-repeated")
                column += repeat_columns
                if element.get(f"{_OFFICE}value-type") or len(element):
                    rows = max(rows, row + repeat_rows)
                    columns = max(columns, column)


def _repeat(element: Element, attribute: str) -> int:
    value = element.get(f"{_TABLE}{attribute}", "1")
    return int(value) if value.isdecimal() else 1
