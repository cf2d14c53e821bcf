"""Pages of OP-線上填報作業: the return form, its history and exports, and the
status board. Thin: each view checks scope, calls one service and renders."""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vsis.audit.models import AuditEntry
from vsis.core.ages import BRACKET_LABELS
from vsis.core.keys import is_key_text
from vsis.core.rocdate import format_roc, format_roc_year
from vsis.returns import exports
from vsis.returns.checks import validation_problems
from vsis.returns.consolidation import files_returns, form_for
from vsis.returns.errors import (
    BadInput,
    Invalid,
    NeedsConfirmation,
    NotPermitted,
    OutOfScope,
    ReturnError,
    StaleVersion,
)
from vsis.returns.forms import (
    BoardForm,
    CellInput,
    NewReturnForm,
    parse_filing_year,
    read_cells,
)
from vsis.returns.items import (
    ITEMS,
    RESULT_ITEMS,
    Item,
    age_key,
    display_text,
    input_text,
)
from vsis.returns.models import (
    NO_RETURN,
    STATUS_LABELS,
    AnnualReturn,
    ReturnSubmission,
)
from vsis.returns.queries import (
    board_rows,
    changes_since_submission,
    child_statuses,
    filing_units,
    find_return,
    form_title,
    status_counts,
)
from vsis.returns.services import (
    check_year,
    create_return,
    fill_return,
    locked_message,
    save_return,
    submit_backlog,
    submit_return,
    unlock_returns,
    upper_unit_label,
    user_label,
    when_label,
)
from vsis.units.models import Unit
from vsis.units.scope import get_unit_in_scope, units_in_scope

logger = logging.getLogger(__name__)

BOARD_PAGE_SIZE = 100
ACTION_LABELS = {
    "return.create": "建立",
    "return.fill": "自動帶入",
    "return.save": "暫時存檔",
    "return.submit": "提交",
    "return.unlock": "解除鎖定",
}


def _http(error: ReturnError) -> None:
    """Turn scope and role refusals into 404 and 403; others are shown."""
    if isinstance(error, OutOfScope):
        raise Http404(error.message)
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message)


def _default_year() -> int:
    # Returns are filed after the year ends: the year before this one.
    return timezone.localdate().year - 1


def _filing_unit(request: HttpRequest, code: str, year: int) -> Unit:
    """The unit of a return page, or 404: outside the user's scope, a team, or
    a year no return can exist for (the URL takes any number)."""
    unit = get_unit_in_scope(request.user, code=code)
    if not files_returns(unit):
        raise Http404("志工隊不需填報統計表")
    try:
        check_year(year)
    except BadInput as error:
        raise Http404(error.message) from None
    return unit


def _detail_url(unit: Unit, year: int) -> str:
    return reverse("returns:detail", args=[unit.code, year])


# --- index and 新增資料 ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    initial = {
        "unit_code": user.unit.code if user.unit_id else "",
        "year": str(_default_year() - 1911),
    }
    form = NewReturnForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["unit_code"].strip()
        year = form.cleaned_data["year"]
        try:
            unit = get_unit_in_scope(user, code=code)
            create_return(
                unit,
                year,
                actor=user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except Http404:
            form.add_error("unit_code", f"查無單位代碼「{code}」，或不在您的權限範圍內")
        except ReturnError as error:
            _http(error)
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"已產生 {unit.name} {format_roc_year(year)}統計表（W 產製中），"
                "請按【自動帶入最新統計數字】",
            )
            return redirect(_detail_url(unit, year))
    own = (
        AnnualReturn.objects.filter(unit_id=user.unit_id)
        .select_related("unit", "saved_by", "submitted_by")
        .order_by("-year")
        if user.unit_id
        else AnnualReturn.objects.none()
    )
    return render(
        request,
        "returns/index.html",
        {"form": form, "own_returns": own, "status_labels": STATUS_LABELS},
    )


# --- the return page ----------------------------------------------------------------


@dataclass
class CellView:
    key: str
    label: str
    input: str  # the text in the box
    shown: str  # the stored text the page showed (o_KEY)
    computed: str  # computed value, displayed
    edited: bool
    error: str = ""
    pending: str = ""  # the user's unsaved text after a stale save
    problem: bool = False
    hours: bool = False


