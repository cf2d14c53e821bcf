import datetime as dt

import pytest

from vsis.core.rocdate import (
    DateParseError,
    format_roc,
    format_roc_long,
    format_roc_year,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("113/01/05", dt.date(2024, 1, 5)),
        ("113/1/5", dt.date(2024, 1, 5)),
        ("1130105", dt.date(2024, 1, 5)),
        ("113.1.5", dt.date(2024, 1, 5)),
        ("113-01-05", dt.date(2024, 1, 5)),
        ("113年1月5日", dt.date(2024, 1, 5)),
        ("047/04/03", dt.date(1958, 4, 3)),
        ("0470403", dt.date(1958, 4, 3)),
        ("990707", dt.date(2010, 7, 7)),
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
        ("１１３／０１／０５", dt.date(2024, 1, 5)),
        (" 113/01/05 ", dt.date(2024, 1, 5)),
        ("113/02/29", dt.date(2024, 2, 29)),
    ],
)
def test_it_reads_roc_and_gregorian_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "日期空白"),
        ("112/02/29", "不存在的日期"),
        ("113/13/01", "不存在的日期"),
        ("2023-02-29", "不存在的日期"),
        ("yesterday", "無法辨識"),
        ("0/01/01", "民國年份不正確"),
    ],
)
def test_it_rejects_bad_dates_in_chinese(text: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason):
        parse_date(text)


def test_it_formats_roc_dates() -> None:
    day = dt.date(2024, 12, 31)
    assert format_roc(day) == "113/12/31"
    assert format_roc(dt.date(2024, 1, 5)) == "113/01/05"
    assert format_roc_long(dt.date(2024, 1, 5)) == "113年1月5日"
    assert format_roc_year(2024) == "113年度"
