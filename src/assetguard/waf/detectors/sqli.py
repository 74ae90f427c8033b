"""SQL injection detection by lexing and fingerprinting (the engine's ``SqliMatch``).

The text is lexed as SQL in up to three quoting contexts: as it is, as if it started inside a
single-quoted string, and inside a double-quoted string (the attacker closes the application's
quote first). Each lexing is folded into a fingerprint (see :mod:`.sqli_lexer`) and judged by a
small grammar: tautologies after a logic operator, UNION SELECT, stacked or nested statements
that parse as real statements, time/error-based functions in an expression, system variables,
catalog tables and comment-truncated strings.

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

from assetguard.waf.detectors.sqli_lexer import Token, fold, tokenize

__all__ = ["detect_sqli"]

# Nothing can be an injection without one of these; benign text pays one scan.
_PREFILTER = re.compile(
    r"""['"`;#]|--|/\*|@@|&&|\|\||\b(?:and|or|xor|not|union|select|insert|update|delete|drop|exec
    |execute|declare|create|alter|truncate|shutdown|waitfor|order|group|having|into|from|sleep
    |benchmark|pg_sleep|load_file|extractvalue|updatexml|xp_cmdshell|randomblob|like|rlike|regexp
    |procedure|limit)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_TEXT = 16_384

# Functions whose only everyday use is probing or exfiltrating through a database.
ATTACK_FUNCTIONS = frozenset(
    """sleep benchmark pg_sleep load_file extractvalue updatexml xp_cmdshell sys_eval sys_exec
    randomblob receive_message get_host_address make_set name_const geometrycollection
    multipoint multilinestring multipolygon gtid_subset exp_polygon dbms_pipe utl_inaddr
    utl_http ctxsys drithsx sn xmltype dbms_xmlgen dblink_connect lo_import lo_export
    pg_read_file pg_ls_dir openrowset opendatasource xp_dirtree xp_regread sp_oacreate
    sp_executesql sqlite_version json_keys ord_sys""".split()
)
# Functions common in injections but also in ordinary code: need more SQL around them.
PROBE_FUNCTIONS = frozenset(
    """ascii substr substring mid char chr concat concat_ws group_concat hex unhex version
    database user schema current_user system_user session_user if ifnull isnull nullif
    length len count cast convert floor rand md5 sha1 elt instr locate position left right
    lower upper ord coalesce iif case char_length bin conv load_file""".split()
)
# SQL functions that are nobody's search term or name: a value opening with one is SQL.
VALUE_FUNCTIONS = frozenset(
    """concat concat_ws group_concat substr substring mid hex unhex ifnull isnull nullif coalesce md5 sha1
    sha2 ascii char chr uncompress compress encode decode name_const make_set elt instr locate version
    database schema current_user system_user session_user benchmark sleep extractvalue updatexml
    load_file cast convert char_length bin conv ord iif lpad rpad unicode nchar quotename db_name
    schema_name object_id col_name xmltype utl_http dbms_pipe sys_context to_char to_number""".split()
)
_FUNCTION_PREFILTER = re.compile(r"\b(?:" + "|".join(sorted(VALUE_FUNCTIONS)) + r")\s*\(", re.IGNORECASE)
CATALOG_NAMES = frozenset(
    """information_schema mysql sysobjects syscolumns sysusers sysdatabases pg_catalog
    pg_shadow pg_user sqlite_master sqlite_schema all_tables all_users user_tables dual
    msysaccessobjects msysobjects sys v$version""".split()
)
_OBJECT_WORDS = frozenset(
    {"table", "database", "user", "procedure", "function", "view", "index", "schema", "trigger", "login"}
)
_VALUE = "nsvbf("
_CONTEXT_BEFORE = "&=o(,SEUkF;"

_QUOTE_GRAMMAR = re.compile(
    r"""^s(?:
        &(?=.*[=oc;SEUfs(])        # ' or 1=1   ' and sleep(5)#   ' or ''='
      | =[nsbvf(SU]                # '='1   '<>'
      | o[nsvf(SU]                 # '+sleep(1)+'   '||'   (not '-word: jack-o'-lantern)
      | L[nsv(]                    # ' like '%   ' in (
      | c                          # admin'--
      | ;                          # '; drop table x
      | \)+[&c;=oUS]               # ') or ('1'='1
      | U\(*S                      # ' union select
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
    """,
    re.VERBOSE,
)
_START_GRAMMAR = re.compile(r"^[nv]\)*&\(*(?:[nsbv]\)*[=L]|f|[SE]|.*c$)|^[nsv]\)+[&c;U]")
_HIGH_GRAMMAR = re.compile(r"&\(*[nsbvB]\)*[=L]\(*[nsbv]|^[nsv]\)*c$|^s[&=oL]|[SE]\S*F[bk]")


def detect_sqli(text: str, sensitivity: str = "LOW") -> bool:
    """True when ``text`` contains SQL injection; ``sensitivity`` is ``"LOW"`` or ``"HIGH"``.

    Pure and deterministic; never raises on any string.
    """
    if not _PREFILTER.search(text) and not _FUNCTION_PREFILTER.search(text):
        return False
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    high = sensitivity.upper() == "HIGH"
    contexts = [""]
    if "'" in text:
        contexts.append("'")
    if '"' in text:
        contexts.append('"')
    for quote in contexts:
        tokens = fold(tokenize(text, quote))
        if _is_attack(tokens, quote, high):
            return True
    if "\\" in text:
        for quote in contexts:
            if _is_attack(fold(tokenize(text, quote, backslash_escapes=False)), quote, high):
                return True
    return False


def _is_attack(tokens: list[Token], quote: str, high: bool) -> bool:
    fp = "".join(t.kind for t in tokens)
    if quote and len(tokens) > 1 and _QUOTE_GRAMMAR.match(fp):
        return True
    if not quote and _START_GRAMMAR.match(fp):
        return True
    if _GENERAL_GRAMMAR.search(fp):
        return True
    if high and _HIGH_GRAMMAR.search(fp):
        return True
    return _token_rules(tokens, quote, high)


def _token_rules(tokens: list[Token], quote: str, high: bool) -> bool:
    """Checks that need token text: statements, functions, variables, catalogs, clauses."""
    count = len(tokens)
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1].kind if i else ("s" if quote else "^")
        kind = tok.kind
        if kind in "SE":
            if (prev in "^;(&=oUs" or high) and _is_statement(tokens, i):
                return True
        elif kind == "f":
            if tok.text in ATTACK_FUNCTIONS and (prev in _CONTEXT_BEFORE or prev in "^s" or high):
                return True
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
            if nxt.kind in "bBk" and name in CATALOG_NAMES and i > 0:
                return True
        elif kind == "k":
            if tok.text in ("order", "group") and i + 2 < count and tokens[i + 1].text == "by":
                after = tokens[i + 2]
                if after.kind == "n" and prev in "ns)^" and (i + 3 == count or tokens[i + 3].kind in "c;,)"):
                    return True
            elif tok.text == "into" and i + 1 < count and tokens[i + 1].text in ("outfile", "dumpfile"):
                return True
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
        return first.text in _OBJECT_WORDS and second is not None and second.kind in "bBnvs"
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
    if first.kind in "nsv" and nxt in "$,Fc;)U&=Lo":
        return True
    if first.kind == "o" and first.text == "*" and nxt in "$Fc;),":
        return True
    if first.kind == "f" and (first.text in ATTACK_FUNCTIONS or first.text in PROBE_FUNCTIONS):
        return True
    if first.kind == "k" and first.text in ("null", "distinct", "all", "top", "case"):
        return nxt in "$,Fc;)nsvbf("
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
