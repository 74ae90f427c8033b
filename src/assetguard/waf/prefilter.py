"""The prefilter plan: which pattern statements of a whole ACL *may* match a request, decided once.

At compile time every pattern-based leaf (ByteMatch, RegexMatch, RegexPatternSetReference) that a
scanner covers gets one bit. Per request, :meth:`PrefilterPlan.possible` returns the bitmask of
the covered leaves that may match; a leaf whose bit is clear is false without running, and a rule
whose statement needs one of those bits (see ``statements.need_bits``) is skipped without a call.

Per field (whatever its chains), the answer is computed once per distinct value (chains transform
each value on its own) and remembered across requests in a bounded memo: browser headers, cookie
names and most query arguments repeat, so only the values that change (a query word, a session
id) cost a scan. A body is inspected once the same way, without the memo: every chain's form is
computed once (chains that share leading steps share their work), all the distinct forms go
through one scan, each hit is confirmed by its leaf's own pattern and the detectors run on their
chain's form, so every rule reading the body answers from the bits without running.

Two scanners, both exact (no false negatives; a hypothesis test compares verdicts with and
without the plan):

* Hyperscan (prefilter mode, false positives possible): one database per field over the
  patterns of all its chains; all the field's transformed values are joined with ``\\n`` and
  scanned in one call, with ``^``/``\\A`` and ``$``/``\\Z`` read per line (a superset of the
  per-value meaning). Python's ``re`` is Unicode-aware where Hyperscan works on bytes, so text
  with bytes ``\\x1c-\\x1f``/``\\x80-\\xff`` marks the patterns using ``\\w \\s \\b \\d`` or escapes
  as possible.
* Pure Python (no Hyperscan wheels): per (field, chain), one alternation of the chain's patterns;
  no hit clears all of them. "Weak" patterns matching ordinary text (``/``, ``[.:0-9]``) would
  defeat it, so they are left uncovered and simply run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from assetguard.waf.compiled import CompileContext, evict_oldest
from assetguard.waf.fields import within_header_limits
from assetguard.waf.regex import strip_escapes_and_classes
from assetguard.waf.request import HttpRequest
from assetguard.waf.transforms import cmd_line_cased, lowercase, quick_trigger, transformations

MEMO_SIZE = 16384  # distinct values remembered per field
MEMO_MAX_TEXT = 512  # longer values are scanned every time
LONG = "prefilter:long"  # request.cache key: how many values longer than MEMO_MAX_TEXT were inspected
TUPLE_MEMO_MAX_TEXT = 4096  # a multi-value field is remembered whole up to this many characters

# Ordinary request text: a pattern matching any of these is too weak to prune anything.
BENIGN_PROBES = (
    "/",
    "/user/search",
    "/content/12",
    "a.b",
    "0",
    "12",
    "abc",
    "dark",
    "3f9a1c0e8b7d4e2a",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
    "en-GB,en;q=0.9",
    "gzip, deflate, br",
    "text/html,application/xhtml+xml,*/*;q=0.8",
    "app.example.com",
    "GET",
    "POST",
    "running shoes",
    "2026-11-29",
    "hello world",
    "application/json",
)

# Python's str regexes are Unicode-aware where Hyperscan reads bytes: on these bytes \w, \b and \s
# differ (computed, not listed by hand) ...
_CLASS_BYTES = "".join(chr(c) for c in range(256)
                       if (re.match(r"\w", chr(c)) is not None) != (re.match(r"\w", chr(c), re.ASCII) is not None)
                       or (re.match(r"\s", chr(c)) is not None) != (re.match(r"\s", chr(c), re.ASCII) is not None))
_CLASS_TEXT = re.compile(f"[{re.escape(_CLASS_BYTES)}]").search
_CLASS_PATTERN = re.compile(r"\\[wWsSbBdD]")
# ... and case-insensitive matching of non-ASCII pattern characters differs on any high byte.
_HIGH_TEXT = re.compile("[\x80-\xff]").search
_URL_ESCAPE = r"%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})"  # URL_DECODE's trigger without '+'
_HIGH_PATTERN = re.compile(r"\\[xuUN0-7]|[^\x00-\x7f]")
# Python syntax that PCRE reads differently (POSIX classes; {,n} below) or that a C string cannot hold.
_NOT_FOR_HYPERSCAN = re.compile(r"\[([:.=])\w*\1\]|\x00")
_OPEN_MIN_QUANTIFIER = re.compile(r"\{,\d*\}")  # Python's {,n} = {0,n}; PCRE reads it as text


CMD_LINE_CASED = "CMD_LINE before LOWERCASE"


def expanded_chain(names: tuple[str, ...]) -> tuple[str, ...]:
    """A chain's steps as the plan runs them: CMD_LINE as its cased steps then LOWERCASE."""
    if "CMD_LINE" not in names:
        return names
    out: list[str] = []
    for name in names:
        out.extend((CMD_LINE_CASED, "LOWERCASE") if name == "CMD_LINE" else (name,))
    return tuple(out)


