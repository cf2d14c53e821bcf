"""The xlsx of a VR report: XlsxWriter builds the workbook, the data rows are
streamed into its sheet XML.

Sheet 1 is the report (title, conditions, a two-level merged header, one row
per report row, the footnote); sheet 2 holds the chart and its small table.
XlsxWriter writes everything but the data rows. Those are most of the cells
(some 840,000 in a national age report) and XlsxWriter spends about 5 µs on
each, which alone would take the national report past its 3-second target
(issue #5). So each data row is written here as the sheet XML it becomes, into
a temporary file, with the style numbers of XlsxWriter's own formats; on close
the workbook is finished by XlsxWriter and copied into the output with the rows
spliced into sheet1.xml between the header and the footnote, as the ods writer
does with content.xml. Memory stays flat: a row is on disk once written.

Hours go in as minutes / 60 (the nearest double to the exact value) and show
two decimals; counts are whole numbers shown with thousands separators.
"""

import math
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from vsis.reports.charts import Chart
from vsis.reports.definitions import ColumnKind, ReportRow, ReportSpec
from vsis.reports.writers.base import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    ZIP_LEVEL,
    figure,
    header_cells,
    number_text,
    plain_text,
    sheet_width,
)

NUMBER_FORMATS: dict[ColumnKind, str] = {
    "count": "#,##0",
    "hours": "#,##0.00",
    "ratio": "#,##0.00",
}
ROW_STYLES: dict[str, dict[str, Any]] = {
    "team": {},
    "subtotal": {"bold": True, "bg_color": "#EEF3F8"},
    "total": {"bold": True, "bg_color": "#D9E2EC", "top": 2},
}
BASE = {"font_name": "Noto Sans CJK TC", "font_size": 10, "border": 1}
CODE_WIDTH, NAME_WIDTH = 10, 30  # in Excel's character units
MALE_COLOUR, FEMALE_COLOUR, HOURS_COLOUR = "#3B6FB6", "#D9534F", "#2E8B57"
REPORT_SHEET = "xl/worksheets/sheet1.xml"
# Copying the data rows in blocks of this size keeps the memory flat.
COPY_BLOCK = 1 << 16


