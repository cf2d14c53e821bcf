"""`vsis demo_info`: where the demo is served and how to sign in (make run)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from vsis.seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

# Where each account sits in the demo scale (README 快速開始).
DEMO_PLACES = {"root": "衛生福利部", "county": "示範市政府", "hospital": "示範市立醫院"}
ROLE_LABELS = {"admin": "單位管理者", "clerk": "承辦人", "viewer": "檢視者"}


class Command(BaseCommand):
    help = "印出示範網站的網址與示範帳號"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        write = self.stdout.write
        write("")
        write(f"vsis 示範網站：http://{options['host']}:{options['port']}/")
        write(f"示範帳號（密碼皆為 {DEMO_PASSWORD}）：")
        for account in DEMO_ACCOUNTS:
            if account.superuser:
                place, role = "（全部）", "超級使用者"
            else:
                place, role = DEMO_PLACES[account.place], ROLE_LABELS[account.role]
            write(f"  {account.username:<8}{place}　{role}")
        write("按 Ctrl-C 結束。")
        write("")
