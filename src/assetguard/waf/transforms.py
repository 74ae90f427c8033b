"""The 21 AWS WAF text transformations, each a pure ``str -> str`` function on a byte string.

Strings are Latin-1 byte strings (one character per byte, see :mod:`assetguard.waf.request`).
A statement applies its ``TextTransformations`` in ascending ``Priority``; :func:`compile_chain`
turns that list into one callable and a hashable key for the per-request cache.

Example::

    chain, key = compile_chain([{"Priority": 1, "Type": "URL_DECODE"}, {"Priority": 0, "Type": "LOWERCASE"}])
    chain("%41B")   # LOWERCASE first ('%41b'), then URL_DECODE -> 'Ab'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.core.registry import Registry

Transform = Callable[[str], str]

transformations: Registry[Transform] = Registry("waf.transformation")

_HEX = "0123456789abcdefABCDEF"
_WS = " \t\n\r\f\v\xa0"


@transformations.register("NONE")
def none(text: str) -> str:
    """No transformation."""
    return text


@transformations.register("LOWERCASE")
def lowercase(text: str) -> str:
    """ASCII upper-case letters to lower case (``'AbC' -> 'abc'``); other bytes unchanged."""
    if text.isascii():
        return text.lower()
    try:  # a byte string: bytes.lower() changes only A-Z, in C
        return text.encode("latin-1").lower().decode("latin-1")
    except UnicodeEncodeError:
        return text.translate(_LOWER)


_LOWER = {c: c + 32 for c in range(65, 91)}

_WS_RUN = re.compile("[ \t\n\r\f\v\xa0]+")


@transformations.register("COMPRESS_WHITE_SPACE")
def compress_white_space(text: str) -> str:
    """Runs of space, tab, newline, CR, form feed, vertical tab and NBSP become one space."""
    return _WS_RUN.sub(" ", text)


_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|(quot|amp|lt|gt|nbsp);)")
_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0"}


def _entity(match: re.Match[str]) -> str:
    hexa, dec, name = match.groups()
    if name:
        return _NAMED[name]
    code = int(hexa, 16) if hexa else int(dec)
    return chr(code & 0xFF)  # byte strings: like ModSecurity, keep the low byte


@transformations.register("HTML_ENTITY_DECODE")
def html_entity_decode(text: str) -> str:
    """``&quot; &amp; &lt; &gt; &nbsp;`` and ``&#xhh;``/``&#nnn;`` (``;`` optional for numeric) decoded."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


_CMD_DELETE = str.maketrans("", "", "\\\"'^")
_CMD_SEPARATORS = re.compile(r"[\s,;]+")
# The same on a byte string, in C: the deleted bytes, and every byte ``[\s,;]`` matches (Python's
# \s on str: the bytes str.isspace() accepts) mapped to a space, whose runs are then squeezed.
_CMD_BYTES = bytes(32 if chr(b).isspace() or chr(b) in ",;" else b for b in range(256))
_CMD_BYTES_DELETE = b"\\\"'^"


@transformations.register("CMD_LINE")
def cmd_line(text: str) -> str:
    """Command-line normalisation: delete ``\\ " ' ^``, replace ``,`` ``;`` and runs of white space
    with one space, delete a space before ``/`` and ``(``, lower-case (``cmd,/c DiR`` ->
    ``cmd/c dir``, ``system;(id)`` -> ``system(id)``)."""
    return lowercase(cmd_line_cased(text))


