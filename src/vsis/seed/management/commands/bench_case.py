"""`vsis bench_case`: one benchmark case in a process of its own (used by
`vsis bench`, which reads the JSON it writes)."""

import json
import traceback
from argparse import ArgumentParser
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vsis.seed.bench import cases
from vsis.seed.models import SeedRun
from vsis.units.models import Unit


class Command(BaseCommand):
    help = "執行一個效能測試項目並把結果寫成 JSON（由 vsis bench 呼叫）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("case", help="marker、prepare-import 或項目名稱")
        parser.add_argument("--out", required=True, help="結果 JSON 檔")
        parser.add_argument("--import-file", default="", help="匯入測試用的 xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        out_path = Path(options["out"])
        name = options["case"]
        if name == "marker":
            result: dict[str, Any] = self._marker()
        elif name == "prepare-import":
            result = self._prepare_import(Path(options["import_file"]))
        elif name in cases.CASE_NAMES:
            result = asdict(self._run(name, options["import_file"]))
        else:
            raise CommandError(f"未知的項目：{name}")
        out_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")

    def _marker(self) -> dict[str, Any]:
        run = SeedRun.objects.order_by("-id").first()
        marker = None
        if run is not None:
            marker = {
                "scale": run.scale,
                "seed": run.seed,
                "records": run.records,
                "as_of": run.as_of.isoformat(),
                "seconds": run.seconds,
                "volunteers": run.volunteers,
                "teams": run.teams,
                "version": run.version,
            }
        return {"marker": marker, "units": Unit.objects.count()}

    def _prepare_import(self, path: Path) -> dict[str, Any]:
        run = SeedRun.objects.latest("id")
        scope = cases.pick_scopes()["county"]
        rows = cases.write_import_file(path, scope, run, cases.IMPORT_ROWS)
        return {"rows": rows, "path": str(path), "bytes": path.stat().st_size}

    def _run(self, name: str, import_file: str) -> cases.CaseOutput:
        out = cases.CaseOutput(name=name, baseline_rss_mb=cases.rss_mb())
        report, scope_key = name.split("/")
        try:
            run = SeedRun.objects.latest("id")
            dates = cases.BenchDates.of(run)
            scope = cases.pick_scopes()[scope_key]
            out.scope = asdict(scope)
            if report == "import":
                cases.run_import_case(Path(import_file), out)
            elif report == "return":
                cases.run_return_case(scope, dates, out)
            else:
                cases.run_report_case(report, scope, dates, out)
        except cases.Missing as exc:
            out.error = f"missing {exc}"
        except Exception as exc:  # reported in the table, the run goes on
            out.error = f"{type(exc).__name__}: {exc}"
            self.stderr.write(traceback.format_exc())
        return out