def _step(name: str) -> Callable[[str], str]:
    return cmd_line_cased if name == CMD_LINE_CASED else transformations.get(name)


# Escapes whose meaning does not depend on letter case (classes, anchors, escaped punctuation,
# a byte that is not an upper-case letter).
_CASE_NEUTRAL_ESCAPE = re.compile(r"\\[wWsSdDbBAZzntrfv]|\\[^0-9A-Za-z]|\\x(?![46][0-9a-fA-F]|5[0-9aA])[0-9a-fA-F]{2}")


def caseless_safe(pattern: str) -> bool:
    """Whether the pattern compiled caseless, on a text, may match wherever the pattern matches the
    text lower-cased (A-Z only): true when it names no upper-case letter. (``[^A]`` would not be:
    it matches any lower-cased text, its caseless form never an ``a``.)"""
    rest = _CASE_NEUTRAL_ESCAPE.sub("", pattern)
    return "\\" not in rest and re.search("[A-Z]", rest) is None


def _hyperscan_compatible(pattern: str) -> bool:
    if _NOT_FOR_HYPERSCAN.search(pattern):
        return False
    return _OPEN_MIN_QUANTIFIER.search(strip_escapes_and_classes(pattern)) is None


def is_weak(pattern: str) -> bool:
    try:
        rx = re.compile(pattern)
    except re.error:
        return True
    return any(rx.search(p) is not None or rx.search(p.lower()) is not None for p in BENIGN_PROBES)


