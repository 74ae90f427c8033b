"""Encodings and obfuscations that hide markup or script from a plain HTML/JS reading.

:func:`assetguard.waf.detectors.xss.detect_xss` uses these to produce the *other* readings a
browser or a lossy back end may give the same bytes:

* ``unicode_views``: the engine hands detectors Latin-1 wire text (one char per byte); a UTF-8
  decode plus NFKC turns full-width ``＜script＞`` into ``<script>``, and a back end that drops
  the high bit turns ``¼script¾`` (0xBC/0xBE) into ``<script>``;
* ``decode_utf7``: ``+ADw-script+AD4-`` is ``<script>`` for a page served (or sniffed) as UTF-7;
* ``is_jsfuck``: JavaScript written with only ``[]()!+`` (``(![]+[])[+[]]`` is ``"f"``);
* ``spaced_tag``: a tag name split by junk a filter strips (``<s c r i p t``, ``<f/o/r/m``).

Example::

    >>> decode_utf7("+ADw-svg+AD4-")
    '<svg>'
    >>> is_jsfuck("(![]+[])[+[]]"), is_jsfuck("![](image.png)")
    (True, False)
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["decode_utf7", "is_jsfuck", "spaced_tag", "unicode_views"]

_HIGH_BIT_TABLE = {code: code & 0x7F for code in range(0x80, 0x800)}

# UTF-7 shifted runs that carry ASCII punctuation: +ADw- is '<', +AD4- '>', +ACI- '"', +ACc- "'".
_UTF7_RUN = re.compile(r"\+(A[A-Za-z0-9+/]{2,})-?")


def unicode_views(wire: str) -> tuple[str, str]:
    """``(normalised, high_bit_stripped)`` readings of non-ASCII ``wire`` text.

    ``normalised`` is the UTF-8 decoding (when the bytes are UTF-8) in NFKC form; the stripped
    view drops bit 7 of every byte (and of every decoded code point up to U+07FF).
    """
    text = wire
    if all(ord(ch) < 0x100 for ch in wire):
        try:
            text = wire.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            text = wire
    normalised = unicodedata.normalize("NFKC", text)
    stripped = wire.translate(_HIGH_BIT_TABLE)
    if text != wire:
        stripped += "\n" + text.translate(_HIGH_BIT_TABLE)
    return normalised, stripped


def decode_utf7(text: str) -> str:
    """``text`` with its UTF-7 shifted runs decoded; other characters are left as they are."""

    def one(m: re.Match[str]) -> str:
        run = m.group(1)
        try:
            return ("+" + run + "-").encode("ascii").decode("utf-7")
        except (UnicodeDecodeError, UnicodeEncodeError):
            return m.group(0)

    return _UTF7_RUN.sub(one, text)


# Runs of the JSFuck alphabet; a markdown image "![](x.png)" has "![](" but none of the idioms.
_JSFUCK_RUN = re.compile(r"[\[\]()!+\s]{5,}")
_JSFUCK_IDIOM = re.compile(r"!!\[\]|!\+\[\]|\+!\+?\[\]|\+\[\]|\[\]\[|\]\+\[|\[\]\)\[")


def is_jsfuck(text: str) -> bool:
    """True when ``text`` holds a run of JavaScript built only from ``[]()!+``."""
    if "[]" not in text:
        return False
    for m in _JSFUCK_RUN.finditer(text):
        run = re.sub(r"\s+", "", m.group(0))
        idioms = len(_JSFUCK_IDIOM.findall(run))
        if idioms and ("!" in run or (len(run) >= 12 and idioms >= 2)):
            return True
    return False


_SPACED_NAMES = frozenset(
    """script form style iframe frame object embed applet dialog svg math meta link base img
    image video audio marquee isindex details template textarea body input button""".split()
)
# "<" then single letters each followed by one to three filler characters: "<f o r m", "<s/c/r/i/p/t".
_SPACED = re.compile(r"<[^\w<>]{0,3}((?:[a-z][^\w<>]{1,3}){2,}[a-z])\b", re.IGNORECASE)


def spaced_tag(text: str) -> bool:
    """True when a dangerous tag name is spelled with filler between its letters."""
    for m in _SPACED.finditer(text):
        name = re.sub(r"[^a-z]", "", m.group(1).lower())
        if name in _SPACED_NAMES:
            return True
    return False
