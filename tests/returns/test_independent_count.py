"""`vsis return create … --format json` on seeded demo data against a count
written separately, in plain SQL over the tables (DOMAIN.md §3.3–3.5), for the
county and for a using unit: the issue's "done when" test for the figures.

The SQL here shares nothing with vsis.reports: the membership rule, each §3.5
item and the age brackets are spelt out again from the domain text.
"""

import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tests.seed.conftest import seeded_demo  # noqa: F401  (fixture)
from vsis.seed.services import SeedSummary

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)

# Rule 3: joined by the end date, not left before it; 退出 without a date is gone.
COUNTED = """
    SELECT m.volunteer_id AS vid, v.sex AS sex, v.birth_date AS born
    FROM volunteers_membership m
    JOIN volunteers_volunteer v ON v.id = m.volunteer_id
    JOIN units_unit t ON t.id = m.team_id
    WHERE t.path LIKE %(tree)s AND m.joined_on <= %(end)s
      AND ((m.left_on IS NULL AND m.status <> 'quit') OR m.left_on >= %(end)s)
"""
# §3.5, one condition per person-item over the person's own rows.
PERSON_ITEMS = {
    "basic_trained": """SELECT 1 FROM volunteers_training x WHERE x.volunteer_id
        = c.vid AND x.kind = 'basic' AND x.completed_on <= %(end)s""",
    "special_trained": """SELECT 1 FROM volunteers_training x WHERE x.volunteer_id
        = c.vid AND x.kind = 'special' AND x.completed_on <= %(end)s""",
    "record_book_holders": """SELECT 1 FROM volunteers_recordbook x
        WHERE x.volunteer_id = c.vid AND x.issued_on <= %(end)s
        AND NOT (x.status = 'cancelled'
                 AND (x.cancelled_on IS NULL OR x.cancelled_on <= %(end)s))""",
    "insured": """SELECT 1 FROM volunteers_insurance x WHERE x.volunteer_id = c.vid
        AND x.starts_on <= %(end)s AND x.ends_on >= %(start)s""",
    "honour_card_holders": """SELECT 1 FROM volunteers_honourcard x
        WHERE x.volunteer_id = c.vid AND x.issued_on <= %(end)s
        AND x.valid_until >= %(end)s""",
    "awarded": """SELECT 1 FROM volunteers_award x WHERE x.volunteer_id = c.vid
        AND x.awarded_on BETWEEN %(start)s AND %(end)s""",
}
# Lower bounds of the seven brackets (未滿12 … 65以上).
BRACKET_FLOORS = (0, 12, 18, 30, 50, 55, 65)


def one_row(sql: str, params: Any) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def scalar(sql: str, params: dict[str, Any]) -> int:
    (value,) = one_row(sql, params)
    return int(value or 0)


def completed_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def count_by_hand(code: str) -> dict[str, Any]:
    (path,) = one_row("SELECT path FROM units_unit WHERE code = %s", [code])
    params = {"tree": f"{path}%", "start": START, "end": END}
    exists = """(opened_on IS NULL OR opened_on <= %(end)s)
        AND (closed_on IS NULL OR closed_on >= %(end)s)"""
    results: dict[str, Any] = {
        "unit_count": scalar(
            f"SELECT COUNT(*) FROM units_unit WHERE path LIKE %(tree)s"
            f" AND level = 5 AND {exists}",
            params,
        ),
        "team_count": scalar(
            f"SELECT COUNT(*) FROM units_unit WHERE path LIKE %(tree)s"
            f" AND level = 6 AND {exists}",
            params,
        ),
    }
    with connection.cursor() as cursor:
        cursor.execute(COUNTED, params)
        counted = cursor.fetchall()
    age = {"male": [0] * 7, "female": [0] * 7}
    for _, sex, born in counted:
        if isinstance(born, str):  # SQLite hands back text
            born = dt.date.fromisoformat(born)
        years = completed_years(born, END)
        bracket = sum(1 for floor in BRACKET_FLOORS if years >= floor) - 1
        age["male" if sex == "M" else "female"][bracket] += 1
    results["volunteers_male"] = sum(age["male"])
    results["volunteers_female"] = sum(age["female"])
    results["volunteers"] = len(counted)
    minutes, attendances, persons = one_row(
        """SELECT COALESCE(SUM(r.minutes), 0), COUNT(*),
                  COALESCE(SUM(r.persons_served), 0)
           FROM hours_servicerecord r JOIN units_unit t ON t.id = r.team_id
           WHERE t.path LIKE %(tree)s
             AND r.served_on BETWEEN %(start)s AND %(end)s""",
        params,
    )
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
    results["hours"] = float(hours)
    results["attendances"] = int(attendances)
    results["persons_served"] = int(persons)
    for key in ("basic_trained", "special_trained", "record_book_holders"):
        results[key] = scalar(
            f"SELECT COUNT(*) FROM ({COUNTED}) c WHERE EXISTS ({PERSON_ITEMS[key]})",
            params,
        )
    # 本期核發紀錄冊數 counts books, once per counted membership.
    results["record_books_issued"] = scalar(
        f"""SELECT COUNT(*) FROM ({COUNTED}) c JOIN volunteers_recordbook x
            ON x.volunteer_id = c.vid
            WHERE x.issued_on BETWEEN %(start)s AND %(end)s""",
        params,
    )
    for key in ("insured", "honour_card_holders", "awarded"):
        results[key] = scalar(
            f"SELECT COUNT(*) FROM ({COUNTED}) c WHERE EXISTS ({PERSON_ITEMS[key]})",
            params,
        )
    results["funding"] = 0
    return {"results": results, "age": age}


def cli_return(code: str, user: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "return", "create", "--unit", code, "--year", "114", "--user", user,
        "--format", "json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "user"), [("X", "county"), ("X020001", "clerk")], ids=["county", "unit"]
)
def test_the_cli_equals_a_count_in_plain_sql(
    seeded_demo: SeedSummary,  # noqa: F811
    code: str,
    user: str,
) -> None:
    shown = cli_return(code, user)
    by_hand = count_by_hand(code)
    assert (shown["from"], shown["to"], shown["status"]) == (
        "2025-01-01",
        "2025-12-31",
        "W",
    )
    assert shown["results"] == by_hand["results"]
    assert shown["age"] == by_hand["age"]
    # Not a comparison of zeros: every rule had rows to decide on, the edge
    # cases of rules 3 and 5 included.
    assert all(v > 0 for k, v in by_hand["results"].items() if k != "funding")
    edge_cases = (
        "SELECT COUNT(*) FROM volunteers_membership"
        " WHERE status = 'quit' AND left_on IS NULL",
        "SELECT COUNT(*) FROM volunteers_recordbook WHERE status = 'cancelled'",
    )
    assert all(scalar(sql, {}) > 0 for sql in edge_cases)
