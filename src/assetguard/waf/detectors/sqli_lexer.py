"""A small SQL lexer that folds text into a fingerprint of token kinds.

The fingerprint is one character per token, so grammars over it are plain regular expressions:

==== ==========================================================
char token
==== ==========================================================
``s`` string literal ('..', "..", or the rest of the text when unterminated)
``n`` number (decimal, hex ``0x..``, binary ``0b..``, scientific)
``b`` bareword (identifier, backticked or bracketed name); ``B`` a run of two or more (prose)
``v`` variable (``@name``, ``@@version``)
``f`` function name (a word followed by ``(``)
``S`` SELECT; ``E`` another statement keyword (INSERT, DROP, EXEC, WAITFOR, ...)
``U`` UNION (with ALL / DISTINCT folded in)
``F`` FROM; ``k`` another clause keyword (WHERE, ORDER, BY, HAVING, LIMIT, INTO, TABLE, ...)
``&`` logic operator (AND, OR, XOR, NOT, ``&&``, ``||``)
``=`` comparison operator (``=``, ``<``, ``>=``, ``<>``, PostgreSQL's ``@>``, ``?|``, ...); ``L`` comparison word (LIKE, IS, IN, ...)
``o`` other operator (``+``, ``-``, ``*``, ``|``, DIV, ...)
``c`` comment (``--``, ``#``; inline ``/* */`` only when it ends the text)
``(`` ``)`` ``,`` ``;`` ``.`` themselves (``x`` a ``::`` cast, dropped by :func:`fold`)
==== ==========================================================

Example::

    >>> fingerprint("1 OR 1=1--")
    'n&n=nc'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATEMENT_WORDS = frozenset(
    """select insert update delete drop exec execute declare create alter truncate shutdown
    waitfor replace merge call grant revoke rename handler load""".split()
)
CLAUSE_WORDS = frozenset(
    """from where order by group having limit offset into values set table database
    procedure outfile dumpfile top case when then else end as on join inner outer left right
    cross asc desc null delay time all distinct information_schema""".split()
)
LOGIC_WORDS = frozenset({"and", "or", "xor", "not"})
COMPARISON_WORDS = frozenset(
    {"like", "rlike", "ilike", "is", "in", "between", "regexp", "sounds", "glob", "match", "notnull"}
)
OPERATOR_WORDS = frozenset({"div", "mod", "collate", "escape"})
_COMPARISONS = frozenset({"=", "<", ">", "<=", ">=", "<>", "!=", "<=>", "==", "!<", "!>", "===", "!=="})
# Operators SQL (and the languages around it) know; a longer run of operator characters is
# split into the longest of these from its left (``=!0`` is ``=`` then ``!0``).
_KNOWN_OPERATORS = _COMPARISONS | frozenset({"&&", "||", "<<", ">>", "->", "->>", "**", "||/", "|/", "!!", "~*", ":="})
_OPERATOR_CHARS = "=<>!+-*/%^|&~"
_PUNCT = "(),;."


@dataclass(slots=True)
class Token:
    """One lexed token: its fingerprint kind and its lower-cased text."""

    kind: str
    text: str


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def tokenize_reference(text: str, start_quote: str = "", backslash_escapes: bool = True) -> list[Token]:
    """The readable character-by-character lexer; :func:`tokenize` must agree with it.

    Split ``text`` into tokens; ``start_quote`` pretends the text begins inside that string.

    ``backslash_escapes=False`` reads strings the ANSI way (only a doubled quote escapes), as
    MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL and SQL Server do, so ``\\'or'1`` closes the string.
    Never raises. Unterminated strings and comments run to the end of the text.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    if start_quote:
        end = _string_end(text, 0, start_quote, backslash_escapes)
        tokens.append(Token("s", text[:end]))
        i = end + 1
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "\x00":
            i += 1
            continue
        if ch in "'\"":
            end = _string_end(text, i + 1, ch, backslash_escapes)
            tokens.append(Token("s", text[i + 1 : end]))
            i = end + 1
            continue
        if text.startswith(_JSON_OPS, i) and not (text.startswith("@@", i) and _continues_name(text, i + 2)):
            op = next(o for o in _JSON_OPS if text.startswith(o, i))
            tokens.append(Token("=", op))
            i += len(op)
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            end = n if end < 0 else end
            tokens.append(Token("b", text[i + 1 : end].lower()))
            i = end + 1
            continue
        if ch == "-" and text.startswith("--", i):
            nl = text.find("\n", i)
            tokens.append(Token("c", "--"))
            i = n if nl < 0 else nl + 1
            continue
        if ch == "#":
            nl = text.find("\n", i)
            tokens.append(Token("c", "#"))
            i = n if nl < 0 else nl + 1
            continue
        if ch == "/" and text.startswith("/*", i):
            # MySQL executable comments /*!50000 select */ hold code: lex their inside.
            if text.startswith("/*!", i):
                j = i + 3
                while j < n and text[j].isdigit():
                    j += 1
                i = j
                continue
            end = text.find("*/", i + 2)
            tokens.append(Token("c", "/*"))
            i = n if end < 0 else end + 2
            continue
        if ch == "*" and text.startswith("*/", i):
            i += 2  # closing of an executable comment
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            i = _number_end(text, i)
            tokens.append(Token("n", ""))
            continue
        if ch == "@":
            j = i + 1
            while j < n and text[j] == "@":
                j += 1
            k = j
            while k < n and (_is_word_char(text[k]) or text[k] == "."):
                k += 1
            tokens.append(Token("v", text[i:k].lower()))
            i = max(k, i + 1)
            continue
        if ch == "[":
            end = text.find("]", i + 1)
            if 0 < end - i < 64 and all(_is_word_char(c) or c == " " for c in text[i + 1 : end]):
                tokens.append(Token("b", text[i + 1 : end].lower()))
                i = end + 1
                continue
            tokens.append(Token("o", "["))
            i += 1
            continue
        if _is_word_char(ch) or ord(ch) > 127:
            j = i + 1
            while j < n and (_is_word_char(text[j]) or ord(text[j]) > 127):
                j += 1
            word = text[i:j].lower()
            i = j
            tokens.append(_word_token(word, text, i))
            continue
        if ch in _OPERATOR_CHARS:
            j = i + 1
            while j < n and text[j] in _OPERATOR_CHARS and j - i < 3:
                if text[j] == "-" and text.startswith("--", j):
                    break
                if text[j] == "/" and text.startswith("/*", j):
                    break
                j += 1
            op = _known_prefix(text[i:j])
            kind = "&" if op in ("&&", "||") else "=" if op in _COMPARISONS else "o"
            tokens.append(Token(kind, op))
            i += len(op)
            continue
        if ch in _PUNCT:
            tokens.append(Token(ch, ch))
            i += 1
            continue
        if ch == ":" and text.startswith("::", i):
            tokens.append(Token("x", "::"))
            i += 2
            continue
        if ch == ":" and i + 1 < n and text[i + 1] == "=":
            tokens.append(Token("o", ":="))
            i += 2
            continue
        # Anything else (?, {, }, \, ...) is noise for SQL; keep it as a bareword-ish marker.
        tokens.append(Token("?", ch))
        i += 1
    return tokens