def per_line(pattern: str) -> str:
    """``\\A`` -> ``^`` and ``\\Z``/``\\z`` -> ``$``, for a multi-line scan of values joined by ``\\n``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            out.append("^" if nxt == "A" else "$" if nxt in "Zz" else c + nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


class FieldScan:
    """One field (all its chains): the bits of its covered leaves, and how to find the possible ones."""

    __slots__ = ("raw_key", "extract", "views", "mask", "pattern_mask", "memo", "value_memo", "db", "regexes",
                 "program", "slot_count", "form_slots", "scan_slots",
                 "chains", "view_chains", "quick_groups", "slow_chains", "exact_checks", "confirm", "quick_triggers", "exact", "class_mask", "high_mask",
                 "suspect_mask", "quick_views", "quick_exact", "quick_ready")

    def __init__(self, field_key: str, extract: Callable[[HttpRequest], Any], mask: int, *,
                 views: list[tuple[Any, int, int]] | None = None, db: Any = None,
                 regexes: list[tuple[Any, Callable[[str], Any], int]] | None = None,
                 exact: list[Any] | None = None, caseless: frozenset[tuple[str, ...]] = frozenset()) -> None:
        self.raw_key = field_key  # shared with FieldInspector: the field is extracted once
        self.extract = extract
        # Hyperscan: per chain, (FieldInspector, leaves using \w \s \b \d, leaves with high bytes)
        self.views = views or []
        self.pattern_mask = mask  # the pattern leaves' bits: "may match"
        # Detector and size leaves (TextMatch without a pattern): their bits are set exactly when they match.
        self.exact = tuple(exact or ())
        self.confirm: tuple[tuple[int, tuple[str, ...], Callable[[str], bool]], ...] = ()  # set by build_plan
        for leaf in self.exact:
            mask |= leaf.bit
        self.mask = mask
        self.db = db
        self.regexes = regexes or []  # pure-Python scanner: (inspector, search, mask of its leaves)
        self.memo: dict[tuple[str, ...], int] = {}  # whole field (tuple of values) -> bits
        self.value_memo: dict[str, int] = {}  # one value of a multi-value field -> bits
        # Leaves whose patterns use \w \s \b \d (class) or non-ASCII (high): Python's re and
        # Hyperscan may disagree on text with such bytes, so they are marked possible there.
        self.class_mask = self.high_mask = 0
        for _inspector, class_mask, high_mask in self.views:
            self.class_mask |= class_mask
            self.high_mask |= high_mask
        self.suspect_mask = self.class_mask | self.high_mask
        # Chains that only decode (URL, entities, escapes, NULs, white space) or lower-case leave a
        # value without any of their triggers as it is: such a value's forms are known without
        # running them - the value, its '+'-as-space form for URL-decoding chains, lower-cased
        # for lower-casing chains.
        # Every chain the field's leaves use, each run once per new value: (names, inspector,
        # URL-decodes, lower-cases, output known without running when the value has no trigger).
        inspectors = {view[0].chain_names: view[0] for view in self.views}
        for inspector, _search, _mask in self.regexes:
            inspectors.setdefault(inspector.chain_names, inspector)
        for leaf in self.exact:
            inspectors.setdefault(leaf.inspector.chain_names, leaf.inspector)
        self.chains = tuple((names, inspector, bool({"URL_DECODE", "URL_DECODE_UNI"} & set(names)),
                             inspector.lowers, inspector.quick_ok or not names)
                            for names, inspector in inspectors.items())
        self.view_chains = tuple(view[0].chain_names for view in self.views)
        # Every chain's steps as one program over shared prefixes: (input slot, step, output slot);
        # chains that start alike (URL_DECODE_UNI, URL_DECODE_UNI, HTML_ENTITY_DECODE, ...) run
        # their common steps once. ``form_slots``: each chain's output slot. CMD_LINE runs as its
        # steps before lower-casing, then LOWERCASE, so its cased form is there too.
        # ``scan_slots``: what the scan reads - a chain whose patterns are compiled caseless
        # (``caseless``: it ends by lower-casing) is scanned in its form before that last step,
        # which other chains often share (the value itself, its URL-decoded form).
        slots: dict[tuple[str, ...], int] = {(): 0}
        program: list[tuple[int, Callable[[str], str], int]] = []
        for names, *_rest in self.chains:
            steps = expanded_chain(names)
            for i in range(len(steps)):
                if steps[: i + 1] not in slots:
                    slots[steps[: i + 1]] = len(slots)
                    program.append((slots[steps[:i]], _step(steps[i]), slots[steps[: i + 1]]))
        self.program = tuple(program)
        self.slot_count = len(slots)
        self.form_slots = tuple((names, slots[expanded_chain(names)]) for names, *_rest in self.chains)
        self.scan_slots = tuple(dict.fromkeys(
            slots[expanded_chain(names)[:-1] if names in caseless else expanded_chain(names)]
            for names in self.view_chains))
        groups: dict[tuple[bool, bool], list[tuple[str, ...]]] = {}
        for names, _inspector, decodes, lowers, can_be_quick in self.chains:
            if can_be_quick:
                groups.setdefault((decodes, lowers), []).append(names)
        self.quick_groups = tuple((decodes, lowers, tuple(chains)) for (decodes, lowers), chains in groups.items())
        self.slow_chains = tuple((names, inspector) for names, inspector, _d, _l, can_be_quick in self.chains
                                 if not can_be_quick)
        # The detectors themselves, not their memoised wrappers: the plan remembers per value.
        self.exact_checks = tuple((leaf.inspector.chain_names, getattr(leaf.predicate, "__wrapped__", leaf.predicate),
                                   leaf.bit) for leaf in self.exact)
        triggers = sorted({_URL_ESCAPE if n in ("URL_DECODE", "URL_DECODE_UNI") else str(quick_trigger(n))
                           for names in inspectors for n in names if quick_trigger(n)})
        self.quick_triggers = re.compile("|".join(triggers)).search if triggers else None
        # A value without triggers has at most four forms, by what its chains do: the value, its
        # '+'-as-space form, and those two lower-cased (index 2 * lowers + decodes). The views to
        # scan and the detector checks then read those directly; usable when no chain of the
        # field must run its steps (confirm still reads the per-chain forms).
        group = {names: 2 * lowers + decodes for names, _inspector, decodes, lowers, can_be_quick in self.chains
                 if can_be_quick}
        self.quick_ready = not self.slow_chains and all(names in group for names in self.view_chains)
        # A caseless chain is scanned in its form before lower-casing: the value or its '+'-as-space form.
        self.quick_views = tuple(sorted({group[names] % 2 if names in caseless else group[names]
                                         for names in self.view_chains if names in group}))
        self.quick_exact = tuple((group[names], predicate, bit) for names, predicate, bit in self.exact_checks
                                 ) if self.quick_ready else ()

    def possible(self, request: HttpRequest) -> int:
        cache = request.cache
        raw = cache.get(self.raw_key)
        if raw is None:
            raw = cache[self.raw_key] = self.extract(request)
        if raw is True:
            return self.mask  # oversize/invalid handling decides: the leaves must run
        if raw is False or not raw:
            return 0
        memo = self.memo
        known = memo.get(raw)  # most fields repeat whole (browser headers, paths)
        if known is not None:
            return known
        # Chains transform each value on its own, so the field's bits are the union of its values'.
        if len(raw) == 1:
            value = raw[0]
            if len(value) > MEMO_MAX_TEXT:  # a body: inspected once, not remembered
                cache[LONG] = cache.get(LONG, 0) + 1
                return self._value_bits(value, long=True)
            known = self._value_bits(value)
        else:
            value_memo = self.value_memo
            known = 0
            size = 0
            for value in raw:
                size += len(value)
                bits = value_memo.get(value)
                if bits is None:
                    if len(value) > MEMO_MAX_TEXT:
                        cache[LONG] = cache.get(LONG, 0) + 1
                        known |= self._value_bits(value, long=True)
                        continue
                    bits = self._value_bits(value)
                    if len(value_memo) >= MEMO_SIZE:
                        evict_oldest(value_memo)
                    value_memo[value] = bits
                known |= bits
            if size > TUPLE_MEMO_MAX_TEXT:
                return known
        if len(memo) >= MEMO_SIZE:
            evict_oldest(memo)
        memo[raw] = known
        return known

    def _value_bits(self, value: str, long: bool = False) -> int:
        """The exact bits of one value: every chain's form computed once (shared prefixes run
        once), the distinct forms scanned together, each hit confirmed by its leaf's own
        pattern, the detectors run on their chain's form. A long value (a body) skips the
        trigger search of the quick path: running the chains' steps costs less on it."""
        scan: set[str] | None = None
        if long or (self.quick_ready and self.db is not None):
            if not long:
                spaced = self._spaced_if_quick(value)
                if spaced is not None:
                    return self._quick_bits(value, spaced)
            out = self._run_chains(value)
            forms = {names: out[slot] for names, slot in self.form_slots}
            scan = {out[slot] for slot in self.scan_slots}
        else:
            forms = self._forms(value)
        bits = 0
        if self.pattern_mask:
            if self.db is None:
                for inspector, search, mask in self.regexes:
                    if search(forms[inspector.chain_names]) is not None:
                        bits |= mask
            else:  # (caseless patterns may read the lower-cased forms too: a superset, confirmed below)
                bits = self._scan_forms(scan if scan is not None else {forms[names] for names in self.view_chains})
            if bits:  # confirmed: a short value's pattern bits are exact too (see PrefilterPlan)
                bits = self._confirmed(bits, forms)
        for names, predicate, bit in self.exact_checks:
            if predicate(forms[names]):
                bits |= bit
        return bits

    def _quick_bits(self, value: str, spaced: str) -> int:
        """``_value_bits`` for a value no chain of the field changes but for '+' and case."""
        lowered = lowercase(value)
        four = (value, spaced, lowered, lowered if spaced is value else lowercase(spaced))
        bits = 0
        if self.pattern_mask:
            views = self.quick_views
            bits = self._scan_forms({four[views[0]]} if len(views) == 1 else {four[g] for g in views})
            if bits and self.confirm:
                bits = self._confirmed(bits, self._forms(value))
        for g, predicate, bit in self.quick_exact:
            if predicate(four[g]):
                bits |= bit
        return bits

    def _confirmed(self, bits: int, forms: dict[tuple[str, ...], str]) -> int:
        """``bits`` without the Hyperscan hits that the leaf's own pattern does not confirm."""
        for bit, names, predicate in self.confirm:
            if bits & bit and not predicate(forms[names]):
                bits ^= bit
        return bits

    def _spaced_if_quick(self, value: str) -> str | None:
        """The value's '+'-as-space form when no chain trigger is in the value or that form (then
        every chain's output is the value or that form, lower-cased or not); None otherwise."""
        triggers = self.quick_triggers
        if triggers is not None and triggers(value) is not None:
            return None
        spaced = value.replace("+", " ") if "+" in value else value
        if spaced is value or triggers is None or triggers(spaced) is None:  # e.g. '++' -> '  '
            return spaced
        return None

    def _forms(self, value: str) -> dict[tuple[str, ...], str]:
        """The value through each of the field's chains, each chain run once."""
        spaced = self._spaced_if_quick(value)
        if spaced is None:
            out = self._run_chains(value)
            return {names: out[slot] for names, slot in self.form_slots}
        forms: dict[tuple[str, ...], str] = {}
        for decodes, lowers, chains in self.quick_groups:  # at most four distinct outputs
            form = spaced if decodes else value
            if lowers:
                form = lowercase(form)
            for names in chains:
                forms[names] = form
        for names, inspector in self.slow_chains:
            forms[names] = inspector.run_steps(value)
        return forms

    def _run_chains(self, value: str) -> list[str]:
        """The value through every chain of the field, each shared prefix of steps run once: the
        forms by slot (see ``form_slots``, ``scan_slots``)."""
        out = [value] * self.slot_count
        for source, step, target in self.program:
            out[target] = step(out[source])
        return out

    def _scan_forms(self, forms: set[str]) -> int:
        """Scan every transformed form of the field at once, one per line."""
        forms.discard("")
        if not forms:
            return 0  # no covered pattern matches the empty string
        text = forms.pop() if len(forms) == 1 else "\n".join(forms)
        bits = 0
        if self.suspect_mask and (not text.isascii() or "\x1c" in text or "\x1d" in text or "\x1e" in text
                                  or "\x1f" in text):  # bytes 0x1c-0x1f and 0x80-0xff, without a regex
            if _HIGH_TEXT(text) is not None:
                bits |= self.high_mask
            if _CLASS_TEXT(text) is not None:
                bits |= self.class_mask
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            return self.pattern_mask
        hits: list[int] = []
        self.db.scan(data, _collect, 0, hits)  # positional: keyword parsing costs a third of a short scan
        for leaf in hits:
            bits |= 1 << leaf
        return bits & self.pattern_mask