def cmd_line_cased(text: str) -> str:
    """CMD_LINE without its last step, lower-casing (which commutes with the others)."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        text = _CMD_SEPARATORS.sub(" ", text.translate(_CMD_DELETE))
    else:
        text = data.translate(_CMD_BYTES, _CMD_BYTES_DELETE).decode("latin-1")
        while "  " in text:  # a run of n spaces takes log2(n) passes; a regex costs 10x more per match
            text = text.replace("  ", " ")
    if " /" in text or " (" in text:
        text = text.replace(" /", "/").replace(" (", "(")
    return text


_PCT = re.compile(r"%([0-9a-fA-F]{2})")
_PCT_UNI = re.compile(r"%(?:[uU]([0-9a-fA-F]{4})|([0-9a-fA-F]{2}))")
_BYTE = {f"{i:02x}": chr(i) for i in range(256)}


def _pct(match: re.Match[str]) -> str:
    return _BYTE[match.group(1).lower()]


def _pct_uni(match: re.Match[str]) -> str:
    uni, byte = match.groups()
    if uni:
        code = int(uni, 16)
        return chr(code - 0xFEE0) if 0xFF01 <= code <= 0xFF5E else chr(code & 0xFF)  # full-width ASCII to ASCII
    return _BYTE[byte.lower()]


def _url_decode(text: str, unicode: bool) -> str:
    # '+' first: a decoded %2B must stay '+'. One regex pass; invalid escapes are left as they are.
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    return (_PCT_UNI if unicode else _PCT).sub(_pct_uni if unicode else _pct, text)


@transformations.register("URL_DECODE")
def url_decode(text: str) -> str:
    """``%hh`` decoded and ``+`` to space; invalid escapes are kept as they are."""
    return _url_decode(text, False)


@transformations.register("URL_DECODE_UNI")
def url_decode_uni(text: str) -> str:
    """URL_DECODE plus Microsoft ``%uhhhh``: full-width ASCII (U+FF01-FF5E) maps to ASCII,
    other code points keep their low byte."""
    return _url_decode(text, True)


_B64_CHARS = re.compile(r"[A-Za-z0-9+/]+")


def _b64(text: str) -> str:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.encode("latin-1"), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return text


_B64_PREFIX = re.compile(r"[A-Za-z0-9+/]*")


@transformations.register("BASE64_DECODE")
def base64_decode(text: str) -> str:
    """Decode base64 up to the first character outside the alphabet (``PHNjcmlwdD4=!`` ->
    ``<script>``), as ModSecurity's base64Decode (APR's decoder) does; a last lone character is
    dropped, and input that does not start with base64 is returned unchanged."""
    prefix = _B64_PREFIX.match(text).group()  # type: ignore[union-attr]  # * always matches
    if len(prefix) % 4 == 1:
        prefix = prefix[:-1]
    return _b64(prefix) if prefix else text


@transformations.register("BASE64_DECODE_EXT")
def base64_decode_ext(text: str) -> str:
    """Forgiving base64: characters outside the alphabet (and ``=``) are ignored, ``-_`` accepted."""
    cleaned = "".join(_B64_CHARS.findall(text.replace("-", "+").replace("_", "/")))
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    return _b64(cleaned) if cleaned else ""


@transformations.register("HEX_DECODE")
def hex_decode(text: str) -> str:
    """Pairs of hex digits to bytes (``'414243' -> 'ABC'``) up to the first character that is not
    a hex digit, a trailing odd digit dropped (``'3c7363726970743e!'`` -> ``'<script>'``); input
    that does not start with two hex digits is returned unchanged."""
    digits = _HEX_PREFIX.match(text).group()  # type: ignore[union-attr]  # * always matches
    digits = digits[: len(digits) - len(digits) % 2]
    return bytes.fromhex(digits).decode("latin-1") if digits else text


_HEX_PREFIX = re.compile("[0-9a-fA-F]*")


@transformations.register("MD5")
def md5(text: str) -> str:
    """The 16-byte MD5 digest of the input, as a byte string."""
    return hashlib.md5(text.encode("latin-1"), usedforsecurity=False).digest().decode("latin-1")


_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)


@transformations.register("REPLACE_COMMENTS")
def replace_comments(text: str) -> str:
    """Each ``/* ... */`` (and an unterminated ``/*`` to the end) becomes one space; a lone ``*/`` stays."""
    return _COMMENT.sub(" ", text) if "/*" in text else text


_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", "?": "?", "'": "'", '"': '"'}
_C_ESCAPE = re.compile(r"\\(?:([abfnrtv\\?'\"])|x([0-9a-fA-F]{2})|([0-7]{1,3}))")


def _c_escape(match: re.Match[str]) -> str:
    simple, hexa, octal = match.groups()
    if simple:
        return _C_ESCAPES[simple]
    if hexa:
        return chr(int(hexa, 16))
    return chr(int(octal, 8) & 0xFF)


@transformations.register("ESCAPE_SEQ_DECODE")
def escape_seq_decode(text: str) -> str:
    """ANSI C escapes: ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\? \\' \\" \\xHH \\OOO``; invalid ones stay."""
    return _C_ESCAPE.sub(_c_escape, text) if "\\" in text else text


_SQL_HEX = re.compile(r"0[xX]((?:[0-9a-fA-F]{2})+)")


@transformations.register("SQL_HEX_DECODE")
def sql_hex_decode(text: str) -> str:
    """SQL hex literals to bytes: ``0x414243`` -> ``ABC``."""
    if "0x" not in text and "0X" not in text:
        return text
    return _SQL_HEX.sub(lambda m: bytes.fromhex(m.group(1)).decode("latin-1"), text)


def _low_byte(code: int) -> str:
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return chr(code & 0xFF)


_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\n|\Z)|(.))", re.S)


