"""The ods written by a forked child beside the xlsx (vsis.reports.writers.forked):
the same file as written inline, and nothing left behind when either side
fails or the job is cancelled."""

import os
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.reports.conftest import ReportData
from vsis.reports import services
from vsis.reports.definitions import ReportRow
from vsis.reports.services import generate_report
from vsis.reports.writers import forked
from vsis.reports.writers.forked import ChildWriteFailed, ForkedWrite
from vsis.reports.writers.ods import OdsWriter

AGE = {"unit": "A000", "as_of": "2024-12-31"}
SERVICE = {"unit": "A000", "from": "2024-01-01", "to": "2024-12-31"}

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="forks on Linux only")


def cells(path: Path) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(book.sheet_names[0]).to_python()


class Recorded(ForkedWrite):
    """ForkedWrite that remembers the children it started."""

    started: list[int] = []

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        Recorded.started.append(self.pid)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    Recorded.started = []
    monkeypatch.setattr(services, "ForkedWrite", Recorded)
    return Recorded.started


def is_gone(pid: int) -> bool:
    """The child has ended and been reaped (no zombie left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize(("kind", "params"), [("age", AGE), ("service", SERVICE)])
def test_the_forked_ods_equals_the_inline_one(
    data: ReportData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[int],
    kind: str,
    params: dict[str, str],
) -> None:
    beside = generate_report(kind, params, ["xlsx", "ods"], tmp_path / "beside")
    assert len(children) == 1 and is_gone(children[0])

    monkeypatch.setattr(services, "can_fork", lambda: False)
    inline = generate_report(kind, params, ["xlsx", "ods"], tmp_path / "inline")
    assert len(children) == 1  # no second child

    rows = cells(beside["ods"])
    assert rows == cells(inline["ods"])
    # Eight report rows below the six of the head: A111 first, the total last.
    assert rows[6][0] == "A111" and rows[13][:2] == ["A000", "甲市政府 總計"]
    assert cells(beside["xlsx"]) == cells(inline["xlsx"])


def test_the_ods_alone_is_written_inline(
    data: ReportData, tmp_path: Path, children: list[int]
) -> None:
    generate_report("age", AGE, ["ods"], tmp_path)
    assert children == []


def test_a_failing_child_fails_the_report_and_leaves_no_file(
    data: ReportData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[int],
) -> None:
    def broken(self: OdsWriter, row: ReportRow[Any]) -> None:
        raise ValueError("壞掉的列")

    # The child is a copy of this process, so it inherits the patch.
    monkeypatch.setattr(OdsWriter, "write_row", broken)
    with pytest.raises(ChildWriteFailed, match="ValueError: 壞掉的列"):
        generate_report("age", AGE, ["xlsx", "ods", "json"], tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert is_gone(children[0])


def test_a_disk_error_in_the_child_is_an_oserror(tmp_path: Path) -> None:
    def write() -> None:
        raise OSError(28, "No space left on device")

    child = ForkedWrite(write)
    with pytest.raises(OSError, match="No space left on device"):
        child.wait()
    assert is_gone(child.pid)


class Cancelled(Exception):
    pass


def test_a_cancel_while_writing_stops_the_child(
    data: ReportData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[int],
) -> None:
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)

    def progress(percent: int, note: str) -> None:
        if percent > 10:  # the first progress after rows began
            raise Cancelled

    with pytest.raises(Cancelled):
        generate_report("age", AGE, ["xlsx", "ods"], tmp_path, progress=progress)
    assert list(tmp_path.iterdir()) == []
    assert is_gone(children[0])
