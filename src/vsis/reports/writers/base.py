"""What the sheet writers share: the header cells and the row limit."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from vsis.reports.charts import Chart
from vsis.reports.definitions import LEAD_COLUMNS, ColumnKind, ReportRow, ReportSpec

# Both Excel and LibreOffice Calc stop at 1,048,576 rows a sheet.
SHEET_MAX_ROWS = 1_048_576
# Rows above the table: title, period, conditions, time made, two header rows.
HEADER_ROW = 4
FIRST_DATA_ROW = HEADER_ROW + 2

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plain_text(text: str) -> str:
    """Text without the control characters XML cannot carry."""
    return _CONTROL.sub("", text)


# Deflate level of the sheet packages: level 1 takes a third of the default's
# time on the ~30 MB of XML of a national report, for files some 20 % larger.
ZIP_LEVEL = 1


def figure(kind: ColumnKind, value: int | Decimal) -> float | int:
    """A cell's number: hours are stored as minutes and shown as hours."""
    if kind == "hours":
        return int(value) / 60  # the nearest double to the exact hours
    if kind == "ratio":
        return float(value)
    return int(value)


def number_text(number: float | int | Decimal) -> str:
    """A number as plain digits for a sheet's XML (no exponent, shortest form)."""
    if isinstance(number, int):
        return str(number)
    text = repr(float(number))
    return text if "e" not in text else format(float(number), "f")


class ReportWriter(Protocol):
    def write_row(self, row: ReportRow[Any]) -> None: ...

    def close(self, chart: Chart) -> None: ...


@dataclass(frozen=True)
class HeaderCell:
    """A cell of the upper header row over columns first..last (0-based).

    `spans_rows` marks a cell that also covers the lower header row.
    """

    first: int
    last: int
    label: str
    spans_rows: bool


def header_cells(spec: ReportSpec[Any, Any]) -> tuple[list[HeaderCell], list[str]]:
    """The upper header cells and the lower header labels ("" under a spanning cell)."""
    upper = [HeaderCell(i, i, label, True) for i, label in enumerate(LEAD_COLUMNS)]
    lower = ["" for _ in LEAD_COLUMNS]
    column = len(LEAD_COLUMNS)
    for group in spec.groups:
        if len(group.columns) == 1:
            upper.append(HeaderCell(column, column, group.label, True))
            lower.append("")
        else:
            last = column + len(group.columns) - 1
            upper.append(HeaderCell(column, last, group.label, False))
            lower += [c.label for c in group.columns]
        column += len(group.columns)
    return upper, lower


def sheet_width(spec: ReportSpec[Any, Any]) -> int:
    return len(LEAD_COLUMNS) + len(spec.columns)


def sheet_rows_needed(spec: ReportSpec[Any, Any], row_count: int) -> int:
    return FIRST_DATA_ROW + row_count + 2 + len(spec.footnotes())
