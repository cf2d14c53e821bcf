"""Settings read from the environment, each case in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHOW = """
import json
from vsis.config import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "port": db.get("PORT"), "debug": s.DEBUG, "secret": s.SECRET_KEY,
    "hosts": s.ALLOWED_HOSTS, "media": str(s.MEDIA_ROOT),
    "language": s.LANGUAGE_CODE, "languages": [c for c, _ in s.LANGUAGES],
    "zone": s.TIME_ZONE,
}))
"""
NAMES = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT")


def settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in NAMES}
    environ |= {"VSIS_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_defaults_are_a_development_instance(tmp_path: Path) -> None:
    shown = read(settings_with(tmp_path))
    assert shown == {
        "engine": "django.db.backends.sqlite3",
        "name": str(tmp_path / "data" / "vsis.sqlite3"),
        "host": "",
        "port": "",
        "debug": True,
        "secret": "vsis-development-only-key-never-use-in-production",
        "hosts": ["localhost", "127.0.0.1", "[::1]"],
        "media": str(tmp_path / "data" / "media"),
        "language": "zh-hant",
        "languages": ["zh-hant"],
        "zone": "Asia/Taipei",
    }


def test_production_takes_everything_from_the_environment(tmp_path: Path) -> None:
    shown = read(
        settings_with(
            tmp_path,
            DEBUG="0",
            SECRET_KEY="s3cret",
            DATABASE_URL="postgres://clerk@db.example:5433/vsis",
            MEDIA_ROOT="/srv/vsis/media",
            ALLOWED_HOSTS="vsis.example.gov.tw, www.vsis.example.gov.tw",
        )
    )
    assert (shown["engine"], shown["name"]) == ("django.db.backends.postgresql", "vsis")
    assert (shown["host"], shown["port"]) == ("db.example", 5433)
    assert (shown["debug"], shown["secret"]) == (False, "s3cret")
    assert shown["hosts"] == ["vsis.example.gov.tw", "www.vsis.example.gov.tw"]
    assert shown["media"] == "/srv/vsis/media"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean, got 'maybe'"),
    ],
)
def test_a_production_without_a_key_or_a_bad_flag_does_not_start(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = settings_with(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
