"""Calibration to DOMAIN.md §1 on the national shape at 10,000 volunteers.

Tolerances are wide enough for a sample this size (about 180 teams, 11,000
people) and tight enough to catch a share that is plainly off.
"""

import pytest

from tests.seed.conftest import REFERENCE
from vsis.seed.checks import calibration
from vsis.seed.services import SeedSummary


@pytest.fixture
def figures(seeded_national: SeedSummary, db: None) -> dict:  # type: ignore[type-arg]
    return calibration(REFERENCE)


def test_counted_volunteers_match_the_scale(figures: dict) -> None:  # type: ignore[type-arg]
    assert 9_500 <= figures["persons"] <= 10_500


def test_sex_ratio(figures: dict) -> None:  # type: ignore[type-arg]
    # 2022: 338,072 men of 1,105,061 = 30.6 %.
    assert figures["male_share"] == pytest.approx(0.306, abs=0.02)


def test_age_shares(figures: dict) -> None:  # type: ignore[type-arg]
    under12, teens, young, adult, fifties, late, old = figures["age_shares"]
    assert 0.31 <= old <= 0.37
    assert late == pytest.approx(0.24, abs=0.02)
    assert under12 + teens < 0.05
    assert under12 > 0 and teens > 0
    assert 0.05 <= young <= 0.10 and 0.15 <= adult <= 0.23 and 0.09 <= fifties <= 0.15
    assert sum(figures["age_shares"]) == pytest.approx(1.0)


def test_category_shares(figures: dict) -> None:  # type: ignore[type-arg]
    shares = figures["category_shares"]
    assert shares["衛生福利"] == pytest.approx(0.424, abs=0.04)
    assert shares["教育"] == pytest.approx(0.281, abs=0.04)
    assert shares["環境保護"] == pytest.approx(0.200, abs=0.04)
    others = 1 - shares["衛生福利"] - shares["教育"] - shares["環境保護"]
    assert others == pytest.approx(0.095, abs=0.04)


def test_team_sizes_have_a_long_tail(figures: dict) -> None:  # type: ignore[type-arg]
    assert figures["mean_team_size"] == pytest.approx(57, abs=8)
    assert figures["median_team_size"] < figures["mean_team_size"]
    assert figures["max_team_size"] > 4 * figures["mean_team_size"]


def test_service_per_volunteer_and_per_hour(figures: dict) -> None:  # type: ignore[type-arg]
    assert 88 <= figures["hours_per_person"] <= 102
    assert figures["persons_served_per_hour"] == pytest.approx(4.0, abs=0.3)


def test_some_serve_twice_some_left_all_statuses_occur(figures: dict) -> None:  # type: ignore[type-arg]
    assert 0.03 <= figures["two_team_share"] <= 0.09
    assert 0.04 <= figures["left_share"] <= 0.12
    assert set(figures["statuses"]) == {"active", "suspended", "intern", "quit"}
    assert figures["quit_without_date"] > 0


def test_trainings_books_insurance_honours_awards(figures: dict) -> None:  # type: ignore[type-arg]
    assert 0.78 <= figures["basic_trained_share"] <= 0.90
    assert 0.2 <= figures["special_trained_share"] < figures["basic_trained_share"]
    assert 0.6 <= figures["record_book_share"] <= 0.85
    # 2022: 949,740 insured of 1,105,061 (86 %); 46,165 honour cards (4.2 %).
    assert figures["insured_share"] == pytest.approx(0.86, abs=0.03)
    assert 0.015 <= figures["honour_card_share"] <= 0.07
    assert 0 < figures["award_share"] < 0.05
