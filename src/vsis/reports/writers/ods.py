"""The ods of a VR report in bounded memory.

odfdo builds a whole document in memory, which for a national report (some
35,000 rows × 27 cells) runs to gigabytes. So odfdo builds only the shell:
styles, column widths, the title, the merged two-level header and the
footnote, around one placeholder row. The package is then copied into the
output zip with content.xml streamed: the XML before the placeholder, one
<table:table-row> per report row as it arrives, then the XML after it.
See docs/decisions/0007-vr-reports.md.
"""

import io
import zipfile
from pathlib import Path
from typing import IO, Any, cast
from xml.sax.saxutils import escape

from odfdo import Cell, Document, Element, Row, Style, Table

from vsis.reports.charts import Chart
from vsis.reports.definitions import ReportRow, ReportSpec
from vsis.reports.writers.base import (
    ZIP_LEVEL,
    figure,
    header_cells,
    number_text,
    plain_text,
    sheet_width,
)

PLACEHOLDER = "@@vsis-report-rows@@"
ROW_KINDS = ("team", "subtotal", "total")
DATA_STYLE = {"count": "N0", "hours": "N2", "ratio": "N2"}

_NUMBER_STYLES = (
    '<number:number-style style:name="{name}"><number:number number:decimal-places'
    '="{places}" number:min-decimal-places="{places}" number:min-integer-digits="1"'
    ' number:grouping="true"/></number:number-style>'
)
_BORDER = "0.06pt solid #000000"
_ROW_BACKGROUND = {"team": None, "subtotal": "#eef3f8", "total": "#d9e2ec"}


def _style(xml: str) -> Style:
    return cast(Style, Element.from_tag(xml))  # odfdo returns the Style subclass


def _covered() -> Cell:
    return cast(Cell, Element.from_tag("<table:covered-table-cell/>"))


def _cell_style(
    name: str,
    *,
    data_style: str | None = None,
    bold: bool = False,
    size: str | None = None,
    border: bool = True,
    background: str | None = None,
    center: bool = False,
    wrap: bool = False,
) -> Style:
    data = f' style:data-style-name="{data_style}"' if data_style else ""
    cell = []
    if border:
        cell.append(f'fo:border="{_BORDER}"')
    if background:
        cell.append(f'fo:background-color="{background}"')
    if wrap:
        cell.append('fo:wrap-option="wrap"')
    if center:
        cell.append('style:vertical-align="middle"')
    text = [
        f'fo:font-size="{size or "10pt"}"',
        f'style:font-size-asian="{size or "10pt"}"',
    ]
    if bold:
        text += ['fo:font-weight="bold"', 'style:font-weight-asian="bold"']
    paragraph = '<style:paragraph-properties fo:text-align="center"/>' if center else ""
    return _style(
        f'<style:style style:name="{name}" style:family="table-cell"{data}>'
        f"<style:table-cell-properties {' '.join(cell)}/>{paragraph}"
        f"<style:text-properties {' '.join(text)}/></style:style>"
    )


def _column_style(name: str, width: str) -> Style:
    return _style(
        f'<style:style style:name="{name}" style:family="table-column">'
        f'<style:table-column-properties style:column-width="{width}"/></style:style>'
    )


def _styles(document: Document) -> None:
    for name, places in (("N0", 0), ("N2", 2)):
        document.insert_style(
            _style(_NUMBER_STYLES.format(name=name, places=places)), automatic=True
        )
    styles = [
        _cell_style("ceTitle", bold=True, size="14pt", border=False),
        _cell_style("ceInfo", border=False),
        _cell_style("ceNote", border=False, size="9pt", wrap=True),
        _cell_style("ceHead", bold=True, background="#dce6f1", center=True, wrap=True),
        _column_style("coCode", "2.2cm"),
        _column_style("coName", "6.5cm"),
        _column_style("coFigure", "1.6cm"),
        _column_style("coWide", "2.4cm"),
    ]
    for kind in ROW_KINDS:
        background, bold = _ROW_BACKGROUND[kind], kind != "team"
        styles.append(_cell_style(f"ceText-{kind}", bold=bold, background=background))
        for column_kind, data_style in DATA_STYLE.items():
            styles.append(
                _cell_style(
                    f"ce-{column_kind}-{kind}",
                    data_style=data_style,
                    bold=bold,
                    background=background,
                )
            )
    for style in styles:
        document.insert_style(style, automatic=True)


def _wide_row(text: str, style: str, width: int) -> Row:
    row = Row()
    cell = Cell(text)
    cell.style = style
    cell.set_attribute("table:number-columns-spanned", str(width))
    row.append(cell)
    for _ in range(width - 1):
        row.append(_covered())
    return row


def _page(document: Document) -> None:
    """Print as the xlsx does: A4 landscape, one page wide, the sheet's name
    above and 第 N 頁 below (odfdo's template says "Page N")."""
    layout = _part(document.get_style("page-layout", "Mpm1"))
    properties = _part(layout.get_element("style:page-layout-properties"))
    for name, value in (
        ("fo:page-width", "29.7cm"),
        ("fo:page-height", "21cm"),
        ("style:print-orientation", "landscape"),
        ("style:scale-to-X", "1"),
        ("style:scale-to-Y", "0"),
    ):
        properties.set_attribute(name, value)
    master = _part(document.get_style("master-page", "Default"))
    footer = _part(master.get_element("style:footer"))
    footer.clear()
    page = "<text:p>第 <text:page-number>1</text:page-number> 頁</text:p>"
    footer.append(Element.from_tag(page))


