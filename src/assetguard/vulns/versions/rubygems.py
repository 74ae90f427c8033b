"""RubyGems ordering (``Gem::Version#<=>``).

The version is split into numeric and alphabetic segments (``1.0.b1`` -> ``1, 0, "b", 1``;
a ``-`` means ``.pre.``). Trailing zeros are dropped from the release part and from the
pre-release part, then segments compare pairwise with missing ones as ``0``: a letter segment
is older than a number, so ``1.0.a < 1.0 == 1.0.0 < 1.0.1``::

    key("1.0.0.pre") < key("1.0.0.rc1") < key("1") == key("1.0")
"""

from __future__ import annotations

import re
from functools import total_ordering

from assetguard.vulns.versions import InvalidVersion, schemes

_VALID = re.compile(r"^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")


def _drop_trailing_zeros(segs: list[int | str]) -> list[int | str]:
    while segs and segs[-1] == 0:
        segs.pop()
    return segs


@total_ordering
class GemVersion:
    __slots__ = ("segments",)

    def __init__(self, segments: tuple[int | str, ...]) -> None:
        self.segments = segments

    def _cmp(self, other: GemVersion) -> int:
        a, b = self.segments, other.segments
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else 0
            y = b[i] if i < len(b) else 0
            if x == y:
                continue
            if isinstance(x, str) and isinstance(y, int):
                return -1
            if isinstance(x, int) and isinstance(y, str):
                return 1
            return -1 if x < y else 1  # type: ignore[operator]
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GemVersion) and self._cmp(other) == 0

    def __lt__(self, other: GemVersion) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash(self.segments)

    def __repr__(self) -> str:
        return f"GemVersion({self.segments!r})"


@schemes.register("rubygems")
def key(version: str) -> GemVersion:
    v = version.strip()
    if not v:
        v = "0"  # Gem::Version.new("") and Gem::Version.new("  ") are version 0
    if not _VALID.match(v):
        raise InvalidVersion(f"RubyGems version {version!r} is malformed")
    v = v.replace("-", ".pre.")
    segs: list[int | str] = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(v)]
    first_str = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    canonical = _drop_trailing_zeros(segs[:first_str]) + _drop_trailing_zeros(segs[first_str:])
    return GemVersion(tuple(canonical))
