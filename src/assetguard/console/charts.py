"""Server-side SVG charts for console pages: no JavaScript, no CDN, testable as XML.

Three chart kinds, all returning safe ``Markup`` to drop into a template as ``{{ chart }}``:

- ``line_chart(x, series, band=None)``: one line per :class:`Series` over shared x values, with
  an optional :class:`Band` (a shaded lower/upper interval, e.g. a forecast's 80 % interval).
  ``x`` may be numbers, dates or datetimes (placed proportionally) or strings (evenly spaced);
  a ``None`` value leaves a gap (actuals stop where the forecast starts).
- ``bar_chart(categories, values)``: one bar per category.
- ``stacked_bar_chart(categories, series)``: one stacked bar per category, a segment per series.

Every chart has y-axis ticks with "nice" numbers, x tick labels, a legend when there is more than
one series (or a band), and one element per data point carrying ``data-series``, ``data-x`` and
``data-value`` attributes plus a ``<title>`` tooltip, so browser tests can count points::

    chart = line_chart(
        ["2026-11-01", "2026-11-02", "2026-11-03"],
        [Series("actual", [10.0, 12.5, None]), Series("forecast", [None, 12.5, 14.0])],
        band=Band("80% interval", [None, 12.5, 11.0], [None, 12.5, 17.0]),
        title="Spend per day", y_label="USD",
    )
    # templates: {{ chart }}     tests: page.locator("svg.chart [data-value]").count() == 4

Colours come from SVG attributes (not inline styles) and text styling from ``console.css``.
A chart is drawn at its ``width`` x ``height`` in CSS pixels and shrinks (never grows) to fit a
narrow container; pass ``width=1100`` for a chart that should span a wide card.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape

XValue = str | int | float | date | datetime

PALETTE = ("#1f5fbf", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6b6b6b", "#0072b2",
           "#8c564b", "#b8a100")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 30, 28
LEGEND_ROW = 20
MAX_X_TICKS = 8


@dataclass(frozen=True)
class Series:
    """A named list of values aligned with the chart's x values (``None`` = no value there)."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


@dataclass(frozen=True)
class Band:
    """A shaded interval between ``lower`` and ``upper`` (aligned with x; ``None`` = no band there)."""

    name: str
    lower: Sequence[float | None]
    upper: Sequence[float | None]
    color: str | None = None


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering ``[lo, hi]``: ``nice_ticks(0, 87)`` → ``[0, 20, 40, 60, 80, 100]``.

    ``integer=True`` never steps by less than 1 (for counts).
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("chart values must be finite numbers")
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-9 * max(1.0, abs(lo), abs(hi)):  # a flat line: show one unit above it
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    if integer:
        step = max(1.0, round(step))
    first = math.floor(lo / step)
    if first * step > lo:
        first -= 1
    last = math.ceil(hi / step)
    if last * step < hi:
        last += 1
    # Values a hair past a tick (float noise) should not cost a whole extra tick.
    if (first + 1) * step - lo < 1e-9 * step:
        first += 1
    if hi - (last - 1) * step < 1e-9 * step:
        last -= 1
    start, n = first * step, last - first
    return [round(start + i * step, 10) for i in range(n + 1)]