class XlsxWriter:
    """Write one report to `path`; rows must come in order."""

    def __init__(self, spec: ReportSpec[Any, Any], path: Path) -> None:
        self.spec = spec
        self.path = path
        self.width = sheet_width(spec)
        self.kinds = [column.kind for column in spec.columns]
        self.figure_width = 7 if len(self.kinds) > 12 else 11
        self.refs = [xl_col_to_name(column) for column in range(self.width)]
        # XlsxWriter writes the workbook beside the output; close() copies it.
        self.shell_path = path.with_name(f".{path.name}.shell")
        self.book = xlsxwriter.Workbook(
            str(self.shell_path),
            {"constant_memory": True, "strings_to_numbers": False},
        )
        self.sheet = self.book.add_worksheet(spec.title[:31])
        self._formats()
        self.row = FIRST_DATA_ROW
        # Lives as long as the writer: close() closes it (and the system
        # removes it if the writer is abandoned).
        self.rows: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._page_setup()
        self._write_head()

    def _format(self, **properties: Any) -> Format:
        return self.book.add_format({"font_name": BASE["font_name"], **properties})

    def _formats(self) -> None:
        self.title_format = self._format(bold=True, font_size=14)
        self.info_format = self._format(font_size=10)
        self.note_format = self._format(font_size=9, text_wrap=True, valign="top")
        self.header_format = self._format(
            **BASE,
            bold=True,
            align="center",
            valign="vcenter",
            text_wrap=True,
            bg_color="#DCE6F1",
        )
        self.text_formats: dict[str, Format] = {}
        self.number_formats: dict[tuple[str, ColumnKind], Format] = {}
        for kind, style in ROW_STYLES.items():
            self.text_formats[kind] = self._format(**BASE, **style)
            for column_kind, pattern in NUMBER_FORMATS.items():
                self.number_formats[kind, column_kind] = self._format(
                    **BASE, **style, num_format=pattern
                )
        # The style number (s="…") of each data cell, by row kind: fixed now,
        # as XlsxWriter numbers a format the first time it is used.
        self.text_styles = {
            kind: fmt._get_xf_index() for kind, fmt in self.text_formats.items()
        }
        self.number_styles = {
            kind: [self.number_formats[kind, c]._get_xf_index() for c in self.kinds]
            for kind in ROW_STYLES
        }

    def _page_setup(self) -> None:
        sheet = self.sheet
        sheet.set_column(0, 0, CODE_WIDTH)
        sheet.set_column(1, 1, NAME_WIDTH)
        sheet.set_column(2, self.width - 1, self.figure_width)
        sheet.freeze_panes(FIRST_DATA_ROW, 2)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(HEADER_ROW, HEADER_ROW + 1)

    def _wide(self, sheet: Worksheet, row: int, text: str, fmt: Format) -> None:
        sheet.merge_range(row, 0, row, self.width - 1, text, fmt)

    def _write_head(self) -> None:
        sheet, spec = self.sheet, self.spec
        sheet.set_row(0, 22)
        self._wide(sheet, 0, spec.full_title, self.title_format)
        for offset, line in enumerate(spec.heading(), start=1):
            self._wide(sheet, offset, line, self.info_format)
        upper, lower = header_cells(spec)
        top, bottom = HEADER_ROW, HEADER_ROW + 1
        # constant_memory writes a row out once a later row is touched, so the
        # upper row is finished before any cell of the lower one.
        for cell in upper:
            if cell.first == cell.last:
                sheet.write_string(top, cell.first, cell.label, self.header_format)
            else:
                sheet.merge_range(
                    top, cell.first, top, cell.last, cell.label, self.header_format
                )
        sheet.set_row(bottom, 18)
        for column, label in enumerate(lower):
            if label:
                sheet.write_string(bottom, column, label, self.header_format)
        for cell in upper:
            if cell.spans_rows:
                sheet.write_blank(bottom, cell.first, None, self.header_format)
                # merge_range cannot reach back into a row constant_memory has
                # already written out (the author won't support it), but a
                # merge is only a range in <mergeCells>: record it directly.
                sheet.merge.append([top, cell.first, bottom, cell.last])

    def write_row(self, row: ReportRow[Any]) -> None:
        number = self.row + 1  # the row number the sheet shows
        refs = self.refs
        text = self.text_styles[row.kind]
        parts = [f'<row r="{number}">']
        for ref, label in zip(refs, (row.code, self.spec.row_label(row)), strict=False):
            parts.append(
                f'<c r="{ref}{number}" s="{text}" t="inlineStr">'
                f"{_inline_text(label)}</c>"
            )
        cells = zip(
            refs[2:],
            self.kinds,
            self.number_styles[row.kind],
            self.spec.cells(row),
            strict=True,
        )
        for ref, kind, style, value in cells:
            if value is None:
                parts.append(f'<c r="{ref}{number}" s="{style}"/>')
            else:
                shown = number_text(figure(kind, value))
                parts.append(f'<c r="{ref}{number}" s="{style}"><v>{shown}</v></c>')
        parts.append("</row>")
        self.rows.write("".join(parts).encode())
        self.row += 1

    def _write_footnotes(self) -> None:
        sheet = self.sheet
        row = self.row + 1
        self._wide(sheet, row, "說明：", self.note_format)
        # A CJK character takes about two units of column width.
        units = CODE_WIDTH + NAME_WIDTH + len(self.kinds) * self.figure_width
        per_line = max(20, units // 2)
        for number, note in enumerate(self.spec.footnotes(), start=1):
            row += 1
            text = f"{number}. {note}"
            sheet.set_row(row, 13 * math.ceil(len(text) / per_line) + 2)
            self._wide(sheet, row, text, self.note_format)

    def close(self, chart: Chart) -> None:
        try:
            self._write_footnotes()
            self._write_chart(chart)
            self.book.close()
            self._splice_rows()
        finally:
            self.rows.close()
            self.shell_path.unlink(missing_ok=True)

    def _splice_rows(self) -> None:
        """Copy the workbook to the output with the data rows in sheet 1."""
        with (
            zipfile.ZipFile(self.shell_path) as shell,
            zipfile.ZipFile(
                self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
            ) as out,
        ):
            for item in shell.infolist():
                if item.filename != REPORT_SHEET:
                    out.writestr(item, shell.read(item))
                    continue
                # Without the data rows the sheet XML is a few kilobytes.
                head, tail = _split_after_header(shell.read(item))
                with out.open(item.filename, "w") as sheet:
                    sheet.write(head)
                    self.rows.seek(0)
                    shutil.copyfileobj(self.rows, sheet, COPY_BLOCK)
                    sheet.write(tail)

    def _write_chart(self, chart: Chart) -> None:
        sheet = self.book.add_worksheet("圖表")
        name = sheet.get_name()
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 3, 12)
        sheet.write_string(0, 0, chart.title, self.title_format)
        heads = ["類別" if chart.kind == "bars" else "年齡層"]
        heads += [s.name for s in chart.series]
        if chart.kind == "pyramid":
            heads.append("男（繪圖用負值）")
        for column, head in enumerate(heads):
            sheet.write_string(1, column, head, self.header_format)
        count_format = self.number_formats["team", "count"]
        hours_format = self.number_formats["team", "hours"]
        value_format = count_format if chart.kind == "pyramid" else hours_format
        for index, category in enumerate(chart.categories):
            row = 2 + index
            sheet.write_string(row, 0, category, self.text_formats["team"])
            for column, series in enumerate(chart.series, start=1):
                sheet.write_number(row, column, series.values[index], value_format)
            if chart.kind == "pyramid":
                sheet.write_number(row, 3, -chart.series[0].values[index], count_format)
        last = 1 + len(chart.categories)
        plot = self.book.add_chart({"type": "bar"})
        assert plot is not None
        categories = [name, 2, 0, last, 0]
        if chart.kind == "pyramid":
            plot.add_series(
                {
                    "name": "男",
                    "categories": categories,
                    "values": [name, 2, 3, last, 3],
                    "fill": {"color": MALE_COLOUR},
                    "overlap": 100,
                    "gap": 10,
                }
            )
            plot.add_series(
                {
                    "name": "女",
                    "categories": categories,
                    "values": [name, 2, 2, last, 2],
                    "fill": {"color": FEMALE_COLOUR},
                }
            )
            widest = max((v for s in chart.series for v in s.values), default=0)
            reach, step = pyramid_axis(widest)
            # Symmetric around 0; the format hides the minus of the men's side.
            plot.set_x_axis(
                {
                    "num_format": "#,##0;#,##0",
                    "name": "人數",
                    "min": -reach,
                    "max": reach,
                    "major_unit": step,
                }
            )
            plot.set_y_axis({"label_position": "low"})
        else:
            plot.add_series(
                {
                    "name": chart.series[0].name,
                    "categories": categories,
                    "values": [name, 2, 1, last, 1],
                    "fill": {"color": HOURS_COLOUR},
                    "gap": 40,
                }
            )
            plot.set_x_axis({"num_format": "#,##0", "name": "服務時數（小時）"})
            plot.set_y_axis({"reverse": True})
            plot.set_legend({"none": True})
        plot.set_title({"name": chart.title})
        plot.set_size({"width": 720, "height": 420})
        sheet.insert_chart(last + 2, 0, plot)
        sheet.fit_to_pages(1, 1)


def pyramid_axis(widest: float) -> tuple[int, int]:
    """Half-width and tick step of the pyramid's axis for its longest bar.

    The step is 1, 2 or 5 times a power of ten giving at most four ticks a
    side, and the half-width a whole number of steps beyond the longest bar,
    so the ticks fall on 0 and on round numbers (a half-width of 1.1 × 572
    put them on 630, 430, 230, 30, …).
    """
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            steps = int(widest // step) + 1
            if steps <= 4:
                return step * steps, step
        power *= 10


def _inline_text(text: str) -> str:
    text = plain_text(text)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{escape(text)}</t></is>"


_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')


def _split_after_header(sheet_xml: bytes) -> tuple[bytes, bytes]:
    """The sheet XML up to the end of the header rows, and the rest: the data
    rows go where the first row below the header (the footnote) begins."""
    for match in _ROW_NUMBER.finditer(sheet_xml):
        if int(match[1]) > FIRST_DATA_ROW:
            at = match.start()
            break
    else:
        at = sheet_xml.index(b"</sheetData>")
    return sheet_xml[:at], sheet_xml[at:]
