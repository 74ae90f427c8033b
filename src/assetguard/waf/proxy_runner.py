"""Run the WAF proxy: one process or several (SO_REUSEPORT), TLS, ``assetguard up`` component.

The ACL is named (the WAF store, then the built-in set) and followed: each process reloads within
seconds of a new version, on a reload request, and on SIGHUP, and reports its version through
heartbeats (:mod:`assetguard.waf.follower`). The CLI may instead name a file (``acl_file``), which
reloads on SIGHUP.

Example::

    run_proxy(settings.waf, acl="baseline", upstreams=["http://127.0.0.1:8001"], listen="127.0.0.1:8000",
              database_url=settings.resolved_database_url)
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.core.errors import ConfigError, ValidationError
from assetguard.runtime.shutdown import arm_hard_stop
from assetguard.waf.follower import AclFollower
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.gate import WafGate
from assetguard.waf.logs import BlockedEventPublisher, WafLogWriter
from assetguard.waf.proxy import UpstreamPool, WafProxy

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings
    from assetguard.waf.store import WafStore

log = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValidationError("--listen must be HOST:PORT", where=listen)
    return host.strip("[]") or "127.0.0.1", int(port)


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("TLS termination needs both a certificate and a key file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS certificate/key: {exc}") from None
    return context


def build_gate(waf: WafSettings, acl: str, bus: Any = None, *, follower: AclFollower | None = None) -> WafGate:
    """A gate whose ACL ``follower`` compiles (default: ``acl`` from the built-in set, not followed)."""
    writer = WafLogWriter(waf.log_path, waf.log_sample_rate) if waf.log_path else None
    events = BlockedEventPublisher(bus, waf.event_sample_rate) if bus is not None else None
    follower = follower or AclFollower(waf, None, acl)
    return WafGate(follower.compile, fail_open=waf.fail_open, log_writer=writer, events=events,
                   source="assetguard-proxy")


async def serve(waf: WafSettings, acl: str, upstreams: list[str], listen: str, *, reuse_port: bool = False,
                stop: asyncio.Event | None = None, bus: Any = None, stop_signals: bool = True,
                store: WafStore | None = None, acl_file: Path | None = None, tracer: Any = None) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM), following the ACL's versions in ``store``;
    SIGHUP reloads the ACL."""
    host, port = parse_listen(listen)
    context = tls_context(waf.tls_cert, waf.tls_key)
    follower = AclFollower(waf, store, acl, address=f"{host}:{port}", acl_file=acl_file)
    gate = build_gate(waf, acl, bus, follower=follower)
    proxy = WafProxy(gate, upstreams, scheme="https" if context else "http", tracer=tracer,
                     health_path=waf.health_check_path, limits=FrontDoorLimits.from_settings(waf))
    await proxy.start(host, port, ssl_context=context, reuse_port=reuse_port)
    follower.health_probe = proxy.health
    follower.start(gate)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    own_signals = threading_main()
    if own_signals:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(_reload(follower)))
        if stop_signals:  # inside ``assetguard up`` uvicorn owns SIGINT/SIGTERM (and arms its own hard stop)
            def on_stop() -> None:
                stop.set()
                arm_hard_stop("assetguard waf proxy")  # a graceful stop that hangs still ends the process

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_stop)
    log.info("WAF proxy on %s:%d -> %s (ACL %s, %d WCU)", host, port, ", ".join(upstreams), gate.acl.name,
             gate.acl.capacity)
    try:
        await stop.wait()
    finally:
        await asyncio.to_thread(follower.stop)
        await proxy.close()
        gate.close()
        if own_signals:
            loop.remove_signal_handler(signal.SIGHUP)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


async def _reload(follower: AclFollower) -> None:
    """SIGHUP: compile the ACL again (a bad version keeps the running one; the follower logs it)."""
    log.info("SIGHUP: reloading ACL %s", follower.name)
    await asyncio.to_thread(follower.reload_now)


def _open_store(database_url: str | None) -> WafStore | None:
    if database_url is None:
        return None
    from assetguard.db.engine import Database
    from assetguard.waf.store import WafStore

    return WafStore(Database(database_url))


def _worker(waf_json: str, acl: str, upstreams: list[str], listen: str, database_url: str | None,
            acl_file: str | None) -> None:
    from assetguard.core.settings import WafSettings

    _use_uvloop()
    store = _open_store(database_url)
    try:
        asyncio.run(serve(WafSettings.model_validate_json(waf_json), acl, upstreams, listen, reuse_port=True,
                          store=store, acl_file=Path(acl_file) if acl_file else None))
    finally:
        if store is not None:
            store.db.dispose()


def _use_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run_proxy(waf: WafSettings, *, acl: str, upstreams: list[str], listen: str, workers: int = 1,
              database_url: str | None = None, acl_file: Path | None = None) -> None:
    """Blocking entry point of ``assetguard waf proxy``: ``acl`` is a name in the WAF store of
    ``database_url`` (or the built-in set); the CLI may pass a file as ``acl_file`` instead."""
    store = _open_store(database_url)
    try:
        AclFollower(waf, store, acl, acl_file=acl_file).compile()  # fail fast, in the parent, on a bad ACL
    finally:
        if store is not None:
            store.db.dispose()
    UpstreamPool(upstreams, health_path=waf.health_check_path)  # ... and on bad upstreams or health path
    tls_context(waf.tls_cert, waf.tls_key)
    if workers <= 1:
        _use_uvloop()
        store = _open_store(database_url)
        try:
            asyncio.run(serve(waf, acl, upstreams, listen, store=store, acl_file=acl_file))
        finally:
            if store is not None:
                store.db.dispose()
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(waf.model_dump_json(), acl, upstreams, listen, database_url,
                                                   str(acl_file) if acl_file else None), daemon=False)
             for _ in range(workers)]
    for proc in procs:
        proc.start()

    def forward(sig: int, _frame: object) -> None:
        if sig != signal.SIGHUP:
            arm_hard_stop("assetguard waf proxy")  # each worker arms its own; this bounds the parent too
        for proc in procs:
            if proc.pid and proc.exitcode is None:
                try:
                    os.kill(proc.pid, sig)
                except ProcessLookupError:
                    pass

    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for proc in procs:
        proc.join()
    failed = [proc.exitcode for proc in procs if proc.exitcode]
    if failed:
        raise SystemExit(1)


class WafProxyComponent:
    """The proxy as a component of ``assetguard up`` (settings.waf.listen -> settings.waf.upstream)."""

    name = "waf-proxy"

    def __init__(self, waf: WafSettings, bus: Any = None, store: WafStore | None = None,
                 tracer: Any = None) -> None:
        self.waf = waf
        self.bus = bus
        self.store = store
        self.tracer = tracer

    async def run(self, stop: asyncio.Event) -> None:
        from assetguard.waf.store import NAME_RE

        # waf.acl is a name; a value that cannot be one is a file the operator configured
        acl_file = Path(self.waf.acl) if NAME_RE.fullmatch(self.waf.acl) is None else None
        try:
            await serve(self.waf, self.waf.acl, [self.waf.upstream], self.waf.listen, stop=stop, bus=self.bus,
                        stop_signals=False, store=self.store, acl_file=acl_file, tracer=self.tracer)
        except OSError as exc:
            log.warning("WAF proxy not started: cannot listen on %s (%s); the rest keeps running",
                        self.waf.listen, exc)
        except Exception as exc:  # noqa: BLE001 - e.g. managed groups missing: report, keep the platform up
            log.warning("WAF proxy not started: %s", exc)