def format_number(value: float) -> str:
    """Short axis/tooltip numbers: ``25000`` → ``25k``, ``2.0`` → ``2``, ``0.125`` → ``0.125``, ``3.14159`` → ``3.14``."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}G"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    if float(value).is_integer():
        return str(int(value))
    if size < 1:
        return f"{value:.3g}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_x(value: XValue) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | int):
        return format_number(float(value))
    return str(value)


def _numeric_x(x: Sequence[XValue]) -> list[float] | None:
    """Proportional positions for numbers and dates; ``None`` for categories (strings)."""
    if all(isinstance(v, datetime) for v in x):
        return [v.timestamp() for v in x]  # type: ignore[union-attr]
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in x):
        return [float(v.toordinal()) for v in x]  # type: ignore[union-attr]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in x):
        return [float(v) for v in x]  # type: ignore[arg-type]
    return None


class _Frame:
    """Plot-area geometry and the y scale shared by every chart kind."""

    def __init__(self, width: int, height: int, ticks: list[float], legend_rows: int) -> None:
        self.width, self.height = width, height
        self.left, self.right = MARGIN_LEFT, width - MARGIN_RIGHT
        self.top = MARGIN_TOP
        self.bottom = height - MARGIN_BOTTOM - legend_rows * LEGEND_ROW
        if self.bottom - self.top < 40 or self.right - self.left < 60:
            raise ValueError("chart is too small for its axes and legend")
        self.ticks = ticks
        self.y_lo, self.y_hi = ticks[0], ticks[-1]

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y_lo) / (self.y_hi - self.y_lo) * (self.bottom - self.top)


def _n(value: float) -> str:
    return f"{value:.1f}"


def _open(frame: _Frame, title: str, kind: str) -> list[str]:
    label = escape(title or f"{kind} chart")
    parts = [f'<svg class="chart chart-{kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{frame.width}" height="{frame.height}" viewBox="0 0 {frame.width} {frame.height}" '
             f'aria-label="{label}">',
             f"<title>{label}</title>"]
    if title:
        parts.append(f'<text class="chart-title" x="{MARGIN_LEFT}" y="18">{escape(title)}</text>')
    return parts


def _y_axis(frame: _Frame, y_label: str, fmt: Callable[[float], str]) -> list[str]:
    parts = ['<g class="y-axis">']
    for tick in frame.ticks:
        y = _n(frame.y(tick))
        parts.append(f'<line class="grid" x1="{frame.left}" x2="{frame.right}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text x="{frame.left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">'
                     f"{escape(fmt(tick))}</text>")
    parts.append(f'<line class="axis" x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" y2="{frame.bottom}"/>')
    if y_label:
        mid = _n((frame.top + frame.bottom) / 2)
        parts.append(f'<text class="y-label" x="12" y="{mid}" text-anchor="middle" '
                     f'transform="rotate(-90 12 {mid})">{escape(y_label)}</text>')
    parts.append("</g>")
    return parts


def _x_axis(frame: _Frame, positions: list[float], labels: list[str]) -> list[str]:
    parts = ['<g class="x-axis">',
             f'<line class="axis" x1="{frame.left}" x2="{frame.right}" y1="{_n(frame.bottom)}" '
             f'y2="{_n(frame.bottom)}"/>']
    step = max(1, math.ceil(len(labels) / MAX_X_TICKS))
    for i in range(0, len(labels), step):
        parts.append(f'<text x="{_n(positions[i])}" y="{_n(frame.bottom + 16)}" text-anchor="middle">'
                     f"{escape(labels[i])}</text>")
    parts.append("</g>")
    return parts


def _legend(frame: _Frame, entries: list[tuple[str, str, str]]) -> list[str]:
    """Entries are (name, colour, shape) with shape ``line``, ``box`` or ``band``; wraps into rows."""
    parts = ['<g class="legend">']
    x, row = float(frame.left), 0
    for name, color, shape in entries:
        w = 22 + 6.5 * len(name)
        if x + w > frame.right and x > frame.left:
            x, row = float(frame.left), row + 1
        y = frame.height - MARGIN_BOTTOM / 2 - (_legend_rows_of(frame) - 1 - row) * LEGEND_ROW - 4
        opacity = ' fill-opacity="0.25"' if shape == "band" else ""
        if shape == "line":
            parts.append(f'<line x1="{_n(x)}" x2="{_n(x + 14)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{color}" '
                         f'stroke-width="2.5"/>')
        else:
            parts.append(f'<rect x="{_n(x)}" y="{_n(y - 5)}" width="14" height="10" fill="{color}"{opacity}/>')
        parts.append(f'<text class="legend-label" x="{_n(x + 19)}" y="{_n(y)}" dominant-baseline="middle">'
                     f"{escape(name)}</text>")
        x += w
    parts.append("</g>")
    return parts


def _legend_rows_of(frame: _Frame) -> int:
    return round((frame.height - MARGIN_BOTTOM - frame.bottom) / LEGEND_ROW)


def _legend_rows(entries: list[tuple[str, str, str]], width: int) -> int:
    if not entries:
        return 0
    rows, x = 1, float(MARGIN_LEFT)
    for name, _c, _s in entries:
        w = 22 + 6.5 * len(name)
        if x + w > width - MARGIN_RIGHT and x > MARGIN_LEFT:
            rows, x = rows + 1, float(MARGIN_LEFT)
        x += w
    return rows


def _empty(width: int, height: int, title: str, kind: str) -> Markup:
    height = min(height, 110)  # an empty chart should not take a full chart's space
    frame = _Frame(width, height, [0.0, 1.0], 0)
    parts = _open(frame, title, kind)
    parts.append(f'<text class="chart-empty" x="{width / 2}" y="{height / 2 + 12}" text-anchor="middle">no data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _check_lengths(n: int, named: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    for name, values in named:
        if len(values) != n:
            raise ValueError(f"series {name!r} has {len(values)} values for {n} x values")


def line_chart(x: Sequence[XValue], series: Sequence[Series], *, band: Band | None = None, title: str = "",
               y_label: str = "", width: int = 720, height: int = 260,
               value_format: Callable[[float], str] = format_number, integer: bool = False) -> Markup:
    """Lines over shared x values, optionally with a shaded interval band (see module docstring)."""
    _check_lengths(len(x), [(s.name, s.values) for s in series])
    if band is not None:
        _check_lengths(len(x), [(band.name, band.lower), (band.name, band.upper)])
    values = [v for s in series for v in s.values if v is not None]
    if band is not None:
        values += [v for v in (*band.lower, *band.upper) if v is not None]
    if not x or not values:
        return _empty(width, height, title, "line")
    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    band_color = (band.color or "#7f8ea3") if band is not None else ""
    entries = [(s.name, c, "line") for s, c in zip(series, colors, strict=True)]
    if band is not None:
        entries.append((band.name, band_color, "band"))
    if len(entries) == 1:
        entries = []
    ticks = nice_ticks(min(0.0, min(values)), max(values), integer=integer)
    frame = _Frame(width, height, ticks, _legend_rows(entries, width))
    numeric = _numeric_x(x)
    if numeric is not None and len(x) > 1 and max(numeric) > min(numeric):
        lo, hi = min(numeric), max(numeric)
        xs = [frame.left + 8 + (v - lo) / (hi - lo) * (frame.right - frame.left - 16) for v in numeric]
    else:
        slot = (frame.right - frame.left) / len(x)
        xs = [frame.left + slot * (i + 0.5) for i in range(len(x))]
    labels = [format_x(v) for v in x]

    parts = _open(frame, title, "line")
    parts += _y_axis(frame, y_label, value_format)
    parts += _x_axis(frame, xs, labels)
    if band is not None:
        idx = [i for i in range(len(x)) if band.lower[i] is not None and band.upper[i] is not None]
        if idx:
            upper = [f"{_n(xs[i])},{_n(frame.y(band.upper[i]))}" for i in idx]  # type: ignore[arg-type]
            lower = [f"{_n(xs[i])},{_n(frame.y(band.lower[i]))}" for i in reversed(idx)]  # type: ignore[arg-type]
            parts.append(f'<polygon class="band" data-series="{escape(band.name)}" points="{" ".join(upper + lower)}" '
                         f'fill="{band_color}" fill-opacity="0.22" stroke="none"><title>{escape(band.name)}</title>'
                         f"</polygon>")
    for s, color in zip(series, colors, strict=True):
        parts.append(f'<g class="series" data-series="{escape(s.name)}">')
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append(f"{_n(xs[i])},{_n(frame.y(v))}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            if v is None:
                continue
            tip = f"{s.name} · {labels[i]}: {value_format(v)}"
            parts.append(f'<circle cx="{_n(xs[i])}" cy="{_n(frame.y(v))}" r="3" fill="{color}" '
                         f'data-series="{escape(s.name)}" data-x="{escape(labels[i])}" data-value="{v}">'
                         f"<title>{escape(tip)}</title></circle>")
        parts.append("</g>")
    parts += _legend(frame, entries)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(categories: Sequence[str], values: Sequence[float], *, name: str = "value", title: str = "",
              y_label: str = "", color: str | None = None, width: int = 720, height: int = 260,
              value_format: Callable[[float], str] = format_number, integer: bool = False) -> Markup:
    """One bar per category (negative values grow downwards from zero)."""
    return stacked_bar_chart(categories, [Series(name, list(values), color)], title=title, y_label=y_label,
                             width=width, height=height, value_format=value_format, legend=False,
                             integer=integer)


def stacked_bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str = "",
                      y_label: str = "", width: int = 720, height: int = 260,
                      value_format: Callable[[float], str] = format_number, legend: bool | None = None,
                      integer: bool = False) -> Markup:
    """One bar per category, stacked by series. Stacked values must not be negative.

    The legend is shown for more than one series unless ``legend`` says otherwise;
    ``integer=True`` keeps y ticks whole (counts).
    """
    _check_lengths(len(categories), [(s.name, s.values) for s in series])
    stacked = len(series) > 1
    if stacked and any(v is not None and v < 0 for s in series for v in s.values):
        raise ValueError("stacked bar values must not be negative")
    totals = [sum(s.values[i] or 0.0 for s in series) for i in range(len(categories))]
    if not categories or not series:
        return _empty(width, height, title, "bar")
    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    entries = [(s.name, c, "box") for s, c in zip(series, colors, strict=True)]
    if legend is False or (legend is None and not stacked):
        entries = []
    ticks = nice_ticks(min(0.0, *totals), max(0.0, *totals), integer=integer)
    frame = _Frame(width, height, ticks, _legend_rows(entries, width))
    slot = (frame.right - frame.left) / len(categories)
    bar_w = max(1.0, slot * 0.7)
    xs = [frame.left + slot * (i + 0.5) for i in range(len(categories))]

    parts = _open(frame, title, "bar")
    parts += _y_axis(frame, y_label, value_format)
    parts += _x_axis(frame, xs, [str(c) for c in categories])
    # Draw per category so segments stack; each segment is tagged with its series.
    for i, category in enumerate(categories):
        base = 0.0
        for s, color in zip(series, colors, strict=True):
            v = s.values[i]
            if v is None or (stacked and v == 0):
                continue
            y0, y1 = frame.y(base), frame.y(base + v)
            top, h = min(y0, y1), abs(y0 - y1)
            tip = f"{category} · {s.name}: {value_format(v)}" if stacked else f"{category}: {value_format(v)}"
            parts.append(f'<rect x="{_n(xs[i] - bar_w / 2)}" y="{_n(top)}" width="{_n(bar_w)}" '
                         f'height="{_n(max(h, 0.5))}" fill="{color}" data-series="{escape(s.name)}" '
                         f'data-x="{escape(str(category))}" data-value="{v}"><title>{escape(tip)}</title></rect>')
            if stacked:
                base += v
    parts += _legend(frame, entries)
    parts.append("</svg>")
    return Markup("".join(parts))
