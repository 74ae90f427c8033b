"""SQL injection detection by lexing and fingerprinting (the engine's ``SqliMatch``).

The text is lexed as SQL in up to three quoting contexts: as it is, as if it started inside a
single-quoted string, and inside a double-quoted string (the attacker closes the application's
quote first). Each lexing is folded into a fingerprint (see :mod:`.sqli_lexer`) and judged by a
small grammar: tautologies after a logic operator, UNION SELECT, stacked or nested statements
that parse as real statements, time/error-based functions in an expression, system variables,
catalog tables and comment-truncated strings.

Where a value starts matters most (an injected fragment opens the application's value), so the
whole text and every value that starts inside it (form values, path segments, multipart parts,
XML attributes, JSON keys: :mod:`.sqli_values`) are judged as values: a value that opens with a
chained condition (``and 7=(``), a stacked statement (``;drop x``), a literal comparison
(``1=1``), an unclosed call of a SQL function (``hex(``), ``IN (..)`` lists, ``FROM t WHERE``
clauses or ``SET @v =``. Raw-text rules add comments glued into keywords (``DR/**/OP``),
PostgreSQL ``::int`` error probes, attack-only procedure and catalog names, type-limit numbers.

``sensitivity="HIGH"`` adds patterns that also occur in SQL-flavoured prose (``x and y=1``,
``1--``, any ``@@name``), catching more with more false positives, like AWS's HIGH setting.

Example::

    >>> detect_sqli("1' OR '1'='1")
    True
    >>> detect_sqli("O'Reilly and Sons")
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assetguard.waf.detectors import native
from assetguard.waf.detectors.sqli_folded import lex_folded
from assetguard.waf.detectors.sqli_lexer import STATEMENT_WORDS, Token
from assetguard.waf.detectors.sqli_names import (
    ATTACK_FUNCTIONS,
    ATTACK_NAMES,
    CATALOG_NAMES,
    JSON_OPERATORS,
    PROBE_FUNCTIONS,
    SQL_FUNCTIONS,
    VALUE_FUNCTIONS,
)
from assetguard.waf.detectors.sqli_values import value_starts

__all__ = ["detect_sqli"]

# Nothing can be an injection without one of these; benign text pays one scan. The prefilters
# run on the lower-cased text without IGNORECASE, which Python's re runs about 2-3x faster.
_PREFILTER_WORDS = (
    "and", "or", "xor", "not", "union", "select", "insert", "update", "delete", "drop", "exec", "execute",
    "declare", "create", "alter", "truncate", "shutdown", "waitfor", "order", "group", "having", "into", "from",
    "sleep", "benchmark", "pg_sleep", "load_file", "extractvalue", "updatexml", r"xp_\w+", r"sp_\w+", r"utl_\w+",
    "openrowset", "opendatasource", "openquery", "msdasql", "sqloledb", "randomblob", "like", "rlike", "regexp",
    "procedure", "limit", "in", "is", "set", "when", "values", "except", "intersect",
)
_PREFILTER = re.compile(
    r"""['"`;#]|--|/\*|@@|&&|\|\||::|<@|@>|\?[|&]|\b(?:""" + "|".join(_PREFILTER_WORDS) + r""")\b"""
    r"""|[\d'"]\s*(?:[!<>=]?=|<>|<=>)\s*[\d'"]|\b\d+\.e[(.]"""
)
# On text of ASCII letters, digits and spaces only, _PREFILTER can match nothing but a whole word
# (runs of letters and digits are the only word boundaries) from these:
_PLAIN_PREFILTER_WORDS = frozenset(word for word in _PREFILTER_WORDS if word.isalpha())
# _PREFILTER on ASCII text, branch by branch without one regex trying every branch at every
# character (see _may_be_sqli_ascii): its literal pieces, its words (on ASCII, \w runs are
# [a-z0-9_]+ and \b falls only at their ends), and its two remaining regexes, each run only when
# a character it needs is there.
_PREFILTER_PIECES = ("'", '"', "`", ";", "#", "--", "/*", "@@", "&&", "||", "::", "<@", "@>", "?|", "?&")
# The pieces by first character, as bytes; ``_NOT_PIECE_START`` deletes every other byte, so one
# C-level translate tells which of them can be there (a typical query string keeps only '&').
_PIECES_BY_START = {ord(start): tuple(p.encode() for p in _PREFILTER_PIECES if p[0] == start)
                    for start in {p[0] for p in _PREFILTER_PIECES}}
