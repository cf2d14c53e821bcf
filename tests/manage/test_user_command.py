"""vsis user add / list / set-password."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand

from tests.conftest import Personas, Tree
from vsis.audit.models import AuditEntry
from vsis.units.models import User


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str, stdin: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("user", *args, stdin=stdin or io.StringIO(""), stdout=out)
    return out.getvalue()


def test_add_reads_the_password_from_standard_input(tree: Tree) -> None:
    out = run("add", "amy", "--unit", "a110", "--role", "clerk", "--name", "林小芳",
              stdin=io.StringIO("Quiet-Orchid-58\n"))  # fmt: skip
    user = User.objects.get(username="amy")
    assert (user.unit, user.role, user.first_name) == (tree.hospital, "clerk", "林小芳")
    assert user.check_password("Quiet-Orchid-58")
    assert "Quiet-Orchid-58" not in out
    assert out.strip() == "已建立帳號 amy（甲市立醫院 A110，承辦人）"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.unit_id) == (
        "account.create",
        None,
        tree.hospital.pk,
    )


def test_no_input_generates_a_password_printed_once(tree: Tree) -> None:
    out = run("add", "ben", "--unit", "A121", "--role", "viewer")
    lines = out.strip().splitlines()
    assert lines[0] == "已建立帳號 ben（圖書館志工隊 A121，檢視者）"
    password = lines[1].split("：", 1)[1]
    assert len(password) >= 12 and out.count(password) == 1
    assert User.objects.get(username="ben").check_password(password)


def test_generate_password_does_not_read_input(tree: Tree) -> None:
    out = run("add", "cat", "--unit", "A000", "--role", "admin", "--generate-password",
              stdin=io.StringIO("ignored-Password-1\n"))  # fmt: skip
    password = out.strip().splitlines()[1].split("：", 1)[1]
    user = User.objects.get(username="cat")
    assert user.check_password(password) and not user.check_password(
        "ignored-Password-1"
    )
    assert user.role == "admin"


def test_a_terminal_asks_twice(tree: Tree, monkeypatch: Any) -> None:
    answers = iter(["Brave-Kettle-31", "Brave-Kettle-31"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("add", "dan", "--unit", "A110", "--role", "承辦人", stdin=Tty())
    assert User.objects.get(username="dan").check_password("Brave-Kettle-31")
    answers = iter(["Brave-Kettle-31", "Brave-Kettle-32"])
    with pytest.raises(CommandError, match="兩次輸入的密碼不一致"):
        run("add", "eve", "--unit", "A110", "--role", "clerk", stdin=Tty())
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "x", "--unit", "Z999", "--role", "clerk"], "查無單位代碼「Z999」"),
        (["add", "x", "--unit", "A110", "--role", "boss"], "未知的角色「boss」"),
        (["add", "x", "--unit", "A110"], "請以 --role 指定角色"),
        (["add", "x", "--role", "clerk"], "請以 --unit 指定所屬單位代碼"),
        (["add", "hospital_clerk", "--unit", "A110", "--role", "clerk"], "已經存在"),
        (["set-password", "nobody"], "查無帳號「nobody」"),
        ([], "請指定動作"),
        (["add", "--unit", "A110", "--role", "clerk"], "請指定帳號"),
        (["set-password"], "請指定帳號"),
    ],
)
def test_errors_are_chinese(personas: Personas, args: list[str], message: str) -> None:
    before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*args, stdin=io.StringIO("Valid-Password-77\n"))
    assert User.objects.count() == before


def test_a_weak_password_is_refused(tree: Tree) -> None:
    with pytest.raises(CommandError, match=r"無法建立帳號：.*密碼"):
        run(
            "add",
            "fay",
            "--unit",
            "A110",
            "--role",
            "clerk",
            stdin=io.StringIO("abc\n"),
        )
    assert not User.objects.filter(username="fay").exists()


def test_errors_exit_non_zero_with_the_message_on_stderr(
    tree: Tree, monkeypatch: Any, capsys: Any
) -> None:
    from django.core.management import base

    # run_from_argv closes the connections afterwards; the test's transaction
    # must survive it.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    command: BaseCommand = __import__(
        "vsis.units.management.commands.user", fromlist=["Command"]
    ).Command()
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(
            ["vsis", "user", "add", "x", "--unit", "Z999", "--role", "clerk"]
        )
    assert exit_info.value.code == 1
    assert "查無單位代碼「Z999」" in capsys.readouterr().err


def test_add_a_superuser_without_a_unit(db: None) -> None:
    run("add", "boss", "--superuser", stdin=io.StringIO("Solid-Granite-90\n"))
    user = User.objects.get(username="boss")
    assert user.is_superuser and user.is_staff and user.unit is None


def test_list_shows_the_accounts_of_a_subtree(personas: Personas) -> None:
    personas.viewer.is_active = False
    personas.viewer.save()
    rows = [line.split("\t") for line in run("list", "--unit", "A000").splitlines()]
    assert rows[0] == [
        "帳號",
        "姓名",
        "單位代碼",
        "單位名稱",
        "角色",
        "狀態",
        "最後登入",
    ]
    assert sorted((r[0], r[2], r[4], r[5]) for r in rows[1:]) == [
        ("county_admin", "A000", "單位管理者", "啟用"),
        ("county_clerk", "A000", "承辦人", "啟用"),
        ("county_viewer", "A000", "檢視者", "停用"),
        ("hospital_clerk", "A110", "承辦人", "啟用"),
    ]
    everyone = run("list").splitlines()
    assert len(everyone) == 1 + 6
    assert any(line.startswith("root\t") and "超級使用者" in line for line in everyone)


def test_set_password(personas: Personas) -> None:
    out = run("set-password", "county_viewer", stdin=io.StringIO("Fresh-Meadow-64\n"))
    assert out.strip() == "已重設帳號 county_viewer 的密碼"
    personas.viewer.refresh_from_db()
    assert personas.viewer.check_password("Fresh-Meadow-64")
    generated = run("set-password", "county_viewer")
    password = generated.strip().splitlines()[1].split("：", 1)[1]
    personas.viewer.refresh_from_db()
    assert personas.viewer.check_password(password)
    assert AuditEntry.objects.filter(action="account.password").count() == 2
