"""The detectors' fast paths are exact: they agree with the slow readings they replace.

* :func:`lex_folded` (one pass, word runs read at once) equals ``fold(tokenize(...))`` in every
  quoting context, on generated text and on the CRS attack values and the legitimate vocabulary;
* the XSS prefilter by substring look-ups equals the IGNORECASE regex, and every word gate in
  :func:`detect_xss` is implied by its regex matching (a gate never hides a match).
"""

from __future__ import annotations

import functools
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.detectors import xss
from assetguard.waf.detectors.sqli_folded import lex_folded_python as lex_folded
from assetguard.waf.detectors.sqli_lexer import fold, tokenize
from tests.conftest import CORPORA

CRS_DIR = CORPORA / "crs-regression" / "tests"

# Characters and words that change how text lexes: quotes, comments, casts, keywords in either
# case, a word opening a call, EXCEPT before SELECT, non-ASCII word characters and spaces.
_SQL_PIECES = [
    *"'\"`-#/*;()@=<>,.?\t\n:!|&~\\[]{}$_01x \x00",
    "select ", "UNION ", "From ", "and ", "OR ", "not ", "all ", "the ", "cat ", "Dog ", "abs(", "x::int ",
    "::", "in ", "LIKE ", "/**/", "except select ", "intersect ", "é", "\u00a0", "\u212a", "\u017f", "\u0130",
    "word ", "1e5 ", "-1 ", "is not ", "true ", "Sleep (", "int abs(", "a b c ", "values ", "drop table ",
]


def _assert_same_lexing(text: str) -> None:
    for quote, backslash_escapes in itertools.product(("", "'", '"'), (True, False)):
        fast = [(t.kind, t.text) for t in lex_folded(text, quote, backslash_escapes)]
        slow = [(t.kind, t.text) for t in fold(tokenize(text, quote, backslash_escapes))]
        assert fast == slow, (text, quote, backslash_escapes)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_SQL_PIECES), max_size=30).map("".join))
def test_folded_lexer_equals_fold_of_tokenize(text: str) -> None:
    _assert_same_lexing(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_folded_lexer_equals_fold_of_tokenize_on_any_text(text: str) -> None:
    _assert_same_lexing(text)


def _legit_texts() -> list[str]:
    from bench.waf_quality import legit_text

    texts: list[str] = []
    for value in vars(legit_text).values():
        if isinstance(value, (list, tuple)):
            texts.extend(v for v in value if isinstance(v, str))
    prose = " ".join(texts)
    return [*texts, prose, prose.upper()]


@functools.cache
def _crs_values() -> list[str]:
    from bench.waf_quality.crs import load_cases

    cases, _ = load_cases(CRS_DIR, levels={})
    return sorted({v for case in cases for v in (*case.payloads, case.uri, case.body) if v})


def test_folded_lexer_on_legit_vocabulary() -> None:
    texts = _legit_texts()
    assert len(texts) > 100
    for text in texts:
        _assert_same_lexing(text)


@pytest.mark.skipif(not CRS_DIR.exists(), reason="CRS regression corpus not available")
def test_folded_lexer_on_crs_attack_values() -> None:
    values = _crs_values()
    assert len(values) > 1000
    for text in values:
        _assert_same_lexing(text)


_XSS_PIECES = [
    *"<>:=&#[]'\"`-!+/\\ \t\n\x01()$.{}",
    "script", "SCRIPT", "on", "onload=", "ONmouseover =", "top", "self ", "parent", "frames", "in ", "IN x.y",
    "-->", "--!>", "+ADw-", "[]", "expression", "binding", "behavior", "url(", "data", "DATA:", "javascript:",
    "alert", "eval", "document", "window", "this", "constructor", "fromCharCode", "${", "function", "java\tscript",
    "\u017f", "\u212a", "é", "import", "a", "x",
]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_XSS_PIECES), max_size=20).map("".join))
def test_xss_prefilter_by_substrings_equals_the_regex(text: str) -> None:
    assert _python_xss_prefilter(text) == bool(xss._PREFILTER.search(text))


def _python_xss_prefilter(text: str) -> bool:
    """The Python prefilter (``_may_be_xss`` runs the native one on ASCII text when it is built)."""
    return xss._may_be_xss_ascii(text) if text.isascii() else xss._may_be_xss(text)


