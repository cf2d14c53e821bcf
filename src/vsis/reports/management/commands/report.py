"""`vsis report age|service ...`: a VR report to a file, or its JSON to stdout.

A thin face over vsis.reports.services, the same code the background jobs run.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vsis.reports.params import (
    AgeParams,
    ReportParamError,
    ReportParams,
    ServiceParams,
    read_date,
)
from vsis.reports.services import FORMATS, generate_report, write_json
from vsis.units.models import Unit, User
from vsis.units.scope import is_in_scope


class _Stdout:
    """self.stdout without the newline Django's OutputWrapper adds to each write."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> int:
        self.command.stdout.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.command.stdout.flush()


class Command(BaseCommand):
    help = "產製 VR 報表：志工年齡分布表（age）、志工服務成果表（service）"

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="age|service")
        age = kinds.add_parser("age", help="志工年齡分布表")
        self._common(age)
        age.add_argument("--as-of", help="基準日（預設今天；可用民國日期 113/12/31）")
        age.add_argument(
            "--status",
            action="append",
            default=[],
            help="志工狀態（active、suspended、intern 或 服務中…；可重複）",
        )
        age.add_argument("--sex", help="性別：M（男）或 F（女）")
        service = kinds.add_parser("service", help="志工服務成果表")
        self._common(service)
        service.add_argument("--from", dest="start", required=True, help="服務日期起")
        service.add_argument("--to", dest="end", required=True, help="服務日期迄")

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="單位代碼")
        parser.add_argument("--no-subunits", action="store_true", help="不含下層單位")
        parser.add_argument("--category", help="服務類別名稱，例如 衛生福利")
        parser.add_argument(
            "--dedupe", action="store_true", help="歸戶（每人只計一次）"
        )
        parser.add_argument(
            "--format", choices=FORMATS, help="檔案格式（預設依副檔名）"
        )
        parser.add_argument(
            "--output", required=True, help="輸出檔案；- 為標準輸出（JSON）"
        )
        parser.add_argument("--user", help="以此帳號的範圍檢查單位")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        try:
            params = self._params(kind, options)
        except ReportParamError as exc:
            raise CommandError(str(exc)) from None
        if options["user"]:
            self._check_scope(options["user"], params.unit)
        output, fmt = options["output"], self._format(options)
        try:
            if output == "-":
                if fmt != "json":
                    raise CommandError(
                        "Excel／ODS 檔無法輸出到標準輸出，請以 --output 指定檔名"
                    )
                write_json(kind, params, _Stdout(self))
                return
            self._write_file(kind, params, fmt, Path(output))
        except ReportParamError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已寫入 {output}")

    def _params(self, kind: str, options: dict[str, Any]) -> ReportParams:
        common = {
            "unit": options["unit"],
            "include_subunits": not options["no_subunits"],
            "category": options["category"],
            "dedupe": options["dedupe"],
        }
        if kind == "age":
            as_of = options["as_of"]
            statuses = [s for text in options["status"] for s in text.split(",") if s]
            return AgeParams(
                as_of=read_date(as_of, "基準日") if as_of else timezone.localdate(),
                statuses=tuple(statuses),
                sex=options["sex"],
                **common,
            )
        return ServiceParams(
            start=read_date(options["start"], "服務日期起"),
            end=read_date(options["end"], "服務日期迄"),
            **common,
        )

    def _format(self, options: dict[str, Any]) -> str:
        if options["format"]:
            return str(options["format"])
        suffix = Path(options["output"]).suffix.lstrip(".").lower()
        return suffix if suffix in FORMATS else "json"

    def _check_scope(self, username: str, code: str) -> None:
        try:
            user = User.objects.select_related("unit").get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"查無帳號：{username}") from None
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not is_in_scope(user, unit):
            raise CommandError(f"查無單位代碼：{code}（不在帳號 {username} 的範圍內）")

    def _write_file(
        self, kind: str, params: ReportParams, fmt: str, path: Path
    ) -> None:
        """Write into a temporary folder beside `path`, then move it into place."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(
            dir=path.parent, prefix=".vsis-report-"
        ) as tmp:
            written = generate_report(kind, params, [fmt], Path(tmp))[fmt]
            os.replace(written, path)
