"""`vsis return …`: the annual return from the command line.

A thin face over vsis.returns.services, so the CLI and the pages cannot
disagree. Every state change names the acting account with --user and is
checked against its scope; refusals print a Chinese reason and exit 1.
"""

import json
from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django import forms
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vsis.core.rocdate import DateParseError, format_roc_year, parse_date
from vsis.returns.errors import Invalid, NeedsConfirmation, ReturnError
from vsis.returns.forms import parse_filing_year
from vsis.returns.items import (
    ALL_KEYS,
    ITEMS,
    RESULT_KEYS,
    CellError,
    age_key,
    json_value,
    parse_input,
)
from vsis.returns.models import NO_RETURN, AnnualReturn
from vsis.returns.queries import (
    board_rows,
    changes_since_submission,
    filing_units,
    find_return,
    status_counts,
)
from vsis.returns.services import (
    create_return,
    fill_return,
    require_return,
    save_return,
    submit_backlog,
    submit_return,
    unlock_return,
    user_label,
)
from vsis.units.models import Unit, User
from vsis.units.scope import is_in_scope

VERBS = ("create", "show", "set", "fill", "submit", "unlock", "status", "backlog")
CHANGES = {"create", "set", "fill", "submit", "unlock", "backlog"}


def return_json(unit: Unit, year: int, ret: AnnualReturn | None) -> dict[str, Any]:
    """The return as the CLI prints it (see the issue's JSON shape)."""
    if ret is None:
        return {
            "unit": unit.code,
            "year": year,
            "from": None,
            "to": None,
            "status": NO_RETURN,
            "results": None,
            "age": None,
        }
    values = ret.values()
    return {
        "unit": unit.code,
        "year": year,
        "from": ret.period_start.isoformat(),
        "to": ret.period_end.isoformat(),
        "status": ret.status,
        "results": {key: json_value(ITEMS[key], values[key]) for key in RESULT_KEYS},
        "age": {
            sex: [int(values[age_key(sex, i)]) for i in range(7)]
            for sex in ("male", "female")
        },
    }


