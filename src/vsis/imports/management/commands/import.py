"""`vsis import FILE --kind units|volunteers|hours [--dry-run] [--user NAME]`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vsis.imports.models import ImportKind
from vsis.imports.services import import_file
from vsis.units.models import User


class Command(BaseCommand):
    help = (
        "匯入單位、志工資料或服務紀錄試算表（.xlsx、.xls、.ods、.csv）。"
        "有任何問題時不寫入任何資料，列出每個問題並以非零結束碼結束。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要匯入的檔案")
        parser.add_argument(
            "--kind", required=True, choices=ImportKind.values, help="檔案種類"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="只檢查並計算筆數，不寫入"
        )
        parser.add_argument(
            "--user", help="以此帳號的身分與管轄範圍匯入（未指定時為系統，不受限）"
        )
        parser.add_argument(
            "--correct-people",
            action="store_true",
            help="允許更正系統中已有志工的姓名、性別與出生日期",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"無法讀取檔案 {path}：{exc.strerror}") from None
        actor = None
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"])
            except User.DoesNotExist:
                raise CommandError(f"找不到帳號：{options['user']}") from None
            if not actor.can_edit:
                raise CommandError("此帳號不能匯入資料（需為承辦人或單位管理者）")

        outcome = import_file(
            actor=actor,
            kind=options["kind"],
            filename=path.name,
            data=data,
            dry_run=options["dry_run"],
            correct_people=options["correct_people"],
        )

        if not outcome.ok:
            for error in outcome.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"檔案有 {len(outcome.errors)} 個問題，未寫入任何資料"
                f"（匯入紀錄 #{outcome.batch.pk}）"
            )
        if options["dry_run"]:
            self.stdout.write(
                f"檢查通過，未寫入任何資料（試算，匯入紀錄 #{outcome.batch.pk}）："
            )
        else:
            self.stdout.write(f"匯入完成（匯入紀錄 #{outcome.batch.pk}）：")
        for line in outcome.summary.lines():
            self.stdout.write(f"  {line}")