def _css(match: re.Match[str]) -> str:
    hexa, newline, other = match.groups()
    if hexa:
        return _low_byte(int(hexa, 16))
    if newline is not None:
        return ""  # a backslash-newline is a line continuation; a backslash at the end is dropped
    return str(other)


@transformations.register("CSS_DECODE")
def css_decode(text: str) -> str:
    """CSS 2.x escapes: ``\\`` + 1-6 hex digits (one trailing white space eaten; low byte or
    full-width ASCII kept), ``\\`` + other char = that char (``ja\\vascript`` -> ``javascript``); a
    trailing lone ``\\`` is dropped."""
    return _CSS_ESCAPE.sub(_css, text) if "\\" in text else text


_JS_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-7]{1,3})|([abfnrtv])|(.))", re.S)


def _js(match: re.Match[str]) -> str:
    uni, hexa, octal, simple, other = match.groups()
    if uni:
        return _low_byte(int(uni, 16))
    if hexa:
        return chr(int(hexa, 16))
    if octal:
        return chr(int(octal, 8) & 0xFF)
    if simple:
        return _C_ESCAPES[simple]
    return str(other)


@transformations.register("JS_DECODE")
def js_decode(text: str) -> str:
    """JavaScript escapes: ``\\uHHHH`` (full-width ASCII mapped, else low byte), ``\\xHH``, octal,
    ``\\a\\b\\f\\n\\r\\t\\v``, and ``\\c`` -> ``c``."""
    return _JS_ESCAPE.sub(_js, text) if "\\" in text else text


def _normalize_path(text: str) -> str:
    if "/" not in text:
        return "" if text == "." else text
    absolute = text.startswith("/")
    trailing = text.endswith("/")  # "dir/sub/.." is "dir", not "dir/"
    out: list[str] = []
    for segment in text.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not absolute:
                out.append("..")  # a relative path keeps leading back-references
            continue
        out.append(segment)
    result = ("/" if absolute else "") + "/".join(out)
    if trailing and out:
        result += "/"
    return result or ("/" if absolute else "")


@transformations.register("NORMALIZE_PATH")
def normalize_path(text: str) -> str:
    """Collapse multiple slashes, drop ``.`` segments and resolve ``..`` (not above the root; a
    relative path keeps its leading ``..``): ``/etc/passwd/..`` -> ``/etc``, ``.`` -> ``''``."""
    return _normalize_path(text)


@transformations.register("NORMALIZE_PATH_WIN")
def normalize_path_win(text: str) -> str:
    """Backslashes to forward slashes, then NORMALIZE_PATH."""
    return _normalize_path(text.replace("\\", "/"))


@transformations.register("REMOVE_NULLS")
def remove_nulls(text: str) -> str:
    """Delete NUL bytes."""
    return text.replace("\x00", "") if "\x00" in text else text


@transformations.register("REPLACE_NULLS")
def replace_nulls(text: str) -> str:
    """NUL bytes to spaces."""
    return text.replace("\x00", " ") if "\x00" in text else text


@transformations.register("UTF8_TO_UNICODE")
def utf8_to_unicode(text: str) -> str:
    """Multi-byte UTF-8 sequences to ``%uhhhh`` notation (``'é'`` bytes -> ``%u00e9``); invalid
    sequences and ASCII are kept."""
    if text.isascii():
        return text
    raw = text.encode("latin-1")
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        size = 0 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        if size and i + size <= n:
            try:
                char = raw[i:i + size].decode("utf-8")
            except UnicodeDecodeError:
                char = ""
            if char:
                out.append(f"%u{ord(char):04x}")
                i += size
                continue
        out.append(chr(b))
        i += 1
    return "".join(out)


