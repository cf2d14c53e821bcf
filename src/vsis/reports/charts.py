"""The chart of each VR report: the same numbers for the xlsx chart and the web page.

The age report draws a population pyramid (men to the left, women to the
right, youngest bracket at the bottom); the service report draws hours by the
teams' service category. A chart is small (a handful of numbers) and is kept
in the job's result so the page can draw it without reading the files.
"""

from dataclasses import dataclass
from typing import Any, Literal

ChartKind = Literal["pyramid", "bars"]


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    kind: ChartKind
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_label: str  # 人 or 小時

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "categories": list(self.categories),
            "series": [{"name": s.name, "values": list(s.values)} for s in self.series],
            "value_label": self.value_label,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Chart":
        return cls(
            kind=data["kind"],
            title=data["title"],
            categories=tuple(data["categories"]),
            series=tuple(Series(s["name"], tuple(s["values"])) for s in data["series"]),
            value_label=data["value_label"],
        )


# --- inline SVG for the web page ---------------------------------------------

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 110
PLOT_WIDTH = 560
VALUE_ROOM = 70  # beside the longest bar, for its value
TOP = 10


@dataclass(frozen=True)
class SvgBar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # the value as text, for a <title> tooltip and screen readers
    label_x: float
    anchor: str


@dataclass(frozen=True)
class SvgRow:
    name: str
    y: float
    text_y: float  # baseline of the row's labels
    bars: tuple[SvgBar, ...]


@dataclass(frozen=True)
class SvgLayout:
    """Coordinates of every bar; the template only draws them."""

    width: float
    height: float
    axis_x: float
    rows: tuple[SvgRow, ...]
    legend: tuple[tuple[str, str], ...]  # (series name, css class)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def svg_layout(chart: Chart) -> SvgLayout:
    """Lay the chart out as horizontal bars: a pyramid, or bars from the left."""
    step = BAR_HEIGHT + GAP
    categories = list(chart.categories)
    if chart.kind == "pyramid":
        categories.reverse()  # youngest at the bottom, as a pyramid reads
    top = max((v for s in chart.series for v in s.values), default=0) or 1
    rows = []
    for position, name in enumerate(categories):
        index = chart.categories.index(name)
        y = TOP + position * step
        bars = []
        if chart.kind == "pyramid":
            half = PLOT_WIDTH / 2
            axis = LABEL_WIDTH + half
            for s, (side, css) in zip(
                chart.series, ((-1, "male"), (1, "female")), strict=False
            ):
                value = s.values[index]
                width = (half - VALUE_ROOM) * value / top
                x = axis - width if side < 0 else axis
                label_x = x - 4 if side < 0 else x + width + 4
                anchor = "end" if side < 0 else "start"
                bars.append(
                    SvgBar(
                        x, y, width, BAR_HEIGHT, css, _number(value), label_x, anchor
                    )
                )
        else:
            value = chart.series[0].values[index]
            width = (PLOT_WIDTH - VALUE_ROOM) * value / top
            bars.append(
                SvgBar(
                    LABEL_WIDTH,
                    y,
                    width,
                    BAR_HEIGHT,
                    "hours",
                    _number(value),
                    LABEL_WIDTH + width + 4,
                    "start",
                )
            )
        rows.append(SvgRow(name, y, y + BAR_HEIGHT / 2 + 4, tuple(bars)))
    css_names = ("male", "female") if chart.kind == "pyramid" else ("hours",)
    legend = tuple(
        (s.name, css) for s, css in zip(chart.series, css_names, strict=False)
    )
    axis_x = LABEL_WIDTH + (PLOT_WIDTH / 2 if chart.kind == "pyramid" else 0)
    return SvgLayout(
        width=LABEL_WIDTH + PLOT_WIDTH + 10,
        height=TOP * 2 + len(categories) * step,
        axis_x=axis_x,
        rows=tuple(rows),
        legend=legend,
    )