_NOT_PIECE_START = bytes(c for c in range(256) if c not in _PIECES_BY_START)
_PREFILTER_RUN_WORDS = frozenset(word for word in _PREFILTER_WORDS if "\\" not in word)
_PREFILTER_RUN_PREFIXES = tuple(word[:-3] for word in _PREFILTER_WORDS if word.endswith(r"\w+"))
# Bytes, not a str.maketrans dict: bytes.translate is a table lookup per byte in C, about 4x
# faster than str.translate's per-character dict lookups on a 50-character query string.
_NOT_WORD_TO_SPACE = bytes(c if c < 128 and (chr(c).isalnum() or c == 95) else 32 for c in range(256))
# A necessary condition for _PREFILTER_COMPARISON once quotes are ruled out: with digits read as
# '0' and the white space \s matches deleted, a digit, the operator and a digit are adjacent. One
# C translate and a search led by the literal '0', instead of a character-class regex tried at
# every position; the regex itself runs only when this passes.
_DIGIT_TO_ZERO = bytes(48 if 48 <= c <= 57 else c for c in range(256))
_REGEX_SPACE = bytes(c for c in range(128) if re.match(r"\s", chr(c)))
_COMPARISON_GATE = re.compile(rb"0(?:[!<>=]?=|<>|<=>)0").search
_PREFILTER_COMPARISON = re.compile(r"""[\d'"]\s*(?:[!<>=]?=|<>|<=>)\s*[\d'"]""").search
_PREFILTER_NUMBER_E = re.compile(r"\b\d+\.e[(.]").search
_CATALOG_NAMES = (
    "information_schema", "pg_catalog", "pg_shadow", "pg_user", "sysobjects", "syscolumns", "sysusers", "sysdatabases",
    "sqlite_master", "sqlite_schema", "all_tables", "all_users", "user_tables", "msysaccessobjects", "msysobjects",
    "tempdb", "msdb", "northwind", "mysql.db", "mysql.user", "2147483647", "2147483648", "4294967295", "4294967296",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e309",
    "2.2250738585072011e-308",
)
_CATALOG_PREFILTER = re.compile("(?:" + "|".join(map(re.escape, _CATALOG_NAMES)) + r")[\s'\"`]*$")
# What [\s'"`]* can be on ASCII text: the catalog check is then an rstrip and an endswith.
_CATALOG_TAIL_ASCII = _REGEX_SPACE.decode("ascii") + "'\"`"


def _catalog_tail(lowered: str) -> bool:
    """``_CATALOG_PREFILTER.search(lowered[-40:])``: a catalog name or type-limit number ending the text."""
    window = lowered[-40:]
    if window.isascii():
        return window.rstrip(_CATALOG_TAIL_ASCII).endswith(_CATALOG_NAMES)
    return _CATALOG_PREFILTER.search(window) is not None


_FUNCTION_PREFILTER = re.compile(
    r"\b(?:" + "|".join(sorted(SQL_FUNCTIONS)) + r")\b[^\w(]{0,8}\("
)
# All of the prefilters above in one C pass over lower-cased ASCII text, when the extension is built.
_native_may_be_sqli: Callable[[str], bool] | None = None
if native.module is not None:
    native.module.configure_prefilter(sorted(_PREFILTER_RUN_WORDS), _PREFILTER_RUN_PREFIXES, sorted(SQL_FUNCTIONS),
                                      _CATALOG_NAMES)
    _native_may_be_sqli = native.module.may_be_sqli
_MAX_TEXT = 16_384
_VALUE_HEAD = 512

_OBJECT_WORDS = frozenset(
    {"table", "database", "user", "procedure", "function", "view", "index", "schema", "trigger", "login"}
)
_CONTEXT_BEFORE = "&=o(,SEUkF;"
_TAUTOLOGY_WORDS = frozenset({"true", "false"})
# Integer and float limits: a whole value that is one of them probes overflow handling.
_LIMIT_NUMBERS = frozenset(
    """2147483647 2147483648 4294967295 4294967296 9223372036854775807 9223372036854775808
    18446744073709551615 18446744073709551616 1e309 2.2250738585072011e-308""".split()
)
_COMMON_WORDS = frozenset({"mysql", "sys", "dual", "master"})  # catalog names that are also everyday words

