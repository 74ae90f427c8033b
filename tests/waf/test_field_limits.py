"""The 8 KB / 200-item cut of Headers and Cookies, at its exact boundaries."""

from __future__ import annotations

import pytest

from assetguard.waf.fields import HEADER_LIMIT_BYTES, HEADER_LIMIT_ITEMS, _limited


def _pairs(count: int, total: int) -> list[tuple[str, str]]:
    """``count`` pairs whose name + value + 4 bytes each add up to exactly ``total``."""
    each, extra = divmod(total - 4 * count, count)
    pairs = [(f"H{i:03d}", "v" * (each - 4)) for i in range(count)]
    name, value = pairs[-1]
    pairs[-1] = (name, value + "v" * extra)
    return pairs


@pytest.mark.parametrize(("count", "total", "cut"), [
    (10, HEADER_LIMIT_BYTES, False),
    (10, HEADER_LIMIT_BYTES + 1, True),
    (HEADER_LIMIT_ITEMS, 4000, False),
    (HEADER_LIMIT_ITEMS + 1, 4020, True),
])
def test_cut_at_the_boundaries(count: int, total: int, cut: bool) -> None:
    pairs = _pairs(count, total)
    assert sum(len(n) + len(v) + 4 for n, v in pairs) == total
    kept, was_cut, lowered = _limited(pairs)
    assert was_cut is cut
    if cut:
        assert len(kept) < count
        assert len(kept) <= HEADER_LIMIT_ITEMS
        assert sum(len(n) + len(v) + 4 for n, v in kept) <= HEADER_LIMIT_BYTES
    else:
        assert kept == pairs
    assert lowered == [n.lower() for n, _ in kept]