def _known_prefix(op: str) -> str:
    """The longest known operator ``op`` starts with (one character when none is known)."""
    for size in range(len(op), 1, -1):
        if op[:size] in _KNOWN_OPERATORS:
            return op[:size]
    return op[:1]


# Longest first, so ``#>>`` wins over ``#>``.
_JSON_OPS = ("#>>", "#>", "@>", "<@", "?|", "?&", "@?", "@@")


def _continues_name(text: str, i: int) -> bool:
    return i < len(text) and (_is_word_char(text[i]) or text[i] == ".")


def _string_end(text: str, i: int, quote: str, backslash_escapes: bool = True) -> int:
    """Index of the closing ``quote`` from ``i``; doubled quotes (and backslash escapes) stay inside."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and backslash_escapes:
            i += 2
            continue
        if c == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i
        i += 1
    return n


def _number_end(text: str, i: int) -> int:
    n = len(text)
    if text.startswith(("0x", "0X", "0b", "0B"), i):
        j = i + 2
        while j < n and text[j] in "0123456789abcdefABCDEF":
            j += 1
        return j
    j = i
    while j < n and (text[j].isdigit() or text[j] == "."):
        j += 1
    if j < n and text[j] in "eE" and j + 1 < n and (text[j + 1].isdigit() or text[j + 1] in "+-"):
        j += 2
        while j < n and text[j].isdigit():
            j += 1
    # "1union" or "1e" glued to a word: MySQL reads the number and then the word.
    return j


def _word_token(word: str, text: str, after: int) -> Token:
    if word in LOGIC_WORDS:
        return Token("&", word)
    if word in COMPARISON_WORDS:
        return Token("L", word)
    if word == "union" or (word in ("except", "intersect") and _SET_OPERAND.match(text, after)):
        return Token("U", word)
    if word == "select":
        return Token("S", word)
    if word == "from":
        return Token("F", word)
    if word in ("true", "false"):
        return Token("n", word)  # boolean literals are numbers to SQL (TRUE = 1)
    nxt = text[after : after + 1]
    if nxt == "(" or ((nxt.isspace() or nxt == "/") and _PAREN_AFTER.match(text, after)):
        return Token("f", word)
    if word in STATEMENT_WORDS:
        return Token("E", word)
    if word in OPERATOR_WORDS:
        return Token("o", word)
    if word in CLAUSE_WORDS:
        return Token("k", word)
    return Token("b", word)


# A string's body up to its closing quote. Written as "plain run, then (escape, plain run)*"
# rather than one alternation per character, which Python's re runs ~10x slower on long strings;
# both read the same (the branches start with different characters, so neither backtracks).
_STRING_BODY = {
    ("'", True): re.compile(r"[^'\\]*(?:(?:\\.|''|\\\Z)[^'\\]*)*", re.DOTALL),
    ("'", False): re.compile(r"[^']*(?:''[^']*)*", re.DOTALL),
    ('"', True): re.compile(r'[^"\\]*(?:(?:\\.|""|\\\Z)[^"\\]*)*', re.DOTALL),
    ('"', False): re.compile(r'[^"]*(?:""[^"]*)*', re.DOTALL),
}
_MASTER = re.compile(
    r"""(?P<ws>[\s\x00]+)
      |(?P<q>['"])
      |(?P<bt>`[^`]*`?)
      |(?P<jop>\#>>?|@>|<@|\?[|&]|@\?|@@(?![\w$.]))
      |(?P<c1>(?:--|\#)[^\n]*\n?)
      |(?P<xc>/\*!\d*)
      |(?P<c2>/\*(?:.*?\*/|.*))
      |(?P<ce>\*/)
      |(?P<num>0[xXbB][0-9a-fA-F]*|(?:\d|\.\d)[\d.]*(?:[eE](?:\d|[+-])\d*)?)
      |(?P<var>@+[\w$.]*)
      |(?P<br>\[[\w $]{0,62}\])
      |(?P<word>(?:[\w$]|[^\x00-\x7f])+)
      |(?P<op>[=<>!+\-*/%^|&~](?:(?!--|/\*)[=<>!+\-*/%^|&~]){0,2})
      |(?P<cast>::)
      |(?P<assign>:=)
      |(?P<p>[(),;.])
      |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_PAREN_AFTER = re.compile(r"(?:\s|/\*\*/)*\(")
# EXCEPT / INTERSECT join two queries like UNION only when a query follows them.
_SET_OPERAND = re.compile(r"(?:\s|/\*.*?\*/)*(?:select|values)\b", re.IGNORECASE)


def _string_body_end(text: str, start: int, quote: str, backslash_escapes: bool) -> int:
    """Index of the closing quote of a string whose body starts at ``start`` (``len`` if none)."""
    m = _STRING_BODY[(quote, backslash_escapes)].match(text, start)
    return m.end() if m is not None else len(text)


def tokenize(text: str, start_quote: str = "", backslash_escapes: bool = True) -> list[Token]:
    """Split ``text`` into tokens (see :func:`tokenize_reference` for the rules), using one
    compiled master pattern so that long bodies cost C-speed scanning, not a Python loop per
    character. ``start_quote`` pretends the text begins inside that string; never raises.
    """
    tokens: list[Token] = []
    append = tokens.append
    n = len(text)
    pos = 0
    if start_quote:
        end = _string_body_end(text, 0, start_quote, backslash_escapes)
        append(Token("s", text[:end]))
        pos = end + 1
    match = _MASTER.match
    while pos < n:
        m = match(text, pos)
        if m is None:  # cannot happen: (?P<other>.) matches any character
            break
        kind = m.lastgroup
        end = m.end()
        if kind == "ws" or kind == "xc" or kind == "ce":
            pass
        elif kind == "q":
            body_end = _string_body_end(text, end, m.group(), backslash_escapes)
            append(Token("s", text[end:body_end]))
            end = body_end + 1
        elif kind == "word":
            append(_word_token(m.group().lower(), text, end))
        elif kind == "num":
            append(Token("n", ""))
        elif kind == "op":
            op = m.group()
            if len(op) > 1 and op not in _KNOWN_OPERATORS:
                op = _known_prefix(op)
                end = pos + len(op)
            append(Token("&" if op in ("&&", "||") else "=" if op in _COMPARISONS else "o", op))
        elif kind == "p":
            append(Token(m.group(), m.group()))
        elif kind == "c1":
            append(Token("c", m.group()[:2] if m.group().startswith("--") else "#"))
        elif kind == "c2":
            append(Token("c", "/*"))
        elif kind == "var":
            append(Token("v", m.group().lower()))
        elif kind == "bt":
            append(Token("b", m.group()[1:].rstrip("`").lower()))
        elif kind == "br":
            append(Token("b", m.group()[1:-1].lower()))
        elif kind == "assign":
            append(Token("o", ":="))
        elif kind == "jop":
            append(Token("=", m.group()))
        elif kind == "cast":
            append(Token("x", "::"))
        else:
            ch = m.group()
            append(Token("o", "[") if ch == "[" else Token("?", ch))
        pos = end
    return tokens


def fold(tokens: list[Token]) -> list[Token]:
    """Fold noise so grammars stay small.

    ``UNION ALL|DISTINCT`` becomes one ``U``; a unary sign before a number joins the number;
    runs of barewords collapse to one; ``NOT`` after a logic operator or ``IS``/``LIKE`` is dropped.
    """
    out: list[Token] = []
    cast = False
    for tok in tokens:
        if tok.kind == "x":
            cast = True  # ``::type`` (PostgreSQL cast) changes no structure: drop it and its type
            continue
        if cast:
            cast = False
            if tok.kind in "bfkB":
                continue
        prev = out[-1] if out else None
        if prev is not None:
            if prev.kind == "U" and tok.text in ("all", "distinct"):
                continue
            if (
                tok.kind == "n"
                and prev.kind == "o"
                and prev.text in ("-", "+", "~", "!")
                and (len(out) == 1 or out[-2].kind in "o=L&(,kESF")
            ):
                out[-1] = tok
                continue
            if tok.kind == "b" and prev.kind in "bB":
                out[-1] = Token("B", prev.text)
                continue
            if tok.kind == "&" and tok.text == "not" and prev.kind in "&L":
                continue
            if tok.kind == "o" and prev.kind in "o=L" and tok.text in ("-", "+", "!", "~"):
                continue
            if tok.kind == "c" and prev.kind == "c":
                continue
            if prev.kind == "c" and prev.text == "/*":
                out.pop()  # an inline comment between tokens is only whitespace
        out.append(tok)
    return out


def fingerprint(text: str, start_quote: str = "", backslash_escapes: bool = True) -> str:
    """The folded fingerprint of ``text`` lexed in one quoting context."""
    return "".join(t.kind for t in fold(tokenize(text, start_quote, backslash_escapes)))
