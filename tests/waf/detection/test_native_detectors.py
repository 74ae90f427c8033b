"""The native detector loops (``assetguard.waf.detectors._native``) give the Python answers.

On every generated input and every value of the shipped corpora (the CRS regression payloads, the
legitimate-traffic generator of ``bench.waf_quality``, its depth corpora):

* in every quoting context, with and without backslash escapes and the prose skip, the C
  ``lex_folded`` returns the same tokens as :func:`~assetguard.waf.detectors.sqli_folded.lex_folded_python`;
* the C SQLi prefilter on ASCII text lets through exactly what the Python prefilters do, the
  C XSS prefilter exactly what the XSS prefilter regex does, and the C XSS word gates open
  exactly where the Python ones do;
* ``detect_sqli`` and ``detect_xss`` give the same verdicts with the native loops and with the
  Python ones.

Without the extension the module is skipped, except where ``ASSETGUARD_TEST_REQUIRE_NATIVE=1``
(CI) requires it to be built.
"""

from __future__ import annotations

import functools
import itertools
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.detectors import native, sqli, sqli_folded, xss
from tests.waf.detection.test_detector_fast_paths import (
    _PROSE_PIECES,
    _PROSE_VOCAB,
    _SQL_PIECES,
    _SQLI_ASCII,
    _SQLI_WORDS,
    _XSS_PIECES,
    CRS_DIR,
    _crs_values,
)

if not native.BUILT:
    if os.environ.get("ASSETGUARD_TEST_REQUIRE_NATIVE") == "1":
        raise RuntimeError("ASSETGUARD_TEST_REQUIRE_NATIVE=1 but assetguard.waf.detectors._native is not built")
    pytest.skip("assetguard.waf.detectors._native is not built (installed without a C compiler)", allow_module_level=True)

from assetguard.waf.detectors import _native

# Pieces the Python lexer reads with a rule of its own: JSON operators, variables, bracketed names,
# numbers in every form, executable comments, EXCEPT before a commented SELECT (the comment may
# end at any later "*/" of the line), a CASE near a full stop, catalog names after FROM, digits
# and spaces beyond ASCII, and the prose class's punctuation.
_EXTRA_PIECES = [
    "#>>", "#>", "@>", "<@", "?|", "?&", "@?", "@@", "@@version", "@x.y", "[a b]", "[x", "0x1F", "0B2",
    ".5", "1.e(", "1e+", "2E-3 ", "/*!50000", "*/", "except /* a */ */select", "except\n/* a\n*/ select",
    "intersect values", "case when", "from mysql.", "from v$version ", ". ", ", ", "\u0661", "\u2003",
    "\u3000", "\x85", "\x1c", "||/", "->>", "<=>", "!==", "=!0", "---", "/*x", "::int", "::", ":=", ":",
]
_ALPHABET = st.characters(codec="utf-8") | st.sampled_from(list("'\"`#@-/*:.([ \t\n"))


def _same_tokens(text: str) -> None:
    for quote, escapes, skip in itertools.product(("", "'", '"'), (True, False), (False, True)):
        native = [(t.kind, t.text) for t in _native.lex_folded(text, quote, escapes, skip_prose=skip)]
        python = [(t.kind, t.text) for t in sqli_folded.lex_folded_python(text, quote, escapes, skip_prose=skip)]
        assert native == python, (text, quote, escapes, skip)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_SQL_PIECES + _EXTRA_PIECES), max_size=40).map("".join))
def test_native_lexer_on_sql_pieces(text: str) -> None:
    _same_tokens(text)


@settings(max_examples=800, deadline=None)
@given(st.text(_ALPHABET, max_size=120))
def test_native_lexer_on_any_text(text: str) -> None:
    _same_tokens(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_PROSE_PIECES + _EXTRA_PIECES), max_size=20),
    st.lists(st.sampled_from(_PROSE_VOCAB + ["case", "from mysql", "x.", "and", "select"]), min_size=60, max_size=300),
    st.lists(st.sampled_from(_PROSE_PIECES + _EXTRA_PIECES), max_size=20),
)
def test_native_lexer_on_long_prose(head: list[str], words: list[str], tail: list[str]) -> None:
    """Prose long enough to be cut: the cut falls at the same ``.`` or not at all."""
    prose = " ".join(w + ("." if i % 6 == 5 else "") for i, w in enumerate(words))
    plain = " we walked along the river and talked about it."
    _same_tokens("".join(head) + plain * 10 + prose + plain * 12 + "".join(tail))


@dataclass(frozen=True)
class _NoSlots:
    kind: str
    text: str


def test_configure_refuses_what_it_cannot_fill() -> None:
    with pytest.raises(TypeError, match="__slots__ kind and text"):
        _native.configure(_NoSlots, {}, {}, [], [], [], [])
    with pytest.raises(ValueError, match="one ASCII character"):
        _native.configure(sqli_folded.Token, {"and": "&&"}, {}, [], [], [], [])
    with pytest.raises(ValueError, match="start_quote"):
        _native.lex_folded("x", "`")
    # A refused configuration leaves the tables it would have replaced.
    assert "".join(t.kind for t in _native.lex_folded("1 union all select x from t")) == "nUSbFb"


