"""`vsis bench`: seed a dedicated database once, run every case in its own
process, check its figures against DuckDB, print one table and write JSON."""

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings

from vsis.seed.bench.cases import CASE_NAMES, BenchDates
from vsis.seed.bench.duck import RETURN_COLUMNS, DuckSide, Figures
from vsis.seed.generate import GENERATOR_VERSION
from vsis.seed.scales import SCALES

logger = logging.getLogger(__name__)

RSS_LIMIT_MB = 500  # a report job's peak RSS (issue #5)
CASE_TIMEOUT = 1800  # seconds for one case in its child process
SEED_TIMEOUT = 3600


class BenchError(Exception):
    """The benchmark cannot run as asked (the message is for the user)."""


@dataclass
class BenchConfig:
    scale: str = "national"
    seed: int = 1
    records: int | None = None
    database_url: str | None = None
    cases: tuple[str, ...] = CASE_NAMES
    out_dir: Path = Path("bench-results")
    rebuild: bool = False

    @property
    def expected_records(self) -> int:
        if self.records is not None:
            return self.records
        default = SCALES[self.scale].records
        assert default is not None
        return default


@dataclass
class CaseResult:
    name: str
    report: str
    scope: str
    measured: str = ""
    rows: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    duck_seconds: float = 0.0
    ratio: float | None = None
    match: bool | None = None
    within_memory: bool | None = None
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    note: str = ""


def bench_database_url(config: BenchConfig) -> tuple[str, bool]:
    """The URL of the benchmark's database and whether it is the dedicated one
    (named vsis_bench_<scale> on the configured PostgreSQL server)."""
    if config.database_url:
        return config.database_url, False
    current = settings.DATABASES["default"]
    name = f"vsis_bench_{config.scale}"
    if current["ENGINE"].endswith("postgresql"):
        user = current.get("USER") or "postgres"
        password = f":{current['PASSWORD']}" if current.get("PASSWORD") else ""
        host = current.get("HOST") or "127.0.0.1"
        port = current.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{name}", True
    return f"postgres://postgres@127.0.0.1:5432/{name}", True


def _parse(url: str) -> dict[str, Any]:
    return dict(dj_database_url.parse(url))


def _pg_admin(url: str) -> tuple[dict[str, Any], Any]:
    import psycopg

    database = _parse(url)
    connection = psycopg.connect(
        dbname="postgres",
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        user=database.get("USER") or "postgres",
        password=database.get("PASSWORD") or None,
        autocommit=True,
    )
    return database, connection


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    from psycopg import sql

    database, connection = _pg_admin(url)
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"]))
            )


def drop_database(url: str) -> None:
    from psycopg import sql

    database, connection = _pg_admin(url)
    with connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(
                sql.Identifier(database["NAME"])
            )
        )