# (regex, gate) pairs: on ASCII text, the regex can only match when the gate holds.
_GATES: list[tuple[re.Pattern[str], object]] = [
    (xss._IN_BREAKOUT, lambda t, low: any(q in t for q in "\"'`")),
    (xss._JS_BREAKOUT, lambda t, low: any(q in t for q in "\"'`")),
    (xss._BREAKOUT_EVENT, lambda t, low: "=" in t),
    (xss._STYLE_ANYWHERE, lambda t, low: any(w in low for w in xss._STYLE_WORDS)),
    (xss._BRACKET_SINK, lambda t, low: "[" in t and any(w in low for w in xss._BRACKET_WORDS)),
    (xss._JS_SINK_CALL, lambda t, low: any(w in low for w in xss._SINK_WORDS)),
    (xss._SCHEME, lambda t, low: ":" in t and ("script" in low or "data" in low)),
]


def _assert_gates(text: str) -> None:
    if not text.isascii():
        return
    low = text.lower()
    for regex, gate in _GATES:
        if regex.search(text):
            assert gate(text, low), (regex.pattern[:40], text)  # type: ignore[operator]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_XSS_PIECES + ["cookie", "write", ".", "(1)", "'constructor'", "setTimeout("]),
                max_size=20).map("".join))
def test_xss_gates_never_hide_a_match(text: str) -> None:
    _assert_gates(text)


def test_xss_fast_paths_on_corpora() -> None:
    texts = _legit_texts() + (_crs_values() if CRS_DIR.exists() else [])
    for text in texts:
        assert _python_xss_prefilter(text) == bool(xss._PREFILTER.search(text)), text
        _assert_gates(text)
        _assert_gates(xss._decode_entities(text))


# Long texts mixing prose with the tokens the prose skip must not hide: keywords, literals,
# catalog names after FROM, comments, quotes, parentheses, HIGH-only shapes.
_PROSE_WORDS = "the river walked along and talked about new release it was a bright cold day".split()
_PROSE_PIECES = [
    *(w + " " for w in _PROSE_WORDS),
    ". ", ". ", ", ", "and ", "or ", "not ", "in ", "is ", "like ", "by ", "as ", "when ", "then ", "from ",
    "order ", "group ", "into ", "set ", "null ", "all ", "having ", "where ", "limit ",
    "case ", "select ", "update ", "drop table ", "union ", "except ", "true ", "outfile ", "div ",
    "sys ", "dual ", "information_schema ", "from sys ", "from dual. ", "1 ", "1=1 ", "'", '"', "(", ")",
    "--", "#", "/*", "*/", ";", "=", "-", "@@version ", "sleep(5) ", "x::int ", "\\", "é ", "\n",
]


# Prose words, with the keywords prose may hold (kept in a skipped middle or not) now and then.
_PROSE_VOCAB = [*_PROSE_WORDS * 4, "and", "or", "in", "is", "by", "as", "from", "set", "order", "group",
                "into", "where", "case", "when", "then", "null", "all", "sys", "dual", "x.", "y,", "it.",
                "case when x.", "then", "order by", "as x", "from sys", "x. case when", "case when x. then y"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_PROSE_PIECES), min_size=0, max_size=30),
    st.lists(st.sampled_from(_PROSE_VOCAB), min_size=20, max_size=200),
    st.lists(st.sampled_from(_PROSE_PIECES), min_size=0, max_size=20),
    st.sampled_from(["", "'", '"']),
)
def test_prose_skip_keeps_every_low_verdict(head: list[str], words: list[str], tail: list[str], quote: str) -> None:
    """At every place the cut may start (a longer kept head moves it to each later ``.``)."""
    from assetguard.waf.detectors import sqli_folded
    from assetguard.waf.detectors.sqli import _is_attack

    prose = " ".join(w + ("." if i % 7 == 6 else "") for i, w in enumerate(words))
    # Plain prose before (a kept head of 36 tokens: the cut can start anywhere in the words)
    # and after (enough to skip).
    plain = " we walked along the river and talked about it."
    prose = plain * 9 + " " + prose + plain * 16
    text = "".join(head) + prose + " " + "".join(tail)
    keep = sqli_folded._KEEP_TOKENS
    for backslash_escapes in (True, False):
        full = lex_folded(text, quote, backslash_escapes)
        expected = _is_attack(full, quote, False)
        try:
            for sqli_folded._KEEP_TOKENS in range(keep, max(keep + 1, len(full) - 4), 2):
                skipped = lex_folded(text, quote, backslash_escapes, skip_prose=True)
                assert _is_attack(skipped, quote, False) == expected, (sqli_folded._KEEP_TOKENS, text)
        finally:
            sqli_folded._KEEP_TOKENS = keep