def _collect(leaf: int, start: int, end: int, flags: int, hits: list[int]) -> None:
    hits.append(leaf)


class AddressScan:
    """IP set leaves on the client address: the sets holding an address, remembered per address.

    Managed sets can be replaced at run time; the memo is dropped when a store's ``generation``
    moves (a store bumps it after swapping the set, so an answer computed against the new
    generation used the new set).
    """

    __slots__ = ("leaves", "memo", "stores", "stamp")

    def __init__(self, leaves: list[Any]) -> None:
        from assetguard.waf.ipsets import ManagedIPSetRef

        self.leaves = tuple(leaves)
        self.memo: dict[str, int] = {}
        stores = {id(leaf.matcher.store): leaf.matcher.store for leaf in leaves
                  if isinstance(leaf.matcher, ManagedIPSetRef)}
        self.stores = tuple(stores.values())
        self.stamp = self._stamp()

    def _stamp(self) -> tuple[int, ...]:
        return tuple([store.generation for store in self.stores])

    def possible(self, request: HttpRequest) -> int:
        memo = self.memo
        if self.stores:
            stamp = self._stamp()
            if stamp != self.stamp:
                memo = self.memo = {}
                self.stamp = stamp
        address = request.client_ip
        known = memo.get(address)
        if known is None:
            known = 0
            for leaf in self.leaves:
                if leaf.matcher.contains(address):
                    known |= leaf.bit
            if len(memo) >= MEMO_SIZE:
                evict_oldest(memo)
            memo[address] = known
        return known


