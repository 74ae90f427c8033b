"""Run the WAF proxy: one process or several (SO_REUSEPORT), SIGHUP reload, TLS, ``assetguard up`` component.

Example::

    run_proxy(settings.waf, acl="baseline", upstreams=["http://127.0.0.1:8001"], listen="127.0.0.1:8000")
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
from assetguard.waf.engine import load_compiled_acl_from_settings
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.gate import WafGate
from assetguard.waf.logs import BlockedEventPublisher, WafLogWriter
from assetguard.waf.proxy import UpstreamPool, WafProxy

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings

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


def build_gate(waf: WafSettings, acl: str, bus: Any = None, acl_dirs: list[Path] | None = None) -> WafGate:
    writer = WafLogWriter(waf.log_path, waf.log_sample_rate) if waf.log_path else None
    events = BlockedEventPublisher(bus, waf.event_sample_rate) if bus is not None else None
    return WafGate(lambda: load_compiled_acl_from_settings(waf, acl, acl_dirs=acl_dirs), fail_open=waf.fail_open,
                   log_writer=writer, events=events, source="assetguard-proxy")


async def serve(waf: WafSettings, acl: str, upstreams: list[str], listen: str, *, reuse_port: bool = False,
                stop: asyncio.Event | None = None, bus: Any = None, stop_signals: bool = True,
                acl_dirs: list[Path] | None = None, tracer: Any = None) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM); SIGHUP reloads the ACL."""
    host, port = parse_listen(listen)
    context = tls_context(waf.tls_cert, waf.tls_key)
    gate = build_gate(waf, acl, bus, acl_dirs)
    proxy = WafProxy(gate, upstreams, scheme="https" if context else "http", tracer=tracer,
                     health_path=waf.health_check_path, limits=FrontDoorLimits.from_settings(waf))
    await proxy.start(host, port, ssl_context=context, reuse_port=reuse_port)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    own_signals = threading_main()
    if own_signals:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(_reload(gate)))
        if stop_signals:  # inside ``assetguard up`` uvicorn owns SIGINT/SIGTERM
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
    log.info("WAF proxy on %s:%d -> %s (ACL %s, %d WCU)", host, port, ", ".join(upstreams), gate.acl.name,
             gate.acl.capacity)
    try:
        await stop.wait()
    finally:
        await proxy.close()
        gate.close()
        if own_signals:
            loop.remove_signal_handler(signal.SIGHUP)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


async def _reload(gate: WafGate) -> None:
    try:
        acl = await asyncio.to_thread(gate.reload)
        log.info("SIGHUP: ACL %s reloaded", acl.name)
    except Exception as exc:  # noqa: BLE001 - a bad ACL keeps the old one running
        log.error("SIGHUP: ACL reload failed, keeping the previous ACL: %s", exc)


def _worker(waf_json: str, acl: str, upstreams: list[str], listen: str, acl_dirs: list[str]) -> None:
    from assetguard.core.settings import WafSettings

    _use_uvloop()
    asyncio.run(serve(WafSettings.model_validate_json(waf_json), acl, upstreams, listen, reuse_port=True,
                      acl_dirs=[Path(d) for d in acl_dirs]))


def _use_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run_proxy(waf: WafSettings, *, acl: str, upstreams: list[str], listen: str, workers: int = 1,
              acl_dirs: list[Path] | None = None) -> None:
    """Blocking entry point of ``assetguard waf proxy``."""
    load_compiled_acl_from_settings(waf, acl, acl_dirs=acl_dirs)  # fail fast, in the parent, on a bad ACL
    UpstreamPool(upstreams, health_path=waf.health_check_path)  # ... and on bad upstreams or health path
    tls_context(waf.tls_cert, waf.tls_key)
    if workers <= 1:
        _use_uvloop()
        asyncio.run(serve(waf, acl, upstreams, listen, acl_dirs=acl_dirs))
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(waf.model_dump_json(), acl, upstreams, listen,
                                                   [str(d) for d in acl_dirs or []]), daemon=False)
             for _ in range(workers)]
    for proc in procs:
        proc.start()

    def forward(sig: int, _frame: object) -> None:
        for proc in procs:
            if proc.pid:
                os.kill(proc.pid, sig)

    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for proc in procs:
        proc.join()


class WafProxyComponent:
    """The proxy as a component of ``assetguard up`` (settings.waf.listen -> settings.waf.upstream)."""

    name = "waf-proxy"

    def __init__(self, waf: WafSettings, bus: Any = None, acl_dirs: list[Path] | None = None,
                 tracer: Any = None) -> None:
        self.waf = waf
        self.bus = bus
        self.acl_dirs = acl_dirs
        self.tracer = tracer

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await serve(self.waf, self.waf.acl, [self.waf.upstream], self.waf.listen, stop=stop, bus=self.bus,
                        stop_signals=False, acl_dirs=self.acl_dirs, tracer=self.tracer)
        except OSError as exc:
            log.warning("WAF proxy not started: cannot listen on %s (%s); the rest keeps running",
                        self.waf.listen, exc)
        except Exception as exc:  # noqa: BLE001 - e.g. managed groups missing: report, keep the platform up
            log.warning("WAF proxy not started: %s", exc)


