"""Alpine (apk-tools) version ordering.

``digits{.digits}[letter]{_suffix[digits]}[~commit-hash][-rN]``: numeric components, one optional
letter, suffixes, an optional ``~`` commit hash (hex) and the package revision ``-rN``. apk-tools
walks both versions token by token:

* tokens of the same type compare by value: numbers numerically, except a component after the
  first one that has a leading zero on either side (``1.02`` vs ``1.1``), which compares as a
  string (``02 < 1``, ``010 < 02``); the letter by character; suffixes by rank
  ``_alpha < _beta < _pre < _rc < (release) < _cvs < _svn < _git < _hg < _p``; commit hashes
  as strings (a hash carries no age, so two builds only get *a* stable order);
* at the first position where the token *types* differ, a pre-release suffix (``_alpha`` ..
  ``_rc``) is older than anything; otherwise the version whose next token comes earlier in
  ``digit, letter, suffix, suffix number, commit hash, revision, end`` is newer.

The key gives every token a rank that reproduces that rule, so plain tuple comparison orders
versions as apk does::

    1.2_rc1 < 1.2 < 1.2-r1 < 1.2~c0ffee < 1.2_git20240101 < 1.2_p1 < 1.2a < 1.2.1
"""

from __future__ import annotations

import re

from assetguard.vulns.versions import InvalidVersion, schemes

PRE_SUFFIXES = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4}
POST_SUFFIXES = {"cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}

# Rank of each token type where two versions first differ in type (higher = newer).
_PRE, _END, _REVISION, _HASH, _SUFFIX_NO, _POST, _LETTER, _DIGIT = range(8)

_VERSION = re.compile(
    r"^(?P<nums>[0-9]+(?:\.[0-9]+)*)(?P<letter>[a-z])?(?P<suffixes>(?:_[a-z]+[0-9]*)*)"
    r"(?:~(?P<hash>[0-9a-fA-F]+))?(?:-r(?P<rev>[0-9]+))?$")
_SUFFIX = re.compile(r"_([a-z]+)([0-9]*)")


@schemes.register("apk")
def key(version: str) -> tuple[tuple[int, object], ...]:
    m = _VERSION.match(version.strip())
    if not m:
        raise InvalidVersion(f"apk version {version!r} is not digits[.digits][letter][_suffix][~hash][-rN]")
    first, *rest = m["nums"].split(".")
    tokens: list[tuple[int, object]] = [(_DIGIT, (1, int(first)))]  # the first number is always numeric
    for comp in rest:
        # a leading zero on either side makes apk compare the two components as strings; every
        # zero-led string sorts below every number (its first character is the smallest digit)
        tokens.append((_DIGIT, (0, comp) if comp[0] == "0" else (1, int(comp))))
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
    if m["hash"]:
        tokens.append((_HASH, m["hash"]))
    if m["rev"]:
        tokens.append((_REVISION, int(m["rev"])))
    tokens.append((_END, 0))
    return tuple(tokens)