class PrefilterPlan:
    """Every field's scan; ``possible(request)`` is the bitmask of leaves that may match.

    Single-header fields are reached from the headers the request has (an absent header has no
    value, so no leaf of it can match), and body fields of a request without a body add bits
    computed once (an empty body is the same value every time).

    The fields read from headers other than the cookie header (single headers, ``Headers`` that
    leave the cookie value out) are answered together, remembered per header list with the
    cookie values blanked: a browser sends the same headers on every request, while its session
    cookie changes. The answer is remembered only when the 8 KB / 200-header cut does not apply
    (that cut counts the cookie header too) and no value was longer than ``MEMO_MAX_TEXT`` (the memo
    would hold it).
    """

    __slots__ = ("fields", "leaves", "others", "headers", "header_only", "header_memo", "cookie_header", "bodies",
                 "empty_body_bits", "unconfirmed")

    def __init__(self, fields: list[Any], leaves: int) -> None:
        self.fields = tuple(fields)
        self.leaves = leaves
        others: list[Any] = []
        header_only: list[Any] = []
        headers: dict[str, list[Any]] = {}
        bodies: list[Any] = []
        for scan in fields:
            spec = json.loads(scan.raw_key) if isinstance(scan, FieldScan) else {}
            if "SingleHeader" in spec:
                headers.setdefault(str(spec["SingleHeader"]["Name"]).lower(), []).append(scan)
            elif "Body" in spec or "JsonBody" in spec:
                bodies.append(scan)
            elif "Headers" in spec and not _reads_cookie_value(spec["Headers"]):
                header_only.append(scan)
            else:
                others.append(scan)
        self.others = tuple(others)
        self.header_only = tuple(header_only)
        self.cookie_header = tuple(headers.pop("cookie", ()))  # SingleHeader cookie: changes with the session
        self.headers = tuple((name, tuple(scans)) for name, scans in headers.items())
        self.header_memo: dict[tuple[tuple[str, str | None], ...], int] = {}
        self.bodies = tuple(bodies)
        self.empty_body_bits: int | None = None
        self.unconfirmed = 0  # pattern bits that only mean "may match" (conditional leaves: not confirmed)

    def possible(self, request: HttpRequest) -> int:
        bits = 0
        for scan in self.others:
            bits |= scan.possible(request)
        if self.headers or self.header_only:
            bits |= self._header_bits(request)
        if self.cookie_header and "cookie" in request.header_map:
            for scan in self.cookie_header:
                bits |= scan.possible(request)
        if self.bodies:
            if request.body_size == 0 and not request.body:
                empty = self.empty_body_bits
                if empty is None:
                    empty = 0
                    for scan in self.bodies:
                        empty |= scan.possible(request)
                    self.empty_body_bits = empty
                bits |= empty
            else:
                for scan in self.bodies:
                    bits |= scan.possible(request)
        return bits

    def _header_bits(self, request: HttpRequest) -> int:
        headers = request.headers
        key: tuple[tuple[str, str | None], ...] | None = None
        if within_header_limits(headers):
            key = tuple([(pair[0], None) if pair[0].lower() == "cookie" else pair for pair in headers])
            known = self.header_memo.get(key)
            if known is not None:
                return known
        cache = request.cache
        long = cache.get(LONG)
        bits = 0
        for scan in self.header_only:
            bits |= scan.possible(request)
        present = request.header_map
        for name, scans in self.headers:
            if name in present:
                for scan in scans:
                    bits |= scan.possible(request)
        if key is not None and cache.get(LONG) == long:  # long values are not remembered
            memo = self.header_memo
            if len(memo) >= MEMO_SIZE:
                evict_oldest(memo)
            memo[key] = bits
        return bits