class Command(BaseCommand):
    help = "年度統計表（OP 線上填報）：建立、帶入、修改、提交、解除鎖定、查詢狀態"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=VERBS, help="動作")
        parser.add_argument("--unit", required=True, help="單位代碼")
        parser.add_argument("--year", required=True, help="年度（西元或民國）")
        parser.add_argument("--user", help="執行者帳號（變更狀態時必填）")
        parser.add_argument("--from", dest="start", help="統計日期起（create）")
        parser.add_argument("--to", dest="end", help="統計日期迄（create）")
        parser.add_argument("--item", help="項目名稱（set），例如 volunteers_male")
        parser.add_argument(
            "--value", help="數值（set）；服務時數以小時計，空字串恢復系統值"
        )
        parser.add_argument("--reason", default="", help="解除鎖定原因（unlock）")
        parser.add_argument(
            "--confirm", action="store_true", help="確認提醒後仍提交（submit）"
        )
        parser.add_argument("--name", default="", help="單位名稱篩選（status）")
        parser.add_argument("--format", choices=("json", "text"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            year = parse_filing_year(options["year"])
        except forms.ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        actor = self._actor(options.get("user"), required=verb in CHANGES)
        unit = self._unit(options["unit"], actor)
        try:
            getattr(self, f"do_{verb}")(unit, year, actor, options)
        except NeedsConfirmation as error:
            raise CommandError(
                error.message + "。確認無誤請加上 --confirm 再執行"
            ) from None
        except Invalid as error:
            raise CommandError(
                "提交未成功：" + "；".join(p.message for p in error.problems)
            ) from None
        except ReturnError as error:
            raise CommandError(error.message) from None

    # --- lookups ------------------------------------------------------------------

    def _actor(self, username: str | None, *, required: bool) -> User | None:
        if not username:
            if required:
                raise CommandError("變更統計表須以 --user 指定執行者帳號")
            return None
        try:
            user = User.objects.select_related("unit").get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"查無帳號「{username}」") from None
        if not user.is_active:
            raise CommandError(f"帳號「{username}」已停用")
        return user

    def _unit(self, code: str, actor: User | None) -> Unit:
        unit = Unit.objects.select_related("parent").filter(code=code.strip()).first()
        if unit is None or (actor is not None and not is_in_scope(actor, unit)):
            raise CommandError(f"查無單位代碼「{code}」，或不在您的權限範圍內")
        return unit

    def _date(self, text: str | None, label: str) -> Any:
        if not text:
            return None
        try:
            return parse_date(text)
        except DateParseError as error:
            raise CommandError(f"{label}：{error}") from None

    def _print(self, data: dict[str, Any], options: dict[str, Any], text: str) -> None:
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(text)

    def _show(self, unit: Unit, year: int, options: dict[str, Any]) -> None:
        ret = find_return(unit, year)
        data = return_json(unit, year, ret)
        if ret is None:
            text = f"{unit.name} {format_roc_year(year)}：N 無動作"
        else:
            lines = [
                f"{unit.name} {format_roc_year(year)} {ret.period_start}～"
                f"{ret.period_end} 狀態 {ret.status}（第 {ret.version} 版）"
            ]
            values = ret.values()
            for key in ALL_KEYS:
                mark = "  ＊手動" if key in ret.entered else ""
                shown = json_value(ITEMS[key], values[key])
                lines.append(f"  {key:22} {ITEMS[key].full_label}：{shown}{mark}")
            text = "\n".join(lines)
        self._print(data, options, text)

    # --- verbs -------------------------------------------------------------------

    def do_create(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        ret = create_return(
            unit,
            year,
            actor=actor,
            period_start=self._date(options.get("start"), "--from"),
            period_end=self._date(options.get("end"), "--to"),
        )
        fill_return(ret, actor=actor)
        self._show(unit, year, options)

    def do_show(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        self._show(unit, year, options)

    def do_set(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        key, raw = options.get("item"), options.get("value")
        if key not in ITEMS:
            raise CommandError(
                f"未知的項目「{key}」；可用的項目：{', '.join(ALL_KEYS)}"
            )
        if raw is None:
            raise CommandError("請以 --value 指定數值（空字串恢復系統值）")
        value: Decimal | None = None
        if raw.strip():
            try:
                value = parse_input(ITEMS[key], raw)
            except CellError as error:
                raise CommandError(str(error)) from None
        save_return(require_return(unit, year, actor=actor), {key: value}, actor=actor)
        self._show(unit, year, options)

    def do_fill(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        fill_return(require_return(unit, year, actor=actor), actor=actor)
        self._show(unit, year, options)

    def do_submit(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        submit_return(
            require_return(unit, year, actor=actor),
            actor=actor,
            confirm_warnings=options["confirm"],
        )
        self._show(unit, year, options)

    def do_unlock(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        unlock_return(
            require_return(unit, year, actor=actor),
            actor=actor,
            reason=options["reason"],
        )
        self._show(unit, year, options)

    def do_backlog(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        start = self._date(options.get("start"), "--from")
        end = self._date(options.get("end"), "--to")
        period = (start, end) if start and end else None
        result = submit_backlog(unit, year, actor=actor, period=period)
        data = {
            "unit": unit.code,
            "year": year,
            "submitted": [r.unit.code for r in result.done],
            "skipped": [{"unit": u.code, "reason": why} for u, why in result.skipped],
        }
        text = (
            f"已批次建立並提交 {len(result.done)} 份 {format_roc_year(year)} 統計表；"
            f"略過 {len(result.skipped)} 個已有統計表的單位"
        )
        self._print(data, options, text)

    def do_status(self, unit: Unit, year: int, actor: Any, options: Any) -> None:
        units = filing_units(actor, year, options["name"], below=unit)
        counts = status_counts(units, year)
        rows = board_rows(list(units), year)
        changes_since_submission(rows)
        data = {
            "unit": unit.code,
            "year": year,
            "counts": counts,
            "units": [
                {
                    "unit": row.unit.code,
                    "name": row.unit.name,
                    "status": row.status,
                    "saved_at": _iso(row.ret.saved_at) if row.ret else None,
                    "saved_by": row.ret.saved_by.username
                    if row.ret and row.ret.saved_by
                    else None,
                    "submitted_at": _iso(row.ret.submitted_at) if row.ret else None,
                    "submitted_by": row.ret.submitted_by.username
                    if row.ret and row.ret.submitted_by
                    else None,
                    "changed": row.change.changed if row.change else None,
                    "change": row.change.text if row.change else None,
                }
                for row in rows
            ],
        }
        lines = [
            f"{unit.name} {format_roc_year(year)}：N {counts['N']}、W {counts['W']}、"
            f"Y {counts['Y']}，共 {counts['total']}"
        ]
        for row in rows:
            who = (
                user_label(row.ret.submitted_by)
                if row.ret and row.ret.submitted_by
                else ""
            )
            change = f"  {row.change.text}" if row.change else ""
            lines.append(
                f"  {row.unit.code:10} {row.status} {row.unit.name} {who}{change}"
            )
        self._print(data, options, "\n".join(lines))


def _iso(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None
