"""SVG charts: valid XML, one tagged element per data point, axes, legend, bands, gaps."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from assetguard.console.charts import (
    Band,
    Series,
    bar_chart,
    format_number,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def points(svg: ET.Element) -> list[ET.Element]:
    return [e for e in svg.iter() if "data-value" in e.attrib]


def texts(svg: ET.Element, group: str) -> list[str]:
    g = next(e for e in svg.iter(SVG + "g") if e.get("class") == group)
    return [t.text or "" for t in g.iter(SVG + "text")]


def test_nice_ticks() -> None:
    assert nice_ticks(0, 87) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 3, integer=True) == [0, 1, 2, 3]
    assert nice_ticks(-7, 12)[0] <= -7 and nice_ticks(-7, 12)[-1] >= 12
    assert nice_ticks(5, 5) == [5, 5.2, 5.4, 5.6, 5.8, 6.0]
    with pytest.raises(ValueError):
        nice_ticks(0, float("nan"))


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
@settings(max_examples=200, deadline=None)
def test_nice_ticks_cover_the_range_with_few_ascending_ticks(a: float, b: float) -> None:
    ticks = nice_ticks(a, b)
    tolerance = 1e-6 + 2e-9 * (ticks[-1] - ticks[0])  # float noise is snapped to the nearest tick
    assert ticks[0] <= min(a, b) + tolerance and ticks[-1] >= max(a, b) - tolerance
    assert 2 <= len(ticks) <= 12
    assert all(x < y for x, y in zip(ticks, ticks[1:], strict=False))


def test_format_number() -> None:
    values = (2.0, 0.125, 3.14159, 1500, 25000, 3_400_000, -0.5)
    assert [format_number(v) for v in values] == ["2", "0.125", "3.14", "1500", "25k", "3.4M", "-0.5"]


def test_line_chart_points_gaps_band_legend_and_tooltips() -> None:
    x = [date(2026, 11, 1) + timedelta(days=i) for i in range(5)]
    svg = parse(line_chart(
        x, [Series("actual", [1.0, 2.0, 3.0, None, None]), Series("forecast", [None, None, 3.0, 4.0, 5.5])],
        band=Band("80% interval", [None, None, 3.0, 3.2, 4.0], [None, None, 3.0, 4.9, 7.0]),
        title="Spend <per> day", y_label="USD"))
    assert svg.get("aria-label") == "Spend <per> day"  # escaped in the markup, intact once parsed
    pts = points(svg)
    assert len(pts) == 6
    assert [p.get("data-value") for p in pts if p.get("data-series") == "forecast"] == ["3.0", "4.0", "5.5"]
    assert all(p.find(SVG + "title") is not None for p in pts)
    assert pts[0].find(SVG + "title").text == "actual · 2026-11-01: 1"  # type: ignore[union-attr]
    polys = [e for e in svg.iter(SVG + "polygon") if e.get("class") == "band"]
    assert len(polys) == 1 and len(polys[0].get("points", "").split()) == 6
    assert texts(svg, "legend") == ["actual", "forecast", "80% interval"]
    assert texts(svg, "y-axis")[-1] == "USD" and texts(svg, "y-axis")[0] == "0"
    assert texts(svg, "x-axis")[0] == "2026-11-01"
    # higher values are drawn higher up (smaller y)
    forecast = [float(p.get("cy", 0)) for p in pts if p.get("data-series") == "forecast"]
    assert forecast == sorted(forecast, reverse=True)


def test_line_chart_places_dates_proportionally() -> None:
    x = [datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC)]
    cx = [float(p.get("cx", 0)) for p in points(parse(line_chart(x, [Series("s", [1, 2, 3])])))]
    assert (cx[2] - cx[1]) == pytest.approx(9 * (cx[1] - cx[0]), rel=0.01)


def test_single_series_has_no_legend_and_empty_chart_says_so() -> None:
    svg = parse(line_chart(["a", "b"], [Series("only", [1, 2])]))
    assert texts(svg, "legend") == []
    empty = parse(line_chart([], []))
    assert "no data" in "".join(empty.itertext()) and points(empty) == []


def test_bar_chart_one_rect_per_category_including_negative() -> None:
    svg = parse(bar_chart(["a", "b", "c"], [3, -2, 5], title="t"))
    rects = points(svg)
    assert [r.get("data-x") for r in rects] == ["a", "b", "c"]
    assert [r.get("data-value") for r in rects] == ["3", "-2", "5"]
    zero_y = float(next(t for t in next(e for e in svg.iter(SVG + "g") if e.get("class") == "y-axis")
                        .iter(SVG + "text") if t.text == "0").get("y", 0))
    neg = rects[1]
    assert float(neg.get("y", 0)) == pytest.approx(zero_y, abs=0.2)  # grows down from zero


def test_stacked_bar_chart_stacks_segments() -> None:
    svg = parse(stacked_bar_chart(["mon", "tue"], [Series("a", [2, 1]), Series("b", [3, 0])], integer=True))
    rects = points(svg)
    assert [(r.get("data-x"), r.get("data-series")) for r in rects] == [("mon", "a"), ("mon", "b"), ("tue", "a")]
    a, b = rects[0], rects[1]
    # b sits directly on top of a
    assert float(b.get("y", 0)) + float(b.get("height", 0)) == pytest.approx(float(a.get("y", 0)), abs=0.2)
    assert texts(svg, "legend") == ["a", "b"]
    assert texts(svg, "y-axis") == ["0", "1", "2", "3", "4", "5"]


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2"):
        line_chart(["a", "b"], [Series("s", [1])])
    with pytest.raises(ValueError, match="negative"):
        stacked_bar_chart(["a"], [Series("x", [1]), Series("y", [-1])])


def test_names_are_escaped() -> None:
    markup = str(bar_chart(["<script>"], [1], name="x"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup


def test_long_legends_wrap_without_overlapping_the_plot() -> None:
    series = [Series(f"a-rather-long-action-name-{i}", [1.0]) for i in range(8)]
    svg = parse(stacked_bar_chart(["d"], series))
    legend = next(e for e in svg.iter(SVG + "g") if e.get("class") == "legend")
    ys = {t.get("y") for t in legend.iter(SVG + "text")}
    assert len(ys) > 1
    plot_bottom = float(next(e for e in svg.iter(SVG + "line") if e.get("class") == "axis" and
                             e.get("y1") == e.get("y2")).get("y1", 0))
    assert all(float(y or 0) > plot_bottom + 16 for y in ys)
