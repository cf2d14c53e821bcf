"""A seeded database shared by the tests of a module (rolled back after it)."""

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction

from vsis.seed.services import SeedSummary, seed_database

# A fixed "today", so the expected dates do not move with the calendar.
TODAY = dt.date(2026, 6, 15)
REFERENCE = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup: None, django_db_blocker) -> Iterator[SeedSummary]:  # type: ignore[no-untyped-def]
    """The demo scale at a third of its size, seed 7."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = seed_database("demo", seed=7, volunteers=1_000, today=TODAY)
        assert summary is not None
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def seeded_national(django_db_setup: None, django_db_blocker) -> Iterator[SeedSummary]:  # type: ignore[no-untyped-def]
    """The national shape (22 counties, ministries) with 10,000 volunteers."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = seed_database("national", seed=3, volunteers=10_000, today=TODAY)
        assert summary is not None
        yield summary
        transaction.set_rollback(True)