_QUOTE_GRAMMAR = re.compile(
    r"""^s(?:
        &(?=.*[=oc;SEUfs(])        # ' or 1=1   ' and sleep(5)#   ' or ''='
      | &\(*[nv]\)*(?:$|c)         # ' or 1   ' || true--
      | =[nsbvf(SU]                # '='1   '<>'
      | o[nsvf(SUF]                # '+sleep(1)+'   '||'   (not '-word: jack-o'-lantern)
      | L[nsv(c]                   # ' like '%   ' in (   ' notnull--
      | c                          # admin'--
      | ;                          # '; drop table x
      | \)+[&c;=oUS]               # ') or ('1'='1
      | U\(*S|U[bk]?(?:$|[co;])    # ' union select   ' union/
      | E[bk]?(?:$|[c;o])          # ' alter x   'truncate--
      | S(?:[nbv(o]|$)             # ' select x
      | k{1,2}[nbvf(][^s]*?[n=oc;] # ' order by 1--   ' having 1=1
      | [=oL&]{1,2}[nbv]?[=oL&]?[nbv]?c$  # x'-email--   ' sounds like rowid--   x' mod id--
    )""",
    re.VERBOSE,
)
_GENERAL_GRAMMAR = re.compile(
    r"""U\(*S(?:[^bB]|b[,.F=o)&]|$)  # union select 1,2
      | &\(*[nsv]\)*[=L]\(*[nsv]      # and 1=1   or 'a'='a
      | &\(*[nsv]\)*=\(*[bB]\(*[c;]   # or 1=x--
      | &\(*f[^&]*[=L]                # and ascii(substr(x,1,1))>64
      | [nsv]\)*[=L]\(*[nsv]\)*&\(*c  # 1='1' or--
      | ,\(*[ns]\)*[=L]\(*[ns]\)*(?:$|[c;)&])  # 'admin', '1'='1'
      | k\(*[ns]\)*=\(*[ns]           # where 1=1   having 'a'='a'
    """,
    re.VERBOSE,
)
# Grammars anchored where a value starts (the whole text, or one of :func:`value_starts`).
_START_GRAMMAR = re.compile(
    r"""^[nv]\)*&\(*(?:[nsbv]\)*[=L]|f|[SE]|.*c$)  # 1 and 1=1   1 or sleep(1)
      | ^[nsv]\)+[&c;U]                            # 1) or   1)--
      | ^&\(*(?:[nsv]\)*(?:$|[=Lo&c;(])|[bk]\)*(?:=|L\(*[nsv]))  # and 7=(   or 'a' <   || x == '
      | ^;+[ES]                                    # ; drop x   ;update users
      | ^(?:[bn],)?[nsv]\)*(?:=|&?L)\(*[nsv]\)*(?:$|[=&c;])  # 1=1   42 like 42   'x'!='y
      | ^b=s,\(*[nsb]                              # hash = 'abc', 0x1a
      | ^E[bk]?[;c]                                # drop t;--
      | ^\)+L\(                                     # ) like (
    """,
    re.VERBOSE,
)
_HIGH_GRAMMAR = re.compile(r"&\(*[nsbvB]\)*[=L]\(*[nsbv]|^[nsv]\)*c$|^s[&=oL]|[SE]\S*F[bk]")
# A value that opens a call of a SQL function and leaves it open (``hex(``, ``if !(``,
# ``user/?(``): the probe that tests whether a call reaches the database. Words after the
# parenthesis (``Max (the dog``) make it prose.
_OPEN_CALL = re.compile(r"\s*([a-z_]\w*)[^\w(]{0,8}\([^)\s]*\s*$", re.IGNORECASE)
_OPEN_CALL_NAMES = SQL_FUNCTIONS | frozenset({"exec", "execute"})
# A short expression cast to a number or text (``password::int``, ``f(x)::text``): PostgreSQL's
# error-based extraction, the cast failing with the secret in the message.
_CAST_PROBE = re.compile(
    r"(?:[\w.()+,' |-]|::){1,80}::(?:int[248]?|integer|bigint|smallint|numeric|text|varchar|double\s+precision|float[48]?"
    r"|real|jsonb?|regclass|oid)\s*\)*\s*$",
    re.IGNORECASE,
)
_CATALOG_VALUES = CATALOG_NAMES | frozenset(
    {"tempdb", "msdb", "northwind", "master", "mysql.db", "mysql.user", "pg_catalog", "sys.objects"}
)
_LONGEST_NAME = max(map(len, ATTACK_NAMES | _LIMIT_NUMBERS | _CATALOG_VALUES))
# MySQL reads ``1.e(`` and ``1.e.t`` as the number 1 then the rest: a known filter bypass.
_GLUED_EXPONENT = re.compile(r"\b\d+\.e(?:\(|\.[a-z_])", re.IGNORECASE)
# ``DR/**/OP``, ``drop/*x*/t``: an inline comment glued between word characters hides a keyword.
_GLUED_COMMENT = re.compile(r"\b(\w{1,30})/\*(?:[^!*][^*]{0,60})?\*/(\w{1,30})")
_GLUE_WORDS = STATEMENT_WORDS | frozenset({"union", "select", "from", "where", "and", "or", "order", "having"})
_FROM_CLAUSE_WORDS = frozenset({"where", "order", "group", "limit", "having", "join", "union"})


