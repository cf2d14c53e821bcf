"""Real `vsis worker` processes against a scratch database: kill -9, sweep, cancel.

The pytest database is invisible to other processes (SQLite in memory, or a
transaction on PostgreSQL), so these tests make a scratch database of the
same engine — a file for SQLite, a new database for PostgreSQL — migrate it
through a subprocess, and read it with plain SQL. Short heartbeat and stale
times keep the waiting to seconds.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
HEARTBEAT_SECONDS = 1
STALE_SECONDS = 3
MAX_ATTEMPTS = 2
WAIT_SECONDS = 60  # generous: the machine is shared

JOB_COLUMNS = ["status", "attempts", "progress", "heartbeat_at", "error", "task_id"]


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name may hold spaces; the fields after it do not.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found.extend(below)
        todo.extend(below)
    return found


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """kill -9, as the OOM killer or a power cut would: the worker and
        every process it started (an RQ work horse has a session of its own)."""
        family = descendants(self.process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Scratch:
    vendor: str
    url: str
    root: Path
    sqlite_path: Path | None = None
    pg: dict[str, Any] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    backend: dict[str, str] = field(
        default_factory=lambda: {"VSIS_TASK_BACKEND": "database"}
    )

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.jobs.worker_settings",
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
            DATABASE_URL=self.url,
            VSIS_DATA_DIR=str(self.root),
            MEDIA_ROOT=str(self.root / "media"),
            VSIS_JOB_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
            VSIS_JOB_STALE_SECONDS=str(STALE_SECONDS),
            VSIS_JOB_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
            VSIS_LOG_LEVEL="INFO",
        )
        env.update(self.backend)
        return env

    @contextlib.contextmanager
    def on_backend(self, **settings: str) -> Iterator[None]:
        """Requests, workers and commands inside use this task backend."""
        saved = self.backend
        self.backend = settings
        try:
            yield
        finally:
            self.backend = saved

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS * 2,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def harness(self, *args: str) -> str:
        return self.run("-m", "tests.jobs.harness", *args)

    def vsis(self, *args: str) -> str:
        return self.run("-m", "vsis", *args)

    def request(self, kind: str, params: dict[str, Any]) -> int:
        return int(self.harness("request", kind, json.dumps(params)).strip())

    def worker(self, *options: str) -> contextlib.AbstractContextManager[Worker]:
        """A `vsis worker` of the database backend, killed on leaving."""
        return self.process(
            "worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            *options,
        )

    @contextlib.contextmanager
    def process(self, command: str, *options: str) -> Iterator[Worker]:
        log = self.root / f"worker-{len(self.workers) + 1}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "vsis", command, *options],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for killpg
            )
        worker = Worker(process, log)
        self.workers.append(worker)
        try:
            yield worker
        finally:
            worker.kill()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(**self.pg, autocommit=True) as db:
            return db.execute(sql).fetchall()  # type: ignore[arg-type]

    def job(self, job_id: int) -> dict[str, Any]:
        (row,) = self.query(
            f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs_job WHERE id = {int(job_id)}"
        )
        return dict(zip(JOB_COLUMNS, row, strict=True))

    def task(self, task_id: str) -> dict[str, Any]:
        rows = self.query(
            "SELECT id, status, exception_class_path, return_value "
            "FROM django_tasks_database_dbtaskresult"
        )
        for row_id, status, exception, value in rows:
            if uuid.UUID(str(row_id)) == uuid.UUID(task_id):
                if self.sqlite_path is not None and value is not None:
                    value = json.loads(value)  # PostgreSQL decodes JSON itself
                return {"status": status, "exception": exception, "value": value}
        raise AssertionError(f"no task row {task_id}")

    def wait_for(
        self, what: str, read: Callable[[], dict[str, Any]], ok: Callable[[Any], bool]
    ) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            value = read()
            if ok(value):
                return value
            if time.monotonic() > deadline:
                logs = "\n".join(worker.output() for worker in self.workers)
                raise AssertionError(f"timed out waiting for {what}: {value}\n{logs}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    root = tmp_path_factory.mktemp("worker")
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        name = f"vsis_jobs_worker_{uuid.uuid4().hex[:10]}"
        server = {
            "host": db.get("HOST") or "127.0.0.1",
            "port": int(db.get("PORT") or 5432),
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or "",
        }
        with psycopg.connect(dbname="postgres", **server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        url = (
            f"postgres://{quote(server['user'])}:{quote(server['password'])}"
            f"@{server['host']}:{server['port']}/{name}"
        )
        scratch = Scratch("postgresql", url, root, pg={**server, "dbname": name})
    else:
        path = root / "worker.sqlite3"
        scratch = Scratch("sqlite", f"sqlite:///{path}", root, sqlite_path=path)
    scratch.harness("setup")
    yield scratch
    if scratch.vendor == "postgresql":
        import psycopg

        server = {k: v for k, v in scratch.pg.items() if k != "dbname"}
        with psycopg.connect(dbname="postgres", **server, autocommit=True) as admin:
            admin.execute(
                f'DROP DATABASE IF EXISTS "{scratch.pg["dbname"]}" WITH (FORCE)'  # type: ignore[arg-type]
            )


def test_a_killed_worker_is_retried_then_failed_with_the_reason(
    scratch: Scratch,
) -> None:
    job_id = scratch.request("test.block", {"case": "kill"})
    first_task = scratch.job(job_id)["task_id"]

    with scratch.worker() as worker:
        running = scratch.wait_for(
            "the first run",
            lambda: scratch.job(job_id),
            lambda job: job["status"] == "running" and job["progress"] == 10,
        )
        # The handler only sleeps and checks for a cancel; the heartbeat
        # thread is what keeps the job alive.
        scratch.wait_for(
            "a heartbeat",
            lambda: scratch.job(job_id),
            lambda job: job["heartbeat_at"] != running["heartbeat_at"],
        )
        worker.kill()

    # What users used to see: 產製中 forever, and the queue's row RUNNING too.
    job = scratch.job(job_id)
    assert (job["status"], job["attempts"]) == ("running", 1)
    assert scratch.task(first_task)["status"] == "RUNNING"

    time.sleep(STALE_SECONDS + 1)
    assert "重新排隊 1 件" in scratch.vsis("jobs", "sweep")

    job = scratch.job(job_id)
    assert (job["status"], job["attempts"]) == ("queued", 1)
    assert job["task_id"] and job["task_id"] != first_task
    closed = scratch.task(first_task)
    assert closed["status"] == "FAILED"
    assert closed["exception"] == "vsis.jobs.maintenance.WorkerLost"
    second_task = job["task_id"]
    assert scratch.task(second_task)["status"] == "READY"

    with scratch.worker() as worker:
        scratch.wait_for(
            "the second run",
            lambda: scratch.job(job_id),
            lambda job: job["status"] == "running" and job["attempts"] == 2,
        )
        worker.kill()

    # No cron this time: a worker sweeps by itself, at its start and then
    # every --maintenance-interval seconds (the job turns stale meanwhile).
    with scratch.worker("--maintenance-interval", "1"):
        job = scratch.wait_for(
            "the sweep of a running worker",
            lambda: scratch.job(job_id),
            lambda job: job["status"] != "running",
        )
    assert job["status"] == "failed"
    assert job["attempts"] == MAX_ATTEMPTS
    assert job["error"] == "背景工作程序中斷，已重試 1 次"
    assert scratch.task(second_task)["status"] == "FAILED"


def test_a_cancel_interrupts_a_long_query_in_a_real_worker(scratch: Scratch) -> None:
    job_id = scratch.request("test.long_query", {"case": "cancel"})
    task_id = scratch.job(job_id)["task_id"]

    with scratch.worker():
        scratch.wait_for(
            "the query to start",
            lambda: scratch.job(job_id),
            lambda job: job["status"] == "running" and job["progress"] == 5,
        )
        time.sleep(HEARTBEAT_SECONDS)  # well inside the query by now
        scratch.harness("cancel", str(job_id))

        # The query would run for many minutes; the heartbeat interrupts it.
        task = scratch.wait_for(
            "the run to stop",
            lambda: scratch.task(task_id),
            lambda task: task["status"] in ("SUCCESSFUL", "FAILED"),
        )
        assert task == {"status": "SUCCESSFUL", "exception": "", "value": "cancelled"}
        job = scratch.job(job_id)
        assert (job["status"], job["error"]) == ("cancelled", "")

        # The worker and its connection are fine: the next job runs.
        next_id = scratch.request("test.echo", {"n": 9})
        done = scratch.wait_for(
            "the next job",
            lambda: scratch.job(next_id),
            lambda job: job["status"] in ("done", "failed"),
        )
        assert done["status"] == "done"


# The Redis/RQ backend, the scale-out option (docs/decisions/0009): the same
# jobs, sweeper and cleanup, with `vsis rq_worker` processes instead.
REDIS_URL = os.environ.get("VSIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def rq_backend(scratch: Scratch) -> Iterator[str]:
    """Point the scratch processes at Redis, on a queue of this test's own so
    that another suite running at the same time cannot take its tasks."""
    import redis
    from rq import Queue

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("VSIS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    queue = f"vsis-test-{uuid.uuid4().hex[:10]}"
    with scratch.on_backend(
        VSIS_TASK_BACKEND="rq", VSIS_TASK_QUEUE=queue, REDIS_URL=REDIS_URL
    ):
        yield queue
    Queue(queue, connection=client).delete(delete_jobs=True)


def test_a_job_runs_on_an_rq_worker(scratch: Scratch, rq_backend: str) -> None:
    job_id = scratch.request("test.echo", {"n": 7})
    assert scratch.job(job_id)["status"] == "queued"

    with scratch.process("rq_worker", "--burst") as worker:
        assert worker.process.wait(timeout=WAIT_SECONDS) == 0, worker.output()

    job = scratch.job(job_id)
    assert (job["status"], job["progress"], job["error"]) == ("done", 100, "")
    (result,) = scratch.query(f"SELECT result FROM jobs_job WHERE id = {job_id}")
    value = json.loads(result[0]) if isinstance(result[0], str) else result[0]
    assert (value["n"], value["attempt"]) == (7, 1)


def test_a_killed_rq_worker_is_swept_and_its_job_runs_again(
    scratch: Scratch, rq_backend: str
) -> None:
    job_id = scratch.request("test.block", {"case": "rq kill"})
    first_task = scratch.job(job_id)["task_id"]

    with scratch.process("rq_worker", "--maintenance-interval", "0") as worker:
        scratch.wait_for(
            "the first run",
            lambda: scratch.job(job_id),
            lambda job: job["status"] == "running" and job["progress"] == 10,
        )
        worker.kill()

    time.sleep(STALE_SECONDS + 1)
    assert "重新排隊 1 件" in scratch.vsis("jobs", "sweep")
    job = scratch.job(job_id)
    assert (job["status"], job["attempts"]) == ("queued", 1)
    assert job["task_id"] and job["task_id"] != first_task

    # The new task is in Redis: a fresh worker takes it and runs attempt 2.
    with scratch.process("rq_worker"):
        scratch.wait_for(
            "the second run",
            lambda: scratch.job(job_id),
            lambda job: job["status"] == "running" and job["attempts"] == 2,
        )
        scratch.harness("cancel", str(job_id))
        job = scratch.wait_for(
            "the cancel",
            lambda: scratch.job(job_id),
            lambda job: job["status"] != "running",
        )
    assert job["status"] == "cancelled"
