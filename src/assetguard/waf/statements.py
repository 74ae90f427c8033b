"""Statement compilers: one per WAFv2 statement type, registered in ``statements``.

Each compiler validates its JSON (errors name the path) and returns an object with ``wcu`` and
``match(request, state)``. WCU costs follow AWS's published per-statement prices: ByteMatch 2
(CONTAINS/CONTAINS_WORD 10), RegexMatch 3, RegexPatternSetReference 25, SqliMatch 20 (HIGH 30),
XssMatch 40, SizeConstraint 1, IPSetReference 1 (+4 for forwarded Position ANY), GeoMatch 1,
LabelMatch 1, RateBased 2 (+30 per custom key), logical statements the sum of their children;
+10 per text transformation, +10 for AllQueryArguments, base doubled for JsonBody.

Example::

    compile_statement({"ByteMatchStatement": {"SearchString": "/admin", "PositionalConstraint": "STARTS_WITH",
                       "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
                      ctx, "Rules[0].Statement").match(request, state)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from assetguard.core.errors import PluginError, ValidationError
from assetguard.waf.compiled import CompileContext, Compiled, EvalState, evict_oldest, statements
from assetguard.waf.fields import FieldInspector, compile_field
from assetguard.waf.ipsets import MANAGED_PREFIX, IPMatcher, ManagedIPSetRef, parse_networks
from assetguard.waf.regex import compile_alternation, compile_aws_regex
from assetguard.waf.request import HttpRequest

GROUP_STATEMENTS = ("ManagedRuleGroupStatement", "RuleGroupReferenceStatement")
UNSUPPORTED_STATEMENTS = ("AsnMatchStatement",)


def compile_statement(statement: Any, ctx: CompileContext, where: str, *, top_level: bool = False) -> Compiled:
    """Compile one ``Statement`` object (exactly one key naming its type)."""
    if not isinstance(statement, dict) or len(statement) != 1:
        raise ValidationError("a Statement must have exactly one statement type", where=where)
    (kind, spec), = statement.items()
    at = f"{where}.{kind}"
    if kind in GROUP_STATEMENTS and not top_level:
        raise ValidationError(f"{kind} can only be a rule's top-level statement", where=at)
    if kind in UNSUPPORTED_STATEMENTS:
        raise ValidationError(f"{kind} is not supported by the assetguard engine", where=at)
    if kind not in statements:
        raise ValidationError(f"unknown statement type {kind!r}; valid: {', '.join(statements.names())}", where=at)
    if not isinstance(spec, dict):
        raise ValidationError("must be an object", where=at)
    return statements.get(kind)(spec, ctx, at)


def _transform_cost(inspector: FieldInspector, base: int) -> int:
    if inspector.kind == "JsonBody":
        base *= 2
    if inspector.kind == "AllQueryArguments":
        base += 10
    return base + 10 * len(inspector.chain_names)


class TextMatch:
    """A field, its transformations, and a predicate on each transformed value.

    ``bit`` is the leaf's bit in the ACL's prefilter plan (0 = not covered: always runs); when the
    plan says the bit cannot be set for this request, the statement is false without running.
    A bit in ``state.sure`` is the answer itself: the plan evaluated the leaf on this request
    (detectors and sizes, see :func:`assetguard.waf.prefilter.exact_leaves`, and pattern leaves on
    values short enough to be confirmed there).
    """

    __slots__ = ("inspector", "predicate", "wcu", "pattern", "bit", "memo")

    def __init__(self, inspector: FieldInspector, predicate: Callable[[str], bool], base_wcu: int,
                 pattern: str | None = None, ctx: CompileContext | None = None) -> None:
        self.inspector = inspector
        self.predicate = predicate
        self.wcu = _transform_cost(inspector, base_wcu)
        self.pattern = pattern  # the predicate as a regex, when it has one
        self.bit = 0
        if pattern is not None and ctx is not None:
            ctx.prefilter_leaves.setdefault(inspector.key, []).append(self)
        # Detectors and sizes are pure functions of the values: remember them across requests
        # (bounded; bodies are large and rarely repeat).
        self.memo: dict[tuple[str, ...], bool] | None = (
            {} if pattern is None and inspector.kind not in ("Body", "JsonBody") else None)

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        bit = self.bit
        if bit:
            if not state.possible & bit:
                return False
            if state.sure & bit:
                return True
        values = self.inspector.values(request)
        if values is True or values is False:
            return values
        memo = self.memo
        if memo is not None:
            known = memo.get(values)
            if known is not None:
                return known
        predicate = self.predicate
        result = False
        for value in values:
            if predicate(value):
                result = True
                break
        if memo is not None:
            if len(memo) >= LEAF_MEMO_SIZE:
                evict_oldest(memo)
            memo[values] = result
        return result


LEAF_MEMO_SIZE = 4096  # distinct value tuples remembered per detector or size statement


def _field(spec: dict[str, Any], ctx: CompileContext, at: str) -> FieldInspector:
    if "FieldToMatch" not in spec:
        raise ValidationError("FieldToMatch is required", where=f"{at}.FieldToMatch")
    if "TextTransformations" not in spec:
        raise ValidationError("TextTransformations is required (use [{\"Priority\": 0, \"Type\": \"NONE\"}])",
                              where=f"{at}.TextTransformations")
    inspector = compile_field(spec["FieldToMatch"], spec["TextTransformations"], body_limit=ctx.body_limit,
                              where=f"{at}.FieldToMatch")
    if inspector.kind not in ("Body", "JsonBody"):  # bodies rarely repeat and are large
        inspector.memo = ctx.transform_memos.setdefault(inspector.key, {})
        inspector.step_memo = ctx.step_memo
    return inspector


_WORD = "A-Za-z0-9_"


def _scoped(rx: re.Pattern[str]) -> str | None:
    """The pattern as a piece that can sit inside an alternation (global inline flags scoped)."""
    source = rx.pattern
    flags = re.match(r"^\(\?([aiLmsux]+)\)", source)
    if flags:
        return f"(?{flags.group(1)}:{source[flags.end():]})"
    if re.search(r"\(\?[aiLmsux]+\)", source):
        return None
    return source


@statements.register("ByteMatchStatement")
def byte_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """SearchString at a PositionalConstraint: EXACTLY, STARTS_WITH, ENDS_WITH, CONTAINS, CONTAINS_WORD."""
    search = spec.get("SearchString")
    if not isinstance(search, str) or not search:
        raise ValidationError("SearchString must be a non-empty string", where=f"{at}.SearchString")
    try:
        needle = search.encode("latin-1").decode("latin-1")
    except UnicodeEncodeError:
        needle = search.encode("utf-8").decode("latin-1")
    position = spec.get("PositionalConstraint")
    inspector = _field(spec, ctx, at)
    predicate: Callable[[str], bool]
    escaped = re.escape(needle)
    if position == "EXACTLY":
        predicate = needle.__eq__
        pattern = rf"\A{escaped}\Z"
        base = 2
    elif position == "STARTS_WITH":
        predicate = lambda v: v.startswith(needle)  # noqa: E731
        pattern = rf"\A{escaped}"
        base = 2
    elif position == "ENDS_WITH":
        predicate = lambda v: v.endswith(needle)  # noqa: E731
        pattern = rf"{escaped}\Z"
        base = 2
    elif position == "CONTAINS":
        predicate = lambda v: needle in v  # noqa: E731
        pattern = escaped
        base = 10
    elif position == "CONTAINS_WORD":
        if not re.fullmatch(f"[{_WORD}]+", needle):
            raise ValidationError("CONTAINS_WORD needs a SearchString of letters, digits and _ only",
                                  where=f"{at}.SearchString")
        pattern = f"(?<![{_WORD}]){escaped}(?![{_WORD}])"
        rx = re.compile(pattern)
        predicate = lambda v: needle in v and rx.search(v) is not None  # noqa: E731
        base = 10
    else:
        raise ValidationError("PositionalConstraint must be EXACTLY, STARTS_WITH, ENDS_WITH, CONTAINS or "
                              "CONTAINS_WORD", where=f"{at}.PositionalConstraint")
    return TextMatch(inspector, predicate, base, pattern, ctx)


@statements.register("RegexMatchStatement")
def regex_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """RegexString (AWS PCRE subset) searched in the field."""
    rx = compile_aws_regex(spec.get("RegexString"), where=f"{at}.RegexString")  # type: ignore[arg-type]
    search = rx.search
    return TextMatch(_field(spec, ctx, at), lambda v: search(v) is not None, 3, _scoped(rx), ctx)


@statements.register("RegexPatternSetReferenceStatement")
def regex_set_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Any regex of a referenced RegexPatternSet, compiled as one alternation."""
    doc = ctx.resources.regex_set(spec.get("ARN"), f"{at}.ARN")
    source = ctx.resources.source_of(doc)
    items = doc.get("RegularExpressionList")
    if not isinstance(items, list) or not items:
        raise ValidationError("RegularExpressionList must be a non-empty list", where=f"{source} (RegularExpressionList)")
    patterns: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("RegexString"), str):
            raise ValidationError("each entry needs a RegexString", where=f"{source} (RegularExpressionList[{i}])")
        patterns.append(item["RegexString"])
    rx = compile_alternation(patterns, where=f"{source} (RegularExpressionList)")
    search = rx.search
    return TextMatch(_field(spec, ctx, at), lambda v: search(v) is not None, 25, _scoped(rx), ctx)


