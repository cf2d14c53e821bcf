"""The JSON of a VR report, written row by row to a text stream.

Hours are JSON numbers written from Decimal (never through a float); see
vsis.reports.definitions.hours_number for the rule.
"""

import json
from decimal import Decimal
from typing import Any, Protocol

from vsis.reports.charts import Chart
from vsis.reports.definitions import ReportRow, ReportSpec


class TextSink(Protocol):
    """Where the JSON goes: an open text file, or the CLI's stdout."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


def dumps(value: Any) -> str:
    """json.dumps, with Decimal written as a plain number (no exponent)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class JsonWriter:
    """{"unit", ... "rows": [...]}: the head fields, then one row per line."""

    def __init__(self, spec: ReportSpec[Any, Any], stream: TextSink) -> None:
        self.spec = spec
        self.stream = stream
        head = dumps(spec.json_head())
        stream.write(head[:-1] + ', "rows": [')
        self._separator = "\n"

    def write_row(self, row: ReportRow[Any]) -> None:
        self.stream.write(self._separator + dumps(self.spec.json_row(row)))
        self._separator = ",\n"

    def close(self, chart: Chart) -> None:
        self.stream.write("\n]}\n")
        self.stream.flush()
