"""Console charts: the figure's markup (caption, the JSON spec charts.js draws, the data table with one
cell per data point), time axes for dates, escaping and bad input. Drawing and label layout are
checked in a real browser by tests/e2e/test_console_layout.py."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from markupsafe import Markup

from assetguard.console.charts import Band, Series, bar_chart, format_number, line_chart, stacked_bar_chart


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def spec(markup: Markup) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" class="chart-spec">(.*?)</script>', str(markup), re.S)
    assert match, markup
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def points(figure: ET.Element) -> list[ET.Element]:
    return [e for e in figure.iter() if "data-value" in e.attrib]


def test_format_number() -> None:
    values = (2.0, 0.125, 3.14159, 1500, 25000, 3_400_000, -0.5)
    assert [format_number(v) for v in values] == ["2", "0.125", "3.14", "1500", "25k", "3.4M", "-0.5"]


def test_line_chart_points_gaps_band_and_caption() -> None:
    x = [date(2026, 11, 1) + timedelta(days=i) for i in range(5)]
    markup = line_chart(
        x, [Series("actual", [1.0, 2.0, 3.0, None, None]), Series("forecast", [None, None, 3.0, 4.0, 5.5])],
        band=Band("80% interval", [None, None, 3.0, 3.2, 4.0], [None, None, 3.0, 4.9, 7.0]),
        title="Spend <per> day", y_label="USD")
    figure = parse(markup)
    assert figure.get("class") == "chart" and figure.get("data-kind") == "line"
    assert figure.find("figcaption").text == "Spend <per> day (USD)"  # type: ignore[union-attr]
    pts = [p for p in points(figure) if "interval" not in (p.get("data-series") or "")]
    assert len(pts) == 6
    assert [p.get("data-value") for p in pts if p.get("data-series") == "forecast"] == ["3.0", "4.0", "5.5"]
    assert pts[0].get("data-x") == "2026-11-01" and pts[0].text == "1"
    s = spec(markup)
    assert s["kind"] == "line" and s["unit"] == "USD"
    # dates are a time axis: epoch milliseconds at UTC midnight, shown in local time by the browser
    assert s["x"] == {"type": "time", "dates": True,
                      "values": [int(datetime(2026, 11, 1 + i, tzinfo=UTC).timestamp() * 1000) for i in range(5)]}
    assert [series["name"] for series in s["series"]] == ["actual", "forecast"]
    assert s["series"][0]["values"] == [1.0, 2.0, 3.0, None, None]
    assert s["band"]["lower"] == [None, None, 3.0, 3.2, 4.0] and s["band"]["upper"][-1] == 7.0


def test_datetimes_make_a_time_axis_and_strings_categories() -> None:
    x = [datetime(2026, 11, 1, 12, 30, tzinfo=UTC), datetime(2026, 11, 1, 12, 31, tzinfo=UTC)]
    s = spec(line_chart(x, [Series("s", [1, 2])]))
    assert s["x"]["type"] == "time" and s["x"]["dates"] is False
    assert s["x"]["values"][1] - s["x"]["values"][0] == 60_000
    assert spec(line_chart(["a", "b"], [Series("s", [1, 2])]))["x"] == {"type": "category", "values": ["a", "b"]}


def test_empty_chart_says_so() -> None:
    empty = line_chart([], [], title="Nothing")
    figure = parse(empty)
    assert "no data" in "".join(figure.itertext()) and points(figure) == []
    assert "chart-spec" not in str(empty)


def test_bar_chart_one_point_per_category_including_negative() -> None:
    markup = bar_chart(["a", "b", "c"], [3, -2, 5], title="t")
    pts = points(parse(markup))
    assert [p.get("data-x") for p in pts] == ["a", "b", "c"]
    assert [p.get("data-value") for p in pts] == ["3.0", "-2.0", "5.0"]
    s = spec(markup)
    assert s["kind"] == "bar" and s["stacked"] is False and s["legend"] is False
    assert s["x"] == {"type": "category", "values": ["a", "b", "c"]}


def test_stacked_bar_chart_skips_zero_segments() -> None:
    markup = stacked_bar_chart(["mon", "tue"], [Series("a", [2, 1]), Series("b", [3, 0])], integer=True)
    pts = points(parse(markup))
    assert [(p.get("data-x"), p.get("data-series")) for p in pts] == [("mon", "a"), ("mon", "b"), ("tue", "a")]
    s = spec(markup)
    assert s["stacked"] is True and s["legend"] is True and s["integer"] is True


def test_full_category_names_reach_the_browser() -> None:
    name = "AWSManagedRulesKnownBadInputsRuleSet/Log4JRCE_QUERYSTRING"
    s = spec(bar_chart([name], [1.0]))
    assert s["x"]["values"] == [name]  # shortened on the axis by charts.js, whole in the tooltip


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2"):
        line_chart(["a", "b"], [Series("s", [1])])
    with pytest.raises(ValueError, match="negative"):
        stacked_bar_chart(["a"], [Series("x", [1]), Series("y", [-1])])
    with pytest.raises(ValueError, match="finite"):
        bar_chart(["a"], [float("nan")])


def test_names_are_escaped_and_the_spec_cannot_close_its_script() -> None:
    markup = str(bar_chart(["<script>"], [1], name="x</script><b>"))
    assert "<script>" not in markup.replace('<script type="application/json" class="chart-spec">', "")
    assert "&lt;script&gt;" in markup
    assert markup.count("</script>") == 1
    assert spec(Markup(markup))["series"][0]["name"] == "x</script><b>"
