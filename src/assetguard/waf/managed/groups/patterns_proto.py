"""Patterns of the protocol, multipart and RFI rules (``AssetGuardProtocolRuleSet`` and friends).

Everything here is within the AWS WAF regex subset (no lookaround, no backreferences), so
allow-lists ("a charset other than utf-8, ...") are written by :func:`token_not_in`, which spells
the complement of a word list as plain alternations. All patterns expect lower-cased text.

Example::

    >>> import re
    >>> rx = re.compile(token_not_in("charset=", ("utf-8", "us-ascii")))
    >>> bool(rx.search("charset=utf-7")), bool(rx.search("charset=utf-8;"))
    (True, False)
"""

from __future__ import annotations

# Characters of an HTTP token as these patterns see them (lower-cased; no ":" so that a header
# line "content-type: x" is never read as one token).
TOKEN = "a-z0-9._+*-"
TOKEN_END = f"(?:[^{TOKEN}]|$)"
_MAX = 500  # patterns.MAX_REGEX


def _trie(words: tuple[str, ...]) -> dict[str, object]:
    root: dict[str, object] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})  # type: ignore[assignment]
        node["$"] = True
    return root


def _escape(ch: str) -> str:
    return "\\" + ch if ch in ".+*-" else ch


def _leaves(node: dict[str, object], path: str, out: list[str]) -> None:
    """For each trie node, the tokens that leave the word list there: stop short, or turn away."""
    children = sorted(k for k in node if k != "$")
    away = f"{_not_chars(children)}[{TOKEN}]*"
    if path and "$" not in node:
        out.append(f"{path}(?:{away})?")
    else:
        out.append(path + away)
    for ch in children:
        _leaves(node[ch], path + _escape(ch), out)  # type: ignore[arg-type]


def _not_chars(excluded: list[str]) -> str:
    """A class of token characters other than ``excluded`` (no lookahead in the AWS subset)."""
    allowed = [c for c in _TOKEN_CHARS if c not in excluded]
    parts: list[str] = []
    i = 0
    while i < len(allowed):  # runs of consecutive letters or digits as ranges: [a-hj-z0-9]
        j = i
        while j + 1 < len(allowed) and ord(allowed[j + 1]) == ord(allowed[j]) + 1 and allowed[j].isalnum():
            j += 1
        parts.append(_escape(allowed[i]) if j - i < 2 else f"{allowed[i]}-{allowed[j]}")
        if j - i == 1:
            parts.append(_escape(allowed[j]))
        i = j + 1
    return "[" + "".join(parts) + "]"


_TOKEN_CHARS = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)] + list("._+*-")


def token_not_in(prefix: str, words: tuple[str, ...], end: str = TOKEN_END) -> str:
    """``prefix`` followed by a whole token that is not one of ``words`` (then ``end``).

    One top-level alternative per trie node, so :func:`patterns.chunks` can split it.
    """
    paths: list[str] = []
    _leaves(_trie(words), "", paths)
    budget = _MAX - len(prefix) - len(end) - 4
    groups: list[list[str]] = [[]]
    for path in paths:  # pack the paths into as few alternatives as fit AWS's length limit
        if groups[-1] and len("|".join(groups[-1])) + 1 + len(path) > budget:
            groups.append([])
        groups[-1].append(path)
    return "|".join(f"{prefix}(?:{'|'.join(g)}){end}" for g in groups)


CHARSETS = ("utf-8", "utf8", "iso-8859-1", "iso-8859-15", "windows-1252", "us-ascii")
# The IANA HTTP content-coding registry, plus the x- aliases clients still send.
ENCODINGS = (
    "gzip",
    "deflate",
    "br",
    "zstd",
    "compress",
    "identity",
    "x-gzip",
    "x-compress",
    "*",
    "dcb",
    "dcz",
    "exi",
    "pack200-gzip",
    "aes128gcm",
)
_Q = "[\"']?"
# One content coding with an optional weight.
_CODING = (r"(?:(?:" + "|".join(e.replace("*", "\\*") for e in ENCODINGS) + r")"
           r"(?:\s*;\s*q\s*=\s*[01](?:\.\d{0,3})?)?)")
# From a boundary line through the part's header lines (no blank line), so part *values* never count.
_PART_HEADERS = r"(?:^|\n)--[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?"