MEMO_MAX_TEXT = 256  # longer values (bodies) are rarely repeated and would make the memo large
MEMO_SIZE = 16384


def _memoised(detect: Callable[[str], bool], ctx: CompileContext, kind: str) -> Callable[[str], bool]:
    """Detectors are pure: remember their answers for short values (headers, parameters), which
    repeat across requests and across rules; one bounded LRU per detector and level per ACL."""
    cached = ctx.detector_memos.get(kind)
    if cached is None:
        lru = functools.lru_cache(maxsize=MEMO_SIZE)(detect)

        def cached(value: str) -> bool:
            return lru(value) if len(value) <= MEMO_MAX_TEXT else detect(value)

        cached.__wrapped__ = detect  # type: ignore[attr-defined]  # the plan keeps its own memo

        ctx.detector_memos[kind] = cached
    return cached


@statements.register("SqliMatchStatement")
def sqli_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """SQL injection detection (``assetguard.waf.detectors.sqli``), SensitivityLevel LOW or HIGH."""
    level = spec.get("SensitivityLevel", "LOW")
    if level not in ("LOW", "HIGH"):
        raise ValidationError("SensitivityLevel must be LOW or HIGH", where=f"{at}.SensitivityLevel")
    try:
        from assetguard.waf.detectors.sqli import detect_sqli
    except ImportError as exc:
        raise PluginError(f"SqliMatchStatement needs assetguard.waf.detectors.sqli, which is not available: {exc}") from None
    return TextMatch(_field(spec, ctx, at), _memoised(lambda v: bool(detect_sqli(v, level)), ctx, f"sqli:{level}"),
                     30 if level == "HIGH" else 20)


