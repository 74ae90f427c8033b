"""Semantic Versioning 2.0.0 ordering (npm, crates.io, Hex, Pub) and Go module versions.

``MAJOR.MINOR.PATCH[-prerelease][+build]``: a pre-release sorts before its release; pre-release
identifiers compare numerically when numeric, in ASCII order otherwise, numeric before
alphanumeric, and a shorter identifier list first when it is a prefix; build metadata is
ignored (semver.org §11)::

    1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2
      < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0

Go versions carry a ``v`` prefix (optional here, as OSV stores them without it); pseudo-versions
(``v0.0.0-20191109021931-daa7c04131f5``, ``v1.2.4-0.2019...``) are pre-releases and so already
sort between the releases around them. ``+incompatible`` is build metadata.
"""

from __future__ import annotations

import re

from assetguard.vulns.versions import InvalidVersion, schemes

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", re.ASCII)
# npm's coercion accepts a leading "v" or "=" and surrounding spaces; so do we.
_LOOSE_PREFIX = re.compile(r"^\s*[=v]?")


def _pre_key(pre: str | None) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    if not pre:
        return (1, ())  # a release sorts after every pre-release of it
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (0, ids)


# node-semver's limits (internal/constants.js): longer strings and larger numbers are invalid.
MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1


def parse(version: str, *, npm_limits: bool = False
          ) -> tuple[int, int, int, tuple[int, tuple[tuple[int, int, str], ...]]]:
    if npm_limits and len(version) > MAX_LENGTH:
        raise InvalidVersion(f"version {version[:20]!r}... is longer than {MAX_LENGTH} characters")
    text = _LOOSE_PREFIX.sub("", version, count=1).strip()
    m = _SEMVER.match(text)
    if not m:
        raise InvalidVersion(f"version {version!r} is not semver MAJOR.MINOR.PATCH[-pre][+build]")
    major, minor, patch = int(m[1]), int(m[2]), int(m[3])
    if npm_limits and max(major, minor, patch) > MAX_SAFE_INTEGER:
        raise InvalidVersion(f"version {version!r}: a number is above {MAX_SAFE_INTEGER} (2^53 - 1)")
    return (major, minor, patch, _pre_key(m[4]))


@schemes.register("semver")
def key(version: str) -> tuple[int, int, int, tuple[int, tuple[tuple[int, int, str], ...]]]:
    """npm's rules, also for crates.io, Hex, Pub and SwiftURL (OSV's one SEMVER range type)."""
    return parse(version, npm_limits=True)


@schemes.register("go")
def go_key(version: str) -> tuple[int, int, int, tuple[int, tuple[tuple[int, int, str], ...]]]:
    v = version.strip()
    if v.startswith("go"):  # the Go toolchain itself ("stdlib"): go1.21.3, go1.22rc1
        v = _go_toolchain(v[2:])
    elif (short := _GO_SHORTHAND.match(v)) is not None:  # golang.org/x/mod/semver: v1 = v1.0.0
        v = f"{short[1]}.{short[2] or 0}.0"
    return parse(v)


_GO_SHORTHAND = re.compile(r"^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$", re.ASCII)


_GO_TOOLCHAIN = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)|([a-z]+)(0|[1-9]\d*)?)?)?$", re.ASCII)


def _go_toolchain(v: str) -> str:
    """A Go toolchain version as the semver that sorts like it (Go's ``internal/gover``).

    ``1`` and ``1.20`` are ``.0`` releases; from Go 1.21 on, ``1.21`` names the language and
    sorts before every ``1.21`` pre-release and release, so it becomes ``1.21.0-0`` (OSV's own
    lowest pre-release). ``1.21rc1`` -> ``1.21.0-rc.1``; any lower-case kind (``alpha``, ``beta``,
    ``rc``) is allowed, and kinds sort alphabetically, as in Go.
    """
    m = _GO_TOOLCHAIN.match(v)
    if not m:
        raise InvalidVersion(f"Go toolchain version go{v!r} is not goMAJOR[.MINOR[.PATCH|KINDn]]")
    major, minor, patch, kind, pre = m.groups()
    if minor is None:
        return f"{major}.0.0"
    if patch is not None:
        return f"{major}.{minor}.{patch}"
    if kind is None:
        return f"{major}.{minor}.0" if int(minor) < 21 else f"{major}.{minor}.0-0"
    return f"{major}.{minor}.0-{kind}" + (f".{pre}" if pre is not None else "")
