"""Refresh the IP lists behind the IP-reputation and anonymous-IP managed rule groups.

Sources are local files or http(s) URLs in any of these formats (detected per source):

* the Tor Project's exit list (``ExitAddress 185.220.101.1 2026-01-01 00:00:00`` lines);
* AWS ``ip-ranges.json``-style JSON (``prefixes[].ip_prefix`` / ``ipv6_prefixes[].ipv6_prefix``)
  or any JSON list of CIDR strings;
* plain feeds: one address or CIDR per line, ``#`` or ``;`` comments, extra columns after
  whitespace, ``,`` or ``;`` ignored (Spamhaus DROP, FireHOL, CSV exports).

:func:`fetch_lists` fetches and validates every source. A deployment saves the result in the
database (:mod:`assetguard.waf.managed.list_store`, what ``waf update-lists`` and the scheduler
do), where every proxy follows it; :func:`update_lists` instead writes ``<directory>/<name>.txt``
and swaps the sets in a reloadable store, so compiled ACLs see the new lists on their next request.

Example::

    update_lists({"anonymous": ["https://check.torproject.org/exit-addresses"]})
    # {'anonymous': 1423}
"""

from __future__ import annotations

import ipaddress
import json
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import decode_text, read_text
from assetguard.waf.ipsets import IPSetStore, default_store, parse_networks

if TYPE_CHECKING:
    from assetguard.targets.outbound import OutboundGuard

# managed:ipset/<name> files the shipped groups reference, and the CLI option naming each.
LIST_NAMES = {
    "anonymous": "Tor exit relays, open proxies, VPN egress (AnonymousIPList)",
    "hosting-provider": "hosting and cloud provider ranges (HostingProviderIPList)",
    "amazon-ip-reputation": "bots and other threats (AWSManagedIPReputationList)",
    "amazon-reconnaissance": "vulnerability scanners (AWSManagedReconnaissanceList)",
    "amazon-ddos": "DDoS sources, Count action (AWSManagedIPDDoSList)",
}
_TOR_LINE = re.compile(r"^ExitAddress\s+(\S+)", re.MULTILINE)
_FIRST_FIELD = re.compile(r"^\s*([0-9A-Fa-f:.]+(?:/\d{1,3})?)")


def parse_list(text: str, *, where: str = "list") -> list[str]:
    """CIDRs (normalised, de-duplicated, in order) found in ``text``; ValidationError if none parse."""
    stripped = text.lstrip()
    candidates: Iterable[str]
    if stripped.startswith(("{", "[")):
        candidates = _json_candidates(stripped, where)
    elif _TOR_LINE.search(text):
        candidates = _TOR_LINE.findall(text)
    else:
        candidates = _plain_candidates(text)
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(candidates):
        try:
            network = str(ipaddress.ip_network(raw.strip(), strict=False))
        except ValueError:
            raise ValidationError(f"{raw!r} is not an IP address or CIDR", where=f"{where}[{i}]") from None
        if network not in seen:
            seen.add(network)
            out.append(network)
    return out


def _json_candidates(text: str, where: str) -> list[str]:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}") from None
    if isinstance(doc, list):
        return [str(x) for x in doc]
    if isinstance(doc, dict):
        values = [p.get("ip_prefix") for p in doc.get("prefixes", []) if isinstance(p, dict)]
        values += [p.get("ipv6_prefix") for p in doc.get("ipv6_prefixes", []) if isinstance(p, dict)]
        return [str(v) for v in values if v]
    raise ValidationError("expected a JSON list of CIDRs or an ip-ranges.json document", where=where)


def _plain_candidates(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith(";"):
            continue
        m = _FIRST_FIELD.match(line)
        if m and any(ch.isdigit() for ch in m.group(1)):
            out.append(m.group(1))
    return out


def read_source(source: str, *, timeout: float = 30.0, guard: OutboundGuard | None = None) -> str:
    """The text of a local file or an http(s) URL (ProviderError when it cannot be fetched).

    A URL is fetched through the outbound guard (``guard``, by default one that allows only
    globally routable addresses): resolved once, every redirect vetted, the vetted address used.
    """
    if source.startswith(("http://", "https://")):
        from assetguard.core.redact import mask_text
        from assetguard.targets.outbound import OutboundGuard
        from assetguard.vulns.fetch import guarded_download

        with tempfile.TemporaryDirectory(prefix="ag-list-") as tmp:
            path = guarded_download(source, Path(tmp) / "list", guard or OutboundGuard(), timeout=timeout,
                                    where=mask_text(source))
            return decode_text(path.read_bytes(), mask_text(source), "IP list")
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"no such file: {source}", where=source)
    return read_text(path, "IP list")  # strict: a mangled file must not silently empty a list


def update_lists(
    sources: Mapping[str, list[str]],
    *,
    store: IPSetStore | None = None,
    directory: Path | None = None,
    guard: OutboundGuard | None = None,
) -> dict[str, int]:
    """Replace each named list's file in ``directory`` with the union of its sources; returns
    ``{name: CIDR count}``. (A deployment keeps its lists in the database instead:
    :func:`assetguard.waf.managed.list_store.refresh_lists`.)

    URLs are fetched through ``guard`` (the CLI passes the deployment's, with ``outbound.allow_cidrs``).

    All sources are fetched and validated before anything is written, so a bad feed never
    leaves a list half-updated.
    """
    store = store or default_store()
    directory = directory or store.directory
    parsed = fetch_lists(sources, guard=guard)
    directory.mkdir(parents=True, exist_ok=True)
    for name, cidrs in parsed.items():
        header = f"# {LIST_NAMES[name]}\n# written by `assetguard waf update-lists` from: {', '.join(sources[name])}\n"
        target = directory / f"{name}.txt"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(header + "".join(f"{c}\n" for c in cidrs), encoding="utf-8")
        tmp.replace(target)
        store.replace(name, cidrs)
    return {name: len(cidrs) for name, cidrs in parsed.items()}


def fetch_lists(sources: Mapping[str, list[str]], *, guard: OutboundGuard | None = None) -> dict[str, list[str]]:
    """``{name: CIDRs}``: each named list as the union of its sources, every source fetched and
    validated (ValidationError or ProviderError naming the source otherwise)."""
    parsed: dict[str, list[str]] = {}
    for name, urls in sources.items():
        if name not in LIST_NAMES:
            raise ValidationError(f"unknown list {name!r}; valid: {', '.join(LIST_NAMES)}", where=name)
        merged: list[str] = []
        seen: set[str] = set()
        for source in urls:
            for cidr in parse_list(read_source(source, guard=guard), where=source):
                if cidr not in seen:
                    seen.add(cidr)
                    merged.append(cidr)
        parse_networks(merged, where=f"managed:ipset/{name}")
        parsed[name] = merged
    return parsed
