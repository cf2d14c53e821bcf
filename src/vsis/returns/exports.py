"""Spreadsheets of a return (sheets 成果 and 年齡) and of the status board,
as xlsx (XlsxWriter) and ods (odfdo).

Both formats are written from the same rows (`Sheet`), so they cannot
disagree: numbers as numbers (hours with two decimals), hand-edited cells
shaded orange and listed under the table with their computed values.
The files are small (a few dozen cells, or one row per unit on the board),
so they are built into a temporary file that the view streams.
"""

import datetime as dt
import io
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from odfdo import Cell, Document, Row, Table, create_table_cell_style

from vsis.core.ages import BRACKET_LABELS
from vsis.core.rocdate import format_roc, format_roc_long, format_roc_year
from vsis.reports.queries import N_BRACKETS
from vsis.returns.items import (
    ALL_KEYS,
    ITEMS,
    RESULT_ITEMS,
    Item,
    Kind,
    age_key,
    shown_value,
)
from vsis.returns.models import (
    STATUS_LABELS,
    AnnualReturn,
    ReturnForm,
    ReturnSubmission,
)
from vsis.returns.queries import BoardRow

EDIT_COLOUR = "#FDE3C4"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


@dataclass
class CellValue:
    value: Any
    edited: bool = False
    hours: bool = False
    bold: bool = False


@dataclass
class Sheet:
    name: str
    rows: list[list[CellValue | None]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)

    def add(self, *values: Any, bold: bool = False) -> None:
        self.rows.append(
            [
                v if isinstance(v, CellValue) or v is None else CellValue(v, bold=bold)
                for v in values
            ]
        )


@dataclass
class ReturnSnapshot:
    """What an exported return shows: the live draft or a frozen submission."""

    unit_name: str
    unit_code: str
    year: int
    form: str
    period_start: dt.date
    period_end: dt.date
    status_line: str
    values: dict[str, Decimal]
    computed: dict[str, Decimal]
    edited: set[str]


def _number(item: Item, stored: Decimal, edited: bool) -> CellValue:
    shown = shown_value(item, stored)
    value: float | int = float(shown) if item.kind is Kind.HOURS else int(shown)
    return CellValue(value, edited=edited, hours=item.kind is Kind.HOURS)


def _heading(sheet: Sheet, snap: ReturnSnapshot, section: str) -> None:
    title = str(ReturnForm(snap.form).label)
    sheet.add(f"{title}（依{section}填報）", bold=True)
    sheet.add(
        f"填報單位：{snap.unit_name}（{snap.unit_code}）　{format_roc_year(snap.year)}"
        f"　統計期間：{format_roc_long(snap.period_start)}至"
        f"{format_roc_long(snap.period_end)}"
    )
    sheet.add(snap.status_line)
    sheet.add()


def _edits(sheet: Sheet, snap: ReturnSnapshot, keys: list[str]) -> None:
    edited = [key for key in keys if key in snap.edited]
    sheet.add()
    if not edited:
        sheet.add("註：本表數字皆為系統自動帶入，未經手動修改。")
        return
    sheet.add("註：橙色底之儲存格為手動修改，其系統計算值如下。")
    sheet.add("項目", "填報值", "系統計算值", bold=True)
    for key in edited:
        item = ITEMS[key]
        sheet.add(
            item.full_label,
            _number(item, snap.values[key], True),
            _number(item, snap.computed.get(key, Decimal(0)), False),
        )


def return_sheets(snap: ReturnSnapshot) -> list[Sheet]:
    results = Sheet("成果", widths=[16] * len(RESULT_ITEMS))
    _heading(results, snap, "成果")
    results.add(*(item.label for item in RESULT_ITEMS), bold=True)
    results.add(
        *(
            _number(item, snap.values[item.key], item.key in snap.edited)
            for item in RESULT_ITEMS
        )
    )
    _edits(results, snap, [item.key for item in RESULT_ITEMS])
    results.add()
    results.add(
        f"志工人數依統計日期迄（{format_roc(snap.period_end)}）在隊者計算，"
        "同一人在兩隊各計一次；服務時數以小時計。"
    )

    ages = Sheet("年齡", widths=[14, 12, 12, 12])
    _heading(ages, snap, "年齡")
    ages.add("年齡別", "男", "女", "小計", bold=True)
    totals = [Decimal(0), Decimal(0)]
    for index, label in enumerate(BRACKET_LABELS[:N_BRACKETS]):
        cells = []
        for position, sex in enumerate(("male", "female")):
            key = age_key(sex, index)
            totals[position] += snap.values[key]
            cells.append(_number(ITEMS[key], snap.values[key], key in snap.edited))
        subtotal = (
            snap.values[age_key("male", index)] + snap.values[age_key("female", index)]
        )
        ages.add(label, *cells, CellValue(int(subtotal)))
    ages.add(
        CellValue("合計", bold=True),
        CellValue(int(totals[0]), bold=True),
        CellValue(int(totals[1]), bold=True),
        CellValue(int(totals[0] + totals[1]), bold=True),
    )
    _edits(ages, snap, [age_key(s, i) for s in ("male", "female") for i in range(7)])
    return [results, ages]


