"""Fixtures for the job tests: the test-only kinds, a private MEDIA_ROOT."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.jobs import handlers  # noqa: F401  (registers the test kinds)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Job files of each test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    # The personas' PBKDF2 hashing costs seconds per test on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """committed(fn, ...) calls fn, then runs what it left for after the
    commit (enqueues, storage deletions), as in a worker or a request."""

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call