def _cell(
    ret: AnnualReturn | None,
    item: Item,
    cells: CellInput | None,
    problem_keys: set[str],
    stale: bool,
) -> CellView:
    stored = ret.value(item.key) if ret else Decimal(0)
    has_values = bool(ret and (ret.computed or ret.entered))
    shown = input_text(item, stored) if has_values else ""
    computed_raw = ret.computed.get(item.key) if ret else None
    computed = display_text(item, Decimal(computed_raw)) if computed_raw else "—"
    typed = cells.raw.get(item.key) if cells else None
    return CellView(
        key=item.key,
        label=item.label,
        input=typed if typed is not None else shown,
        shown=shown,
        computed=computed,
        edited=bool(ret and item.key in ret.entered),
        error=cells.errors.get(item.key, "") if cells else "",
        pending=typed if stale and typed is not None else "",
        problem=item.key in problem_keys,
        hours=item.key == "hours",
    )


def _render_return(
    request: HttpRequest,
    unit: Unit,
    year: int,
    ret: AnnualReturn | None,
    *,
    cells: CellInput | None = None,
    problems: list[Any] | None = None,
    warnings: list[str] | None = None,
    stale: str = "",
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    values = ret.values() if ret else None
    # A filled draft shows what would stop a submission before it is tried,
    # outlining the same cells as a refused submission does.
    problem_note = bool(
        ret and problems is None and ret.filled_at and not ret.is_locked
    )
    if problem_note and values is not None:
        problems = validation_problems(values)
    problem_keys = {key for p in problems or [] for key in p.keys}
    results = [
        _cell(ret, item, cells, problem_keys, bool(stale)) for item in RESULT_ITEMS
    ]
    ages = []
    for index, label in enumerate(BRACKET_LABELS):
        male = _cell(
            ret, ITEMS[age_key("male", index)], cells, problem_keys, bool(stale)
        )
        female = _cell(
            ret, ITEMS[age_key("female", index)], cells, problem_keys, bool(stale)
        )
        subtotal = ret.value(male.key) + ret.value(female.key) if ret else Decimal(0)
        ages.append({"label": label, "cells": [male, female], "subtotal": subtotal})
    counts, current = child_statuses(unit, year)
    editable = bool(ret and not ret.is_locked and user.can_edit)
    can_unlock = bool(
        ret
        and ret.is_locked
        and user.can_edit
        and (user.is_superuser or user.unit_id != unit.pk)
    )
    context = {
        "unit": unit,
        "year": year,
        "roc_year": format_roc_year(year),
        "ret": ret,
        "title": form_title(ret.form if ret else form_for(unit)),
        "status": ret.status if ret else NO_RETURN,
        "status_label": STATUS_LABELS[ret.status if ret else NO_RETURN],
        "results": results,
        "ages": ages,
        "age_totals": _age_totals(values),
        "children_counts": counts,
        "children": _children(ret, current),
        "editable": editable,
        "can_unlock": can_unlock,
        "locked_message": locked_message(ret) if ret and ret.is_locked else "",
        "upper_unit": upper_unit_label(unit),
        "problems": problems or [],
        "problem_note": problem_note,
        "warnings": warnings or [],
        "stale": stale,
        "refusal": refusal,
        "period_error": cells.period_error if cells else "",
        "period_start": format_roc(ret.period_start) if ret else "",
        "period_end": format_roc(ret.period_end) if ret else "",
        "when": when_label,
        "who": user_label,
    }
    return render(request, "returns/detail.html", context, status=status)


def _age_totals(values: dict[str, Decimal] | None) -> dict[str, Any]:
    if values is None:
        return {}
    male = sum((values[age_key("male", i)] for i in range(7)), Decimal(0))
    female = sum((values[age_key("female", i)] for i in range(7)), Decimal(0))
    return {
        "male": male,
        "female": female,
        "total": male + female,
        "volunteers_male": values["volunteers_male"],
        "volunteers_female": values["volunteers_female"],
        "volunteers": values["volunteers"],
    }


def _children(
    ret: AnnualReturn | None, current: dict[int, str]
) -> list[dict[str, Any]]:
    """The child units, their status now, and what the last fill used."""
    used = {s["unit_id"]: s for s in ret.sources} if ret else {}
    children = Unit.objects.filter(pk__in=current).order_by("code")
    rows = []
    for child in children:
        source = used.get(child.pk)
        rows.append(
            {
                "unit": child,
                "status": current[child.pk],
                "status_label": STATUS_LABELS[current[child.pk]],
                "source": source,
                "status_changed": bool(
                    source and source["status"] != current[child.pk]
                ),
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, code: str, year: int) -> HttpResponse:
    unit = _filing_unit(request, code, year)
    ret = find_return(unit, year)
    if request.method == "GET":
        return _render_return(request, unit, year, ret)
    if ret is None:
        messages.error(
            request, f"{unit.name} 尚未建立 {format_roc_year(year)} 統計表（N 無動作）"
        )
        return redirect("returns:index")
    return _act(request, unit, year, ret)


def _act(
    request: HttpRequest, unit: Unit, year: int, ret: AnnualReturn
) -> HttpResponse:
    """暫時存檔, 自動帶入 and 提交 from the one form: touched cells are saved first."""
    user: Any = request.user
    action = request.POST.get("action", "save")
    if action not in ("save", "fill", "submit"):
        action = "save"  # a tampered button: do no more than save
    cells = read_cells(request.POST)
    if cells.errors or cells.period_error:
        messages.error(
            request, "有儲存格無法存檔，請修正標示的欄位；本次未存檔任何資料"
        )
        return _render_return(request, unit, year, ret, cells=cells, status=200)
    if action == "save" and not (cells.values or cells.period):
        # Nothing typed: no write, no audit row, and no "changed by someone
        # else" refusal for a page that had nothing to lose.
        messages.info(request, "沒有修改的儲存格，未存檔")
        return redirect(_detail_url(unit, year))
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        # The page always sends the version it showed. A post without one
        # cannot prove it saw the latest draft: refused as stale (409), with
        # the latest figures and the typed ones side by side.
        version = -1
    try:
        if cells.values or cells.period:
            ret = save_return(
                ret,
                cells.values,
                actor=user,
                expected_version=version,
                period=cells.period,
            )
            version = ret.version
        if action == "fill":
            ret = fill_return(ret, actor=user)
            kept = len(ret.entered)
            note = f"（手動修改的 {kept} 格保留原值）" if kept else ""
            messages.success(request, f"已自動帶入最新統計數字{note}")
        elif action == "submit":
            submission = submit_return(
                ret,
                actor=user,
                expected_version=version,
                confirm_warnings=request.POST.get("confirm_warnings") == "1",
            )
            messages.success(
                request,
                f"已提交（第 {submission.number} 次），本表已鎖定；"
                f"如需修改，請洽{upper_unit_label(unit)}解除鎖定",
            )
        else:
            messages.success(request, "已暫時存檔")
    except StaleVersion as error:
        latest = find_return(unit, year)
        return _render_return(
            request, unit, year, latest, cells=cells, stale=error.message, status=409
        )
    except Invalid as error:
        saved = "（您的修改已暫時存檔）" if cells.values or cells.period else ""
        messages.error(request, f"提交未成功：以下檢核未通過{saved}")
        return _render_return(
            request, unit, year, find_return(unit, year), problems=error.problems
        )
    except NeedsConfirmation as error:
        return _render_return(
            request, unit, year, find_return(unit, year), warnings=error.warnings
        )
    except ReturnError as error:
        _http(error)
        return _render_return(
            request,
            unit,
            year,
            find_return(unit, year),
            cells=cells,
            refusal=error.message,
            status=409,
        )
    return redirect(_detail_url(unit, year))


# --- history, frozen copies, exports -----------------------------------------------


def _return_or_404(unit: Unit, year: int) -> AnnualReturn:
    ret = find_return(unit, year)
    if ret is None:
        raise Http404("尚未建立統計表")
    return ret


def _period_text(value: Any) -> str:
    if not value:
        return "—"
    start, end = (dt.date.fromisoformat(part) for part in str(value).split("~"))
    return f"{format_roc(start)}～{format_roc(end)}"


_PLAIN_CHANGES: dict[str, tuple[str, Any]] = {
    "status": ("狀態", lambda v: f"{v} {STATUS_LABELS[v]}"),
    "period": ("統計期間", _period_text),
    "form": ("表別", form_title),
    "submission": ("提交次數", lambda v: f"第 {v} 次"),
}


def _change_text(key: str, change: dict[str, Any]) -> dict[str, str]:
    """One audit change as words: the cell or field, old and new as shown."""
    old, new = change.get("old"), change.get("new")
    if key in ITEMS:
        item = ITEMS[key]
        hand = "（手動）" if change.get("hand") else ""

        def cell(value: Any) -> str:
            return "—" if value is None else display_text(item, Decimal(value))

        return {"label": item.full_label, "old": cell(old), "new": cell(new) + hand}
    label, show = _PLAIN_CHANGES.get(key, (key, str))
    return {
        "label": label,
        "old": "—" if old is None else show(old),
        "new": "—" if new is None else show(new),
    }


@login_required
@require_GET
def history(request: HttpRequest, code: str, year: int) -> HttpResponse:
    unit = _filing_unit(request, code, year)
    ret = _return_or_404(unit, year)
    entries = (
        AuditEntry.objects.filter(
            target_type=AnnualReturn._meta.label_lower, target_id=str(ret.pk)
        )
        .select_related("actor", "actor__unit")
        .order_by("at", "id")
    )
    rows = [
        {
            "entry": entry,
            "action": ACTION_LABELS.get(entry.action, entry.action),
            "who": user_label(entry.actor),
            "unit": entry.actor.unit.name
            if entry.actor is not None and entry.actor.unit is not None
            else "系統管理者",
            "changes": [_change_text(k, v) for k, v in entry.changes.items()],
        }
        for entry in entries
    ]
    return render(
        request,
        "returns/history.html",
        {
            "unit": unit,
            "ret": ret,
            "roc_year": format_roc_year(year),
            "rows": rows,
            "submissions": ret.submissions.select_related("submitted_by").order_by(
                "number"
            ),
            "who": user_label,
        },
    )


@login_required
@require_GET
def submission(request: HttpRequest, code: str, year: int, number: int) -> HttpResponse:
    unit = _filing_unit(request, code, year)
    ret = _return_or_404(unit, year)
    try:
        sub = ret.submissions.select_related("submitted_by").get(number=number)
    except ReturnSubmission.DoesNotExist:
        raise Http404("查無此次提交") from None
    sub.annual_return = ret
    snap = exports.snapshot_of_submission(sub)
    results = [
        {
            "label": item.label,
            "value": display_text(item, snap.values[item.key]),
            "computed": display_text(item, snap.computed.get(item.key, Decimal(0))),
            "edited": item.key in snap.edited,
        }
        for item in RESULT_ITEMS
    ]
    ages = [
        {
            "label": label,
            "male": snap.values[age_key("male", i)],
            "female": snap.values[age_key("female", i)],
            "male_edited": age_key("male", i) in snap.edited,
            "female_edited": age_key("female", i) in snap.edited,
            "subtotal": snap.values[age_key("male", i)]
            + snap.values[age_key("female", i)],
        }
        for i, label in enumerate(BRACKET_LABELS)
    ]
    return render(
        request,
        "returns/submission.html",
        {
            "unit": unit,
            "ret": ret,
            "sub": sub,
            "snap": snap,
            "roc_year": format_roc_year(year),
            "title": form_title(sub.form),
            "results": results,
            "ages": ages,
            "age_totals": _age_totals(snap.values),
            "when": when_label(sub.submitted_at),
            "who": user_label(sub.submitted_by),
        },
    )


def _stream(sheets: list[exports.Sheet], fmt: str, filename: str) -> FileResponse:
    if fmt not in exports.CONTENT_TYPES:
        raise Http404("只提供 xlsx 與 ods")
    handle = exports.build_file(sheets, fmt)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.{fmt}",
        content_type=exports.CONTENT_TYPES[fmt],
    )


@login_required
@require_GET
def export(request: HttpRequest, code: str, year: int, fmt: str) -> FileResponse:
    unit = _filing_unit(request, code, year)
    ret = _return_or_404(unit, year)
    number = request.GET.get("submission")
    if number:
        try:
            sub = ret.submissions.select_related("submitted_by").get(number=int(number))
        except (ValueError, ReturnSubmission.DoesNotExist):
            raise Http404("查無此次提交") from None
        sub.annual_return = ret
        snap = exports.snapshot_of_submission(sub)
        suffix = f"_第{sub.number}次提交"
    else:
        snap = exports.snapshot_of_return(ret)
        suffix = ""
    filename = f"{unit.name}_{format_roc_year(year)}_業務成果統計表{suffix}"
    return _stream(exports.return_sheets(snap), fmt, filename)


# --- the status board ----------------------------------------------------------------


def _board_query(request: HttpRequest) -> tuple[BoardForm, int, str]:
    form = BoardForm(request.GET or None)
    year, name = _default_year(), ""
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"] or year
        name = form.cleaned_data["q"] or ""
    return form, year, name


def _board_rows(
    request: HttpRequest, year: int, name: str
) -> tuple[Any, Any, dict[str, int]]:
    units = filing_units(request.user, year, name)
    counts = status_counts(units, year)
    page = Paginator(units, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return page, board_rows(list(page.object_list), year), counts


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, year, name = _board_query(request)
    page, rows, counts = _board_rows(request, year, name)
    if request.GET.get("check") == "1":
        changes_since_submission(rows)
    query = urlencode({"q": name, "year": year - 1911})
    return render(
        request,
        "returns/board.html",
        {
            "form": form,
            "year": year,
            "roc_year": format_roc_year(year),
            "name": name,
            "page": page,
            "rows": rows,
            "counts": counts,
            "done": f"{counts['Y'] * 100 / counts['total']:.1f}"
            if counts["total"]
            else "",
            "query": query,
            "checked": request.GET.get("check") == "1",
            "can_unlock": user.can_edit,
            "past_year": year < timezone.localdate().year,
            "own_unit_id": user.unit_id,
            "is_superuser": user.is_superuser,
            "when": when_label,
            "who": user_label,
        },
    )


@login_required
@require_GET
def board_changes(request: HttpRequest) -> HttpResponse:
    """The 提交後異動 column for the board page, computed on request (htmx)."""
    _, year, name = _board_query(request)
    _, rows, _ = _board_rows(request, year, name)
    changes_since_submission(rows)
    return render(request, "returns/board_changes.html", {"rows": rows})


@login_required
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    back = request.POST.get("back", "")
    target = reverse("returns:board") + (f"?{back}" if back else "")
    ids = request.POST.getlist("ids")
    reason = request.POST.get("reason", "")
    if not ids:
        messages.error(request, "請勾選要解除鎖定的單位")
        return redirect(target)
    if not reason.strip():
        messages.error(request, "請填寫解除鎖定的原因；本次未解除任何統計表")
        return redirect(target)
    # Ids come from checkboxes; anything else was typed by hand.
    if not all(is_key_text(i) for i in ids):
        raise Http404("查無此統計表")
    wanted = [int(i) for i in ids]
    returns = list(
        AnnualReturn.objects.filter(
            pk__in=wanted, unit__in=units_in_scope(user)
        ).select_related("unit")
    )
    if len(returns) != len(set(wanted)):
        raise Http404("查無此統計表")
    result = unlock_returns(returns, actor=user, reason=reason)
    if result.done:
        names = "、".join(r.unit.name for r in result.done)
        messages.success(
            request, f"已解除鎖定 {len(result.done)} 份（{names}），狀態改為 W 產製中"
        )
    for unit, why in result.refused:
        messages.error(request, f"{unit.name}：{why}")
    return redirect(target)


@login_required
@require_POST
def backlog(request: HttpRequest) -> HttpResponse:
    """批次提交: create, fill and submit every return still missing (N) below
    the user's unit for a past year (turning the workflow on for old years)."""
    user: Any = request.user
    try:
        year = parse_filing_year(request.POST.get("year", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("returns:board")
    target = reverse("returns:board") + "?" + urlencode({"year": year - 1911})
    if year >= timezone.localdate().year:
        messages.error(request, "批次提交只用於已結束的年度")
        return redirect(target)
    if request.POST.get("confirm") != "1":
        messages.error(request, "請勾選確認後再批次提交")
        return redirect(target)
    root = user.unit if user.unit_id else Unit.objects.filter(parent=None).first()
    if root is None:
        raise Http404("查無單位")
    try:
        result = submit_backlog(root, year, actor=user)
    except ReturnError as error:
        _http(error)
        messages.error(request, error.message)
        return redirect(target)
    messages.success(
        request,
        f"已批次建立並提交 {len(result.done)} 份 {format_roc_year(year)}統計表；"
        f"已有統計表的 {len(result.skipped)} 個單位未變動",
    )
    return redirect(target)


@login_required
@require_GET
def board_export(request: HttpRequest, fmt: str) -> FileResponse:
    _, year, name = _board_query(request)
    units = filing_units(request.user, year, name)
    counts = status_counts(units, year)
    rows = board_rows(list(units), year)
    changes_since_submission(rows)
    sheets = exports.board_sheets(rows, counts, year, name, timezone.now())
    return _stream(sheets, fmt, f"填報狀態_{format_roc_year(year)}")
