// Console charts: each <figure class="chart"> carries its data as JSON (assetguard.console.charts);
// this file turns it into an Apache ECharts option and draws it as SVG. CSP forbids inline
// scripts, hence this file.
(function () {
  "use strict";

  var LABEL_WIDTH = 110;  // px: longer category names are shortened; the tooltip shows them whole
  var CHAR_WIDTH = 6.6;   // px per character of a 12 px label, for the rotation estimate
  // ECharts measures labels with this font to lay them out: it must be a real font list, not "inherit".
  var FONT = "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Noto Sans\", sans-serif";

  function short(v) {
    var a = Math.abs(v);
    if (a >= 1e9) { return +(v / 1e9).toPrecision(3) + "G"; }
    if (a >= 1e6) { return +(v / 1e6).toPrecision(3) + "M"; }
    if (a >= 1e4) { return +(v / 1e3).toPrecision(3) + "k"; }
    if (Number.isInteger(v)) { return String(v); }
    if (a < 1) { return String(+v.toPrecision(3)); }
    return String(+v.toFixed(2));
  }

  function exact(v, unit) {
    if (v === null || v === undefined) { return "–"; }
    return v.toLocaleString(undefined, {maximumFractionDigits: 6}) + (unit ? " " + unit : "");
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function xLabel(spec, i) {
    if (spec.x.type !== "time") { return spec.x.values[i]; }
    var d = new Date(spec.x.values[i]);
    return spec.x.dates ? d.toLocaleDateString() : d.toLocaleString();  // the viewer's local time
  }

  // Category labels: all shown; rotated when they do not fit side by side, shortened past LABEL_WIDTH.
  function categoryLabels(spec, plotWidth) {
    var values = spec.x.values, longest = 0;
    values.forEach(function (v) { longest = Math.max(longest, String(v).length); });
    var need = Math.min(LABEL_WIDTH, longest * CHAR_WIDTH) + 8, slot = plotWidth / Math.max(1, values.length);
    var rotate = 0;
    if (need > slot) { rotate = slot >= 26 ? 30 : (slot >= 16 ? 60 : 90); }
    return {interval: 0, rotate: rotate, width: LABEL_WIDTH, overflow: "truncate", ellipsis: "…",
            hideOverlap: true, color: "#5b6475"};
  }

  var LEGEND_ROW = 22, LEGEND_GAP = 12, LEGEND_ICON = 22;

  // Rows a plain legend wraps into at this width, so that the plot starts below it.
  function rowsOf(names, width) {
    var rows = 1, used = 0;
    names.forEach(function (name) {
      var item = LEGEND_ICON + 5 + String(name).length * CHAR_WIDTH + LEGEND_GAP;
      if (used > 0 && used + item > width) { rows += 1; used = 0; }
      used += item;
    });
    return rows;
  }

  function tooltip(spec) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      if (!list.length) { return ""; }
      var i = list[0].dataIndex, lines = ["<strong>" + esc(xLabel(spec, i)) + "</strong>"];
      spec.series.forEach(function (s) {
        var v = s.values[i];
        if (v === null || v === undefined) { return; }
        lines.push("<span style=\"color:" + s.color + "\">●</span> " + esc(s.name) + ": <b>" + esc(exact(v, spec.unit)) + "</b>");
      });
      if (spec.band && spec.band.lower[i] !== null && spec.band.upper[i] !== null) {
        lines.push("<span style=\"color:" + spec.band.color + "\">▮</span> " + esc(spec.band.name) + ": " +
                   esc(exact(spec.band.lower[i], "")) + " – " + esc(exact(spec.band.upper[i], spec.unit)));
      }
      return lines.join("<br>");
    };
  }

  function option(spec, width) {
    var time = spec.x.type === "time", xs = spec.x.values, series = [];
    function at(v, i) { return time ? [xs[i], v] : v; }
    var legend = spec.kind === "line" ? (spec.series.length + (spec.band ? 1 : 0) > 1) : !!spec.legend;
    var names = spec.series.map(function (s) { return s.name; }).concat(spec.band ? [spec.band.name] : []);
    var legendRows = legend ? rowsOf(names, width) : 0;
    if (spec.band) {
      var b = spec.band;
      // The band is a transparent "lower" line with "upper - lower" stacked on it and filled.
      series.push({name: b.name, type: "line", stack: "__band", symbol: "none", silent: true,
                   lineStyle: {opacity: 0}, itemStyle: {color: b.color},
                   data: b.lower.map(function (v, i) { return at(v === null || b.upper[i] === null ? null : v, i); })});
      series.push({name: b.name, type: "line", stack: "__band", symbol: "none", silent: true,
                   lineStyle: {opacity: 0}, itemStyle: {color: b.color}, areaStyle: {color: b.color, opacity: 0.22},
                   data: b.upper.map(function (v, i) {
                     var lo = b.lower[i];
                     return at(v === null || lo === null ? null : v - lo, i);
                   })});
    }
    spec.series.forEach(function (s) {
      if (spec.kind === "line") {
        series.push({name: s.name, type: "line", symbolSize: 5, showSymbol: xs.length <= 31,
                     itemStyle: {color: s.color}, connectNulls: false, data: s.values.map(at)});
      } else {
        series.push({name: s.name, type: "bar", stack: spec.stacked ? "total" : undefined, barMaxWidth: 48,
                     itemStyle: {color: s.color}, data: s.values});
      }
    });
    var plotWidth = Math.max(100, width - 90);
    var xAxis = time
      ? {type: "time", axisLabel: {hideOverlap: true, color: "#5b6475", margin: 10}}
      : {type: "category", data: xs, axisTick: {alignWithLabel: true}, axisLabel: categoryLabels(spec, plotWidth)};
    return {
      animation: false,
      textStyle: {fontFamily: FONT, fontSize: 12},
      grid: {left: 8, right: 16, top: legend ? legendRows * LEGEND_ROW + 14 : 12, bottom: 4, containLabel: true},
      legend: {show: legend, type: "plain", top: 0, left: 0, right: 0, itemGap: LEGEND_GAP,
               itemWidth: LEGEND_ICON, itemHeight: 10, textStyle: {color: "#5b6475"}},
      tooltip: {trigger: "axis", confine: true, axisPointer: {type: spec.kind === "bar" ? "shadow" : "line"},
                formatter: tooltip(spec)},
      xAxis: xAxis,
      yAxis: {type: "value", minInterval: spec.integer ? 1 : undefined,
              axisLabel: {formatter: short, color: "#5b6475"}, splitLine: {lineStyle: {color: "#e6e9ee"}}},
      series: series
    };
  }

  function draw(figure) {
    var holder = figure.querySelector(".echart"), source = figure.querySelector("script.chart-spec");
    if (!holder || !source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent), chart = window.echarts.init(holder, null, {renderer: "svg"});
    var width = holder.clientWidth;
    chart.setOption(option(spec, width));
    figure.setAttribute("data-drawn", "true");
    if (window.ResizeObserver) {
      new window.ResizeObserver(function () {
        if (holder.clientWidth === width) { return; }
        width = holder.clientWidth;
        chart.setOption(option(spec, width), true);
        chart.resize();
      }).observe(holder);
    }
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
