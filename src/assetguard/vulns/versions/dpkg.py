"""Debian/Ubuntu version ordering (Debian Policy 5.6.12, dpkg's ``verrevcmp``).

``[epoch:]upstream[-revision]``: the epoch compares numerically; upstream and revision are
compared by alternating non-digit and digit runs. Non-digit runs compare character by character
with ``~`` before the end of the run, the end before letters, letters before everything else;
digit runs compare numerically. The key encodes exactly that, so ``key(a) < key(b)`` iff dpkg
says ``a`` is older::

    key("1.0~rc1") < key("1.0") < key("1.0-1") < key("1:0.9")
"""

from __future__ import annotations

from assetguard.vulns.versions import InvalidVersion, schemes

_PAD = ((0,), 0)


def _char_weight(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _part_key(text: str) -> tuple[tuple[tuple[int, ...], int], ...]:
    parts: list[tuple[tuple[int, ...], int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and not text[j].isdigit():
            j += 1
        letters = tuple(_char_weight(c) for c in text[i:j]) + (0,)  # 0 = "end of run"
        k = j
        while k < n and text[k].isdigit():
            k += 1
        number = int(text[j:k]) if k > j else 0
        parts.append((letters, number))
        i = k
    # A run that is empty with number 0 equals "nothing left"; only trailing ones can be dropped.
    while parts and parts[-1] == _PAD:
        parts.pop()
    parts.append(_PAD)
    return tuple(parts)


def split(version: str) -> tuple[int, str, str]:
    """``"1:2.3-4"`` -> ``(1, "2.3", "4")``; raises InvalidVersion."""
    v = version.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        if not e.isdigit():
            raise InvalidVersion(f"dpkg version {version!r}: epoch {e!r} is not a number")
        epoch = int(e)
    upstream, revision = (v.rsplit("-", 1) if "-" in v else (v, ""))
    if not upstream or not upstream[0].isdigit():
        raise InvalidVersion(f"dpkg version {version!r}: upstream version must start with a digit")
    for c in upstream + revision:
        if not (c.isalnum() or c in ".+-~:"):
            raise InvalidVersion(f"dpkg version {version!r}: invalid character {c!r}")
    return epoch, upstream, revision


@schemes.register("dpkg")
def key(version: str) -> tuple[object, ...]:
    epoch, upstream, revision = split(version)
    return (epoch, _part_key(upstream), _part_key(revision))
