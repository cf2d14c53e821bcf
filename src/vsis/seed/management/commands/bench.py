"""`vsis bench`: the scale benchmark of issue #5 (make bench)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vsis.seed.bench.cases import CASE_NAMES
from vsis.seed.bench.runner import (
    Bench,
    BenchConfig,
    BenchError,
    format_table,
    write_results,
)


class Command(BaseCommand):
    help = (
        "以 county 或 national 規模資料測量各報表與匯入的時間與記憶體，"
        "並以 DuckDB 另行計算核對每個數字"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale", choices=("county", "national"), default="national"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--records", type=int, default=None)
        parser.add_argument(
            "--database-url",
            default=None,
            help="效能測試用的資料庫（預設：同一 PostgreSQL 的 vsis_bench_<規模>）",
        )
        parser.add_argument(
            "--case",
            action="append",
            choices=CASE_NAMES,
            help="只執行這些項目（可重複；預設全部）",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="資料不符時清空 --database-url 重建"
        )
        parser.add_argument("--out", default="bench-results", help="結果 JSON 的資料夾")

    def handle(self, *args: Any, **options: Any) -> None:
        config = BenchConfig(
            scale=options["scale"],
            seed=options["seed"],
            records=options["records"],
            database_url=options["database_url"],
            cases=tuple(options["case"] or CASE_NAMES),
            out_dir=Path(options["out"]),
            rebuild=options["rebuild"],
        )
        try:
            results = Bench(config, self.stdout.write).run()
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(format_table(results))
        path = write_results(results, config.out_dir)
        self.stdout.write(f"\n結果：{path}")
        failed = [
            c["name"]
            for c in results["cases"]
            if c["match"] is False or c["within_memory"] is False
        ]
        if failed:
            raise CommandError(f"數字不一致或超過記憶體上限：{'、'.join(failed)}")
