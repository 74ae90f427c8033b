"""The gate every protected request passes: current ACL, fail-open/closed, logs, metrics, events.

Both :class:`~assetguard.waf.middleware.WAFMiddleware` and the reverse proxy use one
:class:`WafGate`. ``reload()`` compiles the ACL again and swaps it in atomically: requests in
flight finish on the old one, new requests use the new one, no connection is dropped. An engine
exception is counted and turned into ALLOW (fail-open) or BLOCK (fail-closed) as configured.

Example::

    gate = WafGate(lambda: load_compiled_acl("baseline"), fail_open=False)
    verdict = gate.inspect(HttpRequest("GET", "/user/1", [("User-Agent", "x")]))
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from time import perf_counter
from typing import Any

from assetguard.telemetry.instruments import WAF_DECISION_SECONDS
from assetguard.waf.engine import CompiledACL, Verdict
from assetguard.waf.logs import (
    ENGINE_ERRORS,
    BlockedEventPublisher,
    RecentBlocks,
    WafLogWriter,
    count,
    log_record,
)
from assetguard.waf.request import HttpRequest

log = logging.getLogger(__name__)

_gates: weakref.WeakSet[WafGate] = weakref.WeakSet()


def active_gates() -> list[WafGate]:
    """Gates alive in this process (the API's reload route and the console use them)."""
    return list(_gates)


class WafGate:
    """Evaluate requests against a swappable compiled ACL."""

    def __init__(self, compile_acl: Callable[[], CompiledACL], *, fail_open: bool = False,
                 log_writer: WafLogWriter | None = None, events: BlockedEventPublisher | None = None,
                 source: str = "assetguard") -> None:
        self._compile = compile_acl
        self.acl = compile_acl()
        self.fail_open = fail_open
        self.log_writer = log_writer
        self.events = events
        self.source = source
        self.recent_blocks = RecentBlocks()
        self.errors = 0
        self.reloads = 0
        self._reload_lock = threading.Lock()
        _gates.add(self)

    def reload(self, compile_acl: Callable[[], CompiledACL] | None = None) -> CompiledACL:
        """Compile again (optionally from a new source) and swap; a bad ACL leaves the old one in place."""
        with self._reload_lock:
            compiler = compile_acl or self._compile
            acl = compiler()  # raises on an invalid ACL before anything changes
            self._compile = compiler
            self.acl = acl
            self.reloads += 1
            log.info("WAF ACL %s reloaded (%d rules, %d WCU)", acl.name, len(acl.rules), acl.capacity)
            return acl

    def inspect(self, request: HttpRequest) -> Verdict:
        acl = self.acl
        started = perf_counter()
        try:
            verdict = acl.evaluate(request)
            WAF_DECISION_SECONDS.observe(perf_counter() - started)
        except Exception:
            self.errors += 1
            outcome = "ALLOW" if self.fail_open else "BLOCK"
            ENGINE_ERRORS.labels(acl.name, outcome).inc()
            log.exception("WAF engine error on %s %s; failing %s", request.method, request.path[:200],
                          "open" if self.fail_open else "closed")
            verdict = Verdict(action=outcome, terminating_rule_id="EngineError", terminating_rule_type="REGULAR",
                              response_code=403 if outcome == "BLOCK" else 0)
        count(acl.name, verdict)
        blocked = verdict.action == "BLOCK"
        writer = self.log_writer
        log_it = writer is not None and writer.sampled()
        if blocked or log_it:
            record = log_record(acl, request, verdict, source=self.source)
            if log_it and writer is not None:
                writer.write(record)
            if blocked:
                self.recent_blocks.add(record)
                if self.events is not None:
                    self.events.offer(record)
        return verdict

    def status(self) -> dict[str, Any]:
        return {"acl": self.acl.name, "rules": len(self.acl.rules), "capacity": self.acl.capacity,
                "engine_errors": self.errors, "reloads": self.reloads, "fail_open": self.fail_open}

    def close(self) -> None:
        if self.events is not None:
            self.events.close()
        if self.log_writer is not None:
            self.log_writer.close()
