"""Layout checks a person would make on a console page, run in the browser: nothing scrolls sideways,
every chart is drawn and fills its card, and no two chart labels (axis, legend, value) overlap."""

from __future__ import annotations

from typing import Any

WIDTHS = (1440, 1024)

# Returns a list of problems on the current page (empty when it reads well).
LAYOUT_PROBLEMS = r"""
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.body.querySelectorAll('*')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 1))
      .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\s+/).join('.') : ''));
    problems.push(`page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window (${wide.join(', ')})`);
  }
  const visible = (el) => {
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden' && +style.opacity !== 0
      && +(el.getAttribute('opacity') ?? 1) !== 0 && +(el.getAttribute('fill-opacity') ?? 1) !== 0
      && r.width > 0 && r.height > 0 && el.textContent.trim() !== '';
  };
  document.querySelectorAll('figure.chart').forEach((fig, n) => {
    const name = (fig.querySelector('figcaption')?.textContent || `chart ${n + 1}`).trim();
    if (!fig.querySelector('script.chart-spec')) { return; }  // "no data"
    if (fig.getAttribute('data-drawn') !== 'true') { problems.push(`${name}: not drawn`); return; }
    const svg = fig.querySelector('.echart svg');
    if (!svg) { problems.push(`${name}: no svg`); return; }
    const card = fig.getBoundingClientRect();
    const drawn = svg.getBoundingClientRect();
    if (drawn.width < card.width * 0.95) {
      problems.push(`${name}: chart is ${Math.round(drawn.width)}px in a ${Math.round(card.width)}px card`);
    }
    // Each label as the quadrilateral it really covers on screen (rotated labels included), shrunk
    // by 1 px on every side so that touching is not overlapping.
    const quad = (t) => {
      const b = t.getBBox(), m = t.getScreenCTM();
      const pt = (x, y) => ({x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f});
      const i = Math.min(1, b.width / 4, b.height / 4);
      return [pt(b.x + i, b.y + i), pt(b.x + b.width - i, b.y + i), pt(b.x + b.width - i, b.y + b.height - i),
              pt(b.x + i, b.y + b.height - i)];
    };
    const separated = (p, q) => {  // separating axis test for two convex quadrilaterals
      for (const poly of [p, q]) {
        for (let k = 0; k < 4; k++) {
          const a = poly[k], b = poly[(k + 1) % 4], nx = b.y - a.y, ny = a.x - b.x;
          const proj = (r) => r.map((v) => v.x * nx + v.y * ny);
          const pp = proj(p), qq = proj(q);
          if (Math.max(...pp) <= Math.min(...qq) || Math.max(...qq) <= Math.min(...pp)) { return true; }
        }
      }
      return false;
    };
    // Clipped parts (a paged legend) are not shown: a label counts only inside its clip rectangle.
    const unclipped = (t) => {
      const clipped = t.closest('[clip-path]');
      if (!clipped) { return true; }
      const c = clipped.getBoundingClientRect(), r = t.getBoundingClientRect();
      return r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1;
    };
    const labels = [...svg.querySelectorAll('text')].filter((t) => visible(t) && unclipped(t))
      .map((t) => ({text: t.textContent.trim(), r: t.getBoundingClientRect(), q: quad(t)}));
    for (const l of labels) {
      if (l.r.left < drawn.left - 1 || l.r.right > drawn.right + 1) {
        problems.push(`${name}: label "${l.text}" is cut at the chart's edge`);
      }
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (!separated(labels[i].q, labels[j].q)) {
          problems.push(`${name}: labels "${labels[i].text}" and "${labels[j].text}" overlap`);
        }
      }
    }
  });
  return problems;
}
"""


def layout_problems(page: Any) -> list[str]:
    """Wait for the page's charts to be drawn, then list what a reader would see wrong."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart')]"
        ".every(f => !f.querySelector('script.chart-spec') || f.getAttribute('data-drawn') === 'true')")
    return list(page.evaluate(LAYOUT_PROBLEMS))
