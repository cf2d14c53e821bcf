"""`make run`'s first steps, each a process of its own on a new, empty database
of the suite's engine: migrate, load the demo (outside any transaction, unlike
every test that calls the seed in-process), print the logins, load nothing twice.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new database, dropped afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg

    name = f"vsis_fresh_{uuid.uuid4().hex[:10]}"
    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
    }
    with psycopg.connect(dbname="postgres", **server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield (
            f"postgres://{quote(server['user'])}:{quote(server['password'])}"
            f"@{server['host']}:{server['port']}/{name}"
        )
    finally:
        with psycopg.connect(dbname="postgres", **server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def vsis(url: str, root: Path, *args: str) -> str:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        VSIS_DATA_DIR=str(root),
        MEDIA_ROOT=str(root / "media"),
        DJANGO_SETTINGS_MODULE="vsis.config.settings",
        PYTHONPATH=str(REPO / "src"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "vsis", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_make_run_loads_the_demo_into_a_new_database_once(
    empty_database: str, tmp_path: Path
) -> None:
    vsis(empty_database, tmp_path, "migrate", "--noinput", "-v", "0")

    loaded = vsis(empty_database, tmp_path, "seed", "--scale", "demo", "--if-empty")
    assert "已載入 demo（種子 1）" in loaded
    logins = vsis(empty_database, tmp_path, "demo_info", "--port", "8000")
    assert "http://127.0.0.1:8000/" in logins
    assert "vsis-demo" in logins and "county" in logins

    again = vsis(empty_database, tmp_path, "seed", "--scale", "demo", "--if-empty")
    assert "略過" in again
