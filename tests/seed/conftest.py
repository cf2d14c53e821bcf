"""A seeded database shared by the tests of a module (rolled back after it)."""

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from tests.conftest import ensure_categories
from vsis.seed.services import SeedSummary, seed_database

# The hasher the tests' autouse fast_passwords fixture uses (tests/conftest.py):
# the demo accounts are made before it applies, so they must use it too.
FAST_HASHERS = override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
)
# A fixed "today", so the expected dates do not move with the calendar.
TODAY = dt.date(2026, 6, 15)
REFERENCE = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup: None, django_db_blocker) -> Iterator[SeedSummary]:  # type: ignore[no-untyped-def]
    """The demo scale at a third of its size, seed 7."""
    with FAST_HASHERS, django_db_blocker.unblock(), transaction.atomic():
        ensure_categories()  # a browser test's flush may have emptied them
        summary = seed_database("demo", seed=7, volunteers=1_000, today=TODAY)
        assert summary is not None
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def seeded_national(django_db_setup: None, django_db_blocker) -> Iterator[SeedSummary]:  # type: ignore[no-untyped-def]
    """The national shape (22 counties, ministries) with 10,000 volunteers."""
    with FAST_HASHERS, django_db_blocker.unblock(), transaction.atomic():
        ensure_categories()
        summary = seed_database("national", seed=3, volunteers=10_000, today=TODAY)
        assert summary is not None
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def categories(db: None) -> None:
    """The migrations' service categories, which the seed needs."""
    ensure_categories()