@statements.register("XssMatchStatement")
def xss_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Cross-site scripting detection (``assetguard.waf.detectors.xss``)."""
    try:
        from assetguard.waf.detectors.xss import detect_xss
    except ImportError as exc:
        raise PluginError(f"XssMatchStatement needs assetguard.waf.detectors.xss, which is not available: {exc}") from None
    return TextMatch(_field(spec, ctx, at), _memoised(lambda v: bool(detect_xss(v)), ctx, "xss"), 40)


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "EQ": int.__eq__, "NE": int.__ne__, "LE": int.__le__, "LT": int.__lt__, "GE": int.__ge__, "GT": int.__gt__,
}


@statements.register("SizeConstraintStatement")
def size_constraint(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Length in bytes of the (transformed) field compared with Size."""
    op = spec.get("ComparisonOperator")
    if op not in _COMPARE:
        raise ValidationError(f"ComparisonOperator must be one of {', '.join(_COMPARE)}", where=f"{at}.ComparisonOperator")
    size = spec.get("Size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 21474836480:
        raise ValidationError("Size must be an integer from 0 to 21474836480", where=f"{at}.Size")
    compare = _COMPARE[op]
    return TextMatch(_field(spec, ctx, at), lambda v: compare(len(v), size), 1)


def client_address(request: HttpRequest, forwarded: tuple[str, str, str] | None) -> list[str] | None:
    """Addresses to test: the client IP, or the forwarded header's (FIRST/LAST/ANY); None = fallback."""
    if forwarded is None:
        return [request.client_ip]
    header, _fallback, position = forwarded
    raw = request.header(header)
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",")][:10]
    if not parts or not all(_valid_ip(p) for p in parts):
        return None
    if position == "ANY":
        return parts
    return [parts[0] if position == "FIRST" else parts[-1]]