def test_python_lexer_is_chosen_by_environment() -> None:
    probe = ("from assetguard.waf.detectors import sqli, xss, sqli_folded as f; print(f.lex_folded is"
             " f.lex_folded_python and sqli._native_may_be_sqli is None and xss._native_may_be_xss is None"
             " and xss._native_xss_gates is None)")
    for value, expected in (("0", "True"), ("1", "False")):
        env = {**os.environ, "ASSETGUARD_WAF_NATIVE": value}
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected, value


def _request_values(records: list[dict[str, Any]]) -> Iterator[str]:
    for rec in records:
        uri = str(rec["uri"])
        yield uri
        yield urllib.parse.unquote_plus(uri)
        for _, value in rec.get("headers", []):
            yield value
        body = rec.get("body")
        if isinstance(body, str) and body:
            yield body
            yield urllib.parse.unquote_plus(body)


@functools.cache
def _corpus() -> list[str]:
    from bench.waf_quality import depth, legit

    values = set(_request_values(legit.generate(1500)))
    values.update(_request_values(depth.build()))
    if CRS_DIR.exists():
        values.update(_crs_values())
    return sorted(values)


def test_native_lexer_on_corpora() -> None:
    texts = _corpus()
    assert len(texts) > 3000
    for text in texts:
        _same_tokens(text)


_TAIL_PIECES = ["information_schema", "msdb", "tempdb", "mysql.user", "2147483647", "1e309", "sysobjects", "'", "`",
                "\t", "\x1c", "x"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(_SQLI_ASCII, _SQLI_WORDS, st.sampled_from(_TAIL_PIECES + ["hex (", "sleep/**/(", "abs x("])),
                max_size=8).map(" ".join))
def test_native_prefilter_on_generated_text(text: str) -> None:
    lowered = text.lower()
    assert _native.may_be_sqli(lowered) == sqli._may_be_sqli(lowered), lowered


def test_native_prefilter_on_corpora() -> None:
    lowered = [t.lower() for t in _corpus()]
    ascii_texts = [t for t in lowered if t.isascii()]
    assert len(ascii_texts) > 3000
    passed = [t for t in ascii_texts if sqli._may_be_sqli(t)]
    assert 0 < len(passed) < len(ascii_texts)  # the corpus holds text on both sides of the prefilter
    assert [t for t in ascii_texts if _native.may_be_sqli(t) != sqli._may_be_sqli(t)] == []
    with pytest.raises(ValueError, match="ASCII"):
        _native.may_be_sqli("caf\u00e9")


def test_detect_sqli_verdicts_are_the_same_native_and_python(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _corpus()
    native = [(sqli.detect_sqli(t, "LOW"), sqli.detect_sqli(t, "HIGH")) for t in texts]
    monkeypatch.setattr(sqli, "lex_folded", sqli_folded.lex_folded_python)
    monkeypatch.setattr(sqli, "_native_may_be_sqli", None)
    python = [(sqli.detect_sqli(t, "LOW"), sqli.detect_sqli(t, "HIGH")) for t in texts]
    assert sum(low for low, _ in python) > 500  # the corpus holds attacks, not only benign text
    assert [t for t, a, b in zip(texts, native, python, strict=True) if a != b] == []


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([*_XSS_PIECES, "ON", "nload", "onx", " = ", "TOP", "Self", "_", "$", "In", "in$x .",
                                 "'in\t", "--", "-->", "--!>", "+AD", "+ad", "[", "]", "&#", "Frames", "parentx"]),
                max_size=20).map("".join))
def test_native_xss_prefilter_on_generated_text(text: str) -> None:
    if text.isascii():
        assert _native.may_be_xss(text) == bool(xss._PREFILTER.search(text)), text


def _same_gates(text: str) -> None:
    """The C gates equal the Python ones (which skip the bracket words when there is no '[')."""
    native_gates = _native.xss_gates(text)
    if "[" not in text:
        native_gates &= ~xss._GATE_BRACKET
    assert native_gates == xss._word_gates(text.lower()), text


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([*_XSS_PIECES, *xss._STYLE_WORDS, *xss._BRACKET_WORDS, *xss._SINK_WORDS, "Data",
                                 "SCRIPT", "Url", "DOCUMENT", "$", "{", "-Moz-", "moz"]), max_size=12).map("".join))
def test_native_xss_gates_on_generated_text(text: str) -> None:
    if text.isascii():
        _same_gates(text)


def test_native_xss_prefilter_and_verdicts_on_corpora(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _corpus()
    ascii_texts = [t for t in texts if t.isascii()]
    assert [t for t in ascii_texts if _native.may_be_xss(t) != bool(xss._PREFILTER.search(t))] == []
    for text in ascii_texts:
        _same_gates(text)
    with pytest.raises(ValueError, match="ASCII"):
        _native.may_be_xss("caf\u00e9")
    verdicts = [xss.detect_xss(t) for t in texts]
    monkeypatch.setattr(xss, "_native_may_be_xss", None)
    monkeypatch.setattr(xss, "_native_xss_gates", None)
    assert sum(verdicts) > 200
    assert [t for t, v in zip(texts, verdicts, strict=True) if v != xss.detect_xss(t)] == []