class Bench:
    def __init__(self, config: BenchConfig, say: Callable[[str], None]) -> None:
        self.config = config
        self.say = say
        self.url, self.dedicated = bench_database_url(config)
        # Scratch folder for the import file and the jobs' files (run()).
        self.work = Path(tempfile.gettempdir())

    # -- children ------------------------------------------------------------

    def child(
        self, *args: str, timeout: int = CASE_TIMEOUT, stream: bool = False
    ) -> None:
        """Run `vsis *args` against the bench database; `stream` shows its
        output as it goes (the seed's steps) instead of keeping it for errors."""
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            # Jobs run in the case's own process (execute_job), never queued.
            "VSIS_TASK_BACKEND": "dummy",
            "MEDIA_ROOT": str(self.work / "media"),
            "VSIS_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "vsis", *args]
        if stream:
            if subprocess.run(command, env=env, timeout=timeout).returncode != 0:
                raise BenchError(f"`vsis {' '.join(args)}` 失敗（見上方訊息）")
            return
        completed = subprocess.run(
            command, env=env, timeout=timeout, capture_output=True, text=True
        )
        if completed.returncode != 0:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-15:]
            raise BenchError(f"`vsis {' '.join(args)}` 失敗：\n" + "\n".join(tail))

    def child_json(self, *args: str, timeout: int = CASE_TIMEOUT) -> dict[str, Any]:
        out = self.work / f"out-{time.monotonic_ns()}.json"
        self.child(*args, "--out", str(out), timeout=timeout)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result

    # -- the dataset -----------------------------------------------------------

    def prepare_dataset(self) -> dict[str, Any]:
        """Seed the database unless it already holds this scale, seed and size."""
        config = self.config
        wanted = (
            config.scale,
            config.seed,
            config.expected_records,
            GENERATOR_VERSION,
        )
        ensure_database(self.url)
        self.child("migrate", "--noinput", timeout=SEED_TIMEOUT)
        state = self.child_json("bench_case", "marker")
        marker = state["marker"]
        found = marker and (
            marker["scale"],
            marker["seed"],
            marker["records"],
            marker["version"],
        )
        if found == wanted:
            self.say(f"沿用已載入的資料（{_describe(marker)}）")
            marker["reused"] = True
            return dict(marker)
        if state["units"] or marker:
            if not (self.dedicated or config.rebuild):
                raise BenchError(
                    f"{self.url} 已有其他資料；請指定 --rebuild 或另一個 --database-url"
                )
            self.say("資料庫的資料與要求不同，重建中…")
            drop_database(self.url)
            ensure_database(self.url)
            self.child("migrate", "--noinput", timeout=SEED_TIMEOUT)
        self.say(
            f"載入 {config.scale} 規模資料（{config.expected_records:,} 筆服務紀錄）…"
        )
        started = time.perf_counter()
        self.child(
            "seed",
            "--scale",
            config.scale,
            "--seed",
            str(config.seed),
            "--records",
            str(config.expected_records),
            timeout=SEED_TIMEOUT,
            stream=True,
        )
        self.say(f"  載入完成：{time.perf_counter() - started:.0f} 秒")
        marker = self.child_json("bench_case", "marker")["marker"]
        marker["reused"] = False
        return dict(marker)

    # -- the cases ---------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Every case, checked; the scratch folder (import file, job files) is
        removed afterwards."""
        self.work = Path(tempfile.mkdtemp(prefix="vsis-bench-"))
        try:
            return self._run()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)

    def _run(self) -> dict[str, Any]:
        marker = self.prepare_dataset()
        dates = BenchDates.for_year(dt.date.fromisoformat(marker["as_of"]).year - 1)
        duck = DuckSide(_parse(self.url))
        results = []
        import_file = self.work / "service-records-100k.xlsx"
        for name in self.config.cases:
            report, scope = name.split("/")
            self.say(f"執行 {name} …")
            if report == "import" and not import_file.exists():
                prepared = self.child_json(
                    "bench_case", "prepare-import", "--import-file", str(import_file)
                )
                self.say(
                    f"  匯入檔：{prepared['rows']:,} 列，{prepared['bytes']:,} bytes"
                )
            try:
                output = self.child_json(
                    "bench_case", name, "--import-file", str(import_file)
                )
            except (BenchError, subprocess.TimeoutExpired) as exc:
                results.append(CaseResult(name, report, scope, error=str(exc)))
                continue
            results.append(self.check(output, report, scope, duck, dates))
        return {
            "scale": self.config.scale,
            "database": dj_database_url.parse(self.url)["NAME"],
            "dataset": marker,
            "period": [dates.start.isoformat(), dates.end.isoformat()],
            "rss_limit_mb": RSS_LIMIT_MB,
            "cases": [r.__dict__ for r in results],
        }

    def check(
        self,
        output: dict[str, Any],
        report: str,
        scope: str,
        duck: DuckSide,
        dates: BenchDates,
    ) -> CaseResult:
        result = CaseResult(
            output["name"],
            report,
            scope,
            measured=output["measured"],
            rows=output["rows"],
            seconds=round(output["seconds"], 3),
            peak_rss_mb=round(output["peak_rss_mb"], 1),
            error=output["error"],
            note=output["note"],
        )
        if output["peak_rss_mb"]:
            result.within_memory = output["peak_rss_mb"] <= RSS_LIMIT_MB
        if report == "import":
            # The import's check is its own: every row read and accepted.
            if not result.error:
                result.match = (
                    output["rows"] == self._import_rows()
                    and output["note"] == "status checked"
                )
            return result
        if output["scope"] is None:
            return result
        path = output["scope"]["path"]
        duck.seconds = 0.0
        from vsis.seed.bench.cases import duck_figures

        expected = duck_figures(duck, report, path, dates)
        if report == "return":
            using, teams = duck.unit_counts(path)
            ages = _sum(duck.age_by_team(path, dates.end), 14)
            expected_totals = [*_sum(expected, len(RETURN_COLUMNS)), using, teams]
            expected_totals += ages
        else:
            expected_totals = _sum(expected, len(next(iter(expected.values()), [])))
        result.duck_seconds = round(duck.seconds, 3)
        if result.seconds and result.duck_seconds:
            result.ratio = round(result.seconds / result.duck_seconds, 2)
        if result.error:
            return result
        got = {int(team): values for team, values in output["figures"].items()}
        wanted = {team: v for team, v in expected.items() if any(v)}
        result.mismatches = _differences(got, wanted, report)
        if output["totals"] is not None and output["totals"] != expected_totals:
            result.mismatches.append(
                {"team": "total", "report": output["totals"], "duckdb": expected_totals}
            )
        result.match = not result.mismatches
        return result

    def _import_rows(self) -> int:
        from vsis.seed.bench.cases import IMPORT_ROWS

        return IMPORT_ROWS


def _sum(figures: Figures, width: int) -> list[int]:
    totals = [0] * width
    for values in figures.values():
        for index, value in enumerate(values[:width]):
            totals[index] += value
    return totals


def _differences(
    got: dict[int, list[int]], wanted: dict[int, list[int]], report: str
) -> list[dict[str, Any]]:
    if report == "return":
        return []  # a return is compared by its totals
    differences = []
    for team in sorted(set(got) | set(wanted)):
        if got.get(team) != wanted.get(team):
            differences.append(
                {"team": team, "report": got.get(team), "duckdb": wanted.get(team)}
            )
    return differences[:20]


def _describe(marker: dict[str, Any]) -> str:
    return (
        f"{marker['scale']}，種子 {marker['seed']}，{marker['records']:,} 筆服務紀錄，"
        f"{marker['as_of']} 產生，載入 {marker['seconds']:.0f} 秒"
    )


def format_table(results: dict[str, Any]) -> str:
    """The results as one plain-text table."""
    header = (
        "項目", "測量", "列數", "秒", "峰值MB", "≤500MB", "DuckDB秒", "倍數",
        "數字一致",
    )  # fmt: skip
    lines = [header]
    for case in results["cases"]:
        lines.append(
            (
                case["name"],
                case["measured"] or "-",
                f"{case['rows']:,}",
                f"{case['seconds']:.2f}" if case["seconds"] else "-",
                f"{case['peak_rss_mb']:.0f}" if case["peak_rss_mb"] else "-",
                _yes_no(case["within_memory"]),
                f"{case['duck_seconds']:.2f}" if case["duck_seconds"] else "-",
                f"{case['ratio']:.2f}" if case["ratio"] is not None else "-",
                _yes_no(case["match"]) if not case["error"] else case["error"][:60],
            )
        )
    widths = [max(_width(row[i]) for row in lines) for i in range(len(header))]
    rendered = [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
        for row in lines
    ]
    rendered.insert(1, "-" * _width(rendered[0]))
    return "\n".join(rendered)


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("是" if value else "否")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def write_results(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"bench-{results['scale']}-{stamp}.json"
    text = json.dumps(results, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    (out_dir / f"bench-{results['scale']}-latest.json").write_text(
        text, encoding="utf-8"
    )
    return path
