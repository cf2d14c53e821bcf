import datetime as dt

import pytest

from vsis.core.ages import (
    BRACKET_LABELS,
    age_on,
    bracket_index,
    bracket_index_by_birth,
    years_before,
)

D = dt.date


def test_the_age_rises_on_the_birthday() -> None:
    assert age_on(D(2000, 6, 15), D(2024, 6, 14)) == 23
    assert age_on(D(2000, 6, 15), D(2024, 6, 15)) == 24


def test_29_february_ages_on_1_march_in_a_common_year() -> None:
    born = D(2004, 2, 29)
    assert age_on(born, D(2022, 2, 28)) == 17
    assert age_on(born, D(2022, 3, 1)) == 18
    assert age_on(born, D(2024, 2, 29)) == 20
    assert age_on(born, D(2024, 2, 28)) == 19


def test_years_before_clamps_29_february() -> None:
    assert years_before(D(2024, 2, 29), 1) == D(2023, 2, 28)
    assert years_before(D(2024, 2, 29), 4) == D(2020, 2, 29)


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (0, "未滿12歲"), (11, "未滿12歲"), (12, "12-17歲"), (17, "12-17歲"),
        (18, "18-29歲"), (29, "18-29歲"), (30, "30-49歲"), (49, "30-49歲"),
        (50, "50-54歲"), (54, "50-54歲"), (55, "55-64歲"), (64, "55-64歲"),
        (65, "65歲以上"), (101, "65歲以上"),
    ],
)  # fmt: skip
def test_bracket_of_each_boundary_age(age: int, label: str) -> None:
    assert BRACKET_LABELS[bracket_index(age)] == label


@pytest.mark.parametrize("boundary", [12, 18, 30, 50, 55, 65])
def test_birth_thresholds_agree_with_age_on_and_a_day_before(boundary: int) -> None:
    on = D(2024, 12, 31)
    birthday_today = D(2024 - boundary, 12, 31)
    turns_tomorrow = D(2024 - boundary, 12, 31) + dt.timedelta(days=1)
    below = bracket_index(boundary - 1)
    at = bracket_index(boundary)
    assert bracket_index_by_birth(birthday_today, on) == at
    # born a day later: still one year short on the reference date
    born_a_day_later = D(2024 - boundary + 1, 1, 1)
    assert bracket_index_by_birth(born_a_day_later, on) == below
    assert turns_tomorrow == born_a_day_later


def test_birth_thresholds_agree_with_age_on_for_many_dates() -> None:
    births = [D(1950, 1, 1) + dt.timedelta(days=d) for d in range(0, 27000, 37)]
    births += [D(2004, 2, 29), D(2008, 2, 29), D(1960, 2, 29)]
    for on in (D(2024, 2, 29), D(2023, 2, 28), D(2023, 3, 1), D(2024, 12, 31)):
        for birth in births:
            if birth <= on:
                expected = bracket_index(age_on(birth, on))
                assert bracket_index_by_birth(birth, on) == expected, (birth, on)
