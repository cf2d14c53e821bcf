"""vsis user: accounts from the command line, over the same services as the web.

    vsis user add USERNAME --unit CODE --role clerk|viewer|admin [--name 姓名]
    vsis user add USERNAME --superuser [--unit CODE]
    vsis user list [--unit CODE]
    vsis user set-password USERNAME

The password is read from standard input: one line when it is a pipe or a file,
typed twice (hidden) at a terminal. An empty password, no input at all, or
--generate-password makes the system generate one and print it once; it is
stored only as a hash. The operator running the command is the system: audit
rows name no actor.
"""

import getpass
import sys
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from vsis.core.rocdate import format_roc
from vsis.units.models import Role, Unit, User
from vsis.units.services import (
    create_account,
    generate_password,
    set_account_password,
)

ROLE_NAMES = {value: value for value in Role.values} | {
    label: value for value, label in Role.choices
}
ROLE_HELP = "clerk（承辦人）、viewer（檢視者）或 admin（單位管理者）"


def _messages(error: ValidationError) -> str:
    return "；".join(error.messages)


class Command(BaseCommand):
    help = "管理帳號：新增（add）、列出（list）、重設密碼（set-password）"
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", title="動作")
        add = actions.add_parser("add", help="新增帳號")
        # Optional to argparse so that a missing one gets a Chinese message.
        add.add_argument("username", nargs="?", help="登入帳號")
        add.add_argument("--unit", help="所屬單位代碼")
        add.add_argument("--role", help=f"角色：{ROLE_HELP}")
        add.add_argument("--name", default="", help="姓名（顯示用）")
        add.add_argument(
            "--superuser", action="store_true", help="超級使用者（可不屬於單位）"
        )
        add.add_argument(
            "--generate-password",
            action="store_true",
            help="由系統產生密碼並顯示一次（不讀標準輸入）",
        )
        listing = actions.add_parser("list", help="列出帳號")
        listing.add_argument("--unit", help="只列此單位及其下層單位的帳號")
        password = actions.add_parser("set-password", help="重設密碼")
        password.add_argument("username", nargs="?", help="登入帳號")
        password.add_argument(
            "--generate-password",
            action="store_true",
            help="由系統產生密碼並顯示一次（不讀標準輸入）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdin = options.get("stdin") or sys.stdin
        action = options.get("action")
        if (
            action in ("add", "set-password")
            and not (options["username"] or "").strip()
        ):
            raise CommandError(f"請指定帳號：vsis user {action} 帳號 …")
        if action == "add":
            self.add(options)
        elif action == "list":
            self.list(options)
        elif action == "set-password":
            self.set_password(options)
        else:
            raise CommandError(
                "請指定動作：add、list 或 set-password（vsis user add …）"
            )

    # --- the three actions ---------------------------------------------------

    def add(self, options: dict[str, Any]) -> None:
        superuser = options["superuser"]
        unit = self._unit(options["unit"]) if options["unit"] else None
        if unit is None and not superuser:
            raise CommandError("請以 --unit 指定所屬單位代碼")
        role_text = options["role"]
        if role_text is None and not superuser:
            raise CommandError(f"請以 --role 指定角色：{ROLE_HELP}")
        role = ROLE_NAMES.get(role_text or Role.VIEWER)
        if role is None:
            raise CommandError(f"未知的角色「{role_text}」；角色必須是 {ROLE_HELP}")
        if User.objects.filter(username=options["username"].strip()).exists():
            raise CommandError(f"帳號「{options['username']}」已經存在")
        password, generated = self._password(options["generate_password"])
        try:
            user = create_account(
                actor=None,
                username=options["username"],
                unit=unit,
                role=role,
                password=password,
                display_name=options["name"],
                is_superuser=superuser,
            )
        except ValidationError as error:
            raise CommandError(f"無法建立帳號：{_messages(error)}") from None
        kind = "超級使用者" if superuser else Role(role).label
        where = f"{unit.name} {unit.code}" if unit else "全部單位"
        self.stdout.write(f"已建立帳號 {user.username}（{where}，{kind}）")
        if generated:
            self._print_once(password)

    def list(self, options: dict[str, Any]) -> None:
        accounts: QuerySet[User] = User.objects.select_related("unit").order_by(
            "unit__path", "username"
        )
        if options["unit"]:
            unit = self._unit(options["unit"])
            accounts = accounts.filter(unit__path__startswith=unit.path)
        self.stdout.write(
            "\t".join(
                ["帳號", "姓名", "單位代碼", "單位名稱", "角色", "狀態", "最後登入"]
            )
        )
        for user in accounts:
            role = "超級使用者" if user.is_superuser else user.get_role_display()
            last = (
                format_roc(timezone.localtime(user.last_login).date())
                if user.last_login
                else "從未登入"
            )
            self.stdout.write(
                "\t".join(
                    [
                        user.username,
                        user.first_name or "",
                        user.unit.code if user.unit else "",
                        user.unit.name if user.unit else "（全部單位）",
                        role,
                        "啟用" if user.is_active else "停用",
                        last,
                    ]
                )
            )

    def set_password(self, options: dict[str, Any]) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"查無帳號「{options['username']}」") from None
        password, generated = self._password(options["generate_password"])
        try:
            set_account_password(user, password, actor=None)
        except (ValidationError, PermissionDenied) as error:
            reason = _messages(error) if isinstance(error, ValidationError) else error
            raise CommandError(f"無法重設密碼：{reason}") from None
        self.stdout.write(f"已重設帳號 {user.username} 的密碼")
        if generated:
            self._print_once(password)

    # --- helpers ---------------------------------------------------------------

    @staticmethod
    def _unit(code: str) -> Unit:
        try:
            return Unit.objects.get(code=code.strip().upper())
        except Unit.DoesNotExist:
            raise CommandError(f"查無單位代碼「{code}」") from None

    def _password(self, generate: bool) -> tuple[str, bool]:
        """(password, generated): typed twice at a terminal, else one line of input."""
        if generate:
            return generate_password(), True
        if self.stdin.isatty():
            first = getpass.getpass("密碼（直接按 Enter 由系統產生）：")
            if first:
                if getpass.getpass("再次輸入密碼：") != first:
                    raise CommandError("兩次輸入的密碼不一致")
                return first, False
        else:
            line = self.stdin.readline()
            first = line.rstrip("\r\n")
            if first:
                return first, False
        return generate_password(), True

    def _print_once(self, password: str) -> None:
        self.stdout.write(f"密碼（只顯示這一次，請妥善轉交）：{password}")
