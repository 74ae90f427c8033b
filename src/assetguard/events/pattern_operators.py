"""The match operators of an event pattern, validated and compiled into value tests.

``compile_operator({"numeric": [">", 5]}, where)`` returns ``("test", NumericRange(...))``; a
wrong argument raises :class:`ValidationError` naming the JSON path (``$.detail.n[0].numeric``).
Tests the rule index evaluates without a call expose their parameters: :class:`NumericRange`
(bounds), :class:`Wildcard` (the compiled regex), :class:`NotOneOf` (the excluded keys)::

    >>> kind, test = compile_operator({"prefix": "arn:aws:s3"}, ("detail", "arn", 0))
    >>> test("arn:aws:s3:::bucket")
    True
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from assetguard.core.errors import ValidationError

ValueTest = Callable[[Any], bool]

OPERATORS = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric",
                       "cidr", "exists"})
NUMERIC_LIMIT = 5.0e9


NULL_KEY: tuple[str] = ("null",)


def value_key(value: Any) -> Any:
    """Hashable, type-exact key of a JSON scalar: strings as themselves, the rest tagged."""
    if isinstance(value, str):
        return value
    if value is None:
        return NULL_KEY
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("num", float(value))
    return ("other", repr(value))


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)



def json_path(path: Sequence[str | int]) -> str:
    """``$.detail.tags[0]``; a key with spaces, dots, brackets, quotes or control characters is quoted
    (``$["a b"]``), so the path stays one unambiguous line."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and part.isprintable() and not any(c in part for c in ' .[]"\\'):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def fail_at(path: Sequence[str | int], message: str) -> ValidationError:
    return ValidationError(message, where=json_path(path))


def check_number(value: Any, jpath: tuple[str | int, ...], *, limited: bool = True) -> float:
    """A finite JSON number; ``limited`` (``numeric`` bounds and ``anything-but`` numbers):
    within EventBridge's documented -5.0e9..5.0e9. Exact values have no such limit."""
    if not is_number(value) or not math.isfinite(float(value)):
        raise fail_at(jpath, f"expected a finite number, got {value!r}")
    number = float(value)
    if limited and abs(number) > NUMERIC_LIMIT:
        raise fail_at(jpath, f"numbers must be between -5.0e9 and 5.0e9, got {value!r}")
    return number


class _FoldTable(dict[int, int]):
    """``str.translate`` table of :func:`fold`, filled on first use of each code point."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        folded = ord(char.lower()) if _simple_case(char) else code
        self[code] = folded
        return folded


def _simple_case(char: str) -> bool:
    """Whether ``char`` is one of a closed pair of single-character cases (``k``/``K``, ``σ``/``Σ``)
    or has no case: then ignoring case means "its lower or upper case", and both fold alike."""
    low, up = char.lower(), char.upper()
    return (len(low) == 1 and len(up) == 1 and char in (low, up)
            and low.upper() == up and up.lower() == low)


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The key ``equals-ignore-case`` compares: each character of a simple case pair lowered,
    every other character (the Kelvin sign, ``ß``, ``ς``, title-case letters) kept as it is.

    event-ruler matches a pattern character by its lower or its upper case only, so ``k`` does
    not match the Kelvin sign (whose lower case is ``k``); a folded pattern of simple characters
    equals the folded event value exactly when event-ruler matches them.
    """
    return text.lower() if text.isascii() else text.translate(_FOLD)


def foldable(text: str) -> bool:
    """Whether a pattern's ``equals-ignore-case`` text can be compared by :func:`fold`."""
    return text.isascii() or all(_simple_case(c) for c in text)


def _case_regex(text: str) -> str:
    """Each pattern character as its lower or upper case (which may be longer: ``ß`` -> ``SS``)."""
    parts = []
    for char in text:
        options = sorted({char.lower(), char.upper()}, key=len, reverse=True)
        parts.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
    return "".join(parts)


