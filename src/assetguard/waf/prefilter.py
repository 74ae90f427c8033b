"""Prefilters: skip pattern statements that cannot match, without running them.

Two levels, both exact (a hypothesis test compares verdicts with and without them):

* :class:`Prefilter` - per (field, transformation chain), one regex alternation of every
  pattern-based statement inspecting it; searched once per request.
* :class:`FieldFastPath` - per field, across chains: when the raw values hold no character any of
  the field's chains reacts to (``%``, ``&``, ``\\``, NUL, ...; a ``+`` is handled by also searching
  the value with ``+`` as space), every chain's output is the raw value or its lower-case form, so
  one search of all the field's patterns decides them all.

"Weak" patterns that match ordinary text (``/``, ``[.:0-9]``, used as a first cheap stage of an
AndStatement) would defeat both, so they are left out and simply run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assetguard.waf.compiled import CompileContext
from assetguard.waf.request import HttpRequest
from assetguard.waf.transforms import IDENTITY_UNLESS, lowercase

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


def is_weak(pattern: str) -> bool:
    try:
        rx = re.compile(pattern)
    except re.error:
        return True
    return any(rx.search(p) is not None or rx.search(p.lower()) is not None for p in BENIGN_PROBES)


class Prefilter:
    """One regex per (field, transformation chain): the alternation of every pattern-based
    statement that inspects it. Searched once per request; when it finds nothing, every one of
    those statements is false without running them."""

    __slots__ = ("cache_key", "search")

    def __init__(self, key: tuple[str, tuple[str, ...]], rx: re.Pattern[str]) -> None:
        self.cache_key = ("prefilter", key)
        self.search = rx.search




_URL_ESCAPE = re.compile(r"%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})").search


class _Everything:
    """The "cannot tell" answer: every statement may match."""

    def __contains__(self, item: object) -> bool:
        return True


EVERYTHING = _Everything()
NOTHING: frozenset[int] = frozenset()


class FieldFastPath:
    """Per field: which pattern statements on it *may* match this request, whatever their chain.

    When the raw values hold no character any of the field's chains reacts to, every chain's
    output is the raw value (with '+' as space where a chain URL-decodes, and lower-cased where a
    chain lower-cases), so scanning those forms once decides every statement on the field. With
    Hyperscan (prefilter mode: false positives possible, false negatives never) the answer is the
    set of statements that may match; without it, one Python regex of all patterns answers
    "none of them" or "cannot tell".
    """

    __slots__ = ("cache_key", "raw_key", "extract", "triggers", "others", "search", "lower", "raw", "hs_db")

    def __init__(self, field_key: str, extract: Callable[[HttpRequest], Any], triggers: re.Pattern[str] | None,
                 rx: re.Pattern[str] | None, lower: bool, raw: bool = True, others: re.Pattern[str] | None = None,
                 plus: bool = False, hs_db: Any = None) -> None:
        self.cache_key = ("fastpath", field_key)
        self.raw_key = (field_key, ())
        self.extract = extract
        self.triggers = triggers.search if triggers is not None else None
        # With URL decoding in a chain, a value whose only trigger is '+' still qualifies: its
        # '+'-as-space form is scanned too. ``others`` are the triggers of the other steps.
        self.others = others.search if plus and others is not None else None
        self.search = rx.search if rx is not None else None
        self.lower = lower  # some chain lower-cases: search the lower-case form too (regex fallback)
        self.raw = raw  # some chain does not lower-case: search the raw form (regex fallback)
        self.hs_db = hs_db  # patterns compiled caseless where their chain lower-cases

    def possible(self, request: HttpRequest) -> Any:
        cache = request.cache
        raw = cache.get(self.raw_key)
        if raw is None:
            raw = cache[self.raw_key] = self.extract(request)
        result: Any = EVERYTHING
        if raw is not True and raw is not False:
            forms: list[str] = []
            for v in raw:
                if not self._forms(v, forms):
                    break
            else:
                result = self._scan(forms)
        cache[self.cache_key] = result
        return result

    def _forms(self, v: str, forms: list[str]) -> bool:
        """Add the forms every chain can turn ``v`` into; False when some chain does more than that."""
        triggers = self.triggers
        if triggers is not None and triggers(v) is not None:
            others = self.others
            if others is None or _URL_ESCAPE(v) is not None or "+" not in v:
                return False
            spaced = v.replace("+", " ")
            if others(spaced) is not None or others(v) is not None:
                return False
            forms.append(spaced)
        forms.append(v)
        return True

    def _scan(self, forms: list[str]) -> Any:
        if self.hs_db is not None:
            hits: set[int] = set()

            def on_match(pattern_id: int, start: int, end: int, flags: int, context: object) -> None:
                hits.add(pattern_id)

            scan = self.hs_db.scan
            for form in forms:
                scan(form.encode("latin-1"), match_event_handler=on_match)
            return frozenset(hits) if hits else NOTHING
        search = self.search
        assert search is not None
        for form in forms:
            if (self.raw and search(form) is not None) or (self.lower and search(lowercase(form)) is not None):
                return EVERYTHING
        return NOTHING


def _hyperscan_db(leaves: list[Any]) -> tuple[Any, list[Any]]:
    """A prefilter-mode Hyperscan database of the leaves' patterns, and the leaves it covers."""
    try:
        import hyperscan
    except ImportError:
        return None, []
    base = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY

    def flags(leaf: Any) -> int:
        return base | (hyperscan.HS_FLAG_CASELESS if "LOWERCASE" in leaf.inspector.chain_names else 0)

    def build(items: list[Any]) -> Any:
        db = hyperscan.Database()
        db.compile(expressions=[leaf.pattern.encode("latin-1") for leaf in items], ids=list(range(len(items))),
                   flags=[flags(leaf) for leaf in items])
        return db

    try:
        return build(leaves), leaves  # usually every pattern compiles: one database, one compile
    except (hyperscan.error, UnicodeEncodeError):
        pass
    covered = []
    for leaf in leaves:  # otherwise keep only the patterns Hyperscan accepts
        try:
            hyperscan.Database().compile(expressions=[leaf.pattern.encode("latin-1")], ids=[0], flags=[flags(leaf)])
        except (hyperscan.error, UnicodeEncodeError):
            continue
        covered.append(leaf)
    if not covered:
        return None, []
    return build(covered), covered