PROTO: dict[str, str] = {
    # Content-Type / Accept parameter charset outside the allow-list (utf-7 and utf-16 smuggle markup).
    "charset_param": token_not_in(rf";\s*charset\s*=\s*{_Q}", CHARSETS),
    # A Content-Type parameter without a value, a second charset, or a padded boundary.
    "content_type_syntax": r";\s*[^=;\s]+\s*(?:;|$)|charset.*charset|boundary\s*=\s+",
    # The whole header as a list of known codings with optional weights (matched, then negated:
    # one anchored pattern is far cheaper per request than the complement of the list). Written
    # with its only end anchor at the end: items each followed by a comma, then a last item with
    # or without one (Hyperscan rejects a "$" inside a repeated group, and then cannot prefilter it).
    "accept_encoding_ok": rf"^\s*(?:{_CODING}\s*,\s*)*{_CODING}\s*(?:,\s*)?$",
    # Six or more byte ranges in one request (a range list used to exhaust the server).
    "range_many": r"^\s*bytes\s*=\s*(?:[^,]*,){5}",
    # PDF readers fetch a document in many pieces; more than 62 ranges is abuse even there.
    "range_very_many": r"^\s*bytes\s*=\s*(?:[^,]*,){62}",
    # A part header of a multipart body: charset outside the allow-list, or the deprecated
    # Content-Transfer-Encoding (RFC 7578 §4.7) that parsers honour differently.
    "multipart_part_charset": token_not_in(
        rf"{_PART_HEADERS}content-type\s*:[^\r\n]*;\s*charset\s*=\s*{_Q}", CHARSETS
    ),
    "multipart_cte": rf"{_PART_HEADERS}content-transfer-encoding\s*:",
    # The _charset_ form field names the encoding of the other fields.
    "multipart_charset_field": token_not_in(
        rf"name\s*=\s*{_Q}_charset_{_Q}[^\r\n]*(?:\r?\n[^\r\n:]+:[^\r\n]*)*\r?\n\r?\n[ \t]*",
        CHARSETS,
        r"[ \t]*(?:\r?\n|$)",
    ),
    # Field names with delimiters that naive multipart parsers split on (a character reference such
    # as &auml; is how browsers send a name the page's charset lacks); file names with ; = or \.
    "multipart_bad_name": r"content-disposition\s*:[^\r\n]*[\s;]name\s*=\s*\""
    r"(?:[^\"\r\n;'=\\&]|&#?[a-z0-9]+;|&[^a-z0-9#;'=\\\"\r\n])*[;'=\\]"
    r"|content-disposition\s*:[^\r\n]*[\s;]filename\s*=\s*\"[^\"\r\n]*[;=\\][^\"\r\n]*\"",
    # Bytes that cannot start (or finish) a UTF-8 sequence, percent-encoded.
    "invalid_utf8": r"%(?:c[01]|f[5-9a-f])"
    r"|%(?:c[2-9a-f]|d[0-9a-f])(?:[^%]|$|%[0-7c-f])"
    r"|%e[0-9a-f](?:%[89ab][0-9a-f])?(?:[^%]|$|%[0-7c-f])"
    r"|%f[0-4](?:%[89ab][0-9a-f]){0,2}(?:[^%]|$|%[0-7c-f])",
    # A percent-encoded percent followed by hex digits: the value was URL-encoded twice.
    "double_encoding": r"%25(?:[0-9a-f]|%3[0-9]|%[46][1-6]){2}",
    "control_chars": r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]",
    "long_arg_name": r"(?:^|&)[^=&]{101}",
    # PHP-style array names with text after the closing bracket: foo[1]a=, foo[x]y[2]=
    "malformed_array_name": r"(?:^|&)[^=&\[\]]+\[[^\]=&]*\][^\[=&]",
    # A query string that turns the request into another method; in a form body, into another
    # method than POST itself (some frameworks' forms send _method=post).
    "method_override": r"(?:^|&)_method=(?:get|head|post|put|patch|delete|options|trace|connect|track"
    r"|propfind|proppatch|mkcol|copy|move|lock|unlock|search)(?:&|$)",
    "method_override_form": r"(?:^|&)_method=(?:get|head|put|patch|delete|options|trace|connect|track"
    r"|propfind|proppatch|mkcol|copy|move|lock|unlock|search)(?:&|$)",
    "backup_file_path": r"~$|\.(?:swp|swo|orig|rej|save|sav|bak|old)$|\.[a-z0-9]{1,5}~(?:/|$)",
    # RFC 2965 cookie syntax ($Version, $Path) that no browser sends: cookie-parser confusion.
    "legacy_cookie": r"(?:^|[;,])\s*\$(?:version|path|domain|port)\s*=",
    # A header value that carries a line break followed by another header line.
    "header_line_break": r"[\r\n]+[\w-]+\s*:",
    # A complete request line followed by a header line, anywhere in a body.
    "embedded_request": r"(?:get|post|put|head|delete|options|patch|connect|trace)\s+\S+\s+http/\d(?:\.\d)?\s*[\r\n]+[\w-]+\s*:",
    # URLs a server-side fetcher understands but a web form never needs (with something after the
    # slashes: prose that names "file:// URLs" is not one).
    "rfi_scheme": r"(?:^|[=\s\"'(>])(?:url:)?(?:file|local_file|netdoc|ftps?|sftp|tftp|gopher|dict|ldaps?|expect|phar|zip|glob|ssh2[.\w]*):/+[^\s/]"
    r"|(?:^|[=\s\"'(>])jar:(?:https?|file|ftp):",
    # Traversal spelled in hex (0x2e0x2e/, 0x5c..) and upload file names that climb directories.
    "lfi_extra": r"(?:0x5c|0x2f)(?:0x2e|\.){2}|(?:0x2e){2}(?:0x5c|0x2f|[\\/])|[\\/](?:0x2e\.|\.0x2e)[\\/]"
    r"|filename\s*=\s*[\"']?[^\"'\r\n]*\.\.[\\/]",
    # <!ENTITY name SYSTEM "...">, with or without the angle bracket (headers, arguments).
    "xxe_entity": r"!entity\s+(?:%\s+)?[\w.-]+\s+(?:system|public)\b",
    # A query parameter name (or a parameter without '=') holding a character no name needs:
    # a quote, a space, a parenthesis, a comment or statement separator.
    "odd_arg_name": r"(?:^|&)[^=&]*[^\w\[\].$=&:@~,-]",
    # http://trusted%2f@evil/: an encoded slash before the userinfo separator.
    "rfi_userinfo": r"(?:https?|ftps?)://[^/?#\s@]*(?:%2f|%5c)[^/?#\s]*@",
}