def _reads_cookie_value(spec: dict[str, Any]) -> bool:
    """Whether a ``Headers`` field's values can include the cookie header's value."""
    if spec.get("MatchScope") == "KEY":
        return False
    pattern = spec.get("MatchPattern") or {}
    if "IncludedHeaders" in pattern:
        return "cookie" in {str(name).lower() for name in pattern["IncludedHeaders"]}
    if "ExcludedHeaders" in pattern:
        return "cookie" not in {str(name).lower() for name in pattern["ExcludedHeaders"]}
    return True


def _hyperscan_db(leaves: list[tuple[int, Any]], caseless: frozenset[tuple[str, ...]] = frozenset()
                  ) -> tuple[Any, list[tuple[int, Any]]]:
    """A prefilter-mode, multi-line Hyperscan database of the leaves' patterns (ids = bit numbers),
    and the leaves it covers; the patterns of ``caseless`` chains compiled caseless."""
    if os.environ.get("ASSETGUARD_WAF_HYPERSCAN", "1") == "0":  # vectorscan can miss a match (docs/waf.md)
        return None, []
    try:
        import hyperscan
    except ImportError:
        return None, []
    flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_MULTILINE
    candidates = [(bit, leaf) for bit, leaf in leaves if _hyperscan_compatible(leaf.pattern)]

    def build(items: list[tuple[int, Any]]) -> Any:
        db = hyperscan.Database()
        db.compile(expressions=[per_line(leaf.pattern).encode("latin-1") for _, leaf in items],
                   ids=[bit for bit, _ in items],
                   flags=[flags | hyperscan.HS_FLAG_CASELESS if leaf.inspector.chain_names in caseless else flags
                          for _, leaf in items])
        return db

    if not candidates:
        return None, []
    try:
        return build(candidates), candidates  # usually every pattern compiles: one database, one compile
    except (hyperscan.error, UnicodeEncodeError):
        pass
    covered = []
    for item in candidates:  # otherwise keep only the patterns Hyperscan accepts
        try:
            build([item])
        except (hyperscan.error, UnicodeEncodeError):
            continue
        covered.append(item)
    if not covered:
        return None, []
    return build(covered), covered