def _valid_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _forwarded(spec: Any, at: str, *, positional: bool) -> tuple[str, str, str] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValidationError("must be an object", where=at)
    header = spec.get("HeaderName")
    if not isinstance(header, str) or not header:
        raise ValidationError("HeaderName is required", where=f"{at}.HeaderName")
    fallback = spec.get("FallbackBehavior")
    if fallback not in ("MATCH", "NO_MATCH"):
        raise ValidationError("FallbackBehavior must be MATCH or NO_MATCH", where=f"{at}.FallbackBehavior")
    position = "FIRST"
    if positional:
        position = spec.get("Position", "FIRST")
        if position not in ("FIRST", "LAST", "ANY"):
            raise ValidationError("Position must be FIRST, LAST or ANY", where=f"{at}.Position")
    return (header, str(fallback), str(position))


class IPSetMatch:
    """The client (or forwarded) address is in a set. ``bit``/``exact``: as for :class:`TextMatch`
    (the plan answers for client-address sets, see ``prefilter.AddressScan``)."""

    __slots__ = ("matcher", "forwarded", "wcu", "bit", "exact")

    def __init__(self, matcher: IPMatcher | ManagedIPSetRef, forwarded: tuple[str, str, str] | None) -> None:
        self.matcher = matcher
        self.forwarded = forwarded
        self.wcu = 1 + (4 if forwarded and forwarded[2] == "ANY" else 0)
        self.bit = 0
        self.exact = False

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        if self.exact:
            return bool(state.possible & self.bit)
        addresses = client_address(request, self.forwarded)
        if addresses is None:
            return self.forwarded is not None and self.forwarded[1] == "MATCH"
        contains = self.matcher.contains
        return any(contains(a) for a in addresses)