def board_sheets(
    rows: list[BoardRow], counts: dict[str, int], year: int, query: str, when: Any
) -> list[Sheet]:
    from vsis.returns.services import user_label, when_label

    sheet = Sheet("填報狀態", widths=[12, 28, 20, 12, 10, 18, 18, 18, 18, 36, 48])
    condition = f"　單位名稱含「{query}」" if query else ""
    sheet.add(f"填報狀態查詢　{format_roc_year(year)}{condition}", bold=True)
    total = counts["total"]
    done = f"{counts['Y'] * 100 / total:.1f}%" if total else "—"
    sheet.add(
        f"N 無動作 {counts['N']}、W 產製中 {counts['W']}、Y 已提交 {counts['Y']}，"
        f"共 {total} 個應填報單位，完成率 {done}（{when_label(when)} 產製）"
    )
    sheet.add()
    sheet.add(
        "單位代碼",
        "單位名稱",
        "單位層級",
        "表別",
        "狀態",
        "最後存檔時間",
        "最後存檔者",
        "最後提交時間",
        "最後提交者",
        "提交後異動",
        "最後解除鎖定",
        bold=True,
    )
    for row in rows:
        ret = row.ret
        sheet.add(
            row.unit.code,
            row.unit.name,
            row.unit.get_level_display(),
            "縣市表"
            if ret and ret.form == ReturnForm.COUNTY
            else ("全國表" if ret else ""),
            f"{row.status} {STATUS_LABELS[row.status]}",
            when_label(ret.saved_at) if ret else "",
            user_label(ret.saved_by) if ret and ret.saved_by_id else "",
            when_label(ret.submitted_at) if ret else "",
            user_label(ret.submitted_by) if ret and ret.submitted_by_id else "",
            row.change.text if row.change else "",
            _unlock_text(ret) if ret and ret.unlocked_at else "",
        )
    return [sheet]


def _unlock_text(ret: AnnualReturn) -> str:
    from vsis.returns.services import user_label, when_label

    return (
        f"{when_label(ret.unlocked_at)} {user_label(ret.unlocked_by)}"
        f"：{ret.unlock_reason}"
    )


def snapshot_of_return(ret: AnnualReturn) -> ReturnSnapshot:
    from vsis.returns.services import user_label, when_label

    if ret.is_locked:
        status = (
            f"狀態：Y 已提交（{when_label(ret.submitted_at)} "
            f"{user_label(ret.submitted_by)}）"
        )
    else:
        status = "狀態：W 產製中（草稿，尚未提交）"
    return ReturnSnapshot(
        unit_name=ret.unit.name,
        unit_code=ret.unit.code,
        year=ret.year,
        form=ret.form,
        period_start=ret.period_start,
        period_end=ret.period_end,
        status_line=status,
        values=ret.values(),
        computed={k: Decimal(v) for k, v in ret.computed.items()},
        edited=set(ret.entered),
    )


def snapshot_of_submission(sub: ReturnSubmission) -> ReturnSnapshot:
    from vsis.returns.services import user_label, when_label

    ret = sub.annual_return
    return ReturnSnapshot(
        unit_name=ret.unit.name,
        unit_code=ret.unit.code,
        year=ret.year,
        form=sub.form,
        period_start=sub.period_start,
        period_end=sub.period_end,
        status_line=(
            f"第 {sub.number} 次提交之凍結副本（{when_label(sub.submitted_at)} "
            f"{user_label(sub.submitted_by)}）"
        ),
        values={k: Decimal(sub.values.get(k, "0")) for k in ALL_KEYS},
        computed={k: Decimal(v) for k, v in sub.computed.items()},
        edited=set(sub.entered),
    )


# --- writers --------------------------------------------------------------------


def write_xlsx(sheets: list[Sheet], stream: IO[bytes]) -> None:
    book = xlsxwriter.Workbook(stream, {"in_memory": True})
    plain = book.add_format({"num_format": "#,##0"})
    hours = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True})
    edited_plain = book.add_format({"num_format": "#,##0", "bg_color": EDIT_COLOUR})
    edited_hours = book.add_format({"num_format": "#,##0.00", "bg_color": EDIT_COLOUR})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name)
        for column, width in enumerate(sheet.widths):
            ws.set_column(column, column, width)
        for r, row in enumerate(sheet.rows):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell.value, int | float):
                    if cell.edited:
                        fmt = edited_hours if cell.hours else edited_plain
                    else:
                        fmt = hours if cell.hours else plain
                    ws.write_number(r, c, cell.value, fmt)
                else:
                    ws.write_string(r, c, str(cell.value), bold if cell.bold else None)
    book.close()


def write_ods(sheets: list[Sheet], stream: IO[bytes]) -> None:
    document = Document("spreadsheet")
    body = document.body
    body.clear()
    edited = create_table_cell_style(background_color=EDIT_COLOUR)
    document.insert_style(edited, automatic=True)
    for sheet in sheets:
        table = Table(sheet.name)
        for row in sheet.rows:
            ods_row = Row()
            for cell in row:
                if cell is None:
                    ods_row.append_cell(Cell())
                    continue
                style = edited.name if cell.edited else None
                ods_row.append_cell(Cell(cell.value, style=style))
            table.append_row(ods_row)
        body.append(table)
    buffer = io.BytesIO()  # odfdo writes to a path or a BytesIO only
    document.save(buffer)
    stream.write(buffer.getvalue())


def build_file(sheets: list[Sheet], fmt: str) -> IO[bytes]:
    """The spreadsheet in a temporary file, rewound, ready to stream."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
    if fmt == "xlsx":
        write_xlsx(sheets, handle)
    elif fmt == "ods":
        write_ods(sheets, handle)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    handle.seek(0)
    return handle
