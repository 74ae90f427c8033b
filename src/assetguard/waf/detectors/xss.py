"""Cross-site scripting detection by HTML/JS context parsing (the engine's ``XssMatch``).

The text is scanned the way a browser's tokenizer would meet it in three places: as HTML
content (tags and their attributes), as an attribute value the attacker breaks out of
(``" onmouseover=...``), and as a URL or script string (``javascript:...``, ``";alert(1)//``).

A tag is an attack when its name can run script by itself (``script``, ``iframe``, ``object``,
``embed``, ``base``, ``meta`` refresh, ``svg``/``math`` with script, ...), when it carries an
event-handler attribute (``on*=``), when an attribute value uses a script-capable URL scheme
(``javascript:``, ``vbscript:``, ``data:text/html``, ...) or when a style runs code
(``expression(``, ``-moz-binding``, ``behavior:``). Harmless markup (``<b>``, ``<a href=https:...>``,
``List<String>``) passes.

Example::

    >>> detect_xss('<img src=x onerror=alert(1)>')
    True
    >>> detect_xss('Use <b>bold</b> and List<String> freely')
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assetguard.waf.detectors import native
from assetguard.waf.detectors.xss_evasion import decode_utf7, is_jsfuck, spaced_tag, unicode_views

__all__ = ["detect_xss"]

_PREFILTER = re.compile(
    r"<|script|:|on[a-z]{3,}\s*=|expression|binding|behavio|&#|constructor|srcdoc|alert|prompt"
    r"|confirm|eval|document|window|fromcharcode|settimeout|setinterval|import|location|top\b"
    r"|self\b|parent\b|frames\b|globalthis|function|atob|btoa|reflect|\+AD|\[\]|--!?>|[\"'`]\s*in(?:\s|[\w$]*\s*\.)|formaction|srcdoc",
    re.IGNORECASE,
)
_MAX_TEXT = 16_384
# The same test for ASCII text, lower-cased: substring look-ups (C-speed) for the literal
# alternatives, the few regex alternatives only when a character they need is present. Python's
# re runs a long IGNORECASE alternation at every position of the text, ~0.3 µs a character.
_PREFILTER_LITERALS = tuple(
    """: < script expression binding behavio &# constructor srcdoc alert prompt confirm eval document
    window fromcharcode settimeout setinterval import location globalthis function atob btoa reflect
    +ad [] formaction""".split()
)
_PREFILTER_EVENT = re.compile(r"on[a-z]{3,}\s*=")
_PREFILTER_GLOBAL = re.compile(r"(?:top|self|parent|frames)\b")
_PREFILTER_IN = re.compile(r"[\"'`]\s*in(?:\s|[\w$]*\s*\.)")
# Words one of which each gated regex below needs (in lower-cased ASCII text).
_STYLE_WORDS = ("url", "expression", "-moz-binding", "behavior")
_BRACKET_WORDS = ("window", "self", "top", "parent", "frames", "globalthis", "document", "this")
_SINK_WORDS = (
    "alert", "prompt", "confirm", "eval", "settimeout", "setinterval", "function", "constructor",
    "document", "fromcharcode", "${",
)
# The gates' word groups, in bit order: a script URL's scheme, style code, bracket sinks, sink calls.
_GATE_WORDS = (("script", "data"), _STYLE_WORDS, _BRACKET_WORDS, _SINK_WORDS)
_GATE_SCHEME, _GATE_STYLE, _GATE_BRACKET, _GATE_SINK = 1, 2, 4, 8
_BRACKET_INDEX = 2  # (its regex also needs a '[': without one the Python gate does not look)
_ALL_GATES = 15
# The ASCII prefilter and the gates as C passes (their words from here, the prefilter's four
# regexes written out in C).
_native_may_be_xss: Callable[[str], bool] | None = None
_native_xss_gates: Callable[[str], int] | None = None
if native.module is not None:
    native.module.configure_xss(_PREFILTER_LITERALS)
    native.module.configure_xss_gates(_GATE_WORDS)
    _native_may_be_xss = native.module.may_be_xss
    _native_xss_gates = native.module.xss_gates

# Tags that execute or load active content without any attribute help.
SCRIPT_TAGS = frozenset(
    """script iframe frame frameset object embed applet base meta xml import isindex bgsound
    layer ilayer vmlframe xss handler listener portal style link""".split()
)
# Tags that are only dangerous with the right attribute; handled by attribute checks.
_URL_ATTRIBUTES = frozenset(
    """href src action formaction data xlink:href background lowsrc dynsrc code codebase
    poster srcdoc to from values by content style xmlns:xlink""".split()
)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z!?][^\s/>'\"=]*)")
_ATTRIBUTE = re.compile(
    r"""[\s/"'`]*([^\s/>"'`=]+)(?:\s*=\s*(?:"([^"]*)"?|'([^']*)'?|`([^`]*)`?|([^\s>]*)))?"""
)
_EVENT_ATTRIBUTE = re.compile(r"^on[a-z]{3,}$", re.IGNORECASE)
# Break-out of a quoted attribute value: "  onmouseover=...  or  "/onload=
_BREAKOUT_EVENT = re.compile(
    r"""["'`]\s*[/\s]*on[a-z]{3,}\s*=|(?:^|[\s;/&?])on[a-z]{3,}\s*=\s*(?:[=\s"'`]|$)|["'`]\s*[/\s]*(?:formaction|srcdoc|xlink:href)\s*=|\bon(?:error|load|mouse[a-z]+|focus|blur|click|toggle|begin|end|animation[a-z]+|transition[a-z]+|pointer[a-z]+|key[a-z]+|input|change|submit|start|finish|scroll|wheel|drag[a-z]*|drop|copy|paste|cut|show|message|hashchange|pageshow|popstate|resize|select|auxclick|dblclick|contextmenu|beforeprint|afterprint|unload|beforeunload|readystatechange|formdata|search|invalid|reset)\s*=\s*["'`]?\s*[a-z_$][\w$.]*\s*[(`=]""",
    re.IGNORECASE,
)
_SCHEME = re.compile(
    r"""(?:java|vb|live|ecma|j|mocha)script\s*:|data\s*:\s*(?:,\s*<|text/html|text/xml|image/svg|application/(?:x-|xhtml|xml)|[^,]*;\s*base64\s*,\s*PH)""",
    re.IGNORECASE,
)
_CODE_HINT = re.compile(r"[(`%\\=]|\w\.\w|//")
_STYLE_CODE = re.compile(
    r"expression\s*\(|-moz-binding|behavio(?:u)?r\s*:|@import|url\s*\(\s*['\"]?\s*(?:java|vb)script",
    re.IGNORECASE,
)
# A script-sink call after breaking out of a JS string: ";alert(1)//   '-alert(1)-'
_JS_BREAKOUT = re.compile(
    r"""["'`]\s*(?:[;+\-*/|&,)}\]]|\?\?)+\s*(?:\w+\s*[=:]\s*)?(?:alert|prompt|confirm|eval|fetch|import(?=\s*\()|settimeout|setinterval|function|atob|document\s*[.\[]|window\s*[.\[]|top\s*[.\[]|self\s*[.\[]|parent\s*[.\[]|location\s*[.\[=]|this\s*[.\[]|constructor|new\s+function)\b""",
    re.IGNORECASE,
)
_JS_SINK_CALL = re.compile(
    r"""(?:^|[\s;(=])(?:alert|prompt|confirm)\s*(?:\(\s*(?:[\d'"`/\[{)]|[a-z_$][\w$.\[\]]*\s*[),+])|`)|\b(?:eval|settimeout|setinterval|Function)\s*\(\s*(?:atob|string\.fromcharcode|unescape|decodeuri|["'`])|\.constructor\s*\(\s*["'`]|\[\s*["'`]constructor["'`]\s*\]|document\s*\.\s*(?:cookie|write|domain)\b|String\s*\.\s*fromCharCode\s*\(|\$\{\s*(?:alert|prompt|confirm|eval)\s*\}""",
    re.IGNORECASE,
)
# Script through CSS, wherever the style text ends up.
_STYLE_ANYWHERE = re.compile(
    r"url\s*\(\s*[\"']?\s*(?:javascript|vbscript|livescript)|[:=]\s*expression\s*\(|-moz-binding\s*:|behavior\s*:\s*url",
    re.IGNORECASE,
)
_HIGH_BIT_VECTOR = re.compile(r"<\s*(?:script|img|svg|iframe|body|object)\b|javascript:", re.IGNORECASE)
_NAMESPACE_PREFIX = re.compile(r"<\s*/?\s*[\w-]*:\s*(?=[a-z])", re.IGNORECASE)
# window["alert"], self[/*x*/"document"], (document)["cookie"]: sinks reached by bracket notation.
_BRACKET_SINK = re.compile(
    r"(?:\b(?:window|self|top|parent|frames|globalthis|document|this)|\(\s*(?:document|window|self|top)\b[^()]{0,40}\))"
    r"\s*(?:/\*.*?\*/\s*)*\[\s*(?:/\*.*?\*/\s*)*[\"'`]",
    re.IGNORECASE,
)
_DOM_ACCESS = re.compile(
    r"\b(?:document|window)\s*\.\s*(?:cookie|location|domain|write|writeln|url|referrer|open)\b"
    r"|\bdocument\s*\.\s*body\s*\.\s*\w+\s*\(|\blocation\s*\.\s*(?:href|hash|search|replace|assign)\b"
    r"|\.(?:innerhtml|outerhtml|textcontent)\s*=|\b(?:setinterval|settimeout)\s*\(|\bnew\s+function\s*\("
    r"|\breflect\s*\.\s*\w+|\.\s*(?:call|apply)\s*`|\bimport\s*\(\s*[\"'`]|\b(?:atob|btoa|eval)\s*\(",
    re.IGNORECASE,
)
# Markup only the high-bit-stripped reading has: ¼b¾x(¢y¢)¼/b¾ is <b>x("y")</b>.
_HIGH_BIT_PAIR = re.compile(r"<([a-z][\w-]*)[^<>]*>[^<>]*</\1>", re.IGNORECASE)
_JS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# Closing the HTML comment the value is reflected into: <!-- {value} --> lets markup after it run.
_COMMENT_CLOSE = re.compile(r"(?:^|[\"'=])\s*--!?>")
# Leaving a JS string with the "in" operator (or another operator) and assigning to a member:
# "in valueOf=   ' in foo.bar=   "-x.y=
_IN_BREAKOUT = re.compile(
    r"""["'`]\s*(?:in\s+[a-z_$][\w$]*(?:\s*\.\s*[\w$]+)*|(?:in|[-+*/%|&^,;]\s*)+[a-z_$][\w$]*(?:\s*\.\s*[\w$]+)+)\s*=(?!=)""",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ENTITY = re.compile(
    r"&#(?:x([0-9a-f]+)|(\d+));?|&(colon|tab|newline|lpar|rpar|quot|apos|lt|gt);", re.IGNORECASE
)
_NAMED = {
    "colon": ":",
    "tab": "\t",
    "newline": "\n",
    "lpar": "(",
    "rpar": ")",
    "quot": '"',
    "apos": "'",
    "lt": "<",
    "gt": ">",
}


def detect_xss(text: str) -> bool:
    """True when ``text`` contains markup or script that would run in a browser.

    ``text`` is the engine's Latin-1 wire form (one character per byte) or any Python string.
    Pure and deterministic; never raises on any string.
    """
    if not text.isascii():
        # Full-width and compatibility forms (＜script＞) are what some back ends normalise to ASCII;
        # a back end that drops the high bit turns ¼script¾ (or мscriptю) into <script>.
        text, stripped = unicode_views(text[:_MAX_TEXT])
        for vector in (_HIGH_BIT_VECTOR, _HIGH_BIT_PAIR):
            if vector.search(stripped) and not vector.search(text):
                return True
    if not _may_be_xss(text):
        return False
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    if "+AD" in text:
        decoded = decode_utf7(text)  # +ADw-script+AD4-: markup for a UTF-7 page
        if decoded != text and _markup_attack(decoded):
            return True
    if "&" in text:
        text = _decode_entities(text)
    if "/*" in text:
        text = _JS_COMMENT.sub("", text)  # document/*x*/.cookie
    if (">" in text and "--" in text and _COMMENT_CLOSE.search(text)) or ("[]" in text and is_jsfuck(text)):
        return True
    if "<" in text:
        if ":" in text:
            text = _NAMESPACE_PREFIX.sub("<", text)  # <x:script>, < x: script, <:vmlframe
        if _has_dangerous_tag(text) or spaced_tag(text):
            return True
    # Each regex below runs only when text it cannot match without is there: for ASCII text
    # one of the lower-cased words of its gate, else (IGNORECASE also folds ſ, K, ...) always.
    if not text.isascii():
        gates = _ALL_GATES
    elif _native_xss_gates is not None:
        gates = _native_xss_gates(text)
    else:
        gates = _word_gates(text.lower())
    quoted = '"' in text or "'" in text or "`" in text
    if quoted and _IN_BREAKOUT.search(text):
        return True
    if "=" in text and _BREAKOUT_EVENT.search(text):
        return True
    if ":" in text and (gates & _GATE_SCHEME or not text.isprintable()):
        if _is_script_url(text):  # (control characters squeezed out can join a scheme)
            return True
    if gates & _GATE_STYLE and _STYLE_ANYWHERE.search(text):
        return True
    if "[" in text and gates & _GATE_BRACKET and _BRACKET_SINK.search(text):
        return True
    if len(text) <= 256 and "\n" not in text and _DOM_ACCESS.search(text):
        return True  # a short argument holding DOM/JS access (articles with code are long)
    if quoted and _JS_BREAKOUT.search(text):
        return True
    if gates & _GATE_SINK and _JS_SINK_CALL.search(text):
        return True
    return False


def _word_gates(low: str) -> int:
    """The gates whose words are in lower-cased ASCII ``low`` (bit ``1 << i``: ``_GATE_WORDS[i]``)."""
    gates = 0
    for bit, words in enumerate(_GATE_WORDS):
        if (bit != _BRACKET_INDEX or "[" in low) and _has_any(low, words):
            gates |= 1 << bit
    return gates


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    for word in words:  # (a plain loop: any() over a generator costs twice as much per word)
        if word in text:
            return True
    return False


def _may_be_xss(text: str) -> bool:
    """``_PREFILTER.search(text)``, computed by substring look-ups when ``text`` is ASCII (in one
    C pass when the native extension is built)."""
    if not text.isascii():
        return _PREFILTER.search(text) is not None
    if _native_may_be_xss is not None:
        return _native_may_be_xss(text)
    return _may_be_xss_ascii(text)


def _may_be_xss_ascii(text: str) -> bool:
    """``_PREFILTER.search(text)`` for ASCII ``text``, by substring look-ups."""
    low = text.lower()
    if _has_any(low, _PREFILTER_LITERALS):
        return True
    if "=" in low and _PREFILTER_EVENT.search(low):
        return True
    if _has_any(low, ("top", "self", "parent", "frames")) and _PREFILTER_GLOBAL.search(low):
        return True
    if "--" in low and ("-->" in low or "--!>" in low):
        return True
    return ('"' in low or "'" in low or "`" in low) and _PREFILTER_IN.search(low) is not None


def _markup_attack(text: str) -> bool:
    return "<" in text and (_has_dangerous_tag(text) or bool(_BREAKOUT_EVENT.search(text)))


def _decode_entities(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(3):
            return _NAMED[m.group(3).lower()]
        try:
            code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
            return chr(code) if 0 < code < 0x110000 else ""
        except (ValueError, OverflowError):
            return ""

    return _ENTITY.sub(one, text)


def _is_script_url(value: str, evaded: bool = False) -> bool:
    """A value holding a script-capable URL at a URL position (start, after ``=``, quote, paren).

    "JavaScript: The Good Parts" is prose: a script URL is followed by code, not by a space and a word.
    """
    for m in _SCHEME.finditer(value):
        start = m.start()
        if start and value[start - 1] not in "\"'=(` \t\n,;[{>":
            continue
        if evaded or m.group(0).lower().startswith("data"):
            return True  # a scheme split by tabs or newlines is spelled that way only to evade
        code = value[m.end() : m.end() + 80].lstrip()
        if code and (_CODE_HINT.search(code) or not code[:1].isalpha() or " " not in code[:12]):
            return True
    squeezed = _CONTROL.sub("", value)
    # java<TAB>script: — browsers drop tabs and newlines inside a URL scheme.
    return squeezed != value and _is_script_url(squeezed, _SCHEME.search(value) is None)


def _has_dangerous_tag(text: str) -> bool:
    for m in _TAG.finditer(text):
        closing, name = m.group(1), m.group(2).lower()
        if closing:
            if name in ("script", "style", "iframe", "title", "textarea", "xmp", "noscript", "svg", "math"):
                # </title><script>... or a closing that escapes a raw-text context
                continue
            continue
        base = name.split(":")[-1]
        if name.startswith(("!", "?")):
            if name.startswith(("!entity", "!doctype")) or name == "?xml" or "[cdata[" in name:
                if re.search(
                    r"<!ENTITY|SYSTEM|<script|javascript:", text[m.start() : m.start() + 400], re.IGNORECASE
                ):
                    return True
            continue
        if base in SCRIPT_TAGS:
            return True
        end = text.find(">", m.end())
        attrs = text[m.end() : end if end >= 0 else min(len(text), m.end() + 2000)]
        if _dangerous_attributes(base, attrs):
            return True
    return False


def _dangerous_attributes(tag: str, attrs: str) -> bool:
    for am in _ATTRIBUTE.finditer(attrs):
        raw_name = am.group(1)
        if not raw_name:
            continue
        name = raw_name.lower()
        value = next((g for g in am.group(2, 3, 4, 5) if g is not None), None)
        if _EVENT_ATTRIBUTE.match(name) and value is not None:
            return True
        if value is None:
            continue
        if name in _URL_ATTRIBUTES or name.endswith(("href", "src", "action")):
            squeezed = _CONTROL.sub("", value).lstrip()
            if _SCHEME.match(squeezed) or (name == "srcdoc" and "<" in value):
                return True
        if name == "style" and _STYLE_CODE.search(value):
            return True
        if tag == "style" or (name == "http-equiv" and value.lower().strip() in ("refresh", "set-cookie")):
            return True
    if tag == "style" and _STYLE_CODE.search(attrs):
        return True
    return False
