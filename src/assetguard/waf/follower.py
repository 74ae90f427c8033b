"""Keep a proxy's gate on the current version of its ACL, and report the proxy to the database.

One background thread per proxy process. It wakes when the WAF store says something changed -
``NOTIFY assetguard_waf`` on PostgreSQL (a second thread LISTENs), a save made in this very
process, or SIGHUP - and otherwise every ``waf.acl_poll_seconds`` to read the store's change
generation (the fallback when a notification is lost). On a new generation it asks the store,
without compiling, whether the ACL or anything it references changed; only then it compiles and
swaps the ACL into the gate (requests in flight finish on the old one). A reload request
(``POST /waf/reload``) or SIGHUP compiles again in any case. A version that does not compile
leaves the running one in place and the proxy reports itself ``degraded`` with the reason.

The managed IP lists (``managed:ipset/<name>``) follow the store the same way: on a new
generation the follower swaps in any list whose saved version changed
(:mod:`assetguard.waf.managed.list_store`), without compiling the ACL again; the compiled ACL
reads them per request.

Every ``waf.heartbeat_seconds``, and right after each reload, it writes the proxy's id, address,
ACL name, version, etag and health (``waf_proxies``). Rate-based counters live in one counter per
process (or Redis), handed to every compilation, so a reload keeps them.

Example::

    follower = AclFollower(settings.waf, store, "shop", address="0.0.0.0:8000")
    gate = WafGate(follower.compile)
    follower.start(gate)
    ...
    follower.stop()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.core.clock import utcnow
from assetguard.waf.acl_source import AclFingerprint, changed, compile_named_acl
from assetguard.waf.engine import CompiledACL
from assetguard.waf.ratelimit import MemoryRateCounter, RateCounter
from assetguard.waf.store import NOTIFY_CHANNEL, ProxyBeat, WafStore, etag_of, subscribe_local

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings
    from assetguard.waf.gate import WafGate
    from assetguard.waf.managed.list_store import StoredLists

log = logging.getLogger(__name__)

_followed: weakref.WeakSet[WafGate] = weakref.WeakSet()


def followed_gates() -> list[WafGate]:
    """Gates in this process that a follower keeps current (the API's reload leaves them to it)."""
    return list(_followed)


def _rate_counter(waf: WafSettings) -> RateCounter:
    if waf.redis_url:
        from assetguard.waf.ratelimit import redis_counter

        return redis_counter(waf.redis_url, waf.redis_key_prefix)
    return MemoryRateCounter()


def _database_error(exc: Exception) -> str:
    """One line for the heartbeat (viewers see it): the error's type and its first line, no SQL."""
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"database unreachable: {type(exc).__name__}: {first[0][:300] if first else ''}"


class AclFollower:
    """Compile the ACL a proxy serves - by name from the store (or the built-in set), or from a
    file the CLI user named - and follow its new versions (see the module docstring)."""

    def __init__(self, waf: WafSettings, store: WafStore | None, acl: str, *, address: str = "",
                 acl_file: Path | None = None) -> None:
        self.waf = waf
        self.store = store
        self.name = acl
        self.acl_file = acl_file
        self.address = address
        self.id = f"{socket.gethostname()}:{os.getpid()}:{address.rsplit(':', 1)[-1] or '-'}"[:100]
        self.counter = _rate_counter(waf)  # one per process: reloads keep the counts
        self.fingerprint: AclFingerprint | None = None
        self.generation = 0
        self.reload_generation = 0
        self.health = "ok"
        self.detail: str | None = None
        self.started_at = utcnow()
        self._gate: WafGate | None = None
        self.lists: StoredLists | None = None
        if store is not None:  # managed IP lists: the versions saved in the store, else the files
            from assetguard.waf.managed.list_store import stored_lists

            self.lists = stored_lists(waf, store)
        # the proxy's own health (its upstreams), reported beside the ACL's: {"status": "ok"|..., ...}
        self.health_probe: Callable[[], dict[str, Any]] | None = None
        self._wake = subscribe_local()
        self._force = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if store is not None:
            state = store.state()  # before the first compile: a change after it is seen
            self.generation, self.reload_generation = state.generation, state.reload_generation

    # --- compiling -----------------------------------------------------------------------------------

    def compile(self) -> CompiledACL:
        """Compile the current version (the gate calls this to load and to reload)."""
        if self.acl_file is not None:
            from assetguard.waf.documents import load_acl_document
            from assetguard.waf.engine import load_compiled_acl_from_settings

            ipsets = None
            if self.lists is not None:
                self.lists.sync()
                ipsets = self.lists.ipsets
            compiled = load_compiled_acl_from_settings(self.waf, self.acl_file, rate_counter=self.counter,
                                                       ipsets=ipsets)
            self.fingerprint = AclFingerprint(compiled.name, 0, etag_of(load_acl_document(self.acl_file)))
            return compiled
        compiled, self.fingerprint = compile_named_acl(self.waf, self.store, self.name, rate_counter=self.counter)
        return compiled

    # --- following -----------------------------------------------------------------------------------

    def start(self, gate: WafGate) -> None:
        """Follow in the background (no-op without a store: a file ACL reloads on SIGHUP only)."""
        self._gate = gate
        if self.store is None:
            return
        self._threads.append(threading.Thread(target=self._run, name="waf-acl-follower", daemon=True))
        if self.store.db.dialect == "postgresql":
            self._threads.append(threading.Thread(target=self._listen, name="waf-acl-listen", daemon=True))
        for thread in self._threads:
            thread.start()
        _followed.add(gate)

    def reload_now(self) -> None:
        """Compile again whatever the store says (SIGHUP)."""
        if self.store is None or not self._threads:
            if self.lists is not None:
                self.lists.ipsets.reload()
            if self._gate is not None:
                self._reload()
            return
        self._force = True
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.store is not None and self._threads:
            try:
                self.store.forget_proxy(self.id)
            except Exception as exc:  # noqa: BLE001 - stopping must not fail on a lost database
                log.warning("WAF proxy %s: could not remove its heartbeat row: %s", self.id, exc)

    def _run(self) -> None:
        assert self.store is not None
        poll, beat_every = self.waf.acl_poll_seconds, self.waf.heartbeat_seconds
        next_poll = next_beat = time.monotonic()
        while not self._stop.is_set():
            woken = self._wake.wait(max(0.0, min(next_poll, next_beat) - time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                return
            now = time.monotonic()
            beat = now >= next_beat
            if woken or now >= next_poll:
                next_poll = now + poll
                beat = self.check() or beat
            if beat:
                next_beat = time.monotonic() + beat_every
                self.beat()

    def check(self) -> bool:
        """Apply a new generation or a reload request; True when something was done (beat now)."""
        assert self.store is not None
        force, self._force = self._force, False
        try:
            state = self.store.state()
            requested = state.reload_generation > self.reload_generation
            if state.generation == self.generation and not (force or requested):
                if self.health == "degraded" and self.detail and self.detail.startswith("database"):
                    self.health, self.detail = "ok", None
                    return True
                return False
            stale = self.acl_file is None and (self.fingerprint is None or changed(self.store, self.fingerprint))
            if self.lists is not None:
                if force or requested:
                    self.lists.ipsets.reload()  # list files (waf.ipset_dir) are read again too
                self.lists.sync()  # new list versions apply without compiling the ACL again
            self.generation, self.reload_generation = state.generation, state.reload_generation
        except Exception as exc:  # noqa: BLE001 - keep serving the running ACL; retry at the next poll
            self._force = self._force or force
            self._degraded(_database_error(exc))
            return False
        if force or requested or stale:
            self._reload()
        return True

    def _reload(self) -> None:
        assert self._gate is not None
        try:
            acl = self._gate.reload()
        except Exception as exc:  # noqa: BLE001 - a bad version keeps the running ACL
            self._degraded(f"ACL {self.name} not reloaded, still running the previous version: {exc}"[:1000])
            return
        self.health, self.detail = "ok", None
        fp = self.fingerprint
        log.info("WAF ACL %s version %s (%s) in force", acl.name, fp.version if fp else "?",
                 fp.etag[:12] if fp else "?")

    def _degraded(self, detail: str) -> None:
        if detail != self.detail:
            log.error("WAF proxy: %s", detail)
        self.health, self.detail = "degraded", detail

    def beat(self) -> None:
        if self.store is None:
            return
        fp = self.fingerprint
        health, detail = self.health, self.detail
        if health == "ok" and self.health_probe is not None:
            try:
                probe = self.health_probe()
            except Exception as exc:  # noqa: BLE001 - a failing probe is reported, not raised
                probe = {"status": "degraded", "upstreams": [], "error": str(exc)}
            if probe.get("status") != "ok":
                down = [str(u.get("url")) for u in probe.get("upstreams", []) if not u.get("healthy")]
                health, detail = "degraded", f"no healthy upstream ({', '.join(down) or probe.get('error', '?')})"
        try:
            self.store.heartbeat(ProxyBeat(
                self.id, self.address, str(self.acl_file) if self.acl_file else self.name,
                fp.version if fp else 0, fp.digest if fp else "", self.generation, self.reload_generation,
                health, detail, self.started_at))
        except Exception as exc:  # noqa: BLE001 - the next beat tries again
            self._degraded(_database_error(exc))

    def _listen(self) -> None:
        """LISTEN for the store's notifications on a connection of its own; reconnect on failure."""
        import psycopg
        from sqlalchemy.engine import make_url

        assert self.store is not None
        url = make_url(self.store.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake.set()  # anything missed while not listening is read now
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except psycopg.Error as exc:
                log.warning("WAF proxy: LISTEN %s failed (%s); polling every %.1f s until it works again",
                            NOTIFY_CHANNEL, type(exc).__name__, self.waf.acl_poll_seconds)
                self._stop.wait(self.waf.acl_poll_seconds)
