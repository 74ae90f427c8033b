"""Console charts, drawn in the browser by Apache ECharts (shipped under ``static/vendor/echarts``).

Three chart kinds, all returning safe ``Markup`` to drop into a template as ``{{ chart }}``:

- ``line_chart(x, series, band=None)``: one line per :class:`Series` over shared x values, with
  an optional :class:`Band` (a shaded lower/upper interval, e.g. a forecast's 80 % interval).
  Datetimes and dates make a time axis shown in the viewer's local time; strings are categories;
  a ``None`` value leaves a gap (actuals stop where the forecast starts).
- ``bar_chart(categories, values)``: one bar per category.
- ``stacked_bar_chart(categories, series)``: one stacked bar per category, a segment per series.

Each chart is a ``<figure class="chart">`` holding the caption, the element ECharts draws into, the
chart's data as JSON (``static/charts.js`` builds the ECharts option from it: every category label
shown, long ones shortened with the full name in the tooltip, tooltips with exact values, a legend
that pages instead of being cut, a size that follows its card) and the same data as a visually
hidden table, one cell per data point carrying ``data-series``, ``data-x`` and ``data-value``
(for screen readers, for pages read without JavaScript, and for tests)::

    chart = line_chart(
        ["2026-11-01", "2026-11-02", "2026-11-03"],
        [Series("actual", [10.0, 12.5, None]), Series("forecast", [None, 12.5, 14.0])],
        band=Band("80% interval", [None, 12.5, 11.0], [None, 12.5, 17.0]),
        title="Spend per day", y_label="USD",
    )
    # templates: {{ chart }}     tests: page.locator("figure.chart [data-value]").count() == 4
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from markupsafe import Markup, escape

XValue = str | int | float | date | datetime

PALETTE = ("#1f5fbf", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6b6b6b", "#0072b2",
           "#8c564b", "#b8a100")
BAND_COLOR = "#7f8ea3"


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


def format_number(value: float) -> str:
    """Short numbers: ``25000`` → ``25k``, ``2.0`` → ``2``, ``0.125`` → ``0.125``, ``3.14159`` → ``3.14``."""
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


def _epoch_ms(value: date | datetime) -> int:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def _x_axis(x: Sequence[XValue]) -> dict[str, Any]:
    """A time axis for dates and datetimes (placed proportionally, labelled in local time), else categories."""
    if x and all(isinstance(v, date) for v in x):
        dates_only = all(not isinstance(v, datetime) for v in x)
        return {"type": "time", "values": [_epoch_ms(v) for v in x],  # type: ignore[arg-type]
                "dates": dates_only}
    return {"type": "category", "values": [format_x(v) for v in x]}


def _finite(name: str, values: Sequence[float | None]) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"series {name!r}: chart values must be finite numbers")
        out.append(None if v is None else float(v))
    return out


def _check_lengths(n: int, named: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    for name, values in named:
        if len(values) != n:
            raise ValueError(f"series {name!r} has {len(values)} values for {n} x values")


def _figure(kind: str, title: str, y_label: str, height: int, spec: dict[str, Any] | None,
            labels: Sequence[str], rows: Sequence[tuple[str, Sequence[float | None]]], *,
            skip_zero: bool = False) -> Markup:
    caption = f"{title} ({y_label})" if title and y_label else (title or y_label)
    parts = [f'<figure class="chart" data-kind="{kind}">']
    if caption:
        parts.append(f'<figcaption class="chart-title">{escape(caption)}</figcaption>')
    if spec is None:
        parts.append('<p class="chart-empty muted">no data</p></figure>')
        return Markup("".join(parts))
    # No "<" or "&" inside the script element (a "</script" or "<!--" would change how it parses);
    # JSON spells them as \u escapes.
    data = (json.dumps(spec, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    parts.append(f'<div class="echart" style="height:{int(height)}px" role="img" aria-label="{escape(caption)}">'
                 f'</div><script type="application/json" class="chart-spec">{data}</script>')
    # In a block wrapper: a table ignores "overflow", and its cells would widen the page.
    parts.append('<div class="chart-data"><table><thead><tr><th scope="col">x</th>')
    parts += [f'<th scope="col">{escape(name)}</th>' for name, _ in rows]
    parts.append("</tr></thead><tbody>")
    for i, label in enumerate(labels):
        parts.append(f'<tr><th scope="row">{escape(label)}</th>')
        for name, values in rows:
            v = values[i]
            if v is None or (skip_zero and v == 0):
                parts.append("<td></td>")
            else:
                parts.append(f'<td data-series="{escape(name)}" data-x="{escape(label)}" data-value="{v}">'
                             f"{escape(format_number(v))}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div></figure>")
    return Markup("".join(parts))


def line_chart(x: Sequence[XValue], series: Sequence[Series], *, band: Band | None = None, title: str = "",
               y_label: str = "", height: int = 260, integer: bool = False) -> Markup:
    """Lines over shared x values, optionally with a shaded interval band (see module docstring)."""
    _check_lengths(len(x), [(s.name, s.values) for s in series])
    if band is not None:
        _check_lengths(len(x), [(band.name, band.lower), (band.name, band.upper)])
    lines = [(s.name, _finite(s.name, s.values)) for s in series]
    present = [v for _, values in lines for v in values if v is not None]
    spec_band = None
    rows = list(lines)
    if band is not None:
        lower, upper = _finite(band.name, band.lower), _finite(band.name, band.upper)
        present += [v for v in (*lower, *upper) if v is not None]
        spec_band = {"name": band.name, "color": band.color or BAND_COLOR, "lower": lower, "upper": upper}
        rows += [(f"{band.name} (lower)", lower), (f"{band.name} (upper)", upper)]
    labels = [format_x(v) for v in x]
    spec = None
    if x and present:
        spec = {"kind": "line", "x": _x_axis(x), "unit": y_label, "integer": integer, "band": spec_band,
                "series": [{"name": name, "color": s.color or PALETTE[i % len(PALETTE)], "values": values}
                           for i, (s, (name, values)) in enumerate(zip(series, lines, strict=True))]}
    return _figure("line", title, y_label, height, spec, labels, rows)


def bar_chart(categories: Sequence[str], values: Sequence[float], *, name: str = "value", title: str = "",
              y_label: str = "", color: str | None = None, height: int = 260, integer: bool = False) -> Markup:
    """One bar per category (negative values grow downwards from zero)."""
    return stacked_bar_chart(categories, [Series(name, list(values), color)], title=title, y_label=y_label,
                             height=height, legend=False, integer=integer)


def stacked_bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str = "",
                      y_label: str = "", height: int = 260, legend: bool | None = None,
                      integer: bool = False) -> Markup:
    """One bar per category, stacked by series. Stacked values must not be negative.

    The legend is shown for more than one series unless ``legend`` says otherwise;
    ``integer=True`` keeps the value axis in whole steps (counts).
    """
    _check_lengths(len(categories), [(s.name, s.values) for s in series])
    stacked = len(series) > 1
    bars = [(s.name, _finite(s.name, s.values)) for s in series]
    if stacked and any(v is not None and v < 0 for _, values in bars for v in values):
        raise ValueError("stacked bar values must not be negative")
    labels = [str(c) for c in categories]
    spec = None
    if categories and series:
        spec = {"kind": "bar", "stacked": stacked, "x": {"type": "category", "values": labels}, "unit": y_label,
                "integer": integer, "legend": stacked if legend is None else legend,
                "series": [{"name": name, "color": s.color or PALETTE[i % len(PALETTE)], "values": values}
                           for i, (s, (name, values)) in enumerate(zip(series, bars, strict=True))]}
    return _figure("bar", title, y_label, height, spec, labels, bars, skip_zero=stacked)
