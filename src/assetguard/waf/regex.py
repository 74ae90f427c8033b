"""The AWS WAF regular-expression subset: validation and compilation.

AWS WAF accepts PCRE syntax but rejects backreferences, subroutine references and recursion,
conditional patterns, backtracking control verbs, ``\\C``, ``\\R``, ``\\K``, callouts, atomic
groups and possessive quantifiers (AWS WAF developer guide, "Supported regular expression
syntax"); we reject the same, plus lookaround, which Python would otherwise quietly accept.
Groups are allowed and compiled as non-capturing. ``RegexString`` is limited to 512 characters.

Example::

    compile_aws_regex(r"(?i)^/admin(/|$)", where="Statement.RegexMatchStatement.RegexString")
    compile_aws_regex(r"(a)\\1", where="x")   # ValidationError: backreferences are not supported
"""

from __future__ import annotations

import re

from assetguard.core.errors import ValidationError

MAX_REGEX_LENGTH = 512

_REJECTED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\\[1-9]|\\g[{<]?-?\d|\\k[<{']|\(\?P="), "backreferences are not supported"),
    (re.compile(r"\(\?(?:R|[+-]?\d+|&|P>)\)?"), "subroutine references and recursion are not supported"),
    (re.compile(r"\(\?\("), "conditional patterns are not supported"),
    (re.compile(r"\(\*[A-Z_:]"), "backtracking control verbs are not supported"),
    (re.compile(r"\\C"), "the \\C single-byte directive is not supported"),
    (re.compile(r"\\R"), "the \\R newline match directive is not supported"),
    (re.compile(r"\\K"), "the \\K start of match reset directive is not supported"),
    (re.compile(r"\(\?C"), "callouts are not supported"),
    (re.compile(r"\(\?>"), "atomic grouping is not supported"),
    (re.compile(r"(?:[*+?}])\+"), "possessive quantifiers are not supported"),
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind assertions are not supported"),
]


def strip_escapes_and_classes(pattern: str) -> str:
    """The pattern with escaped characters and ``[...]`` classes blanked, for structural checks."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if in_class:
                out.append("__")
                i += 2
                continue
            # Keep escapes that are themselves constructs we must detect.
            out.append("\\" + nxt if nxt in "123456789gkCRK" else "__")
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append("_")
        elif c == "[":
            in_class = True
            out.append("_")
            if i + 1 < n and pattern[i + 1] == "^":
                out.append("_")
                i += 1
            if i + 1 < n and pattern[i + 1] == "]":
                out.append("_")
                i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


def validate_aws_regex(pattern: str, *, where: str) -> None:
    """Raise :class:`ValidationError` naming ``where`` if AWS WAF would reject ``pattern``."""
    if not isinstance(pattern, str) or not pattern:
        raise ValidationError("must be a non-empty regular expression", where=where)
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ValidationError(f"is {len(pattern)} characters; AWS WAF allows at most {MAX_REGEX_LENGTH}", where=where)
    skeleton = strip_escapes_and_classes(pattern)
    for rx, message in _REJECTED:
        if rx.search(skeleton):
            raise ValidationError(message, where=where)


def _to_python(pattern: str) -> str:
    # PCRE's \z (absolute end) is Python's \Z; PCRE's \Z (end or before final newline) is close to $.
    return re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)


def compile_aws_regex(pattern: str, *, where: str) -> re.Pattern[str]:
    """Validate against the AWS subset and compile with Python ``re`` (DOTALL off, like PCRE)."""
    validate_aws_regex(pattern, where=where)
    try:
        return re.compile(_to_python(pattern))
    except re.error as exc:
        raise ValidationError(f"invalid regular expression: {exc}", where=where) from None


def compile_alternation(patterns: list[str], *, where: str) -> re.Pattern[str]:
    """One regex that matches when any of ``patterns`` matches (each validated first).

    Patterns with inline global flags cannot be merged safely; they are wrapped as scoped flag
    groups ``(?i:...)`` instead.
    """
    parts: list[str] = []
    for i, pattern in enumerate(patterns):
        compile_aws_regex(pattern, where=f"{where}[{i}]")
        body = _to_python(pattern)
        flags = re.match(r"^\(\?([aiLmsux]+)\)", body)
        if flags:
            parts.append(f"(?{flags.group(1)}:{body[flags.end():]})")
        else:
            parts.append(f"(?:{body})")
    try:
        return re.compile("|".join(parts))
    except re.error as exc:
        raise ValidationError(f"invalid regular expression set: {exc}", where=where) from None
