"""What can be wrong with an import file, in words a clerk understands."""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class RowError:
    """One problem: the row as the spreadsheet numbers it (1-based, title rows
    included; 0 for the file as a whole), the column's header and a Chinese
    reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = "檔案" if self.row == 0 else f"第 {self.row} 列"
        if self.column:
            return f"{where}，欄位「{self.column}」：{self.reason}"
        return f"{where}：{self.reason}"

    def as_json(self) -> list[object]:
        return [self.row, self.column, self.reason]


class ImportFileError(Exception):
    """The file as a whole cannot be read; str() is a Chinese message."""


class CellError(ValueError):
    """One cell cannot be read; str() is the Chinese reason."""
