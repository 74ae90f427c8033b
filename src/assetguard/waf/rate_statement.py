"""RateBasedStatement: matches once an aggregation key exceeds Limit requests in the window.

Requests that pass the optional ScopeDownStatement are counted (per rule, per key); the statement
matches while the count in the last EvaluationWindowSec (60, 120, 300 or 600) is above Limit
(at least 10). Keys: IP, FORWARDED_IP (ForwardedIPConfig), CONSTANT (one shared counter; needs a
scope-down), CUSTOM_KEYS (1-5 of Header, Cookie, QueryArgument, QueryString, HTTPMethod,
ForwardedIP, IP, LabelNamespace, UriPath). A request without a value for a custom key is not
counted, as in AWS.

Example::

    {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.waf.compiled import CompileContext, Compiled, EvalState, statements
from assetguard.waf.ratelimit import RateCounter
from assetguard.waf.request import HttpRequest
from assetguard.waf.transforms import compile_chain

WINDOWS = (60, 120, 300, 600)
KeyPart = Callable[[HttpRequest, EvalState], str | None]


class RateMatch:
    __slots__ = ("rule_key", "limit", "window", "keys", "scope_down", "counter", "wcu")

    def __init__(self, rule_key: str, limit: int, window: int, keys: list[KeyPart], scope_down: Compiled | None,
                 counter: RateCounter, wcu: int) -> None:
        self.rule_key = rule_key
        self.limit = limit
        self.window = window
        self.keys = keys
        self.scope_down = scope_down
        self.counter = counter
        self.wcu = wcu

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        if self.scope_down is not None and not self.scope_down.match(request, state):
            return False
        parts: list[str] = []
        for key in self.keys:
            value = key(request, state)
            if value is None:
                return False
            parts.append(value)
        count = self.counter.hit(self.rule_key, "\x1f".join(parts), self.window, state.now)
        return count > self.limit


def _forwarded_ip(header: str) -> KeyPart:
    def part(request: HttpRequest, state: EvalState) -> str | None:
        raw = request.header(header)
        return raw.split(",")[0].strip() or None if raw else None
    return part


def _transformed(spec: dict[str, Any], at: str) -> Callable[[str], str]:
    chain, _ = compile_chain(spec.get("TextTransformations", []), where=f"{at}.TextTransformations")
    return chain or (lambda v: v)


def _named(spec: dict[str, Any], at: str) -> str:
    name = spec.get("Name")
    if not isinstance(name, str) or not name:
        raise ValidationError("Name is required", where=f"{at}.Name")
    return name.lower()


def _custom_key(item: Any, ctx: CompileContext, at: str, forwarded_header: str | None) -> KeyPart:
    if not isinstance(item, dict) or len(item) != 1:
        raise ValidationError("each custom key needs exactly one key type", where=at)
    (kind, spec), = item.items()
    at = f"{at}.{kind}"
    if not isinstance(spec, dict):
        raise ValidationError("must be an object", where=at)
    if kind == "IP":
        return lambda r, s: r.client_ip
    if kind == "ForwardedIP":
        if forwarded_header is None:
            raise ValidationError("a ForwardedIP key needs the statement's ForwardedIPConfig", where=at)
        return _forwarded_ip(forwarded_header)
    if kind == "HTTPMethod":
        return lambda r, s: r.method
    if kind == "LabelNamespace":
        namespace = spec.get("Namespace")
        if not isinstance(namespace, str) or not namespace.endswith(":"):
            raise ValidationError("Namespace must end with ':'", where=f"{at}.Namespace")

        def label_key(r: HttpRequest, s: EvalState) -> str | None:
            found = [label for label in s.labels if label.startswith(namespace)]
            return "|".join(found) if found else None
        return label_key
    transform = _transformed(spec, at)
    if kind == "Header":
        name = _named(spec, at)
        return lambda r, s: None if (v := r.header(name)) is None else transform(v)
    if kind == "Cookie":
        cookie_name = spec.get("Name")
        if not isinstance(cookie_name, str) or not cookie_name:
            raise ValidationError("Name is required", where=f"{at}.Name")

        def cookie_key(r: HttpRequest, s: EvalState) -> str | None:
            for k, v in r.cookies:
                if k == cookie_name:
                    return transform(v)
            return None
        return cookie_key
    if kind == "QueryArgument":
        name = _named(spec, at)

        def arg_key(r: HttpRequest, s: EvalState) -> str | None:
            for k, v in r.query_args:
                if k.lower() == name:
                    return transform(v)
            return None
        return arg_key
    if kind == "QueryString":
        return lambda r, s: transform(r.query_string) if r.query_string else None
    if kind == "UriPath":
        return lambda r, s: transform(r.path)
    raise ValidationError(f"unknown custom key {kind!r}; valid: Header, Cookie, QueryArgument, QueryString, "
                          "HTTPMethod, ForwardedIP, IP, LabelNamespace, UriPath", where=at)


@statements.register("RateBasedStatement")
def rate_based(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Rate limiting per aggregation key over a sliding window."""
    from assetguard.waf.statements import compile_statement

    limit = spec.get("Limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 10 <= limit <= 2_000_000_000:
        raise ValidationError("Limit must be an integer from 10 to 2,000,000,000", where=f"{at}.Limit")
    window = spec.get("EvaluationWindowSec", 300)
    if window not in WINDOWS:
        raise ValidationError("EvaluationWindowSec must be 60, 120, 300 or 600", where=f"{at}.EvaluationWindowSec")
    key_type = spec.get("AggregateKeyType")
    forwarded = spec.get("ForwardedIPConfig")
    header: str | None = None
    if forwarded is not None:
        if not isinstance(forwarded, dict) or not isinstance(forwarded.get("HeaderName"), str):
            raise ValidationError("ForwardedIPConfig needs HeaderName", where=f"{at}.ForwardedIPConfig")
        if forwarded.get("FallbackBehavior") not in ("MATCH", "NO_MATCH"):
            raise ValidationError("FallbackBehavior must be MATCH or NO_MATCH",
                                  where=f"{at}.ForwardedIPConfig.FallbackBehavior")
        header = str(forwarded["HeaderName"])
    scope_down = None
    if "ScopeDownStatement" in spec:
        scope_down = compile_statement(spec["ScopeDownStatement"], ctx, f"{at}.ScopeDownStatement")
    keys: list[KeyPart]
    wcu = 2
    if key_type == "IP":
        keys = [lambda r, s: r.client_ip]
    elif key_type == "FORWARDED_IP":
        if header is None:
            raise ValidationError("FORWARDED_IP needs ForwardedIPConfig", where=f"{at}.ForwardedIPConfig")
        keys = [_forwarded_ip(header)]
    elif key_type == "CONSTANT":
        if scope_down is None:
            raise ValidationError("CONSTANT aggregation needs a ScopeDownStatement", where=f"{at}.ScopeDownStatement")
        keys = [lambda r, s: "*"]
    elif key_type == "CUSTOM_KEYS":
        items = spec.get("CustomKeys")
        if not isinstance(items, list) or not 1 <= len(items) <= 5:
            raise ValidationError("CustomKeys must list 1 to 5 keys", where=f"{at}.CustomKeys")
        keys = [_custom_key(item, ctx, f"{at}.CustomKeys[{i}]", header) for i, item in enumerate(items)]
        wcu += 30 * len(items)
        wcu += 10 * sum(len(next(iter(i.values())).get("TextTransformations", []))
                        for i in items if isinstance(next(iter(i.values())), dict))
    else:
        raise ValidationError("AggregateKeyType must be IP, FORWARDED_IP, CUSTOM_KEYS or CONSTANT",
                              where=f"{at}.AggregateKeyType")
    if scope_down is not None:
        wcu += scope_down.wcu
    return RateMatch(f"{ctx.scope_id}/{at}", limit, int(window), keys, scope_down, ctx.rate_counter, wcu)
