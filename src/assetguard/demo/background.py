"""``assetguard up --demo``: load the demo story once per data dir and keep gentle traffic going.

:class:`DemoBackground` is a component (``run(stop)``) that ``up --demo`` runs next to the others:

* the story (:class:`~assetguard.demo.story.StoryLoader`) is loaded in a thread unless
  ``<data_dir>/demo/loaded.json`` says it was loaded before; event delivery is left to the running
  ``worker`` component;
* meanwhile, once the WAF proxy answers, it sends about one request per second
  (:class:`~assetguard.demo.traffic.TrafficGenerator`, a quarter of them attacks) through the proxy
  at ``settings.waf.listen`` (always addressed on loopback) until ``up`` stops::

    component = DemoBackground(platform)
    await component.run(stop)          # returns soon after ``stop`` is set
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

TRAFFIC_RATE = 1.0  # requests per second: enough for every chart, gentle on a laptop
TRAFFIC_ROUND = 60.0  # seconds per generator run (each run is bounded; rounds repeat until stop)


def marker_path(platform: Platform) -> Path:
    return Path(platform.settings.data_dir) / "demo" / "loaded.json"


def load_once(platform: Platform, *, drain: bool = False) -> bool:
    """Load the story unless this data dir has it; returns True when it loaded now."""
    from assetguard.demo.story import StoryLoader

    marker = marker_path(platform)
    if marker.exists():
        return False
    results = StoryLoader(platform, drain=drain).run(
        on_step=lambda r: log.info("demo load: %s %s (%.1fs) %s", r.name, "ok" if r.ok else "FAILED", r.seconds,
                                   r.summary))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"loadedAt": datetime.now(UTC).isoformat(timespec="seconds"),
                                  "steps": {r.name: {"ok": r.ok, "summary": r.summary} for r in results}},
                                 indent=1), encoding="utf-8")
    return True


def proxy_target(listen: str) -> str:
    """The loopback URL of the proxy listening on ``listen`` (``0.0.0.0:8000`` → ``http://127.0.0.1:8000``)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    return f"http://[::1]:{port}" if ":" in host else f"http://127.0.0.1:{port}"


class DemoBackground:
    name = "demo-story"

    def __init__(self, platform: Platform, *, rate: float = TRAFFIC_RATE, round_seconds: float = TRAFFIC_ROUND,
                 load: bool = True) -> None:
        self.platform = platform
        self.rate = rate
        self.round_seconds = round_seconds
        self.load = load
        self.target = proxy_target(platform.settings.waf.listen)
        self.sent = 0
        self.blocked = 0
        httpx_log = logging.getLogger("httpx")
        if httpx_log.level == logging.NOTSET:  # one INFO line per demo request would drown up's log
            httpx_log.setLevel(logging.WARNING)

    async def run(self, stop: asyncio.Event) -> None:
        # Plain daemon threads, not asyncio.to_thread: Ctrl+C during the minute-long load must not wait
        # for it (asyncio.run joins its executor). An interrupted load writes no marker, so the next
        # ``up --demo`` loads again; each step is idempotent.
        halt = threading.Event()
        traffic = threading.Thread(target=self._traffic, args=(halt,), name="demo-traffic", daemon=True)
        traffic.start()
        if self.load:
            threading.Thread(target=self._load, name="demo-load", daemon=True).start()
        try:
            await stop.wait()
        finally:
            halt.set()
            await asyncio.to_thread(traffic.join, 3.0)

    def _load(self) -> None:
        try:
            if load_once(self.platform):
                log.info("demo story loaded; open the console to explore it")
        except Exception as exc:  # noqa: BLE001 - the platform keeps running without the story
            log.warning("demo load failed: %s", exc)

    def _traffic(self, halt: threading.Event) -> None:
        from assetguard.demo.traffic import TrafficGenerator

        while not halt.is_set() and not self._proxy_up():
            halt.wait(1.0)
        while not halt.is_set():
            try:
                report = TrafficGenerator(self.target, rate=self.rate, duration=self.round_seconds,
                                          attack_share=0.25).run(halt)
            except Exception as exc:  # noqa: BLE001 - e.g. a non-loopback listen address: stop, keep up running
                log.warning("demo traffic stopped: %s", exc)
                return
            self.sent += report.sent
            self.blocked += report.blocked
            if report.sent and report.errors == report.sent:
                halt.wait(5.0)  # proxy or app down: back off instead of spinning

    def _proxy_up(self) -> bool:
        try:
            return httpx.get(self.target + "/was/health", headers={"User-Agent": "assetguard-demo"}, timeout=2,
                             trust_env=False).status_code < 500
        except httpx.HTTPError:
            return False


def demo_background(platform: Platform) -> Any:
    """Factory with the component registry's signature (used by ``up --demo``)."""
    return DemoBackground(platform)