def _matches_empty(pattern: str) -> bool:
    try:
        return re.search(pattern, "") is not None
    except re.error:
        return True


def exact_leaves(roots: list[Any]) -> list[Any]:
    """The leaves that run whenever their rule does, which the plan answers itself: detectors and
    sizes (evaluated per new value), client-address IP sets, and pattern leaves (their Hyperscan
    hits confirmed per new value). Reached from a rule's statement through Or and Not; inside an
    And, only the cheap leaves: sizes, and patterns (confirmed only on a Hyperscan hit, once per
    distinct short value). An And may be skipped on its patterns and its later parts may never
    run, so the plan must not pay there for what a detector would cost. A group's rules behind a
    scope-down and anything under a rate-based statement may never run either. Pass the root
    statements that run unconditionally: top-level rule statements, scope-downs, rules of groups
    without a scope-down.
    """
    from assetguard.waf.statements import AndMatch, IPSetMatch, NotMatch, OrMatch, TextMatch

    found: list[Any] = []
    stack = [(root, False) for root in roots]
    while stack:
        node, cheap_only = stack.pop()
        if isinstance(node, TextMatch):
            if cheap_only and node.pattern is None and hasattr(node.predicate, "__wrapped__"):
                continue  # a detector inside an And
            if node not in found:
                found.append(node)
        elif isinstance(node, IPSetMatch):
            if node.forwarded is None and node not in found:
                found.append(node)
        elif isinstance(node, OrMatch):
            stack.extend((part, cheap_only) for part in node.parts)
        elif isinstance(node, AndMatch):
            stack.extend((part, True) for part in node.parts)
        elif isinstance(node, NotMatch):
            stack.append((node.part, cheap_only))
    return found