def build_prefilters(ctx: CompileContext) -> None:
    """After compiling an ACL: one combined regex per (field, chain) shared by its pattern leaves."""
    for key, all_leaves in ctx.prefilter_leaves.items():
        leaves = [leaf for leaf in all_leaves if leaf.pattern and not is_weak(leaf.pattern)]
        if not leaves:
            continue
        parts = [f"(?:{leaf.pattern})" for leaf in leaves]
        try:
            rx = re.compile("|".join(parts))
        except re.error:
            continue  # e.g. a mid-pattern inline flag: these leaves simply run unfiltered
        prefilter = Prefilter(key, rx)
        for leaf in leaves:
            leaf.prefilter = prefilter
    by_field: dict[str, list[Any]] = {}
    for (field_key, _chain), all_leaves in ctx.prefilter_leaves.items():
        by_field.setdefault(field_key, []).extend(leaf for leaf in all_leaves if leaf.pattern)
    for field_key, field_leaves in by_field.items():
        # Chains with e.g. BASE64_DECODE or NORMALIZE_PATH change ordinary text: their statements
        # keep the per-chain prefilter only; the others share the field's fast path.
        all_leaves = [leaf for leaf in field_leaves
                      if all(n in IDENTITY_UNLESS or n == "LOWERCASE" for n in leaf.inspector.chain_names)]
        if not all_leaves:
            continue
        names = {name for leaf in all_leaves for name in leaf.inspector.chain_names}
        triggers = sorted({str(IDENTITY_UNLESS[n]) for n in names if IDENTITY_UNLESS.get(n)})
        other_triggers = sorted({str(IDENTITY_UNLESS[n]) for n in names
                                 if IDENTITY_UNLESS.get(n) and n not in ("URL_DECODE", "URL_DECODE_UNI")})
        trigger_rx = re.compile("|".join(triggers)) if triggers else None
        others_rx = re.compile("|".join(other_triggers)) if other_triggers else re.compile(r"(?!)")
        plus = bool(names & {"URL_DECODE", "URL_DECODE_UNI"})
        hs_db, covered = _hyperscan_db(all_leaves)
        if hs_db is not None:
            fast = FieldFastPath(field_key, all_leaves[0].inspector.extract, trigger_rx, None, False,
                                 others=others_rx, plus=plus, hs_db=hs_db)
            for index, leaf in enumerate(covered):
                leaf.fast, leaf.fast_id = fast, index
            continue
        leaves = [leaf for leaf in all_leaves if not is_weak(leaf.pattern)]  # regex fallback: weak ones defeat it
        if not leaves:
            continue
        try:
            rx = re.compile("|".join(f"(?:{leaf.pattern})" for leaf in leaves))
        except re.error:
            continue
        every_chain_lowers = all("LOWERCASE" in leaf.inspector.chain_names for leaf in leaves)
        fast = FieldFastPath(field_key, leaves[0].inspector.extract, trigger_rx, rx, "LOWERCASE" in names,
                             raw=not every_chain_lowers, others=others_rx, plus=plus)
        for leaf in leaves:
            leaf.fast, leaf.fast_id = fast, 0
