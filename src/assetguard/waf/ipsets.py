"""IP sets: compiled CIDR lookups and the reloadable ``managed:ipset/<name>`` store.

An :class:`IPMatcher` answers "is this address in the set?" with one dict lookup per distinct
prefix length. :class:`IPSetStore` maps names to matchers and can be refreshed in place, so a
compiled ACL that references ``managed:ipset/tor-exit`` sees new addresses without recompiling.

Example::

    store = IPSetStore(Path("src/assetguard/waf/managed/ipsets"))
    store.get("tor-exit").contains("185.220.101.1")
    store.replace("tor-exit", ["203.0.113.0/24"])     # verdicts change at once
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections.abc import Iterable
from pathlib import Path

from assetguard.core.errors import NotFoundError, ValidationError

MANAGED_PREFIX = "managed:ipset/"
DEFAULT_IPSET_DIR = Path(__file__).parent / "managed" / "ipsets"


def parse_networks(lines: Iterable[str], *, where: str = "Addresses"
                   ) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """CIDRs (or bare addresses) to networks; ``#`` comments and blank lines are skipped."""
    out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for i, line in enumerate(lines):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValidationError(f"{text!r} is not an IP address or CIDR", where=f"{where}[{i}]") from None
    return out


@functools.lru_cache(maxsize=65536)
def parse_ip(address: str) -> tuple[int, int] | None:
    """``(version, integer)`` of an address (IPv4-mapped IPv6 as IPv4), cached; None when invalid."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.version, int(ip)


class IPMatcher:
    """Membership test over a set of IPv4 and IPv6 networks."""

    __slots__ = ("_v4", "_v6", "size")

    def __init__(self, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
        v4: dict[int, set[int]] = {}
        v6: dict[int, set[int]] = {}
        size = 0
        for net in networks:
            table = v4 if net.version == 4 else v6
            table.setdefault(net.prefixlen, set()).add(int(net.network_address))
            size += 1
        self._v4 = [(self._mask(32, p), nets) for p, nets in sorted(v4.items())]
        self._v6 = [(self._mask(128, p), nets) for p, nets in sorted(v6.items())]
        self.size = size

    @staticmethod
    def _mask(bits: int, prefix: int) -> int:
        return ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)

    def contains(self, address: str) -> bool:
        """True when ``address`` (text) is inside one of the networks; invalid text is never inside."""
        parsed = parse_ip(address)
        if parsed is None:
            return False
        version, value = parsed
        for mask, nets in (self._v4 if version == 4 else self._v6):
            if value & mask in nets:
                return True
        return False


class IPSetStore:
    """Named, reloadable IP sets (``managed:ipset/<name>`` references)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or DEFAULT_IPSET_DIR
        self._sets: dict[str, IPMatcher] = {}
        self._stored: set[str] = set()  # names whose contents came from the database, not a file
        self._lock = threading.Lock()
        self.generation = 0  # bumped on every change: memos of "which sets hold this address" check it

    def get(self, name: str) -> IPMatcher:
        matcher = self._sets.get(name)
        if matcher is None:
            with self._lock:
                matcher = self._sets.get(name)
                if matcher is None:
                    matcher = self._load(name)
                    self._sets[name] = matcher
        return matcher

    def exists(self, name: str) -> bool:
        return name in self._sets or (self.directory / f"{name}.txt").exists()

    def _load(self, name: str) -> IPMatcher:
        path = self.directory / f"{name}.txt"
        if not path.exists():
            raise NotFoundError(f"managed IP set {name!r} does not exist (looked for {path})")
        return IPMatcher(parse_networks(path.read_text().splitlines(), where=str(path)))

    def replace(self, name: str, cidrs: Iterable[str]) -> None:
        """Swap the set's contents atomically; compiled ACLs see them on their next request."""
        matcher = IPMatcher(parse_networks(list(cidrs), where=f"{MANAGED_PREFIX}{name}"))
        with self._lock:
            self._sets[name] = matcher
            self.generation += 1

    def reload(self) -> None:
        """Re-read every loaded set from its file (sets the database provides stay as they are)."""
        with self._lock:
            for name in list(self._sets):
                if name not in self._stored and (self.directory / f"{name}.txt").exists():
                    self._sets[name] = self._load(name)
            self.generation += 1

    def override(self, name: str, cidrs: Iterable[str]) -> None:
        """Serve ``cidrs`` as the set ``name`` whatever its file says, until :meth:`forget` (the
        version saved in the WAF store: :mod:`assetguard.waf.managed.list_store`)."""
        matcher = IPMatcher(parse_networks(list(cidrs), where=f"{MANAGED_PREFIX}{name}"))
        with self._lock:
            self._sets[name] = matcher
            self._stored.add(name)
            self.generation += 1

    def forget(self, name: str) -> None:
        """Drop an override: the set is read from its file again on its next use."""
        with self._lock:
            self._sets.pop(name, None)
            self._stored.discard(name)
            self.generation += 1


class ManagedIPSetRef:
    """A late-bound reference into the store: looked up per request so reloads apply at once."""

    __slots__ = ("store", "name")

    def __init__(self, store: IPSetStore, name: str) -> None:
        self.store = store
        self.name = name

    def contains(self, address: str) -> bool:
        return self.store.get(self.name).contains(address)


_default_store: IPSetStore | None = None


def default_store() -> IPSetStore:
    """The process-wide store for the shipped ``managed/ipsets`` directory."""
    global _default_store
    if _default_store is None:
        _default_store = IPSetStore()
    return _default_store
