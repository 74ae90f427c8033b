"""Download an OSV export for an API caller through the outbound guard.

``POST /vulns/import`` names a URL the server fetches; like the webhook and Slack targets, the
fetch may only reach globally routable addresses (plus ``outbound.allow_cidrs``). Each hop is
resolved once by :class:`~assetguard.targets.outbound.OutboundGuard`, and the request goes to
the vetted address with the name as ``Host`` and TLS SNI (the certificate is checked against the
name), so a DNS answer that changes between the check and the connection is never used.
Redirects are followed by hand, each new location vetted the same way::

    guarded_download("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
                     Path("/tmp/all.zip"), guard_for(settings))
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from assetguard.core.errors import ProviderError, ValidationError
from assetguard.core.redact import mask_text
from assetguard.targets.outbound import OutboundGuard, OutboundRefused, OutboundUnresolved

MAX_REDIRECTS = 5


def guarded_download(url: str, dest: Path, guard: OutboundGuard, *, timeout: float = 60.0,
                     where: str = "source") -> Path:
    """Stream ``url`` to ``dest``; a refused destination is a ValidationError naming ``where``,
    a network or HTTP failure a ProviderError."""
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            try:  # urlsplit and .port refuse a malformed host ("http://[x") or port with ValueError
                parts = urlsplit(url)
                host, port = parts.hostname, parts.port
            except ValueError as exc:
                raise ValidationError(f"{mask_text(url)!r} is not an http(s) URL ({exc})", where=where) from None
            if parts.scheme not in ("http", "https") or not host:
                raise ValidationError(f"{mask_text(url)!r} is not an http(s) URL", where=where)
            port = port or (443 if parts.scheme == "https" else 80)
            try:
                address = guard.resolve(host, port)[0]
            except OutboundRefused as exc:
                raise ValidationError(str(exc), where=where) from None
            except OutboundUnresolved as exc:  # a name that does not resolve is the caller's to fix
                raise ValidationError(f"cannot fetch {mask_text(url)}: {exc}", where=where) from None
            literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
            pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
            host_header = host if parts.port is None else f"{host}:{parts.port}"
            extensions = {"sni_hostname": host} if parts.scheme == "https" else None
            try:
                with client.stream("GET", pinned, headers={"Host": host_header}, extensions=extensions) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status_code != 200:
                        raise ProviderError(f"GET {mask_text(url)} answered HTTP {resp.status_code}")
                    with dest.open("wb") as fh:
                        for chunk in resp.iter_bytes(1 << 16):
                            fh.write(chunk)
                    return dest
            except httpx.HTTPError as exc:
                raise ProviderError(f"GET {mask_text(url)} failed: {type(exc).__name__}: {exc}") from None
    raise ProviderError(f"GET {mask_text(url)}: more than {MAX_REDIRECTS} redirects")
