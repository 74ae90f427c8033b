"""Where a value starts inside a whole field: the SQL detector judges each start as its own value.

An injected fragment is judged most precisely where the application's value begins (``id=1 or
1=1``: the ``1`` starts the value). Fields such as a raw form body, a URI path, a multipart or
XML document carry several values, so :func:`value_starts` lists the text from each value's
start: form values after ``key=``, path segments after a plain ``/word/`` prefix, multipart part
bodies, XML attribute values and text, JSON keys. Typographic quotes (``’ ‘ ´ ʼ``) that a
database or a normalising layer folds into ``'`` give one more reading.

Example::

    >>> value_starts("title=hello&q=1 or 1=1")
    ['hello', '1 or 1=1']
"""

from __future__ import annotations

import re

_MAX_VALUES = 64
_FORM_KEY = re.compile(r"[\w.\[\]$-]{1,100}=")
_FORM_SPLIT = re.compile(r"&(?=[\w.\[\]$-]{1,100}=)")
_PLAIN_SEGMENT = re.compile(r"[\w.~-]*")
_XML_VALUE = re.compile(r"""=\s*"([^"<]*)"|=\s*'([^'<]*)'|>([^<>]+)<""")
_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.){1,200})"\s*:')
_TYPOGRAPHIC_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "\u02bc": "'"})
# The same quotes after a byte-wise URL decode (UTF-8 bytes read as Latin-1).
_MOJIBAKE_QUOTES = re.compile("\u00e2\u0080[\u0098\u0099]|\u00c2\u00b4|\u00ca\u00bc")


def value_starts(text: str) -> list[str]:
    """The values that start inside ``text`` (not ``text`` itself), at most 64."""
    values: list[str] = []
    head = text[:1]
    if head == "/":
        _path_values(text, values)
    elif head == "-" and text.startswith("--"):
        for part in text.split("\n--")[:_MAX_VALUES]:  # each part: headers, a blank line, the value
            blank = part.find("\n\r\n")
            blank = blank + 3 if blank >= 0 else part.find("\n\n") + 2
            if blank >= 2:
                values.append(part[blank:].removesuffix("\r"))
    elif head in "{[" and head:
        values.extend(m.group(1) for m in _JSON_KEY.finditer(text))
    else:
        _nested_values(text, values)
    # A value may itself be a document or a form (``q=<?xml ...>``, ``/path/key=value``).
    for value in values[:_MAX_VALUES]:
        if value[:1] == "<" or _FORM_KEY.match(value):
            _nested_values(value, values)
    if not text.isascii() and any(q in text for q in "\u2019\u2018\u00b4\u02bc\u0080\u00bc"):  # \x80, \xbc: mojibake
        values.append(_MOJIBAKE_QUOTES.sub("'", text).translate(_TYPOGRAPHIC_QUOTES))
    return [v for v in values[:_MAX_VALUES] if v.strip()]


def _nested_values(text: str, values: list[str]) -> None:
    """XML attribute values and text, or form values after ``key=``."""
    if text.lstrip()[:1] == "<":
        values.extend(next(g for g in m.groups() if g is not None) for m in _XML_VALUE.finditer(text))
    elif _FORM_KEY.match(text):
        for part in _FORM_SPLIT.split(text):
            key = _FORM_KEY.match(part)
            values.append(part[key.end() :] if key else part)


def _path_values(text: str, values: list[str]) -> None:
    """``/a/b/<payload>``: the text after each plain leading segment (an attack's own ``/`` stays)."""
    pos = 0
    n = len(text)
    while pos < n and text[pos] == "/" and len(values) < 4:
        end = _PLAIN_SEGMENT.match(text, pos + 1)
        stop = end.end() if end is not None else pos + 1
        if stop >= n or text[stop] != "/":
            break
        values.append(text[stop + 1 :])
        pos = stop
