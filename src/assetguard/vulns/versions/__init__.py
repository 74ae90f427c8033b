"""Exact version ordering for every OSV ecosystem assetguard matches.

Each scheme turns a version string into a *sort key* once; keys of the same scheme compare
with ``<``/``==`` exactly as the ecosystem's own tool would order the versions, so the matcher
compares precomputed keys instead of re-parsing strings::

    key = version_key("Debian:12", "1:2.30-1~bpo1")
    key < version_key("Debian", "1:2.30-1")     # True: ~ sorts before everything

Ecosystems (OSV names, the part before ``:``) map to schemes in :data:`ECOSYSTEM_SCHEMES`;
an unparseable version raises :class:`InvalidVersion`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from assetguard.core.registry import Registry


class InvalidVersion(ValueError):
    """The string is not a valid version in the scheme."""


VersionKey = Any
KeyFunction = Callable[[str], VersionKey]

schemes: Registry[KeyFunction] = Registry("vulns.version_scheme")

# OSV ecosystem base name -> scheme name.
ECOSYSTEM_SCHEMES: dict[str, str] = {
    "Debian": "dpkg", "Ubuntu": "dpkg",
    "Alpine": "apk", "Wolfi": "apk", "Chainguard": "apk",
    "Red Hat": "rpm", "AlmaLinux": "rpm", "Rocky Linux": "rpm", "openSUSE": "rpm", "SUSE": "rpm",
    "Mageia": "rpm", "Photon OS": "rpm", "openEuler": "rpm",
    "PyPI": "pep440",
    "npm": "semver", "crates.io": "semver", "Hex": "semver", "Pub": "semver", "SwiftURL": "semver",
    "Go": "go",
    "Maven": "maven",
    "RubyGems": "rubygems",
}


def ecosystem_base(ecosystem: str) -> str:
    """``"Debian:12"`` -> ``"Debian"``; ``"Alpine:v3.19"`` -> ``"Alpine"``."""
    return ecosystem.split(":", 1)[0]


def scheme_for(ecosystem: str) -> str | None:
    return ECOSYSTEM_SCHEMES.get(ecosystem_base(ecosystem))


def _load() -> None:
    # Importing the modules registers their schemes.
    from assetguard.vulns.versions import apk, dpkg, maven, pep440, rpm, rubygems, semver  # noqa: F401


@cache
def key_function(scheme: str) -> KeyFunction:
    _load()
    return schemes.get(scheme)


def version_key(ecosystem: str, version: str) -> VersionKey:
    """Sort key of ``version`` in ``ecosystem``'s scheme (InvalidVersion if unknown or malformed)."""
    scheme = scheme_for(ecosystem)
    if scheme is None:
        raise InvalidVersion(f"no version ordering known for ecosystem {ecosystem!r}")
    return key_function(scheme)(version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b``."""
    ka, kb = version_key(ecosystem, a), version_key(ecosystem, b)
    return int(ka > kb) - int(ka < kb)