def detect_sqli(text: str, sensitivity: str = "LOW") -> bool:
    """True when ``text`` contains SQL injection; ``sensitivity`` is ``"LOW"`` or ``"HIGH"``.

    Pure and deterministic; never raises on any string.
    """
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    lowered = text.lower()
    if not (_native_may_be_sqli(lowered) if _native_may_be_sqli and lowered.isascii() else _may_be_sqli(lowered)):
        return False
    high = sensitivity.upper() == "HIGH"
    if _judge(text, high):
        return True
    return any(_judge(_head(value), high) for value in value_starts(text))


def _may_be_sqli(lowered: str) -> bool:
    """Whether the prefilters let lower-cased ``lowered`` through (the native prefilter on ASCII
    text gives the same answer)."""
    return bool(
        (_may_be_sqli_ascii(lowered) if lowered.isascii() else _PREFILTER.search(lowered))
        or ("(" in lowered and _FUNCTION_PREFILTER.search(lowered))
        or _catalog_tail(lowered)
    )


def _may_be_sqli_ascii(lowered: str) -> bool:
    """``_PREFILTER.search(lowered) is not None`` for lower-cased ASCII text, computed cheaply."""
    if lowered.replace(" ", "").isalnum():  # plain words and numbers: a query word, a page, a session id
        return not _PLAIN_PREFILTER_WORDS.isdisjoint(lowered.split())
    raw = lowered.encode("ascii")
    marks = raw.translate(None, _NOT_PIECE_START)  # the characters a piece can start with, in order
    if marks:
        for start in dict.fromkeys(marks):
            for piece in _PIECES_BY_START[start]:
                if piece in raw:
                    return True
    runs = raw.translate(_NOT_WORD_TO_SPACE).decode("ascii").split()
    if not _PREFILTER_RUN_WORDS.isdisjoint(runs):
        return True
    if "p_" in lowered or "l_" in lowered:  # xp_, sp_, utl_ followed by more word characters
        for run in runs:
            for prefix in _PREFILTER_RUN_PREFIXES:
                if run.startswith(prefix) and len(run) > len(prefix):
                    return True
    if (("=" in lowered or "<>" in lowered) and _COMPARISON_GATE(raw.translate(_DIGIT_TO_ZERO, _REGEX_SPACE))
            and _PREFILTER_COMPARISON(lowered)):
        return True
    return ".e" in lowered and _PREFILTER_NUMBER_E(lowered) is not None