def build_plan(ctx: CompileContext, exact: list[Any] | None = None) -> PrefilterPlan | None:
    """After compiling an ACL: give covered pattern leaves and ``exact`` leaves (see
    :func:`exact_leaves`) their bits; None when nothing is covered."""
    by_field: dict[str, dict[tuple[str, ...], list[Any]]] = {}
    for (field_key, chain), leaves in ctx.prefilter_leaves.items():
        usable = [leaf for leaf in leaves if leaf.pattern and not _matches_empty(leaf.pattern)]
        if usable:
            by_field.setdefault(field_key, {})[chain] = usable
    exact_by_field: dict[str, list[Any]] = {}
    addresses: list[Any] = []
    confirmable = {id(leaf) for leaf in exact or () if getattr(leaf, "pattern", None) is not None}
    exact = [leaf for leaf in exact or () if getattr(leaf, "pattern", None) is None]
    for leaf in exact:
        if hasattr(leaf, "inspector"):
            exact_by_field.setdefault(leaf.inspector.key[0], []).append(leaf)
        else:
            addresses.append(leaf)
    fields: list[Any] = []
    next_bit = 0
    if addresses:
        for leaf in addresses:
            leaf.bit, leaf.exact = 1 << next_bit, True  # IPSetMatch answers from its bit
            next_bit += 1
        fields.append(AddressScan(addresses))
    for field_key, leaves in exact_by_field.items():
        if field_key not in by_field:  # a field with detectors or sizes only
            for leaf in leaves:
                leaf.bit = 1 << next_bit
                next_bit += 1
            fields.append(FieldScan(field_key, leaves[0].inspector.extract, 0, exact=leaves))
    for field_key, chains in by_field.items():
        exact_here = exact_by_field.get(field_key, [])
        for leaf in exact_here:
            leaf.bit = 1 << next_bit
            next_bit += 1
        numbered: list[tuple[int, Any]] = []
        for leaves in chains.values():
            for leaf in leaves:
                numbered.append((next_bit, leaf))
                next_bit += 1
        first = next(iter(chains.values()))[0].inspector
        # Chains that end by lower-casing, whose patterns all allow it: compiled caseless, scanned
        # in the form before lower-casing (see FieldScan.scan_slots).
        caseless = frozenset(names for names, leaves in chains.items()
                             if expanded_chain(names)[-1:] == ("LOWERCASE",)
                             and all(caseless_safe(leaf.pattern) for leaf in leaves))
        db, covered = _hyperscan_db(numbered, caseless)
        if db is not None:
            mask = 0
            views: dict[tuple[str, ...], tuple[Any, int, int]] = {}
            for bit, leaf in covered:
                leaf.bit = 1 << bit
                mask |= leaf.bit
                inspector, class_mask, high_mask = views.get(leaf.inspector.chain_names, (leaf.inspector, 0, 0))
                if _CLASS_PATTERN.search(leaf.pattern):
                    class_mask |= leaf.bit
                if _HIGH_PATTERN.search(leaf.pattern):
                    high_mask |= leaf.bit
                views[leaf.inspector.chain_names] = (inspector, class_mask, high_mask)
            scan = FieldScan(field_key, first.extract, mask, views=list(views.values()), db=db, exact=exact_here,
                             caseless=caseless)
            scan.confirm = tuple((leaf.bit, leaf.inspector.chain_names, leaf.predicate) for _bit, leaf in covered
                                 if id(leaf) in confirmable)
            fields.append(scan)
            continue
        regexes: list[tuple[Any, Callable[[str], Any], int]] = []
        mask = 0
        for leaves in chains.values():
            strong = [leaf for leaf in leaves if not is_weak(leaf.pattern)]
            if not strong:
                continue
            try:
                rx = re.compile("|".join(f"(?:{leaf.pattern})" for leaf in strong))
            except re.error:
                continue  # e.g. a mid-pattern inline flag: these leaves simply run
            chain_mask = 0
            for leaf in strong:
                leaf.bit = 1 << next(bit for bit, other in numbered if other is leaf)
                chain_mask |= leaf.bit
            regexes.append((strong[0].inspector, rx.search, chain_mask))
            mask |= chain_mask
        if regexes or exact_here:
            scan = FieldScan(field_key, first.extract, mask, regexes=regexes, exact=exact_here)
            scan.confirm = tuple((leaf.bit, leaf.inspector.chain_names, leaf.predicate)
                                 for leaves in chains.values() for leaf in leaves
                                 if leaf.bit and id(leaf) in confirmable)
            fields.append(scan)
    if not fields:
        return None
    plan = PrefilterPlan(fields, next_bit)
    for scan in fields:  # pattern leaves the plan does not confirm stay "may match"
        if isinstance(scan, FieldScan):
            confirmed = 0
            for bit, _names, _predicate in scan.confirm:
                confirmed |= bit
            plan.unconfirmed |= scan.pattern_mask & ~confirmed
    return plan