def test_prose_skip_leaves_out_the_middle_of_prose_and_keeps_attacks() -> None:
    from assetguard.waf.detectors.sqli import detect_sqli

    prose = "It was a bright cold day in April and the clocks were striking. " * 120
    assert len(lex_folded(prose, skip_prose=True)) < len(lex_folded(prose)) // 10
    assert not detect_sqli(f"title=Notes&body={prose}")
    for attack in ("1 or 1=1", "x' union select password from users--", "1; drop table users", "and sleep(5)"):
        assert detect_sqli(f"body={prose} {attack}"), attack
        assert detect_sqli(f"{attack} {prose}"), attack
    assert detect_sqli(f"body={prose[:2000]} select name from sys. {prose}")
    # A CASE kept just before the cut looks past it for THEN: no cut there.
    head = "we walked along the river and talked about it. " * 8
    assert detect_sqli(f"{head}just case when x. then the {head * 3}")


def test_prose_skip_on_corpora() -> None:
    from assetguard.waf.detectors import sqli_folded
    from assetguard.waf.detectors.sqli import _is_attack

    texts = _legit_texts() + (_crs_values() if CRS_DIR.exists() else [])
    long_texts = [t for t in texts if len(t) >= sqli_folded._MIN_PROSE]
    assert long_texts
    for text in long_texts:
        for quote in ("", "'", '"'):
            full = lex_folded(text, quote)
            assert _is_attack(lex_folded(text, quote, skip_prose=True), quote, False) == _is_attack(full, quote, False)


_PLAIN_WORDS = st.sampled_from(["select", "union", "and", "or", "in", "shoes", "page", "2147483647", "sysobjects",
                                "msdb", "orders", "island", "x", "42", "9f3a1c0e8b7d4e2a", "Select", "OR", "tempdb"])


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.one_of(_PLAIN_WORDS, st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789", max_size=12)),
                      max_size=8),
       spaces=st.lists(st.sampled_from([" ", "  ", ""]), min_size=9, max_size=9))
def test_sqli_plain_text_prefilter_branch_equals_the_regex(words: list[str], spaces: list[str]) -> None:
    """Letters, digits and spaces only (the ASCII prefilter's first branch): it equals the regex."""
    from assetguard.waf.detectors import sqli

    text = "".join(space + word for space, word in zip(spaces, words, strict=False)) + spaces[-1]
    lowered = text.lower()
    assert sqli._may_be_sqli_ascii(lowered) == (sqli._PREFILTER.search(lowered) is not None), text
    prefilters = (sqli._PREFILTER.search(lowered) or ("(" in lowered and sqli._FUNCTION_PREFILTER.search(lowered))
                  or sqli._CATALOG_PREFILTER.search(lowered[-40:]))
    if not prefilters:
        assert not sqli.detect_sqli(text) and not sqli.detect_sqli(text, "HIGH")


_SQLI_ASCII = st.text(alphabet=st.sampled_from(list("abcdeilnorstxpu_ 0123456789='\"`;#-/*@&|:<>?!().e\t\n\x0b\x1c\x1f")), max_size=30)
_SQLI_WORDS = st.sampled_from(["select", "in", "union", "xp_cmdshell", "xp_", "sp_who", "utl_http", "pg_sleep",
                               "isin", "1=1", "'a'='a'", "1.e(", "1 <> 2", "x<=>y", "or", "load_file", "in_"])


@settings(max_examples=1500, deadline=None)
@given(parts=st.lists(st.one_of(_SQLI_ASCII, _SQLI_WORDS), max_size=6))
def test_sqli_ascii_prefilter_equals_the_regex(parts: list[str]) -> None:
    from assetguard.waf.detectors import sqli

    lowered = " ".join(parts).lower()
    assert sqli._may_be_sqli_ascii(lowered) == (sqli._PREFILTER.search(lowered) is not None), lowered


@settings(max_examples=1000, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(["information_schema", "msdb", "tempdb", "mysql.user", "2147483647",
                                                 "1e309", "2.2250738585072011e-308", "x", "'", '"', "`", " ", "\t",
                                                 "\n", "\x1c", "\xa0", "sysobjects"]),
                                st.text(alphabet="abdemsy_.0123456789 '", max_size=6)), max_size=8))
def test_sqli_catalog_tail_equals_the_regex(parts: list[str]) -> None:
    from assetguard.waf.detectors import sqli

    lowered = "".join(parts).lower()
    assert sqli._catalog_tail(lowered) == (sqli._CATALOG_PREFILTER.search(lowered[-40:]) is not None), lowered
