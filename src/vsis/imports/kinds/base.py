"""What every kind of import file shares: options, the error list, counts,
batched look-ups and the scope check."""

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from django.utils import timezone

from vsis.imports.cells import Cell, CellError
from vsis.imports.errors import RowError
from vsis.imports.reading import Column, Table
from vsis.units.models import Unit
from vsis.units.scope import is_in_scope

T = TypeVar("T")
Progress = Callable[[int, str], None]

OUT_OF_SCOPE = "不在您的管轄範圍"
# Rows per IN (...) look-up and per INSERT: well under SQLite's variable limit.
CHUNK = 1000


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_json(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class Summary:
    """Counts per kind of record written, in the order they are shown."""

    counts: dict[str, Counts] = field(default_factory=dict)

    def __getitem__(self, label: str) -> Counts:
        return self.counts.setdefault(label, Counts())

    def as_json(self) -> dict[str, dict[str, int]]:
        return {label: counts.as_json() for label, counts in self.counts.items()}

    def lines(self) -> list[str]:
        """「志工：新增 3、更新 1、未變更 0」, one line per kind of record."""
        return [
            f"{label}：新增 {c.new}、更新 {c.updated}、未變更 {c.unchanged}"
            for label, c in self.counts.items()
        ]


@dataclass(frozen=True)
class ImportOptions:
    # 更正個人資料: let the file change a known person's name, sex or birth
    # date; without it a difference from the database is an error.
    correct_people: bool = False


class Errors:
    """The problems found so far, named by the file's own headers and listed
    in the order of the sheet: by row, then by column from left to right."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table
        self._items: dict[RowError, tuple[int, int, int]] = {}

    def add(self, row: int, column: Column | None, reason: str) -> None:
        position = -1
        if column is None:
            header = ""
        elif self.table is not None:
            header = self.table.header_of(column)
            position = self.table.index.get(column.key, 10_000)
        else:
            header = column.header
        error = RowError(row, header, reason)
        self._items.setdefault(error, (row, position, len(self._items)))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[RowError]:
        return sorted(self._items, key=self._items.__getitem__)


class RowReader:
    """Reads the cells of one row, recording each bad cell and carrying on."""

    def __init__(
        self,
        table: Table,
        errors: Errors,
        number: int,
        cells: list[Cell],
        today: dt.date | None = None,
    ) -> None:
        self.table = table
        self.errors = errors
        self.number = number
        self.cells = cells
        self.today = today or timezone.localdate()
        self.ok = True

    def raw(self, column: Column) -> Cell:
        position = self.table.index.get(column.key)
        return None if position is None else self.cells[position]

    def fail(self, column: Column | None, reason: str) -> None:
        self.ok = False
        self.errors.add(self.number, column, reason)

    def read(
        self,
        column: Column,
        reader: Callable[[Cell], T],
        *,
        required: bool = False,
        default: T | None = None,
    ) -> T | None:
        """reader(cell), or `default` for a blank cell; None after an error."""
        value = self.raw(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(column, "必填")
            return default
        try:
            return reader(value)
        except CellError as exc:
            self.fail(column, str(exc))
            return None

    def past_date(self, column: Column, *, required: bool = False) -> dt.date | None:
        """A date that is not after today (Asia/Taipei)."""
        from vsis.imports import cells

        day = self.read(column, cells.date, required=required)
        if day is not None and day > self.today:
            self.fail(column, "日期不可晚於今天")
            return None
        return day


class Importer(ABC):
    """One kind of file: its columns, how its rows are read, checked against
    the database and written."""

    kind: ClassVar[str]
    label: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]

    def __init__(
        self,
        *,
        actor: Any,
        options: ImportOptions,
        progress: Progress | None = None,
    ) -> None:
        self.actor = actor
        self.options = options
        self.errors = Errors()
        # "Today" in Asia/Taipei, once per file: no date may lie after it.
        self.today = timezone.localdate()
        self._progress = progress

    def progress(self, percent: int, note: str) -> None:
        """Report progress; the callback may raise to abandon the import (a
        background job that was cancelled), which rolls everything back."""
        if self._progress is not None:
            self._progress(percent, note)

    def in_scope(self, unit: Unit) -> bool:
        """Without an actor the import runs as the system, unrestricted."""
        return self.actor is None or is_in_scope(self.actor, unit)

    def missing_columns(self, table: Table) -> list[Column]:
        return [c for c in self.columns if c.required and not table.has(c)]

    def check_columns(self, table: Table) -> None:
        """Record each required column the header row lacks."""
        self.errors.table = table
        for column in self.missing_columns(table):
            self.errors.add(table.header_row, column, "缺少此欄位")

    @abstractmethod
    def parse(self, table: Table) -> None:
        """Read and check each row on its own and against the other rows."""

    @abstractmethod
    def check(self) -> None:
        """Check the rows against the database, with batched look-ups."""

    @abstractmethod
    def write(self, summary: Summary) -> None:
        """Write every row; runs inside the import's transaction."""

    def units_by_code(self, codes: Iterable[str]) -> dict[str, Unit]:
        wanted = sorted({code for code in codes if code})
        found: dict[str, Unit] = {}
        for part in chunked(wanted):
            for unit in Unit.objects.filter(code__in=part).select_related("category"):
                found[unit.code] = unit
        return found
