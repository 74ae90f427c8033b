"""Alpine (apk-tools) version ordering.

``1.2.3[letter][_suffix[N]]...[-rN]``: numeric components, an optional letter, suffixes
(pre-releases ``_alpha < _beta < _pre < _rc`` sort before the release, ``_cvs _svn _git _hg _p``
after it) and the package revision ``-rN``. apk compares token by token; when the token *types*
differ, a pre-release suffix is older than anything, otherwise the version whose next token is
"more numeric" is newer. The key ranks token types so plain tuple comparison reproduces that::

    key("1.2_rc1") < key("1.2") < key("1.2-r1") < key("1.2_p1") < key("1.2a") < key("1.2.1")
"""

from __future__ import annotations

import re

from assetguard.vulns.versions import InvalidVersion, schemes

PRE_SUFFIXES = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1}
POST_SUFFIXES = {"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}

# Rank of each token type when two versions differ in type at the same position (ascending).
_PRE, _END, _REVISION, _SUFFIX_NO, _POST, _LETTER, _DIGIT = range(7)

_VERSION = re.compile(
    r"^(?P<nums>\d+(?:\.\d+)*)(?P<letter>[a-z])?(?P<suffixes>(?:_[a-z]+\d*)*)"
    r"(?:~(?P<hash>[0-9a-f]+))?(?:-r(?P<rev>\d+))?$")
_SUFFIX = re.compile(r"_([a-z]+)(\d*)")


@schemes.register("apk")
def key(version: str) -> tuple[tuple[int, int], ...]:
    m = _VERSION.match(version.strip())
    if not m:
        raise InvalidVersion(f"apk version {version!r} is not NUMBERS[letter][_suffix][-rN]")
    tokens: list[tuple[int, int]] = []
    for i, comp in enumerate(m["nums"].split(".")):
        if i > 0 and len(comp) > 1 and comp[0] == "0":
            # apk compares a zero-led component after the first as a fraction: leading zeros first.
            stripped = comp.lstrip("0")
            tokens.append((_DIGIT, -(len(comp) - len(stripped))))
            if stripped:
                tokens.append((_DIGIT, int(stripped)))
        else:
            tokens.append((_DIGIT, int(comp)))
    if m["letter"]:
        tokens.append((_LETTER, ord(m["letter"])))
    for name, number in _SUFFIX.findall(m["suffixes"] or ""):
        if name in PRE_SUFFIXES:
            tokens.append((_PRE, PRE_SUFFIXES[name]))
        elif name in POST_SUFFIXES:
            tokens.append((_POST, POST_SUFFIXES[name]))
        else:
            raise InvalidVersion(f"apk version {version!r}: unknown suffix _{name}")
        if number:
            tokens.append((_SUFFIX_NO, int(number)))
    if m["rev"]:
        tokens.append((_REVISION, int(m["rev"])))
    tokens.append((_END, 0))
    return tuple(tokens)
