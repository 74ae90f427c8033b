"""PyPI version ordering: PEP 440, using ``packaging.version.Version`` (its objects are the keys)."""

from __future__ import annotations

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from assetguard.vulns.versions import InvalidVersion, schemes


@schemes.register("pep440")
def key(version: str) -> Version:
    try:
        return Version(version)
    except _PackagingInvalid as exc:
        raise InvalidVersion(f"PyPI version {version!r} is not PEP 440") from exc
