import datetime as dt

import pytest

from vsis.imports import cells
from vsis.imports.errors import CellError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("113/01/05", dt.date(2024, 1, 5)),
        ("1130105", dt.date(2024, 1, 5)),
        ("113.1.5", dt.date(2024, 1, 5)),
        ("１１３／０１／０５", dt.date(2024, 1, 5)),
        ("１１３．１．５", dt.date(2024, 1, 5)),
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        (" 113 / 01 / 05 ", dt.date(2024, 1, 5)),
        ("113　/01/05", dt.date(2024, 1, 5)),  # ideographic space
        (1130105.0, dt.date(2024, 1, 5)),  # typed as a number in Excel
        (20240105, dt.date(2024, 1, 5)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
        (dt.datetime(2024, 1, 5, 0, 0), dt.date(2024, 1, 5)),
    ],
)
def test_it_reads_dates(value: cells.Cell, expected: dt.date) -> None:
    assert cells.date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("113/02/30", "不存在的日期"),
        ("112/02/29", "不存在的日期"),
        ("1131301", "不存在的日期"),
        ("明天", "無法辨識"),
        ("1850/01/01", "日期不合理"),
        (dt.time(9, 0), "不是日期"),
        ("1" * 200, "無法辨識的日期格式：111111111111111111111111…"),
    ],
)
def test_it_rejects_bad_dates(value: cells.Cell, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        cells.date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00", dt.time(9, 0)),
        ("9:00", dt.time(9, 0)),
        ("0900", dt.time(9, 0)),
        ("930", dt.time(9, 30)),
        ("０９：３０", dt.time(9, 30)),
        ("13:30:00", dt.time(13, 30)),
        ("9時30分", dt.time(9, 30)),
        ("17時", dt.time(17, 0)),
        (dt.time(13, 30), dt.time(13, 30)),
        (dt.time(13, 29, 59, 999000), dt.time(13, 30)),  # float noise
        (dt.datetime(1899, 12, 30, 8, 15), dt.time(8, 15)),
        (dt.timedelta(hours=14, minutes=5), dt.time(14, 5)),
        (0.375, dt.time(9, 0)),  # a fraction of a day
    ],
)
def test_it_reads_times(value: cells.Cell, expected: dt.time) -> None:
    assert cells.time(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("25:00", "不存在的時間"),
        ("09:75", "不存在的時間"),
        ("09:00:30", "整分"),
        ("morning", "無法辨識的時間"),
    ],
)
def test_it_rejects_bad_times(value: cells.Cell, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        cells.time(value)


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("3", 180),
        ("2.5", 150),
        (2.5, 150),
        (1.1, 66),
        ("１．５", 90),
        ("1.25", 75),
        ("2:30", 150),
        ("3小時", 180),
        ("0.05", 3),
        (24, 1440),
        (dt.time(1, 45), 105),
        (dt.timedelta(hours=2), 120),
    ],
)
def test_it_reads_hours_as_whole_minutes(value: cells.Cell, minutes: int) -> None:
    assert cells.minutes_of_hours(value) == minutes


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1.333", "整數分鐘"),
        (0.3333333, "整數分鐘"),
        ("24.5", "不可超過 24 小時"),
        ("25", "不可超過 24 小時"),
        ("0", "須大於 0"),
        ("-1", "須大於 0"),
        ("三小時", "無法辨識的時數"),
        ("nan", "無法辨識的時數"),
    ],
)
def test_it_rejects_hours_that_are_not_whole_minutes_in_a_day(
    value: cells.Cell, reason: str
) -> None:
    with pytest.raises(CellError, match=reason):
        cells.minutes_of_hours(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 0), (None, 0), ("12", 12), (12.0, 12), ("１２", 12), ("40人次", 40)],
)
def test_it_reads_counts_with_blank_as_zero(value: cells.Cell, expected: int) -> None:
    assert cells.count(value) == expected


@pytest.mark.parametrize("value", ["-3", "2.5", 2.5, "many"])
def test_it_rejects_counts_that_are_not_whole(value: cells.Cell) -> None:
    with pytest.raises(CellError):
        cells.count(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("男性", "M"), (" 女 ", "F")],
)
def test_it_reads_sex(value: str, expected: str) -> None:
    assert cells.sex(value) == expected


def test_it_rejects_an_unknown_sex() -> None:
    with pytest.raises(CellError, match="性別須為「男」或「女」"):
        cells.sex("X")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("中央主管機關", 1),
        ("中央目的事業主管機關", 2),
        ("直轄市、縣(市)政府", 3),
        ("直轄市、縣（市）政府", 3),  # full-width brackets
        ("地方目的事業主管機關", 4),
        ("志願服務運用單位", 5),
        ("志工隊", 6),
        ("６", 6),
    ],
)
def test_it_reads_levels_by_their_chinese_names(value: str, expected: int) -> None:
    assert cells.level(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("服務中", "active"),
        ("暫停中", "suspended"),
        ("實習中", "intern"),
        ("退出", "quit"),
        ("離隊", "quit"),
    ],
)
def test_it_reads_membership_statuses(value: str, expected: str) -> None:
    assert cells.status(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A123456789", ("A123456789", "national")),
        ("a123456789", ("A123456789", "national")),
        (" A123 456789 ", ("A123456789", "national")),
        ("Ａ１２３４５６７８９", ("A123456789", "national")),
        ("A800000014", ("A800000014", "resident")),
    ],
)
def test_it_reads_and_normalises_ids(value: str, expected: tuple[str, str]) -> None:
    assert cells.person_id(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("A123456788", "檢查碼錯誤"),
        ("A12345678", "格式不正確"),
        ("123456789", "格式不正確"),
        ("", "必填"),
    ],
)
def test_it_rejects_bad_ids(value: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        cells.person_id(value)


def test_a_passport_number_needs_the_id_kind_column() -> None:
    assert cells.person_id("x1234567", "passport") == ("X1234567", "passport")
    with pytest.raises(CellError, match="格式不正確"):
        cells.person_id("X1234567")


def test_text_that_is_too_long_is_refused_without_echoing_it() -> None:
    with pytest.raises(CellError) as caught:
        cells.limited_text("長" * 5000, 100)
    assert str(caught.value) == "內容過長（上限 100 字，此格 5000 字）"