@statements.register("IPSetReferenceStatement")
def ip_set_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Client (or forwarded) address in an IP set; ``managed:ipset/<name>`` reads the reloadable store."""
    ref = spec.get("ARN")
    forwarded = _forwarded(spec.get("IPSetForwardedIPConfig"), f"{at}.IPSetForwardedIPConfig", positional=True)
    if isinstance(ref, str) and ref.startswith(MANAGED_PREFIX):
        name = ref[len(MANAGED_PREFIX):]
        if not ctx.ipsets.exists(name):
            raise ValidationError(f"managed IP set {name!r} does not exist in {ctx.ipsets.directory}", where=f"{at}.ARN")
        return IPSetMatch(ManagedIPSetRef(ctx.ipsets, name), forwarded)
    doc = ctx.resources.ip_set(ref, f"{at}.ARN")
    source = ctx.resources.source_of(doc)
    version = doc.get("IPAddressVersion")
    if version not in ("IPV4", "IPV6"):
        raise ValidationError("IPAddressVersion must be IPV4 or IPV6", where=f"{source} (IPAddressVersion)")
    addresses = doc.get("Addresses")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ValidationError("Addresses must be a list of CIDR strings", where=f"{source} (Addresses)")
    networks = parse_networks(addresses, where=f"{source} (Addresses)")
    want = 4 if version == "IPV4" else 6
    for i, net in enumerate(networks):
        if net.version != want:
            raise ValidationError(f"{net} is not an {version} network", where=f"{source} (Addresses[{i}])")
    return IPSetMatch(IPMatcher(networks), forwarded)


class GeoMatch:
    __slots__ = ("countries", "db", "forwarded", "label_prefix", "wcu")

    def __init__(self, countries: frozenset[str], db: Any, forwarded: tuple[str, str, str] | None) -> None:
        self.countries = countries
        self.db = db
        self.forwarded = forwarded
        self.label_prefix = "awswaf:forwardedip:geo:country:" if forwarded else "awswaf:clientip:geo:country:"
        self.wcu = 1

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        addresses = client_address(request, self.forwarded)
        if addresses is None:
            return self.forwarded is not None and self.forwarded[1] == "MATCH"
        country = self.db.country(addresses[0])
        if country is None:
            return False
        state.add_label(self.label_prefix + country)
        return country in self.countries


@statements.register("GeoMatchStatement")
def geo_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Country of the client (or forwarded) address in CountryCodes; adds the geo country label."""
    codes = spec.get("CountryCodes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and len(c) == 2 for c in codes):
        raise ValidationError("CountryCodes must be a non-empty list of two-letter ISO codes", where=f"{at}.CountryCodes")
    forwarded = _forwarded(spec.get("ForwardedIPConfig"), f"{at}.ForwardedIPConfig", positional=False)
    return GeoMatch(frozenset(c.upper() for c in codes), ctx.geo(at), forwarded)


class LabelMatch:
    __slots__ = ("key", "namespace", "wcu")

    def __init__(self, key: str, namespace: bool) -> None:
        self.key = key
        self.namespace = namespace
        self.wcu = 1

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        key = self.key
        if not self.namespace:
            if key in state.label_set:
                return True
            suffix = ":" + key
            return any(label.endswith(suffix) for label in state.labels)
        needle = key if key.endswith(":") else key + ":"
        for label in state.labels:
            ns = label[: label.rfind(":") + 1]
            if ns.startswith(needle) or (":" + needle) in (":" + ns):
                return True
        return False


@statements.register("LabelMatchStatement")
def label_match(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """A label added by an earlier rule: Scope LABEL (name, optionally qualified) or NAMESPACE."""
    scope = spec.get("Scope")
    if scope not in ("LABEL", "NAMESPACE"):
        raise ValidationError("Scope must be LABEL or NAMESPACE", where=f"{at}.Scope")
    key = spec.get("Key")
    if not isinstance(key, str) or not key:
        raise ValidationError("Key must be a non-empty string", where=f"{at}.Key")
    return LabelMatch(key, scope == "NAMESPACE")


class AndMatch:
    __slots__ = ("parts", "wcu", "gate", "gated", "ungated")

    def __init__(self, parts: list[Compiled]) -> None:
        self.parts = tuple(parts)
        self.wcu = sum(p.wcu for p in parts)
        self.gate = 0  # OrMatch with a prefilter plan: see gate_statements
        self.gated: tuple[tuple[int, Compiled], ...] = ()
        self.ungated = self.parts

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        for part in self.parts:
            if not part.match(request, state):
                return False
        return True


class OrMatch(AndMatch):
    def match(self, request: HttpRequest, state: EvalState) -> bool:
        gate = self.gate
        if gate:
            possible = state.possible
            if possible & gate:
                for need, part in self.gated:
                    if possible & need and part.match(request, state):
                        return True
        for part in self.ungated:
            if part.match(request, state):
                return True
        return False


class NotMatch:
    __slots__ = ("part", "wcu")

    def __init__(self, part: Compiled) -> None:
        self.part = part
        self.wcu = part.wcu

    def match(self, request: HttpRequest, state: EvalState) -> bool:
        return not self.part.match(request, state)


def _children(spec: dict[str, Any], ctx: CompileContext, at: str) -> list[Compiled]:
    items = spec.get("Statements")
    if not isinstance(items, list) or len(items) < 2:
        raise ValidationError("Statements must list at least two statements", where=f"{at}.Statements")
    return [compile_statement(s, ctx, f"{at}.Statements[{i}]") for i, s in enumerate(items)]


@statements.register("AndStatement")
def and_statement(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """Every nested statement matches (evaluated in order, stops at the first miss)."""
    return AndMatch(_children(spec, ctx, at))


@statements.register("OrStatement")
def or_statement(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """At least one nested statement matches."""
    return OrMatch(_children(spec, ctx, at))


@statements.register("NotStatement")
def not_statement(spec: dict[str, Any], ctx: CompileContext, at: str) -> Compiled:
    """The nested statement does not match."""
    return NotMatch(compile_statement(spec.get("Statement"), ctx, f"{at}.Statement"))


def need_bits(statement: Compiled) -> int:
    """Prefilter bits of which at least one must be possible for ``statement`` to match; 0 = none
    (the statement must run). Only side-effect-free trees qualify: skipping a GeoMatch would lose
    its country label, and a RateBased statement counts every request it sees."""
    if isinstance(statement, (TextMatch, IPSetMatch)):
        return statement.bit
    if isinstance(statement, OrMatch):
        bits = 0
        for part in statement.parts:
            need = need_bits(part)
            if not need:
                return 0
            bits |= need
        return bits
    if isinstance(statement, AndMatch):
        if not all(_pure(part) for part in statement.parts):
            return 0
        needs = [need for need in (need_bits(part) for part in statement.parts) if need]
        return min(needs, key=lambda bits: bits.bit_count()) if needs else 0
    return 0


FAST_MAX_SOURCE = 20_000  # characters of generated source; larger trees simply run


def bit_function(statement: Compiled) -> tuple[Callable[[int], bool], int] | None:
    """``statement`` as a function of the plan's sure bits, and the mask of the bits it reads; None
    when a leaf is not answered by the plan (labels, geo, rate, forwarded addresses, uncovered
    patterns). Valid for a request when none of those bits is possible-but-unsure. The source is
    built from integers and operators only."""
    built = _bit_expression(statement)
    if built is None or len(built[0]) > FAST_MAX_SOURCE:
        return None
    source, mask = built
    function = eval(f"lambda s: bool({source})", {"__builtins__": {"bool": bool}})
    return function, mask


def _bit_expression(statement: Compiled) -> tuple[str, int] | None:
    if isinstance(statement, (TextMatch, IPSetMatch)):
        bit = statement.bit
        if not bit or (isinstance(statement, IPSetMatch) and not statement.exact):
            return None
        return f"s & {bit}", bit
    if isinstance(statement, NotMatch):
        inner = _bit_expression(statement.part)
        return None if inner is None else (f"not ({inner[0]})", inner[1])
    if isinstance(statement, AndMatch):  # OrMatch too
        parts = [_bit_expression(part) for part in statement.parts]
        if any(part is None for part in parts):
            return None
        joiner = " or " if isinstance(statement, OrMatch) else " and "
        mask = 0
        for _source, bits in parts:  # type: ignore[misc]
            mask |= bits
        return "(" + joiner.join(f"({source})" for source, _bits in parts) + ")", mask  # type: ignore[misc]
    return None


def gate_statements(statement: Compiled) -> None:
    """With a prefilter plan: a side-effect-free OrMatch (nested ones flattened) runs only the
    parts whose needed bits are possible, plus the parts without a need; order does not matter
    when no part has side effects."""
    if isinstance(statement, NotMatch):
        gate_statements(statement.part)
        return
    if not isinstance(statement, AndMatch):
        return
    for part in statement.parts:
        gate_statements(part)
    if not isinstance(statement, OrMatch) or not _pure(statement):
        return
    gated: list[tuple[int, Compiled]] = []
    ungated: list[Compiled] = []
    stack = list(reversed(statement.parts))
    while stack:
        part = stack.pop()
        if isinstance(part, OrMatch):
            stack.extend(reversed(part.parts))
            continue
        need = need_bits(part)
        if need:
            gated.append((need, part))
        else:
            ungated.append(part)
    statement.gated = tuple(gated)
    statement.ungated = tuple(ungated)
    statement.gate = 0
    for need, _part in gated:
        statement.gate |= need


def _pure(statement: Compiled) -> bool:
    if isinstance(statement, (TextMatch, IPSetMatch, LabelMatch)):
        return True
    if isinstance(statement, AndMatch):  # OrMatch too
        return all(_pure(part) for part in statement.parts)
    if isinstance(statement, NotMatch):
        return _pure(statement.part)
    return False


# RateBasedStatement lives in its own module; importing it registers it.
from assetguard.waf import rate_statement as _rate_statement  # noqa: E402,F401
