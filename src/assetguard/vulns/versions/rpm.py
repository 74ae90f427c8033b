"""RPM version ordering (``rpmvercmp`` over ``[epoch:]version[-release]``).

Segments are maximal runs of digits or of letters; everything else separates. ``~`` sorts
before anything (even the end), ``^`` after the end but before any segment, a numeric segment
is newer than an alphabetic one, numbers compare numerically, letters with ``strcmp``::

    key("1.0~rc1") < key("1.0") < key("1.0^git1") < key("1.0a") < key("1.0.1")
"""

from __future__ import annotations

from assetguard.vulns.versions import InvalidVersion, schemes

_TILDE, _END, _CARET, _ALPHA, _NUM = range(5)


def vercmp_key(text: str) -> tuple[tuple[int, object], ...]:
    tokens: list[tuple[int, object]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "~":
            tokens.append((_TILDE, 0))
            i += 1
        elif c == "^":
            tokens.append((_CARET, 0))
            i += 1
        elif "0" <= c <= "9":  # rpm's risdigit: ASCII only
            j = i
            while j < n and "0" <= text[j] <= "9":
                j += 1
            tokens.append((_NUM, int(text[i:j])))
            i = j
        elif c.isascii() and c.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            tokens.append((_ALPHA, text[i:j]))
            i = j
        else:
            i += 1
    tokens.append((_END, 0))
    return tuple(tokens)


def split(version: str) -> tuple[int, str, str]:
    v = version.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        if not (e.isascii() and e.isdigit()):
            raise InvalidVersion(f"rpm version {version!r}: epoch {e!r} is not a number")
        epoch = int(e)
    ver, rel = (v.rsplit("-", 1) if "-" in v else (v, ""))
    if not ver:
        raise InvalidVersion(f"rpm version {version!r} is empty")
    return epoch, ver, rel


@schemes.register("rpm")
def key(version: str) -> tuple[object, ...]:
    epoch, ver, rel = split(version)
    return (epoch, vercmp_key(ver), vercmp_key(rel))
