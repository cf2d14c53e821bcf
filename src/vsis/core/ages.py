"""Completed age at a reference date and the statutory age brackets.

The age rises on the birthday itself; one born on 29 February reaches the next
age on 1 March in a common year (民法 §121, §124).
"""

import datetime as dt
from typing import NamedTuple


class Bracket(NamedTuple):
    label: str
    min_age: int  # inclusive
    max_age: int | None  # inclusive; None for the open top bracket


BRACKETS: tuple[Bracket, ...] = (
    Bracket("未滿12歲", 0, 11),
    Bracket("12-17歲", 12, 17),
    Bracket("18-29歲", 18, 29),
    Bracket("30-49歲", 30, 49),
    Bracket("50-54歲", 50, 54),
    Bracket("55-64歲", 55, 64),
    Bracket("65歲以上", 65, None),
)
BRACKET_LABELS: tuple[str, ...] = tuple(b.label for b in BRACKETS)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years of a person born on `birth` at the date `on`."""
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - (1 if before_birthday else 0)


def bracket_index(age: int) -> int:
    for index, bracket in enumerate(BRACKETS):
        if bracket.max_age is None or age <= bracket.max_age:
            return index
    raise AssertionError("unreachable: the top bracket is open")


def years_before(on: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February becomes 28 February."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def bracket_birth_thresholds(on: dt.date) -> list[dt.date]:
    """Latest birth dates that reach each bracket's lower age at `on`.

    Element k (for brackets 1..6) is the last birth date of a person at least
    BRACKETS[k+1].min_age years old at `on`: birth <= threshold means the person is
    in that bracket or above. SQL uses these to bracket a birth date column
    without any date arithmetic in the database.
    """
    return [years_before(on, b.min_age) for b in BRACKETS[1:]]


def bracket_index_by_birth(birth: dt.date, on: dt.date) -> int:
    """bracket_index(age_on(birth, on)), computed the way the SQL does it."""
    index = 0
    for k, threshold in enumerate(bracket_birth_thresholds(on), start=1):
        if birth <= threshold:
            index = k
    return index