TRANSFORMATION_TYPES = tuple(transformations.names())

# What a transformation reacts to (a regex): on text without it the transformation is the identity.
# Types not listed here or in LOWERCASE_UNLESS (BASE64_*, HEX_DECODE, MD5, SQL_HEX_DECODE) change
# ordinary text; LOWERCASE is handled by callers (it only changes A-Z). NORMALIZE_PATH changes a
# path only where it has an empty, "." or ".." segment.
IDENTITY_UNLESS = {
    "NONE": None,
    "URL_DECODE": r"%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})|\+",
    "URL_DECODE_UNI": r"%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})|\+",
    "HTML_ENTITY_DECODE": "&(?:#|[qQ][uU][oO][tT];|[aA][mM][pP];|[lLgG][tT];|[nN][bB][sS][pP];)",
    "REMOVE_NULLS": "\x00",
    "REPLACE_NULLS": "\x00",
    "JS_DECODE": r"\\",
    "CSS_DECODE": r"\\",
    "ESCAPE_SEQ_DECODE": r"\\",
    "COMPRESS_WHITE_SPACE": "[\t\n\r\f\v\xa0]|  ",
    "REPLACE_COMMENTS": r"/\*",
    "UTF8_TO_UNICODE": "[^\x00-\x7f]",
    "NORMALIZE_PATH": r"//|(?:^|/)\.\.?(?:/|$)",
    "NORMALIZE_PATH_WIN": r"//|(?:^|/)\.\.?(?:/|$)|\\",
}


def compile_chain(specs: Sequence[Any] | None, *, where: str = "TextTransformations"
                  ) -> tuple[Callable[[str], str] | None, tuple[str, ...]]:
    """Validate ``TextTransformations`` and return ``(function or None, key)``.

    Transformations run in ascending ``Priority``; ``NONE`` entries are dropped. ``None`` means the
    chain is the identity. ``key`` (the type names in order) keys the per-request cache.
    """
    if specs is None:
        specs = []
    if not isinstance(specs, list):
        raise ValidationError("must be a list of {Priority, Type}", where=where)
    steps: list[tuple[int, str]] = []
    seen: set[int] = set()
    for i, spec in enumerate(specs):
        at = f"{where}[{i}]"
        if not isinstance(spec, dict):
            raise ValidationError("must be an object with Priority and Type", where=at)
        priority, kind = spec.get("Priority"), spec.get("Type")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
            raise ValidationError("Priority must be a non-negative integer", where=f"{at}.Priority")
        if priority in seen:
            raise ValidationError(f"duplicate Priority {priority}", where=f"{at}.Priority")
        seen.add(priority)
        if not isinstance(kind, str) or kind not in transformations:
            raise ValidationError(f"unknown Type {kind!r}; valid: {', '.join(TRANSFORMATION_TYPES)}",
                                  where=f"{at}.Type")
        steps.append((priority, kind))
    names = tuple(kind for _, kind in sorted(steps) if kind != "NONE")
    if not names:
        return None, ()
    funcs = [transformations.get(name) for name in names]
    if len(funcs) == 1:
        return funcs[0], names

    def chain(text: str) -> str:
        for func in funcs:
            text = func(text)
        return text

    return chain, names

# Transformations that are LOWERCASE on text without their trigger. CMD_LINE deletes \ " ' ^,
# turns , ; into spaces and any other white space (Latin-1 \s) into one space, and drops a space
# before / or (: a single ' ' elsewhere is kept.
LOWERCASE_UNLESS = {
    "CMD_LINE": r"""[\\"'^,;\t\n\v\f\r\x1c-\x1f\x85\xa0]| [ /(]""",
}


def quick_trigger(name: str) -> str | None:
    """The regex a transformation reacts to when it is the identity (or LOWERCASE) without it."""
    trigger = IDENTITY_UNLESS.get(name) or LOWERCASE_UNLESS.get(name)
    return str(trigger) if trigger else None

