"""The managed IP lists in the platform database, shared by every process of a deployment.

``waf update-lists`` and the scheduled job ``waf.lists.refresh`` (run by the leading scheduler,
every ``waf.list_refresh_seconds``, from ``waf.list_sources``) save each refreshed list as a new
version of the WAF store's ``managed-ip-list/<name>`` document: ``{"Addresses": [CIDR, ...],
"Sources": [...], "Description": ...}``. A list whose contents did not change is not saved again,
and only the newest :data:`KEEP_VERSIONS` versions of each list are kept. A save bumps the store's
change generation, so every proxy learns of it as of a new ACL version (NOTIFY on PostgreSQL, else
within ``waf.acl_poll_seconds``).

Every process that compiles an ACL against the store serves the lists through one
:class:`StoredLists` per database and list directory: the saved version of a list when there is
one, else the file (``waf.ipset_dir``, else the lists shipped with assetguard). ``sync`` reads the
lists' etags with one query and swaps in only what changed; compiled ACLs reference managed lists
late, so a swap applies to the next request without compiling the ACL again.

Example::

    counts = refresh_lists(WafStore(platform.db), {"anonymous": ["https://check.torproject.org/exit-addresses"]},
                           actor="alice")
    lists = stored_lists(settings.waf, WafStore(platform.db))
    lists.sync()                        # ["anonymous"]: swapped into lists.ipsets
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from assetguard.waf.ipsets import DEFAULT_IPSET_DIR, IPSetStore
from assetguard.waf.managed.lists import LIST_NAMES, fetch_lists
from assetguard.waf.store import MANAGED_LIST_KIND, WafStore, etag_of

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings
    from assetguard.targets.outbound import OutboundGuard

log = logging.getLogger(__name__)

KEEP_VERSIONS = 10  # versions of each list kept in the store (each may hold many thousand CIDRs)


@dataclass(frozen=True)
class SavedList:
    name: str
    count: int  # CIDRs in the list
    version: int  # the version now current
    changed: bool  # False: the same contents were current already (nothing saved)


def list_document(name: str, cidrs: list[str], sources: list[str]) -> dict[str, Any]:
    return {"Addresses": list(cidrs), "Sources": list(sources), "Description": LIST_NAMES[name]}


def save_lists(store: WafStore, lists: Mapping[str, list[str]], sources: Mapping[str, list[str]], *,
               actor: str, audit: Callable[[Connection, dict[str, int]], None] | None = None) -> list[SavedList]:
    """Save each list (already validated) as a new version when its contents changed; ``audit`` runs
    once, in the transaction of the last save, with ``{name: CIDR count}`` of every list."""
    out: list[SavedList] = []
    pending = []
    for name, cidrs in lists.items():
        document = list_document(name, cidrs, sources.get(name, []))
        current = store.get(MANAGED_LIST_KIND, name)
        if current is not None and current.etag == etag_of(document):
            out.append(SavedList(name, len(cidrs), current.version, False))
        else:
            pending.append((name, document))
    counts = {name: len(cidrs) for name, cidrs in lists.items()}
    for i, (name, document) in enumerate(pending):
        hook = None
        if audit is not None and i == len(pending) - 1:
            def hook(conn: Connection, _before: Any, _saved: Any) -> None:
                audit(conn, counts)
        saved = store.put(MANAGED_LIST_KIND, name, document, actor=actor, audit=hook)
        store.prune_versions(MANAGED_LIST_KIND, name, KEEP_VERSIONS)
        out.append(SavedList(name, len(document["Addresses"]), saved.version, True))
    if not pending and audit is not None:
        with store.db.begin() as conn:
            audit(conn, counts)
    return sorted(out, key=lambda s: list(lists).index(s.name))


def refresh_lists(store: WafStore, sources: Mapping[str, list[str]], *, actor: str,
                  guard: OutboundGuard | None = None,
                  audit: Callable[[Connection, dict[str, int]], None] | None = None) -> list[SavedList]:
    """Fetch and validate every source (nothing is saved when one fails), then :func:`save_lists`."""
    return save_lists(store, fetch_lists(sources, guard=guard), sources, actor=actor, audit=audit)


class StoredLists:
    """An :class:`IPSetStore` whose managed lists follow the versions saved in ``store``."""

    def __init__(self, store: WafStore, ipsets: IPSetStore) -> None:
        self.store = store
        self.ipsets = ipsets
        self.etags: dict[str, str] = {}  # name -> etag of the saved version in force
        self._lock = threading.Lock()

    def sync(self) -> list[str]:
        """Swap in every list whose saved version changed (or was deleted: back to the file);
        returns their names. One query when nothing changed."""
        with self._lock:
            now = self.store.etags([(MANAGED_LIST_KIND, name) for name in LIST_NAMES])
            changed = []
            for (_kind, name), etag in now.items():
                if etag == self.etags.get(name):
                    continue
                stored = self.store.get(MANAGED_LIST_KIND, name) if etag is not None else None
                if stored is None or stored.document is None:
                    self.ipsets.forget(name)
                    self.etags.pop(name, None)
                    log.info("managed:ipset/%s: no saved version; serving the list file", name)
                else:
                    addresses = stored.document.get("Addresses", [])
                    self.ipsets.override(name, addresses)
                    self.etags[name] = stored.etag
                    log.info("managed:ipset/%s version %d in force (%d networks)", name, stored.version,
                             len(addresses))
                changed.append(name)
            return changed


_registry: dict[tuple[str, str], StoredLists] = {}
_registry_lock = threading.Lock()


def stored_lists(waf: WafSettings, store: WafStore) -> StoredLists:
    """This process's lists for ``store``'s database and ``waf.ipset_dir`` (one per pair, so every
    ACL compiled here, and every reload, shares them)."""
    directory = Path(waf.ipset_dir) if waf.ipset_dir else DEFAULT_IPSET_DIR
    key = (store.db.url, str(directory))
    with _registry_lock:
        lists = _registry.get(key)
        if lists is None:
            lists = _registry[key] = StoredLists(store, IPSetStore(directory))
        else:
            lists.store = store  # the caller's (open) connection pool
        return lists
