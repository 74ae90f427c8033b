"""FieldToMatch: which part of the request a statement inspects, compiled once.

:func:`compile_field` validates a ``FieldToMatch`` object and returns a :class:`FieldInspector`
whose ``values(request)`` gives the transformed strings to test, or a bool when oversize or
invalid-JSON handling decides the statement outright (``True`` = match, ``False`` = no match).
The result is cached on the request per (field, transformation chain), so a field is transformed
at most once per chain per request however many rules inspect it.

Example::

    inspector = compile_field({"SingleHeader": {"Name": "user-agent"}},
                              [{"Priority": 0, "Type": "LOWERCASE"}], body_limit=8192, where="FieldToMatch")
    inspector.values(request)   # ('mozilla/5.0 ...',)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import chain
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.waf.compiled import evict_oldest
from assetguard.waf.request import HttpRequest
from assetguard.waf.transforms import (
    IDENTITY_UNLESS,
    LOWERCASE_UNLESS,
    compile_chain,
    lowercase,
    quick_trigger,
)
from assetguard.waf.transforms import transformations as transformations_registry

HEADER_LIMIT_BYTES = 8 * 1024
HEADER_LIMIT_ITEMS = 200
BODY_LIMITS = {"KB_8": 8 * 1024, "KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
OVERSIZE = ("CONTINUE", "MATCH", "NO_MATCH")
SCOPES = ("ALL", "KEY", "VALUE")

Values = tuple[str, ...] | bool
Extract = Callable[[HttpRequest], Values]

FIELD_TYPES = ("UriPath", "QueryString", "Method", "SingleHeader", "Headers", "Cookies", "SingleQueryArgument",
               "AllQueryArguments", "Body", "JsonBody")
UNSUPPORTED_FIELDS = ("HeaderOrder", "JA3Fingerprint", "JA4Fingerprint", "UriFragment")


EMPTY_BODY = ("",)  # an empty body is inspected as one empty value (a size of 0)
MEMO_SIZE = 4096  # distinct raw values remembered per (field, chain)
STEP_MEMO_SIZE = 65536  # (chain, value) -> output, per ACL
STEP_MEMO_MAX_TEXT = 512


class FieldInspector:
    """A compiled FieldToMatch plus its transformation chain.

    Values are cached on the request under ``(field, chain prefix)`` for every prefix of the
    chain, so chains that share leading steps (``URL_DECODE_UNI, HTML_ENTITY_DECODE, ...``) share
    the work, and no field is transformed twice by the same chain. ``memo`` (set by the compiler,
    shared by the inspectors of one (field, chain)) remembers the output per raw value across
    requests, bounded: browser headers repeat, so they are transformed once.
    """

    __slots__ = ("kind", "extract", "steps", "key", "chain_names", "prefix_keys", "quick", "quick_ok", "lowers",
                 "raw_key", "memo", "step_memo")

    def __init__(self, kind: str, extract: Extract, steps: list[Callable[[str], str]],
                 field_key: str, chain_names: tuple[str, ...]) -> None:
        self.kind = kind
        self.extract = extract
        self.steps = steps
        self.chain_names = chain_names
        self.key = (field_key, chain_names)
        self.raw_key = field_key  # a str: its hash is computed once
        self.prefix_keys = [(field_key, chain_names[:i]) for i in range(len(chain_names) + 1)]
        # Quick path: when no value holds anything the chain reacts to, the output is the raw value
        # (lower-cased if the chain lower-cases) without running the steps one by one.
        triggers = [trigger for n in chain_names if (trigger := quick_trigger(n))]
        self.quick_ok = bool(chain_names) and all(n in IDENTITY_UNLESS or n in LOWERCASE_UNLESS or n == "LOWERCASE"
                                                  for n in chain_names)
        self.quick = re.compile("|".join(triggers)).search if triggers else None
        self.lowers = any(n == "LOWERCASE" or n in LOWERCASE_UNLESS for n in chain_names)
        self.memo: dict[Any, Values] | None = None
        # Per (chain, value), shared by every inspector of the ACL (set by the compiler): a new
        # tuple of values (one query word changed) transforms only its new values.
        self.step_memo: dict[tuple[tuple[str, ...], str], str] | None = None

    def values(self, request: HttpRequest) -> Values:
        cache = request.cache
        hit = cache.get(self.key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        raw = cache.get(self.raw_key)
        if raw is None:
            raw = cache[self.raw_key] = self.extract(request)
        if raw is True or raw is False or not self.steps:
            cache[self.key] = raw
            return raw
        memo = self.memo
        if memo is None:
            return self._transform(raw, cache)
        result = memo.get(raw)
        if result is None:
            result = self._transform(raw, cache)
            if len(memo) >= MEMO_SIZE:
                evict_oldest(memo)
            memo[raw] = result
        else:
            cache[self.key] = result
        return result

    def _transform(self, raw: tuple[str, ...], cache: dict[Any, Any]) -> Values:
        step_memo = self.step_memo
        if step_memo is not None:
            full = self.chain_names
            out: list[str] = []
            for v in raw:
                known = step_memo.get((full, v))
                out.append(known if known is not None else self._one(v, step_memo))
            values = cache[self.key] = tuple(out)
            return values
        if self.quick_ok:
            quick = self.quick
            if quick is None or not any(quick(v) for v in raw):
                result: Values = tuple([lowercase(v) for v in raw]) if self.lowers else raw
                cache[self.key] = result
                return result
        prefix_keys = self.prefix_keys
        done = len(prefix_keys) - 1
        while done > 0 and prefix_keys[done] not in cache:
            done -= 1
        current: tuple[str, ...] = cache[prefix_keys[done]] if done else raw
        steps = self.steps
        for i in range(done, len(steps)):
            func = steps[i]
            current = tuple([func(v) for v in current])
            cache[prefix_keys[i + 1]] = current
        return current

    def run_steps(self, value: str) -> str:
        """``value`` through the chain, not remembered (callers keep their own memo)."""
        quick = self.quick
        if self.quick_ok and (quick is None or quick(value) is None):
            return lowercase(value) if self.lowers else value
        for step in self.steps:
            value = step(value)
        return value

    def _one(self, value: str, step_memo: dict[tuple[tuple[str, ...], str], str]) -> str:
        """One value through the chain; the output is remembered (short values only)."""
        current = self.run_steps(value)
        if len(value) <= STEP_MEMO_MAX_TEXT:
            self._remember(step_memo, (self.chain_names, value), current)
        return current

    @staticmethod
    def _remember(memo: dict[tuple[tuple[str, ...], str], str], key: tuple[tuple[str, ...], str], value: str) -> None:
        if len(memo) >= STEP_MEMO_SIZE:
            evict_oldest(memo)
        memo[key] = value


def _oversize(spec: dict[str, Any], where: str, default: str = "CONTINUE") -> str:
    value = spec.get("OversizeHandling", default)
    if value not in OVERSIZE:
        raise ValidationError(f"OversizeHandling must be one of {', '.join(OVERSIZE)}", where=f"{where}.OversizeHandling")
    return str(value)


def _scope(spec: dict[str, Any], where: str) -> str:
    value = spec.get("MatchScope")
    if value not in SCOPES:
        raise ValidationError(f"MatchScope must be one of {', '.join(SCOPES)}", where=f"{where}.MatchScope")
    return str(value)


def _pairs_by_scope(pairs: list[tuple[str, str]], scope: str) -> tuple[str, ...]:
    if scope == "KEY":
        return tuple([k for k, _ in pairs])
    if scope == "VALUE":
        return tuple([v for _, v in pairs])
    out: list[str] = []
    for k, v in pairs:
        out.append(k)
        out.append(v)
    return tuple(out)


def _name_filter(pattern: Any, where: str, included: str, excluded: str) -> tuple[bool, frozenset[str]] | None:
    """None for ``All``; else (True, names) to keep only ``names`` or (False, names) to drop them."""
    if not isinstance(pattern, dict) or len(pattern) != 1:
        raise ValidationError(f"MatchPattern needs exactly one of All, {included}, {excluded}", where=where)
    (key, value), = pattern.items()
    if key == "All":
        return None
    if key in (included, excluded):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ValidationError("must be a non-empty list of names", where=f"{where}.{key}")
        return key == included, frozenset(v.lower() for v in value)
    raise ValidationError(f"MatchPattern needs exactly one of All, {included}, {excluded}", where=where)


def within_header_limits(pairs: list[tuple[str, str]]) -> bool:
    """Whether the 8 KB / 200-item cut of Headers and Cookies leaves ``pairs`` whole."""
    count = len(pairs)
    return count <= HEADER_LIMIT_ITEMS and sum(map(len, chain.from_iterable(pairs))) + 4 * count <= HEADER_LIMIT_BYTES


def _limited(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool, list[str]]:
    """The first 200 items within 8 KB, whether anything was cut, and the kept names lower-cased."""
    if within_header_limits(pairs):
        return pairs, False, [name.lower() for name, _ in pairs]  # the usual case: nothing cut
    out: list[tuple[str, str]] = []
    size = 0
    cut = False
    for name, value in pairs:
        size += len(name) + len(value) + 4
        if len(out) >= HEADER_LIMIT_ITEMS or size > HEADER_LIMIT_BYTES:
            cut = True
            break
        out.append((name, value))
    return out, cut, [name.lower() for name, _ in out]


def _json_leaves(node: Any, pointer: str, out: list[tuple[str, str, str]]) -> None:
    """(pointer, key, value) for every leaf; keys of objects are reported with their child."""
    if isinstance(node, dict):
        for key, child in node.items():
            child_ptr = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if isinstance(child, (dict, list)):
                out.append((child_ptr, str(key), ""))
                _json_leaves(child, child_ptr, out)
            else:
                out.append((child_ptr, str(key), _json_scalar(child)))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _json_leaves(child, f"{pointer}/{i}", out)
    else:
        out.append((pointer, "", _json_scalar(node)))


def _json_scalar(value: Any) -> str:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("latin-1")
    return json.dumps(value)


def _iter_pointer_match(pointers: list[str]) -> Callable[[str], bool]:
    prefixes = tuple(pointers)

    def included(pointer: str) -> bool:
        for p in prefixes:
            if p == "" or pointer == p or pointer.startswith(p + "/"):
                return True
        return False

    return included


def compile_field(field: Any, transformations: Any, *, body_limit: int, where: str) -> FieldInspector:
    """Validate a FieldToMatch and its TextTransformations; errors name the JSON path."""
    if not isinstance(field, dict) or len(field) != 1:
        raise ValidationError(f"FieldToMatch needs exactly one of {', '.join(FIELD_TYPES)}", where=where)
    (kind, spec), = field.items()
    at = f"{where}.{kind}"
    if kind in UNSUPPORTED_FIELDS:
        raise ValidationError(f"FieldToMatch {kind} is not supported by the assetguard engine", where=at)
    if kind not in FIELD_TYPES:
        raise ValidationError(f"unknown FieldToMatch {kind!r}; valid: {', '.join(FIELD_TYPES)}", where=at)
    if not isinstance(spec, dict):
        raise ValidationError("must be an object", where=at)
    _chain, names = compile_chain(transformations, where=where.rsplit(".", 1)[0] + ".TextTransformations")
    extract = _extractor(kind, spec, at, body_limit)
    field_key = json.dumps({kind: spec, "limit": body_limit if kind in ("Body", "JsonBody") else 0}, sort_keys=True)
    return FieldInspector(kind, extract, [transformations_registry.get(n) for n in names], field_key, names)


def _extractor(kind: str, spec: dict[str, Any], at: str, body_limit: int) -> Extract:
    if kind == "UriPath":
        return lambda r: (r.path,)
    if kind == "QueryString":
        return lambda r: (r.query_string,)
    if kind == "Method":
        return lambda r: (r.method,)
    if kind == "SingleHeader":
        name = spec.get("Name")
        if not isinstance(name, str) or not name:
            raise ValidationError("Name must be a header name", where=f"{at}.Name")
        lname = name.lower()

        def single_header(r: HttpRequest) -> Values:
            values = r.header_map.get(lname)
            return (values[0],) if values else ()
        return single_header
    if kind == "SingleQueryArgument":
        name = spec.get("Name")
        if not isinstance(name, str) or not name:
            raise ValidationError("Name must be a query argument name", where=f"{at}.Name")
        lname = name.lower()
        return lambda r: tuple([v for k, v in r.query_args if k.lower() == lname])
    if kind == "AllQueryArguments":
        return lambda r: tuple([v for _, v in r.query_args])  # a list first: no generator frame
    if kind in ("Headers", "Cookies"):
        return _multi_extractor(kind, spec, at)
    if kind == "Body":
        handling = _oversize(spec, at)

        def body(r: HttpRequest) -> Values:
            if r.body_size > body_limit:
                if handling == "MATCH":
                    return True
                if handling == "NO_MATCH":
                    return False
            if not r.body:
                return EMPTY_BODY
            text = r.body_text
            return (text[:body_limit] if len(text) > body_limit else text,)
        return body
    return _json_extractor(spec, at, body_limit)


def _multi_extractor(kind: str, spec: dict[str, Any], at: str) -> Extract:
    scope = _scope(spec, at)
    if "OversizeHandling" not in spec:
        raise ValidationError("OversizeHandling is required (CONTINUE, MATCH or NO_MATCH)", where=f"{at}.OversizeHandling")
    handling = _oversize(spec, at)
    if kind == "Headers":
        keep = _name_filter(spec.get("MatchPattern"), f"{at}.MatchPattern", "IncludedHeaders", "ExcludedHeaders")
    else:
        keep = _name_filter(spec.get("MatchPattern"), f"{at}.MatchPattern", "IncludedCookies", "ExcludedCookies")

    def extract(r: HttpRequest) -> Values:
        limited = r.cache.get(kind)  # the 8 KB / 200 items cut, once per request for every such field
        if limited is None:
            limited = r.cache[kind] = _limited(r.headers if kind == "Headers" else r.cookies)
        pairs, cut, lowered = limited
        if cut:
            if handling == "MATCH":
                return True
            if handling == "NO_MATCH":
                return False
        if keep is not None:
            wanted, names = keep
            pairs = [pair for pair, name in zip(pairs, lowered, strict=True) if (name in names) is wanted]
        return _pairs_by_scope(pairs, scope)
    return extract


def _json_extractor(spec: dict[str, Any], at: str, body_limit: int) -> Extract:
    scope = _scope(spec, at)
    handling = _oversize(spec, at)
    fallback = spec.get("InvalidFallbackBehavior", "EVALUATE_AS_STRING")
    if fallback not in ("MATCH", "NO_MATCH", "EVALUATE_AS_STRING"):
        raise ValidationError("InvalidFallbackBehavior must be MATCH, NO_MATCH or EVALUATE_AS_STRING",
                              where=f"{at}.InvalidFallbackBehavior")
    pattern = spec.get("MatchPattern")
    if not isinstance(pattern, dict) or len(pattern) != 1 or next(iter(pattern)) not in ("All", "IncludedPaths"):
        raise ValidationError("MatchPattern needs exactly one of All, IncludedPaths", where=f"{at}.MatchPattern")
    included: Callable[[str], bool] | None = None
    if "IncludedPaths" in pattern:
        paths = pattern["IncludedPaths"]
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and (p == "" or p.startswith("/"))
                                                                for p in paths):
            raise ValidationError("IncludedPaths must be JSON Pointers such as /a/b",
                                  where=f"{at}.MatchPattern.IncludedPaths")
        included = _iter_pointer_match(paths)
    leaves_key = ("json leaves", body_limit)

    def extract(r: HttpRequest) -> Values:
        if r.body_size > body_limit:
            if handling == "MATCH":
                return True
            if handling == "NO_MATCH":
                return False
        if not r.body:
            return ()
        ok, parsed = r.json_body(body_limit)
        if not ok:
            if fallback == "MATCH":
                return True
            if fallback == "NO_MATCH":
                return False
            text = r.body_text
            return (text[:body_limit],)
        leaves = r.cache.get(leaves_key)  # walked once per request for every JsonBody field
        if leaves is None:
            leaves = r.cache[leaves_key] = []
            _json_leaves(parsed, "", leaves)
        out: list[str] = []
        for pointer, key, value in leaves:
            if included is not None and not included(pointer):
                continue
            if scope != "VALUE" and key:
                out.append(key)
            if scope != "KEY" and (value or not key):
                out.append(value)
        return tuple(out)
    return extract
