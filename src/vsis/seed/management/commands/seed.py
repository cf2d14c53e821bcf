"""`vsis seed`: load synthetic data at demo, county or national scale."""

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vsis.core.rocdate import parse_date
from vsis.seed.checks import calibration
from vsis.seed.models import SeedRun
from vsis.seed.scales import SCALES
from vsis.seed.services import SeedError, seed_database


class Command(BaseCommand):
    help = "載入示範或效能測試用的合成資料（同一個種子產生同樣的資料）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1, help="亂數種子（預設 1）")
        parser.add_argument(
            "--records",
            type=int,
            default=None,
            help="服務紀錄筆數（預設：demo 依人數，county 300 萬，national 3,000 萬）",
        )
        parser.add_argument(
            "--volunteers",
            type=int,
            default=None,
            help="志工人數（預設依規模）；單位數依比例調整",
        )
        parser.add_argument(
            "--today",
            default=None,
            help="資料的基準「今天」（預設：臺北時間今天），例如 2026-12-04",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="不載入，只印出目前資料與 DOMAIN.md §1 校準目標的比較數字",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="資料庫已有單位時不做任何事（make run 用）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check()
            return
        today = None
        if options["today"]:
            try:
                today = parse_date(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today：{exc}") from exc
        try:
            summary = seed_database(
                options["scale"],
                seed=options["seed"],
                records=options["records"],
                volunteers=options["volunteers"],
                today=today,
                if_empty=options["if_empty"],
                report=self.stdout.write,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        if summary is None:
            return
        self.stdout.write(
            f"已載入 {summary.scale}（種子 {summary.seed}）："
            f"{summary.rows.get('units_unit', 0):,} 個單位、"
            f"{summary.rows.get('volunteers_volunteer', 0):,} 位志工、"
            f"{summary.rows.get('volunteers_membership', 0):,} 筆隊員資格、"
            f"{summary.records:,} 筆服務紀錄，共 {summary.seconds:.1f} 秒"
        )

    def _check(self) -> None:
        run = SeedRun.objects.order_by("-id").first()
        if run is None:
            raise CommandError("資料庫沒有 vsis seed 載入的資料")
        on = dt.date(run.as_of.year - 1, 12, 31)
        self.stdout.write(f"{run}，基準日 {on}：")
        for name, value in calibration(on).items():
            self.stdout.write(f"  {name}: {_rounded(value)}")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
