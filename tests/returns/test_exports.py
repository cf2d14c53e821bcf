"""Exports read back with python-calamine: the return's two sheets and the
status board, in xlsx and ods, numbers as numbers, edited cells listed."""

import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from odfdo import Document
from python_calamine import CalamineWorkbook

from tests.conftest import Personas
from tests.returns.conftest import YEAR, Crowd
from vsis.returns.exports import EDIT_COLOUR
from vsis.returns.services import (
    create_return,
    fill_return,
    save_return,
    submit_return,
)

FORMATS = pytest.mark.parametrize("fmt", ["xlsx", "ods"])


def read(response: Any) -> CalamineWorkbook:
    data = b"".join(response.streaming_content)
    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def rows(book: CalamineWorkbook, name: str) -> list[list[Any]]:
    return [
        [cell for cell in row]
        for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    ]


@pytest.fixture
def edited(crowd: Crowd, personas: Personas) -> None:
    clerk = personas.unit_clerk
    ret = fill_return(
        create_return(crowd.wide.tree.hospital, YEAR, actor=clerk), actor=clerk
    )
    save_return(
        ret,
        {"persons_served": Decimal(15), "age_female_6": Decimal(1)},
        actor=clerk,
    )


@FORMATS
def test_a_return_exports_both_sheets(
    client: Client, edited: None, personas: Personas, fmt: str
) -> None:
    client.force_login(personas.county_clerk)
    response = client.get(f"/returns/A110/{YEAR}/export.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = read(response)
    assert book.sheet_names == ["成果", "年齡"]

    results = rows(book, "成果")
    assert results[0][0] == (
        "直轄市、縣(市)推展志願服務志工人數及服務成果統計表（依成果填報）"
    )
    assert results[1][0] == (
        "填報單位：甲市立醫院（A110）　113年度　統計期間：113年1月1日至113年12月31日"
    )
    assert results[2][0] == "狀態：W 產製中（草稿，尚未提交）"
    assert results[4][:8] == [
        "運用單位數",
        "志工團隊數",
        "志工人數 男",
        "志工人數 女",
        "志工人數 合計",
        "服務時數",
        "出勤人次",
        "服務人次",
    ]
    assert results[5][:8] == [1, 2, 1, 2, 3, 4.5, 3, 15]
    assert results[5][15] == 0  # 經費
    assert results[7][0] == "註：橙色底之儲存格為手動修改，其系統計算值如下。"
    assert results[9][:3] == ["服務人次", 15, 9]

    ages = rows(book, "年齡")
    assert ages[4][:4] == ["年齡別", "男", "女", "小計"]
    assert ages[5][:4] == ["未滿12歲", 0, 0, 0]
    assert ages[8][:4] == ["30-49歲", 0, 1, 1]
    assert ages[10][:4] == ["55-64歲", 1, 0, 1]
    assert ages[11][:4] == ["65歲以上", 0, 1, 1]
    assert ages[12][:4] == ["合計", 1, 2, 3]
    # age_female_6 was typed equal to its computed value: not a hand edit.
    assert ages[14][0] == "註：本表數字皆為系統自動帶入，未經手動修改。"


@FORMATS
def test_a_frozen_copy_exports_as_submitted(
    client: Client, edited: None, crowd: Crowd, personas: Personas, fmt: str
) -> None:
    ret = crowd.wide.tree.hospital.annual_returns.get()
    submit_return(ret, actor=personas.unit_clerk)
    client.force_login(personas.unit_clerk)
    book = read(client.get(f"/returns/A110/{YEAR}/export.{fmt}?submission=1"))
    results = rows(book, "成果")
    assert results[2][0].startswith("第 1 次提交之凍結副本（")
    assert results[5][7] == 15
    missing = client.get(f"/returns/A110/{YEAR}/export.{fmt}?submission=9")
    assert missing.status_code == 404


@FORMATS
def test_the_status_board_exports(
    client: Client, edited: None, personas: Personas, fmt: str
) -> None:
    client.force_login(personas.county_clerk)
    response = client.get(f"/returns/board/export.{fmt}", {"year": "113"})
    assert response.status_code == 200
    board = rows(read(response), "填報狀態")
    assert board[0][0] == "填報狀態查詢　113年度"
    assert board[1][0].startswith(
        "N 無動作 4、W 產製中 1、Y 已提交 0，共 5 個應填報單位，完成率 0.0%"
    )
    assert board[3][:5] == ["單位代碼", "單位名稱", "單位層級", "表別", "狀態"]
    by_code = {row[0]: row for row in board[4:]}
    assert set(by_code) == {"A000", "A100", "A110", "A120", "A130"}
    assert by_code["A110"][1:5] == [
        "甲市立醫院",
        "志願服務運用單位",
        "縣市表",
        "W 產製中",
    ]
    assert by_code["A110"][6] == "hospital_clerk"
    assert by_code["A120"][4] == "N 無動作"


def test_an_unknown_format_is_not_found(
    client: Client, edited: None, personas: Personas
) -> None:
    client.force_login(personas.unit_clerk)
    assert client.get(f"/returns/A110/{YEAR}/export.pdf").status_code == 404
    assert client.get("/returns/board/export.csv").status_code == 404


@FORMATS
def test_the_board_export_says_who_unlocked_and_why(
    client: Client, crowd: Crowd, personas: Personas, fmt: str
) -> None:
    from vsis.returns.services import unlock_return

    clerk = personas.unit_clerk
    ret = fill_return(
        create_return(crowd.wide.tree.hospital, YEAR, actor=clerk), actor=clerk
    )
    submit_return(ret, actor=clerk)
    unlock_return(ret, actor=personas.county_clerk, reason="經費請補填")
    client.force_login(personas.county_clerk)
    board = rows(
        read(client.get(f"/returns/board/export.{fmt}", {"year": "113"})), "填報狀態"
    )
    assert board[3][7:] == ["最後提交時間", "最後提交者", "提交後異動", "最後解除鎖定"]
    hospital = next(row for row in board[4:] if row[0] == "A110")
    assert hospital[4] == "W 產製中" and hospital[8] == "hospital_clerk"
    assert hospital[10].endswith(" county_clerk：經費請補填")
    county = next(row for row in board[4:] if row[0] == "A000")
    assert county[10] == ""


def shaded_cells(data: bytes, fmt: str, sheet: int) -> set[tuple[int, int]]:
    """(column, row) of the cells with the orange hand-edit fill, from 0."""
    if fmt == "ods":
        document = Document(io.BytesIO(data))
        styles = {
            style.name
            for style in document.get_styles(family="table-cell")
            if EDIT_COLOUR.lower() in style.serialize().lower()
        }
        table = document.body.get_tables()[sheet]
        return {
            (x, y)
            for y, row in enumerate(table.traverse())
            for x, cell in enumerate(row.traverse())
            if cell.style in styles
        }
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        styles = book.read("xl/styles.xml").decode()
        cells = book.read(f"xl/worksheets/sheet{sheet + 1}.xml").decode()
    fills = re.findall(r"<fill>.*?</fill>", styles.split("<fills")[1])
    orange = {str(i) for i, fill in enumerate(fills) if EDIT_COLOUR[1:] in fill}
    xfs = re.findall(r'<xf [^>]*fillId="(\d+)"', styles.split("<cellXfs")[1])
    shaded = {str(i) for i, fill_id in enumerate(xfs) if fill_id in orange}
    # The sheets are narrower than 26 columns: one letter each.
    return {
        (ord(column) - ord("A"), int(row) - 1)
        for column, row, style in re.findall(r'<c r="([A-Z])(\d+)" s="(\d+)"', cells)
        if style in shaded
    }


@FORMATS
def test_only_the_hand_edited_cells_are_shaded(
    client: Client, edited: None, personas: Personas, fmt: str
) -> None:
    client.force_login(personas.county_clerk)
    response = client.get(f"/returns/A110/{YEAR}/export.{fmt}")
    data = b"".join(response.streaming_content)
    # 成果: 服務人次 (column H of the figures' row 6) and its line in the list
    # of edits below (row 10, column B); nothing on 年齡, where the one typed
    # value equalled the computed one.
    assert shaded_cells(data, fmt, 0) == {(7, 5), (1, 9)}
    assert shaded_cells(data, fmt, 1) == set()