def _head(value: str) -> str:
    """The opening of a long value (cut at a space): the whole text has been judged already, and
    what a value start adds is local to it, so a long body is not lexed twice in full."""
    if len(value) <= _VALUE_HEAD:
        return value
    cut = value.rfind(" ", _VALUE_HEAD // 2, _VALUE_HEAD)
    return value[: cut if cut > 0 else _VALUE_HEAD]


def _judge(text: str, high: bool) -> bool:
    """Whether ``text``, read as one whole value, is an injection."""
    if _value_rules(text):
        return True
    contexts = [""]
    if "'" in text:
        contexts.append("'")
    if '"' in text:
        contexts.append('"')
    for quote in contexts:
        if _is_attack(lex_folded(text, quote, skip_prose=not high), quote, high):
            return True
    if "\\" in text:
        for quote in contexts:
            if _is_attack(lex_folded(text, quote, False, skip_prose=not high), quote, high):
                return True
    return False


def _value_rules(text: str) -> bool:
    """Rules over the raw value: open calls, attack-only names, comments glued into keywords."""
    call = _OPEN_CALL.match(text)
    if call is not None and call.group(1).lower() in _OPEN_CALL_NAMES:
        return True
    if (".e" in text or ".E" in text) and _may_hold_digit(text) and _GLUED_EXPONENT.search(text):
        return True
    bare = text.strip(" \t\r\n'\"`;")
    if len(bare) <= _LONGEST_NAME:  # (str.lower never shortens a string: a longer value names none)
        bare = bare.lower()
        if bare in ATTACK_NAMES or bare in _LIMIT_NUMBERS or (bare in _CATALOG_VALUES and bare not in _COMMON_WORDS):
            return True  # a whole value naming an attack-only procedure, a system catalog, a type limit
    if ":" in text and "::" in text and _CAST_PROBE.match(text):
        return True
    if "*" in text and "/*" in text:
        for m in _GLUED_COMMENT.finditer(text):
            left, right = m.group(1).lower(), m.group(2).lower()
            if left in _GLUE_WORDS or right in _GLUE_WORDS or left + right in _GLUE_WORDS:
                return True
    return False


def _may_hold_digit(text: str) -> bool:
    """False only when ``text`` has no digit (one memchr per ASCII digit; ``\\d`` is Unicode)."""
    return not text.isascii() or any(d in text for d in "0123456789")


def _is_attack(tokens: list[Token], quote: str, high: bool) -> bool:
    fp = "".join([t.kind for t in tokens])
    if quote and len(tokens) > 1 and _QUOTE_GRAMMAR.match(fp):
        return True
    if not quote and (_START_GRAMMAR.match(fp) or _start_rules(tokens)):
        return True
    if _GENERAL_GRAMMAR.search(fp):
        return True
    if high and _HIGH_GRAMMAR.search(fp):
        return True
    return _token_rules(tokens, fp, quote, high)


def _start_rules(tokens: list[Token]) -> bool:
    """Checks on how a value opens that need token text (the fingerprint alone is too coarse)."""
    count = len(tokens)
    first = tokens[0] if tokens else None
    if first is None:
        return False
    second = tokens[1] if count > 1 else None
    third = tokens[2] if count > 2 else None
    if first.kind == "L" and second is not None:
        if second.kind == "k" and second.text == "null":
            return third is None or third.kind in "c;&)"  # is null   like null   is not null--
        if first.text == "in" and second.kind == "(" and third is not None:
            if third.kind in "nsv" or (third.kind == "b" and count > 3 and tokens[3].kind == ","):
                return _ends_sql_like(tokens, 3)  # in (0,1)   in (a, b)   (not: in (1) case)
    if first.kind in ",)":
        i = 0
        while i < count and tokens[i].kind in ",)":
            i += 1
        if i < count:
            tok = tokens[i]
            if tok.kind == "f" and tok.text in SQL_FUNCTIONS:
                return True  # , find_in_set('x', col)
            if tok.text == "when" and first.kind == ")":
                return True  # ) when 1 then
    if first.kind == "F" and second is not None and second.kind == "b":
        return _is_from_clause(tokens[2:])
    if first.kind == "k" and first.text == "having" and second is not None and second.kind in "nsvf(":
        return _has_kind(tokens, 2, "=L", 4)  # having 1=   having count(*)>1
    if first.kind == "f" and first.text == "values" and third is not None and third.kind in "nsv":
        return True  # values ('a', 1)
    if first.kind == "(" and second is not None and second.kind == "S" and count == 2:
        return True  # (select
    return False


def _ends_sql_like(tokens: list[Token], start: int) -> bool:
    """Whether the group opened before ``start`` is still open, or closes where SQL would go on."""
    depth = 1
    for j in range(start, len(tokens)):
        kind = tokens[j].kind
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
            if depth == 0:
                return j + 1 == len(tokens) or tokens[j + 1].kind in "c;&)=oLU"
    return True


def _is_from_clause(rest: list[Token]) -> bool:
    """After ``FROM <name>``: a qualified name or a clause that takes SQL, not more prose."""
    i = 0
    qualified = False
    while i + 1 < len(rest) and rest[i].kind == "." and rest[i + 1].kind == "b":
        qualified = True
        i += 2
    if i >= len(rest) or rest[i].kind != "k" or rest[i].text not in _FROM_CLAUSE_WORDS:
        return False
    after = rest[i + 1 : i + 8]
    if not after:
        return qualified  # from db.table limit
    kinds = "".join(t.kind for t in after)
    return bool(re.match(r"k[bn]|[bn](?:\.b)*[=L]|f|n", kinds)) or (qualified and kinds[0] in "nb")


# The token kinds :func:`_token_rules` judges; every other token is only context for them.
_RULE_KINDS = re.compile(r"[SEfvFkU=sn]")


def _token_rules(tokens: list[Token], fp: str, quote: str, high: bool) -> bool:
    """Checks that need token text: statements, functions, variables, catalogs, clauses."""
    count = len(tokens)
    for m in _RULE_KINDS.finditer(fp):
        i = m.start()
        tok = tokens[i]
        prev = tokens[i - 1].kind if i else ("s" if quote else "^")
        kind = tok.kind
        if kind in "SE":
            if (prev in "^;(&=oUs" or high or tok.text == "waitfor") and _is_statement(tokens, i):
                return True
        elif kind == "f":
            if tok.text in ATTACK_FUNCTIONS and (prev in _CONTEXT_BEFORE or prev in "^s" or high):
                return True
            if tok.text in ATTACK_FUNCTIONS and prev == "." and i > 1 and tokens[i - 2].kind == "s":
                return True  # '.sleep(5).'  string concatenation around a time delay
            if tok.text in ATTACK_FUNCTIONS and prev == "?" and tokens[i - 1].text in "{$":
                return True  # ${sleep(5)}  an expression language evaluating a time delay
            if i == 0 and not quote and tok.text in VALUE_FUNCTIONS:
                return True  # the whole value is a SQL function call: concat_ws(, ifnull(, substr(
            if tok.text in PROBE_FUNCTIONS and prev in "&=" and _has_kind(tokens, i + 1, "=LSU&", 12):
                return True
        elif kind == "v":
            if tok.text.startswith("@@") and (prev in _CONTEXT_BEFORE or prev == "^" or high):
                return True
        elif kind == "F" and i + 1 < count:
            nxt = tokens[i + 1]
            name = nxt.text.split(".", 1)[0]
            if nxt.kind in "bBk" and name in CATALOG_NAMES and (i > 0 or name not in _COMMON_WORDS):
                return True  # from information_schema.tables   x from dual
        elif kind == "k":
            if tok.text == "as" and prev in ")ns" and i + 2 < count:
                if tokens[i + 1].kind in "bs" and tokens[i + 2].kind == "F":
                    return True  # count(*) AS n FROM   1234 AS "x" FROM
            elif tok.text == "case" and i + 1 < count and tokens[i + 1].text == "when" and prev != "L":
                for j in range(i + 2, min(i + 10, count)):
                    if tokens[j].text == "then":
                        return j > i + 2  # case when x then y (not: in case when you ..., then)
                    if tokens[j].kind in "B,;s":
                        break
            elif tok.text in ("order", "group") and i + 2 < count and tokens[i + 1].text == "by":
                after = tokens[i + 2]
                if after.kind == "n" and prev in "ns)^" and (i + 3 == count or tokens[i + 3].kind in "c;,)"):
                    return True
            elif tok.text == "into" and i + 1 < count and tokens[i + 1].text in ("outfile", "dumpfile"):
                return True
            elif tok.text == "set" and i + 1 < count and tokens[i + 1].kind == "v" and len(tokens[i + 1].text) > 1:
                following = tokens[i + 2] if i + 2 < count else None
                if following is not None and (following.kind in ",;=" or following.text == ":="):
                    return True  # SET @a = 0x..
                if following is None and (prev in ";o=)" or "_" in tokens[i + 1].text):
                    return True  # ;SET @saved   SET @OLD_SQL_MODE (not: set @alice)
        elif kind == "U" and i + 1 < count and tokens[i + 1].kind == "f" and tokens[i + 1].text == "values":
            return True  # except values(1,2)
        elif kind == "U" and i + 2 < count and tokens[i + 1].kind == "S" and tokens[i + 2].text in SQL_FUNCTIONS:
            return True  # union select concat
        elif kind == "=" and tok.text in JSON_OPERATORS and 0 < i < count - 1:
            if tokens[i - 1].kind in "sn)" and tokens[i + 1].kind in "sn(":
                return True  # '{"a":1}'::jsonb @> '{"a":1}'
        elif kind == "s" and i == count - 1 and not tok.text and prev == "L" and i > 1:
            if tokens[i - 2].kind in "bn":
                return True  # x like '   (the value ends where the pattern would start)
        elif kind == "n" and tok.text in _TAUTOLOGY_WORDS and prev == "&" and i > 1:
            if tokens[i - 2].kind in "nsv)" and tokens[i - 2].text not in _TAUTOLOGY_WORDS:
                return True  # 9999 or true   (not: true or false)
    return False


def _has_kind(tokens: list[Token], start: int, kinds: str, window: int) -> bool:
    return any(t.kind in kinds for t in tokens[start : start + window])


def _is_statement(tokens: list[Token], i: int) -> bool:
    """Whether the tokens from ``i`` parse as the start of a real SQL statement."""
    word = tokens[i].text
    rest = tokens[i + 1 : i + 40]
    if not rest:
        return word == "shutdown"
    first = rest[0]
    second = rest[1] if len(rest) > 1 else None
    if word == "select":
        return _is_select(rest)
    if word == "insert":
        return first.text == "into"
    if word == "update":
        return first.kind in "b" and second is not None and second.text == "set"
    if word == "delete":
        return first.kind == "F"
    if word in ("drop", "create", "alter", "truncate"):
        return first.text in _OBJECT_WORDS and second is not None and second.kind in "bBnvsf"
    if word in ("exec", "execute") and first.text == "immediate":
        return True
    if word in ("exec", "execute"):
        return first.kind in "bv(" and (first.text.startswith(("xp_", "sp_", "master")) or first.kind in "v(")
    if word == "declare":
        return first.kind == "v"
    if word == "shutdown":
        return first.kind in "c;"
    if word == "waitfor":
        return first.text in ("delay", "time") and second is not None and second.kind == "s"
    return False


def _is_select(rest: list[Token]) -> bool:
    first = rest[0]
    nxt = rest[1].kind if len(rest) > 1 else "$"
    if first.kind in "nsv" and nxt in ",Fc;)U&=Lo":
        return True
    if first.kind in "nv" and nxt == "$":
        return True  # select 1   (a lone quoted word, the 'select' 'button', is prose)
    if first.kind == "(" and len(rest) > 1 and (nxt in "fSnsv" or rest[1].text == "case"):
        return True  # select(user(   select (case
    if first.kind == "o" and first.text == "*" and nxt in "$Fc;),":
        return True
    if first.kind == "f" and (first.text in ATTACK_FUNCTIONS or first.text in PROBE_FUNCTIONS):
        return True
    if first.kind == "b" and first.text in ATTACK_FUNCTIONS:
        return True  # select pg_sleep
    if _select_list_then_clause(rest):
        return True
    if first.kind == "k" and first.text in ("null", "distinct", "all", "top", "case"):
        return nxt in ",Fc;)nsvbf("  # select null,   select distinct x   (not: select all)
    # select <list> from <one name> [end | clause | comment | ...]
    for j, tok in enumerate(rest[:24]):
        if tok.kind == "F":
            if j + 1 >= len(rest):
                return False
            target = rest[j + 1]
            after = rest[j + 2].kind if j + 2 < len(rest) else "$"
            return target.kind in "bkf(" and after in "$kc;),.U&=LFb"
        if tok.kind in "s;cB":
            return False  # a string, statement end, comment or a run of words: prose, not a select list
    return False


_SELECT_CLAUSES = frozenset({"where", "group", "order", "having", "limit"})


def _select_list_then_clause(rest: list[Token]) -> bool:
    """``select x group by y``, ``select a where 1=1``: a short select list, then a clause that takes SQL."""
    for j, tok in enumerate(rest[:10]):
        if tok.kind == "k" and tok.text in _SELECT_CLAUSES:
            if j == 0:
                return False
            after = "".join(t.kind for t in rest[j + 1 : j + 4])
            if tok.text in ("group", "order"):
                return len(rest) > j + 2 and rest[j + 1].text == "by" and rest[j + 2].kind in "bnf"
            return bool(re.match(r"[bnsf]\)*[=L]|n", after))
        if tok.kind not in "bn,.o":
            return False
    return False