def ignore_case_test(op: str, text: str) -> ValueTest:
    """``equals-ignore-case`` (``op`` "equals"), or ``prefix`` / ``suffix`` with it, as event-ruler
    matches it: each pattern character by its lower or its upper case."""
    if foldable(text):
        folded = fold(text)
        if op == "prefix":
            return lambda v: isinstance(v, str) and fold(v).startswith(folded)
        if op == "suffix":
            return lambda v: isinstance(v, str) and fold(v).endswith(folded)
        return lambda v: isinstance(v, str) and fold(v) == folded
    regex = re.compile(_case_regex(text) + (r"\Z" if op == "suffix" else ""), re.DOTALL)
    if op == "prefix":
        return lambda v: isinstance(v, str) and regex.match(v) is not None
    if op == "suffix":
        return lambda v: isinstance(v, str) and regex.search(v) is not None
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


def compile_operator(obj: dict[str, Any], jpath: tuple[str | int, ...]) -> tuple[str, ValueTest | None]:
    if len(obj) != 1:
        raise fail_at(jpath, f"a match object must have exactly one operator, got {sorted(obj) or 'none'}")
    (op, arg), = obj.items()
    here = (*jpath, op)
    if op == "exists":
        if not isinstance(arg, bool):
            raise fail_at(here, "exists takes true or false")
        return ("absent", None) if not arg else ("test", _any_leaf)
    if op == "anything-but":
        return "test", _anything_but(arg, here)
    if op in ("prefix", "suffix", "equals-ignore-case", "wildcard", "cidr", "numeric"):
        return "test", _positive(op, arg, here)
    raise fail_at(here, f"unknown operator {op!r}; expected one of {sorted(OPERATORS)}")


def _any_leaf(_value: Any) -> bool:
    return True


