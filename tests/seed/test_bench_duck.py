"""The benchmark's DuckDB side on a small SQLite file whose figures are worked
out by hand below (it reads the tables by name, so only the columns it uses
are created)."""

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from vsis.seed.bench.duck import DuckSide, extension_file

SCHEMA = """
CREATE TABLE units_unit (id integer, level integer, path varchar);
CREATE TABLE volunteers_volunteer (id integer, sex varchar, birth_date date);
CREATE TABLE volunteers_membership (team_id integer, volunteer_id integer,
    joined_on date, left_on date, status varchar);
CREATE TABLE hours_servicerecord (team_id integer, volunteer_id integer,
    served_on date, minutes integer, persons_served integer);
CREATE TABLE volunteers_training (volunteer_id integer, kind varchar,
    completed_on date);
CREATE TABLE volunteers_recordbook (volunteer_id integer, issued_on date,
    status varchar, cancelled_on date);
CREATE TABLE volunteers_insurance (volunteer_id integer, starts_on date,
    ends_on date);
CREATE TABLE volunteers_honourcard (volunteer_id integer, issued_on date,
    valid_until date);
CREATE TABLE volunteers_award (volunteer_id integer, awarded_on date);
"""

# Tree: 1 root; 2 county > 3 using unit > teams 4, 5; 6 other county > team 7.
UNITS = [(1, 1, "1/"), (2, 3, "1/2/"), (3, 5, "1/2/3/"), (4, 6, "1/2/3/4/"),
         (5, 6, "1/2/3/5/"), (6, 3, "1/6/"), (7, 6, "1/6/7/")]  # fmt: skip
VOLUNTEERS = [
    (1, "M", "2013-12-31"),  # 12 on 2025-12-31, the birthday itself
    (2, "F", "2014-01-01"),  # 11
    (3, "F", "1960-02-29"),  # 64 on 2025-02-28, 65 from 2025-03-01
    (4, "M", "1970-12-31"),  # joins after the date
    (5, "M", "1971-01-01"),  # left the day before
    (6, "F", "2007-12-31"),  # 18
]
MEMBERSHIPS = [
    (4, 1, "2020-01-01", "2025-12-31", "quit"),  # leaves on the date: counted
    (4, 2, "2025-12-31", None, "active"),  # joins on the date: counted
    (4, 3, "2010-01-01", None, "quit"),  # 退出 without a date: gone
    (4, 4, "2026-01-01", None, "active"),
    (4, 5, "2015-01-01", "2025-12-30", "quit"),
    (4, 6, "2019-01-01", None, "suspended"),  # 暫停中 counts
    (5, 3, "2024-01-01", None, "intern"),  # 實習中 counts
    (7, 1, "2021-01-01", None, "active"),  # the other county
]
RECORDS = [
    (4, 1, "2025-01-01", 60, 3),
    (4, 1, "2025-12-31", 30, 1),
    (4, 2, "2025-12-31", 90, 4),
    (4, 6, "2024-12-31", 45, 2),  # before the period
    (4, 6, "2026-01-01", 45, 2),  # after it
    (5, 3, "2025-06-01", 120, 5),
    (7, 1, "2025-05-05", 10, 0),
]
TRAININGS = [(1, "basic", "2025-12-31"), (2, "basic", "2026-01-01"),
             (6, "special", "2020-01-01"), (3, "basic", "2000-01-01")]  # fmt: skip
BOOKS = [
    (1, "2025-03-01", "first", None),  # holds one; issued in the period
    (2, "2024-01-01", "cancelled", "2025-06-01"),  # cancelled before the end
    (6, "2024-05-01", "cancelled", "2026-02-01"),  # cancelled only after it
    (3, "2026-01-05", "first", None),  # issued after the end
    (6, "2025-02-01", "cancelled", "2025-03-01"),  # two books in the period:
    (6, "2025-03-05", "reissued", None),  # both count in 本期核發紀錄冊數
]
INSURANCE = [(1, "2025-01-01", "2025-12-31"), (2, "2024-01-01", "2024-12-31"),
             (6, "2025-12-31", "2026-12-30")]  # fmt: skip
HONOURS = [(1, "2023-01-01", "2025-12-31"), (6, "2022-01-01", "2024-12-31"),
           (3, "2025-12-31", "2028-12-30")]  # fmt: skip
AWARDS = [(2, "2025-07-01"), (1, "2024-12-31"), (3, "2025-01-01")]

END = dt.date(2025, 12, 31)
START = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> DuckSide:
    path: Path = tmp_path_factory.mktemp("duck") / "small.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    for table, rows in (
        ("units_unit", UNITS),
        ("volunteers_volunteer", VOLUNTEERS),
        ("volunteers_membership", MEMBERSHIPS),
        ("hours_servicerecord", RECORDS),
        ("volunteers_training", TRAININGS),
        ("volunteers_recordbook", BOOKS),
        ("volunteers_insurance", INSURANCE),
        ("volunteers_honourcard", HONOURS),
        ("volunteers_award", AWARDS),
    ):
        marks = ", ".join("?" * len(rows[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    connection.commit()
    connection.close()
    return DuckSide({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})


def ages(male: dict[int, int], female: dict[int, int]) -> list[int]:
    """14 figures: brackets 0-6 of men, then of women."""
    return [male.get(b, 0) for b in range(7)] + [female.get(b, 0) for b in range(7)]


def test_the_extensions_come_from_the_packages() -> None:
    assert extension_file("duckdb_extension_sqlite_scanner").is_file()
    assert extension_file("duckdb_extension_postgres_scanner").is_file()


def test_age_by_team_counts_who_is_counted_on_the_date(duck: DuckSide) -> None:
    assert duck.age_by_team("1/2/", END) == {
        4: ages({1: 1}, {0: 1, 2: 1}),  # v1 12 (M), v2 11 (F), v6 18 (F)
        5: ages({}, {6: 1}),  # v3 65
    }
    whole = duck.age_by_team("1/", END)
    assert whole[7] == ages({1: 1}, {})
    assert set(whole) == {4, 5, 7}


def test_a_29_february_birthday_counts_from_1_march(duck: DuckSide) -> None:
    assert duck.age_by_team("1/2/3/5/", dt.date(2025, 2, 28)) == {5: ages({}, {5: 1})}
    assert duck.age_by_team("1/2/3/5/", dt.date(2025, 3, 1)) == {5: ages({}, {6: 1})}


def test_service_by_team_counts_the_records_in_the_period(duck: DuckSide) -> None:
    # volunteers M, F; attendances; minutes M, F; persons served
    assert duck.service_by_team("1/2/", START, END) == {
        4: [1, 1, 3, 90, 90, 8],
        5: [0, 1, 1, 0, 120, 5],
    }
    assert duck.service_by_team("1/", START, END)[7] == [1, 0, 1, 10, 0, 0]


def test_return_items_by_team(duck: DuckSide) -> None:
    # male, female, minutes, attendances, persons served, basic, special,
    # holding a book, books issued in the period (v1 one, v6 two), insured,
    # honour card valid, awarded
    assert duck.return_items_by_team("1/2/", START, END) == {
        4: [1, 2, 180, 3, 8, 1, 1, 2, 3, 2, 1, 1],
        5: [0, 1, 120, 1, 5, 1, 0, 0, 0, 0, 1, 1],
    }
    assert duck.unit_counts("1/2/") == (1, 2)
    assert duck.unit_counts("1/") == (1, 3)
    assert duck.seconds > 0
