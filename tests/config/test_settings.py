"""Settings read from the environment, each case in a fresh interpreter.

The settings module runs once per process, so every case starts Python anew
with its own environment and reads back what Django made of it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]

READ_BACK = """
import json
from django.conf import settings
print(json.dumps({
    "databases": settings.DATABASES,
    "apps": settings.INSTALLED_APPS,
    "tasks": settings.TASKS,
    "rq_queues": settings.RQ_QUEUES,
    "language": settings.LANGUAGE_CODE,
    "time_zone": settings.TIME_ZONE,
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "media_root": settings.MEDIA_ROOT,
    "languages": [code for code, _ in settings.LANGUAGES],
}, default=str))
"""

# Variables a developer or CI may have set that would change the defaults.
CLEARED = (
    "DATABASE_URL",
    "REPORTS_DATABASE_URL",
    "VSIS_TASK_BACKEND",
    "VSIS_TASK_QUEUE",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
)


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environ.update(
        DJANGO_SETTINGS_MODULE="vsis.config.settings",
        PYTHONPATH=str(REPO / "src"),
        VSIS_DATA_DIR=str(tmp_path),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", READ_BACK],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(tmp_path: Path, **env: str) -> dict[str, Any]:
    done = run_settings(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_defaults_need_no_setup(tmp_path: Path) -> None:
    read = read_settings(tmp_path)

    default = read["databases"]["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == str(tmp_path / "vsis.sqlite3")
    assert "reports" not in read["databases"]
    assert (read["language"], read["time_zone"], read["debug"]) == (
        "zh-hant",
        "Asia/Taipei",
        True,
    )
    assert read["tasks"]["default"] == {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
    assert "django_rq" not in read["apps"]


def test_the_defaults_serve_this_machine_in_chinese_only(tmp_path: Path) -> None:
    read = read_settings(tmp_path)

    assert read["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert read["media_root"] == str(tmp_path / "media")
    assert read["languages"] == ["zh-hant"]
    assert read["secret_key"] == "vsis-development-only-key-never-use-in-production"


def test_production_takes_its_hosts_media_and_database_from_the_environment(
    tmp_path: Path,
) -> None:
    read = read_settings(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="s3cret",
        DATABASE_URL="postgres://clerk@db.example:5433/vsis",
        MEDIA_ROOT="/srv/vsis/media",
        ALLOWED_HOSTS="vsis.example.gov.tw, www.vsis.example.gov.tw",
    )

    default = read["databases"]["default"]
    assert (default["ENGINE"], default["NAME"]) == (
        "django.db.backends.postgresql",
        "vsis",
    )
    assert (default["HOST"], default["PORT"], default["USER"]) == (
        "db.example",
        5433,
        "clerk",
    )
    assert (read["debug"], read["secret_key"]) == (False, "s3cret")
    assert read["allowed_hosts"] == ["vsis.example.gov.tw", "www.vsis.example.gov.tw"]
    assert read["media_root"] == "/srv/vsis/media"


def test_a_debug_flag_that_is_no_boolean_refuses_to_start(tmp_path: Path) -> None:
    done = run_settings(tmp_path, DEBUG="maybe")

    assert done.returncode != 0
    assert "DEBUG must be a boolean, got 'maybe'" in done.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    done = run_settings(tmp_path, DEBUG="0")

    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in done.stderr


def test_an_unknown_task_backend_refuses_to_start(tmp_path: Path) -> None:
    done = run_settings(tmp_path, VSIS_TASK_BACKEND="celery")

    assert done.returncode != 0
    assert "VSIS_TASK_BACKEND must be one of" in done.stderr


def test_a_replica_for_reports_mirrors_the_default_database_in_tests(
    tmp_path: Path,
) -> None:
    read = read_settings(
        tmp_path,
        DATABASE_URL="postgres://vsis@primary.example:5432/vsis",
        REPORTS_DATABASE_URL="postgres://vsis_ro@replica.example:5432/vsis",
    )

    reports = read["databases"]["reports"]
    assert (reports["HOST"], reports["USER"]) == ("replica.example", "vsis_ro")
    # The test runner must not try to create a database on a read-only replica.
    assert reports["TEST"] == {"MIRROR": "default"}
    assert read["databases"]["default"]["HOST"] == "primary.example"


def test_the_rq_backend_installs_django_rq_on_the_named_queue(tmp_path: Path) -> None:
    read = read_settings(
        tmp_path,
        VSIS_TASK_BACKEND="rq",
        VSIS_TASK_QUEUE="vsis-taipei",
        REDIS_URL="redis://queue.example:6379/2",
    )

    assert read["tasks"]["default"] == {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["vsis-taipei"],
    }
    assert {"django_rq", "django_tasks_rq"} <= set(read["apps"])
    redis = {"URL": "redis://queue.example:6379/2"}
    # django-rq takes its connection from "default" whatever the queue's name.
    assert read["rq_queues"] == {"default": redis, "vsis-taipei": redis}


def test_reports_read_from_the_replica_when_one_is_configured(tmp_path: Path) -> None:
    """Run replica_check.py in a pytest of its own whose "reports" alias is a
    second connection to the same database, as a replica would be."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    if url.startswith("postgres"):
        # This run holds test_<name> on the server; the inner run would try
        # to drop and recreate that very database. It makes its own instead.
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(path=f"{parts.path}_replica_check"))
    env = dict(os.environ)
    env.update(DATABASE_URL=url, REPORTS_DATABASE_URL=url)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(Path(__file__).with_name("replica_check.py")),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