def _positive(op: str, arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if op in ("prefix", "suffix"):
        ignore_case = False
        if isinstance(arg, dict):
            if list(arg) != ["equals-ignore-case"]:
                raise fail_at(here, f"{op} takes a string or {{\"equals-ignore-case\": string}}")
            arg = arg["equals-ignore-case"]
            ignore_case = True
            here = (*here, "equals-ignore-case")
        if not isinstance(arg, str):
            raise fail_at(here, f"{op} takes a string, got {arg!r}")
        return _affix_test(op, arg, ignore_case)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise fail_at(here, f"equals-ignore-case takes a string, got {arg!r}")
        return ignore_case_test("equals", arg)
    if op == "wildcard":
        if not isinstance(arg, str):
            raise fail_at(here, f"wildcard takes a string, got {arg!r}")
        return Wildcard(compile_wildcard(arg, here), arg)
    if op == "cidr":
        return _cidr_test(arg, here)
    return _numeric_test(arg, here)


def _affix_test(op: str, text: str, ignore_case: bool) -> ValueTest:
    if ignore_case:
        return ignore_case_test(op, text)
    if op == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def compile_wildcard(text: str, here: Sequence[str | int] = ()) -> re.Pattern[str]:
    """``*`` matches any run of characters; ``\\*`` is a star, ``\\\\`` a backslash; ``**`` is an error."""
    parts: list[str] = []
    i = 0
    previous_star = False
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise fail_at(here, f"wildcard {text!r}: a backslash may only escape '*' or '\\' (at {i})")
            parts.append(re.escape(text[i + 1]))
            previous_star = False
            i += 2
            continue
        if ch == "*":
            if previous_star:
                raise fail_at(here, f"wildcard {text!r}: consecutive wildcard characters are not allowed")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(ch))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _cidr_test(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if not isinstance(arg, str):
        raise fail_at(here, f"cidr takes a string such as \"10.0.0.0/24\", got {arg!r}")
    try:
        network = ipaddress.ip_network(arg.strip(), strict=False)
    except ValueError:
        raise fail_at(here, f"{arg!r} is not a valid IPv4 or IPv6 CIDR block") from None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return test


_LOWER = {">": False, ">=": True}
_UPPER = {"<": False, "<=": True}


def _numeric_test(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if not isinstance(arg, list) or not arg or len(arg) % 2:
        raise fail_at(here, "numeric takes [op, number] or [lower-op, number, upper-op, number]")
    if len(arg) > 4:
        raise fail_at(here, "numeric takes at most two comparisons")
    lower: tuple[float, bool] | None = None
    upper: tuple[float, bool] | None = None
    equal: float | None = None
    for i in range(0, len(arg), 2):
        op, number = arg[i], arg[i + 1]
        value = check_number(number, (*here, i + 1))
        if op == "=":
            if len(arg) != 2:
                raise fail_at((*here, i), "numeric '=' must be the only comparison")
            equal = value
        elif op in _LOWER:
            if lower is not None:
                raise fail_at((*here, i), "numeric takes at most one lower bound ('>' or '>=')")
            lower = (value, _LOWER[op])
        elif op in _UPPER:
            if upper is not None:
                raise fail_at((*here, i), "numeric takes at most one upper bound ('<' or '<=')")
            upper = (value, _UPPER[op])
        else:
            raise fail_at((*here, i), f"unknown numeric operator {op!r}; expected =, <, <=, >, >=")
    if lower is not None and upper is not None and lower[0] >= upper[0]:
        raise fail_at(here, "numeric lower bound must be less than the upper bound")
    if equal is not None:
        return NumericRange(equal, True, equal, True)
    # A missing bound is a closed infinite one (json.loads reads Infinity as a float).
    return NumericRange(lower[0] if lower else -math.inf, lower[1] if lower else True,
                        upper[0] if upper else math.inf, upper[1] if upper else True)


class NumericRange:
    """A ``numeric`` test: JSON numbers (not booleans) between two bounds, each open or closed.

    Its bounds are public so the rule index can evaluate the common case without a call. Numbers
    compare exactly (Python compares ints and floats without rounding), so huge integers are
    fine.
    """

    __slots__ = ("low", "low_closed", "high", "high_closed")

    def __init__(self, low: float, low_closed: bool, high: float, high_closed: bool) -> None:
        self.low, self.low_closed, self.high, self.high_closed = low, low_closed, high, high_closed

    def __call__(self, value: Any) -> bool:
        if not is_number(value) or value != value:  # NaN is in no range
            return False
        if value < self.low or (value == self.low and not self.low_closed):
            return False
        return not (value > self.high or (value == self.high and not self.high_closed))


class Wildcard:
    """A ``wildcard`` test; ``fullmatch`` is public so the rule index can call it directly, and
    ``affixes`` is the text before and after the star of a wildcard with exactly one star and no
    escapes (the index tests those with startswith/endswith), else None."""

    __slots__ = ("fullmatch", "affixes")

    def __init__(self, regex: re.Pattern[str], text: str) -> None:
        self.fullmatch = regex.fullmatch
        head, star, tail = text.partition("*")
        self.affixes = (head, tail) if star and "*" not in tail and "\\" not in text else None

    def __call__(self, value: Any) -> bool:
        return isinstance(value, str) and self.fullmatch(value) is not None


class NotOneOf:
    """``anything-but`` a list of values: any leaf whose typed key is not in ``keys``."""

    __slots__ = ("keys",)

    def __init__(self, keys: frozenset[Any]) -> None:
        self.keys = keys

    def __call__(self, value: Any) -> bool:
        return value_key(value) not in self.keys


def _anything_but(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    inner: ValueTest
    if isinstance(arg, dict):
        if len(arg) != 1:
            raise fail_at(here, "anything-but takes one of prefix, suffix, equals-ignore-case, wildcard")
        (op, value), = arg.items()
        sub = (*here, op)
        if op in ("prefix", "suffix"):
            if not isinstance(value, str):
                raise fail_at(sub, f"anything-but {op} takes a string, got {value!r}")
            inner = _affix_test(op, value, False)
        elif op in ("equals-ignore-case", "wildcard"):
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(v, str) for v in items):
                raise fail_at(sub, f"anything-but {op} takes a string or a non-empty list of strings")
            tests = [_positive(op, v, (*sub, i)) for i, v in enumerate(items)]
            inner = (lambda v: any(t(v) for t in tests)) if len(tests) > 1 else tests[0]
        else:
            raise fail_at(sub, f"anything-but does not support {op!r}; use prefix, suffix, "
                             "equals-ignore-case or wildcard")
    else:
        items = arg if isinstance(arg, list) else [arg]
        if not items:
            raise fail_at(here, "anything-but takes a non-empty list")
        if all(isinstance(v, str) for v in items):
            keys = frozenset(items)
        elif all(is_number(v) for v in items):
            keys = frozenset(value_key(check_number(v, (*here, i))) for i, v in enumerate(items))
        else:
            raise fail_at(here, "anything-but takes a string, a number, or a list of only strings or only numbers")
        return NotOneOf(keys)
    positive = inner
    return lambda v: not positive(v)

