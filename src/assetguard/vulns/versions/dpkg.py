"""Debian/Ubuntu version ordering (Debian Policy 5.6.12, dpkg's ``verrevcmp``).

``[epoch:]upstream[-revision]``: the epoch compares numerically; upstream and revision are
compared by alternating non-digit and digit runs. Non-digit runs compare character by character
with ``~`` before the end of the run, the end before letters, letters before everything else;
digit runs compare numerically, and a part that has run out compares as endless zero-length runs
and zeros. The key encodes exactly that, so ``key(a) < key(b)`` iff dpkg says ``a`` is older::

    key("1.0~rc1") < key("1.0") < key("1.0-1") < key("1:0.9")
    key("0~rc1") < key("0")          # the "~" still sorts before the end after a zero

Validity follows dpkg's ``parseversion``: an empty version, upstream or revision (``1.0-``), an
empty, non-numeric, negative or over-``INT_MAX`` epoch, and embedded blanks are errors. Of dpkg's
warnings, an upstream not starting with a digit is compared as dpkg does; a character outside
dpkg's alphabet (``0:0-0:0``) is rejected (see docs/vulns.md, "Differences from the reference").
"""

from __future__ import annotations

from assetguard.vulns.versions import InvalidVersion, schemes

_INT_MAX = 2**31 - 1
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_UPSTREAM_CHARS = _ALNUM | frozenset(".-+~:")
_REVISION_CHARS = _ALNUM | frozenset(".+~")
_BLANKS = " \t"

# One element of a part's key: (sign, +-zeros before it, value). See _part_key.
_Element = tuple[int, int, int]
_END: tuple[int] = (0,)


def _order(c: str) -> int:
    """dpkg's ``order()``: ``~`` first, then the end of a run, letters, everything else."""
    if c == "~":
        return -1
    if "a" <= c <= "z" or "A" <= c <= "Z":
        return ord(c)
    return ord(c) + 256


def _atoms(text: str) -> list[int]:
    """The part as the sequence dpkg walks: each non-digit run's character weights and a 0 for
    its end, then the digit run's value (0 when absent). A part that has run out compares like an
    endless sequence of zeros, and every weight is non-zero, so runs stay aligned until the
    first difference."""
    atoms: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and text[j] not in _DIGITS:
            atoms.append(_order(text[j]))
            j += 1
        atoms.append(0)
        k = j
        while k < n and text[k] in _DIGITS:
            k += 1
        atoms.append(int(text[j:k]) if k > j else 0)
        i = k
    return atoms


def _part_key(text: str) -> tuple[_Element | tuple[int], ...]:
    """A tuple that compares like the atom sequence padded with endless zeros.

    Each non-zero atom ``v`` preceded by ``z`` zeros becomes ``(1, -z, v)`` when positive and
    ``(-1, z, v)`` when negative; the end is ``(0,)``. Where two keys first differ, fewer zeros
    before a positive atom (or more before a negative one) is the greater, and the end sits
    between negative and positive atoms, exactly like the zeros it stands for.
    """
    out: list[_Element | tuple[int]] = []
    zeros = 0
    for atom in _atoms(text):
        if atom == 0:
            zeros += 1
        elif atom > 0:
            out.append((1, -zeros, atom))
            zeros = 0
        else:
            out.append((-1, zeros, atom))
            zeros = 0
    out.append(_END)
    return tuple(out)


def split(version: str) -> tuple[int, str, str]:
    """``"1:2.3-4"`` -> ``(1, "2.3", "4")``; raises InvalidVersion as dpkg's parser errs."""
    v = version.strip(_BLANKS)
    if not v:
        raise InvalidVersion(f"dpkg version {version!r}: version string is empty")
    if any(c in _BLANKS for c in v):
        raise InvalidVersion(f"dpkg version {version!r}: version string has embedded spaces")
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        if not e:
            raise InvalidVersion(f"dpkg version {version!r}: epoch is empty")
        digits = e[1:] if e[0] == "+" else e  # strtol accepts a sign
        if e[0] == "-" and e[1:] and all(c in _DIGITS for c in e[1:]):
            raise InvalidVersion(f"dpkg version {version!r}: epoch is negative")
        if not digits or not all(c in _DIGITS for c in digits):
            raise InvalidVersion(f"dpkg version {version!r}: epoch {e!r} is not a number")
        epoch = int(digits)
        if epoch > _INT_MAX:
            raise InvalidVersion(f"dpkg version {version!r}: epoch is too big")
        if not v:
            raise InvalidVersion(f"dpkg version {version!r}: nothing after the epoch's colon")
    upstream, hyphen, revision = v.rpartition("-")
    if not hyphen:
        upstream, revision = v, ""
    elif not revision:
        raise InvalidVersion(f"dpkg version {version!r}: revision is empty")
    if not upstream:
        raise InvalidVersion(f"dpkg version {version!r}: upstream version is empty")
    for c in upstream:
        if c not in _UPSTREAM_CHARS:
            raise InvalidVersion(f"dpkg version {version!r}: invalid character {c!r} in upstream version")
    for c in revision:
        if c not in _REVISION_CHARS:
            raise InvalidVersion(f"dpkg version {version!r}: invalid character {c!r} in revision")
    return epoch, upstream, revision


@schemes.register("dpkg")
def key(version: str) -> tuple[object, ...]:
    epoch, upstream, revision = split(version)
    return (epoch, _part_key(upstream), _part_key(revision))