def _part(element: Any) -> Element:
    """An element of odfdo's spreadsheet template (a new template fails here)."""
    if element is None:
        raise LookupError("odfdo's spreadsheet template has changed")
    return cast(Element, element)


def _header_rows(spec: ReportSpec[Any, Any]) -> tuple[Row, Row]:
    upper_cells, lower_labels = header_cells(spec)
    upper, lower = Row(), Row()
    covered_below: set[int] = set()
    for header in upper_cells:
        cell = Cell(header.label)
        cell.style = "ceHead"
        span = header.last - header.first + 1
        if span > 1:
            cell.set_attribute("table:number-columns-spanned", str(span))
        if header.spans_rows:
            cell.set_attribute("table:number-rows-spanned", "2")
            covered_below.add(header.first)
        upper.append(cell)
        for _ in range(span - 1):
            upper.append(_covered())
    for column, label in enumerate(lower_labels):
        if column in covered_below:
            lower.append(_covered())
        else:
            cell = Cell(label)
            cell.style = "ceHead"
            lower.append(cell)
    return upper, lower


OdsShell = tuple[list[tuple[str, bytes]], bytes, bytes]


def ods_shell(spec: ReportSpec[Any, Any]) -> OdsShell:
    """The package's other files, and content.xml before and after the rows."""
    width = sheet_width(spec)
    document = Document("spreadsheet")
    body = document.body
    body.clear()
    _styles(document)
    _page(document)
    table = Table(spec.title)
    for style in ("coCode", "coName"):
        table.append(
            Element.from_tag(f'<table:table-column table:style-name="{style}"/>')
        )
    figure_style = "coFigure" if width > 14 else "coWide"
    figures = Element.from_tag(
        f'<table:table-column table:style-name="{figure_style}"'
        f' table:number-columns-repeated="{width - 2}"/>'
    )
    table.append(figures)
    table.append(_wide_row(spec.full_title, "ceTitle", width))
    for line in spec.heading():
        table.append(_wide_row(line, "ceInfo", width))
    repeated = Element.from_tag("<table:table-header-rows/>")
    for header in _header_rows(spec):
        repeated.append(header)
    table.append(repeated)
    marker = Row()
    marker.append(Cell(PLACEHOLDER))
    table.append(marker)
    table.append(Row(width=1))  # a gap; ODF wants at least one cell in a row
    table.append(_wide_row("說明：", "ceNote", width))
    for number, note in enumerate(spec.footnotes(), start=1):
        table.append(_wide_row(f"{number}. {note}", "ceNote", width))
    body.append(table)

    package = io.BytesIO()
    document.save(package)
    with zipfile.ZipFile(package) as source:
        others = [
            (name, source.read(name))
            for name in source.namelist()
            if name not in ("mimetype", "content.xml")
        ]
        content = source.read("content.xml").decode("utf-8")
    at = content.index(PLACEHOLDER)
    start = content.rindex("<table:table-row", 0, at)
    end = content.index("</table:table-row>", at) + len("</table:table-row>")
    return others, content[:start].encode(), content[end:].encode()


class OdsWriter:
    """Write one report to `path` as an OpenDocument spreadsheet."""

    def __init__(
        self, spec: ReportSpec[Any, Any], path: Path, shell: OdsShell | None = None
    ) -> None:
        """`shell` is ods_shell(spec), when it was built beforehand (odfdo's
        work, which a forked writer leaves to its parent)."""
        self.spec = spec
        self.kinds = [column.kind for column in spec.columns]
        # The cell style of each figure column, by row kind (see _styles).
        self.styles = {
            kind: [f"ce-{column_kind}-{kind}" for column_kind in self.kinds]
            for kind in ROW_KINDS
        }
        self.others, head, self.tail = shell or ods_shell(spec)
        self.zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
        )
        # The mimetype comes first and uncompressed, so tools can sniff it.
        self.zip.writestr(
            zipfile.ZipInfo("mimetype"),
            b"application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        self.content: IO[bytes] = self.zip.open("content.xml", "w")
        self.content.write(head)

    def write_row(self, row: ReportRow[Any]) -> None:
        kind = row.kind
        text_style = f"ceText-{kind}"
        parts = ["<table:table-row>"]
        for text in (row.code, self.spec.row_label(row)):
            parts.append(
                f'<table:table-cell table:style-name="{text_style}"'
                ' office:value-type="string" calcext:value-type="string">'
                f"<text:p>{escape(plain_text(text))}</text:p></table:table-cell>"
            )
        cells = zip(self.kinds, self.styles[kind], self.spec.cells(row), strict=True)
        for column_kind, style, value in cells:
            if value is None:
                parts.append(f'<table:table-cell table:style-name="{style}"/>')
                continue
            number = figure(column_kind, value)
            # Counts are ints: "{:,}" shows them without a trip through float.
            shown = f"{number:,}" if column_kind == "count" else f"{number:,.2f}"
            parts.append(
                f'<table:table-cell table:style-name="{style}"'
                f' office:value-type="float" office:value="{number_text(number)}"'
                f' calcext:value-type="float"><text:p>{shown}</text:p>'
                "</table:table-cell>"
            )
        parts.append("</table:table-row>")
        self.content.write("".join(parts).encode())

    def close(self, chart: Chart) -> None:
        self.content.write(self.tail)
        self.content.close()
        for name, data in self.others:
            self.zip.writestr(name, data)
        self.zip.close()
