"""The SQL lexer and :func:`~.sqli_lexer.fold` in one pass, cheap on prose.

:func:`lex_folded` returns exactly ``fold(tokenize(text, quote, backslash_escapes))``, but

* folds each token as it is lexed (no intermediate list);
* reads a run of whole ASCII words with one regex match, then ``str.split`` and set look-ups:
  :func:`~.sqli_lexer.fold` turns plain words in a row into one ``B`` token carrying the first
  word, so only keywords and the first word of each plain stretch become tokens, and prose costs
  a few Python steps per sentence instead of several per word;
* with ``skip_prose=True`` (the detector's LOW sensitivity) leaves out the middle of long prose
  in which no LOW rule can fire, keeping the verdict (the argument is at :data:`_PROSE`).

``tests/waf/detection/test_detector_fast_paths.py`` holds both to the two-step reference
(hypothesis, CRS attack values, the legitimate corpus's vocabulary).

The same algorithm runs in C when the optional extension ``assetguard.waf.detectors._native``
was built (the package installed with a C compiler and Python's headers): :data:`lex_folded` is
then the native lexer and :func:`lex_folded_python` this module's own; both return the same
tokens (``tests/waf/detection/test_native_detectors.py`` holds them to each other on every input
it generates and on the shipped corpora). ``ASSETGUARD_WAF_NATIVE=0`` keeps the Python lexer
(see :mod:`.native`).

Example::

    >>> [(t.kind, t.text) for t in lex_folded("it was a cold day in april and 1=1")]
    [('B', 'it'), ('L', 'in'), ('b', 'april'), ('&', 'and'), ('n', ''), ('=', '='), ('n', '')]
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assetguard.waf.detectors import native
from assetguard.waf.detectors.sqli_lexer import (
    _COMPARISONS,
    _KNOWN_OPERATORS,
    _MASTER,
    _PAREN_AFTER,
    _SET_OPERAND,
    _STRING_BODY,
    CLAUSE_WORDS,
    COMPARISON_WORDS,
    LOGIC_WORDS,
    OPERATOR_WORDS,
    STATEMENT_WORDS,
    Token,
    _known_prefix,
    _word_token,
)
from assetguard.waf.detectors.sqli_names import CATALOG_NAMES

__all__ = ["lex_folded", "lex_folded_python"]

# Words whose kind does not depend on what follows them (checked before the call test).
_EARLY_KINDS: dict[str, str] = {
    **{w: "&" for w in LOGIC_WORDS},
    **{w: "L" for w in COMPARISON_WORDS},
    "union": "U",
    "select": "S",
    "from": "F",
    "true": "n",
    "false": "n",
}
# Words that are a statement, an operator or a clause keyword unless a ``(`` makes them a call.
_LATE_KINDS: dict[str, str] = {
    **{w: "k" for w in CLAUSE_WORDS},
    **{w: "o" for w in OPERATOR_WORDS},
    **{w: "E" for w in STATEMENT_WORDS},
}
_SPECIAL_WORDS = frozenset(_EARLY_KINDS) | frozenset(_LATE_KINDS) | {"except", "intersect"}
# A run of whole ASCII words (the next character is no word character to the master pattern)
# separated by ASCII whitespace, so ``str.split`` cuts it exactly where the lexer does.
_WORD_RUN = re.compile(
    r"[a-zA-Z_$][a-zA-Z0-9_$]*(?![\w$]|[^\x00-\x7f])(?:[ \t\n\r\f\v]+[a-zA-Z_$][a-zA-Z0-9_$]*(?![\w$]|[^\x00-\x7f]))*"
)
_WORD = re.compile(r"\S+")
# Long prose: ASCII letters, whitespace, ``.`` and ``,``. It lexes to words (``b B & L k F``),
# ``.`` and ``,`` only, and no LOW rule fires inside it unless it holds one of _HOT_WORDS (or
# ``from`` + a catalog name). Its middle can then be left out of the token list without changing
# the verdict, when the cut is exact at both ends:
#
# * the kept head has _KEEP_TOKENS tokens, a ``B`` and an ``&``: every rule anchored before it
#   looks at most 13 tokens ahead, except SELECT's search for FROM, which stops at a ``B``, and
#   ``&f[^&]*[=L]``, which stops at an ``&`` (``&`` and ``B`` also end ``.b`` name chains);
# * no rule anchored inside the kept head looks past its end: of the words prose may hold, only
#   ``case`` looks further than the closing ``.`` (up to 9 tokens, for ``when .. then``);
# * both ends of the cut are ``.`` tokens, so the tokens after the cut fold and look back (two
#   tokens at most) exactly as they did; no parenthesis, operator, literal, string or comment is
#   left out, so the checks over the whole fingerprint (``.*c$``, paren depth) see the same.
#
# HIGH adds grammars that match prose (``and x in y``), so it never skips.
_MIN_PROSE = 400
_KEEP_TOKENS = 16
# (The look-behind starts a try only where a stretch starts: without it, re would scan each
# shorter stretch again from every one of its characters.)
_PROSE = re.compile(r"(?<![A-Za-z_$ \t\n\r\f\v.,])[A-Za-z_$ \t\n\r\f\v.,]{" + str(_MIN_PROSE) + ",}")
_HOT_WORDS = (
    STATEMENT_WORDS
    | OPERATOR_WORDS
    | {"select", "union", "except", "intersect", "true", "false", "case", "outfile", "dumpfile"}
)
_FROM_CATALOG = re.compile(
    r"\bfrom\s+(?:" + "|".join(re.escape(c) for c in sorted(CATALOG_NAMES)) + r")(?![\w$])"
)
_SIGNS = ("-", "+", "~", "!")
_SIGN_CONTEXT = "o=L&(,kESF"


def lex_folded_python(
    text: str, start_quote: str = "", backslash_escapes: bool = True, skip_prose: bool = False
) -> list[Token]:
    """``fold(tokenize(text, start_quote, backslash_escapes))``, computed in one pass.

    ``skip_prose=True`` leaves out the middle of long prose (see :data:`_PROSE`): the result is
    then no longer that list, but the SQL detector's LOW verdict on it is the same.
    """
    out: list[Token] = []
    cast = False
    n = len(text)
    pos = 0
    # Prose stretches not yet reached, last first; the one being read ends at prose_end.
    spans = [m.span() for m in _PROSE.finditer(text)][::-1] if skip_prose and n >= _MIN_PROSE else []
    prose_end = -1
    prose_base = 0
    if start_quote:
        m = _STRING_BODY[(start_quote, backslash_escapes)].match(text, 0)
        end = m.end() if m is not None else n
        out.append(Token("s", text[:end]))
        pos = end + 1
    match = _MASTER.match
    word_run = _WORD_RUN.match
    while pos < n:
        if spans and pos >= spans[-1][0]:
            while spans and pos >= spans[-1][0]:
                start, stop = spans.pop()
            if stop - pos >= _MIN_PROSE:  # pos is a token start outside strings and comments
                prose_end, prose_base = stop, len(out)
        ch = text[pos]
        if ch == " ":  # whitespace makes no token and changes no state
            pos += 1
            continue
        if ch.isascii() and (ch.isalpha() or ch in "_$"):
            r = word_run(text, pos)
            if r is not None:
                pos = r.end()
                _emit_words(out, text, r.start(), pos, cast)
                cast = False
                continue
        # Characters the master pattern always reads as the same token: skip the match.
        if ch == '"' or ch == "'":
            sm = _STRING_BODY[(ch, backslash_escapes)].match(text, pos + 1)
            body_end = sm.end() if sm is not None else n
            tok = Token("s", text[pos + 1 : body_end])
            end = body_end + 1
        elif ch in "(),;":
            tok = Token(ch, ch)
            end = pos + 1
        elif ch == "{" or ch == "}" or (ch == ":" and text[pos + 1 : pos + 2] not in (":", "=")):
            tok = Token("?", ch)
            end = pos + 1
        else:
            m = match(text, pos)
            if m is None:  # cannot happen: the master pattern matches any character
                break
            kind = m.lastgroup
            end = m.end()
            if kind == "ws" or kind == "xc" or kind == "ce":
                pos = end
                continue
            if kind == "word":
                word = m.group().lower()
                wkind = _EARLY_KINDS.get(word)
                if wkind is None:
                    if (word == "except" or word == "intersect") and _SET_OPERAND.match(text, end):
                        wkind = "U"
                    elif _PAREN_AFTER.match(text, end):
                        wkind = "f"
                    else:
                        wkind = _LATE_KINDS.get(word, "b")
                tok = Token(wkind, word)
            elif kind == "q":
                quote = m.group()
                sm = _STRING_BODY[(quote, backslash_escapes)].match(text, end)
                body_end = sm.end() if sm is not None else n
                tok = Token("s", text[end:body_end])
                end = body_end + 1
            elif kind == "num":
                tok = Token("n", "")
            elif kind == "op":
                op = m.group()
                if len(op) > 1 and op not in _KNOWN_OPERATORS:
                    op = _known_prefix(op)
                    end = pos + len(op)
                tok = Token("&" if op in ("&&", "||") else "=" if op in _COMPARISONS else "o", op)
            elif kind == "p":
                tok = Token(m.group(), m.group())
                if tok.kind == "." and end < prose_end and len(out) - prose_base >= _KEEP_TOKENS:
                    if not _fold_into(out, tok):
                        out.append(tok)
                    pos = _after_prose(text, out, prose_base, end, prose_end)
                    if pos >= 0:
                        prose_end = -1  # one cut per stretch of prose
                    else:
                        pos = end  # no ``&`` kept yet: try again at the next ``.``
                    continue
            elif kind == "c1":
                tok = Token("c", "--" if m.group().startswith("--") else "#")
            elif kind == "c2":
                tok = Token("c", "/*")
            elif kind == "var":
                tok = Token("v", m.group().lower())
            elif kind == "bt":
                tok = Token("b", m.group()[1:].rstrip("`").lower())
            elif kind == "br":
                tok = Token("b", m.group()[1:-1].lower())
            elif kind == "assign":
                tok = Token("o", ":=")
            elif kind == "jop":
                tok = Token("=", m.group())
            elif kind == "cast":
                pos = end
                cast = True  # ``::type`` changes no structure: drop it and its type name
                continue
            else:
                ch = m.group()
                tok = Token("o", "[") if ch == "[" else Token("?", ch)
        pos = end
        if cast:
            cast = False
            if tok.kind in "bfkB":
                continue
        if not _fold_into(out, tok):
            out.append(tok)
    return out


def _after_prose(text: str, out: list[Token], base: int, start: int, stop: int) -> int:
    """Where to go on lexing after the ``.`` that ends at ``start`` inside the prose ``[.., stop)``
    (-1: not yet, the kept head lacks a ``B`` or an ``&``, or has a ``case`` whose search for
    ``then`` would cross).

    The middle of the prose, ``text[start:r]`` up to the last ``.`` before ``stop``, is skipped
    when it holds no word any LOW rule could fire on (statement words, ``select``, ``union``,
    literals, ``case``, ``outfile``, ``from`` + a catalog name) and the kept head ``out[base:]``
    has an ``&`` (see :data:`_PROSE` for why that keeps the verdict).
    """
    kinds = "".join([t.kind for t in out[base:]])
    if "&" not in kinds or "B" not in kinds or any(t.text == "case" for t in out[-10:]):
        return -1
    cut = text.rfind(".", start, stop - 1) + 1
    if cut <= start:
        return start
    middle = text[start:cut].lower()
    if not _HOT_WORDS.isdisjoint(middle.replace(".", " ").replace(",", " ").split()):
        return start
    if "from" in middle and _FROM_CATALOG.search(middle):
        return start
    return cut


def _emit_words(out: list[Token], text: str, start: int, end: int, cast: bool) -> None:
    """Fold the run of words ``text[start:end]`` into ``out``; ``cast`` drops its first token."""
    words = text[start:end].lower().split()
    last = len(words) - 1
    # Whether the last word opens a call (prose runs mostly end at a full stop or a comma).
    call = text[end : end + 1] not in (".", ",") and _PAREN_AFTER.match(text, end) is not None
    if _SPECIAL_WORDS.isdisjoint(words):
        first = 1 if cast else 0  # after a cast, the first word (b or f) is the type name
        plain = last if call else last + 1
        if first < plain:
            _push_plain(out, words[first], plain - first > 1)
        if call and first <= last:
            _push(out, Token("f", words[last]), False)
        return
    if "except" in words or "intersect" in words:  # their kind depends on the text after them
        for m in _WORD.finditer(text, start, end):
            _push(out, _word_token(m.group().lower(), text, m.end()), cast)
            cast = False
        return
    pending = 0  # the first word of the plain words not yet folded
    for i, word in enumerate(words):
        if word not in _SPECIAL_WORDS and not (call and i == last):
            continue
        if cast and pending < i:
            cast = False
            pending += 1
        if pending < i:
            _push_plain(out, words[pending], i - pending > 1)
        kind = _EARLY_KINDS.get(word)
        if kind is None:
            kind = "f" if call and i == last else _LATE_KINDS.get(word, "b")
        _push(out, Token(kind, word), cast)
        cast = False
        pending = i + 1
    if cast and pending <= last:
        pending += 1
    if pending <= last:
        _push_plain(out, words[pending], pending < last)


def _push_plain(out: list[Token], word: str, more: bool) -> None:
    """Fold the plain word ``word`` (a ``b``), then ``more`` plain words after it (a ``B`` run)."""
    tok = Token("b", word)
    if not _fold_into(out, tok):
        out.append(tok)
    if more and out[-1].kind == "b":
        out[-1] = Token("B", out[-1].text)


def _push(out: list[Token], tok: Token, cast: bool) -> None:
    """Fold one token into ``out``; after a ``::`` cast a type name is dropped."""
    if cast and tok.kind in "bfkB":
        return
    if not _fold_into(out, tok):
        out.append(tok)


def _fold_into(out: list[Token], tok: Token) -> bool:
    """Apply :func:`~.sqli_lexer.fold`'s rules for ``tok`` after ``out``; True when ``tok`` is
    absorbed (``out`` already updated), False when the caller appends it."""
    if not out:
        return False
    prev = out[-1]
    pkind = prev.kind
    kind = tok.kind
    if pkind == "U" and tok.text in ("all", "distinct"):
        return True
    if kind == "n" and pkind == "o" and prev.text in _SIGNS and (len(out) == 1 or out[-2].kind in _SIGN_CONTEXT):
        out[-1] = tok
        return True
    if kind == "b" and pkind in "bB":
        if pkind == "b":
            out[-1] = Token("B", prev.text)
        return True
    if kind == "&" and tok.text == "not" and pkind in "&L":
        return True
    if kind == "o" and pkind in "o=L" and tok.text in _SIGNS:
        return True
    if kind == "c" and pkind == "c":
        return True
    if pkind == "c" and prev.text == "/*":
        out.pop()  # an inline comment between tokens is only whitespace
    return False


LexFolded = Callable[..., list[Token]]

lex_folded: LexFolded = lex_folded_python
if native.module is not None:
    native.module.configure(Token, _EARLY_KINDS, _LATE_KINDS, sorted(_HOT_WORDS), sorted(CATALOG_NAMES),
                            sorted(_KNOWN_OPERATORS), sorted(_COMPARISONS))
    lex_folded = native.module.lex_folded
