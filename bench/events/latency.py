"""End-to-end latency, ``put_events`` → Slack receiver, on the embedded default (SQLite + in-process worker).

A real HTTP receiver on 127.0.0.1 plays Slack's incoming webhook. Events are put one per call at
a steady rate (default 200/s for 10 s); latency is from just before ``put_events`` to the moment
the receiver has read the request. One event, then 20 more at the rate, warm the pipeline first;
the first one's latency (a cold worker) is reported as ``first_ms``, apart from the percentiles. Slack's per-webhook limit (1 message/s) is lifted for the run
(``rate_per_second: 1000`` on the target), since the point is the pipeline's own latency.
The receiver answers with Nagle's algorithm off, as Slack's servers do: with it on, a keep-alive
answer written as headers then body waits ~40 ms for the client's delayed ACK, which held every
delivery thread 44 ms per message in earlier runs. ``cpu_ms_per_event`` is the process's CPU time
(publisher, worker, delivery threads and receiver together) per event while the events flow.

    .venv/bin/python -m bench.events.latency                 # 200 events/s for 10 s
    .venv/bin/python -m bench.events.latency --rate 200 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from assetguard.auth.principal import SYSTEM
from assetguard.core.settings import Settings
from assetguard.events.put_events import put_events
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform

ID = re.compile(r"id `([^`]+)`")


def receiver(arrivals: dict[str, float]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.perf_counter()
            match = ID.search(body.decode())
            if match:
                arrivals.setdefault(match.group(1), now)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    arrivals: dict[str, float] = {}
    sent: dict[str, float] = {}
    server = receiver(arrivals)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench-secret-key-0123456789abcdef",  # type: ignore[arg-type]
                            slack={"webhook_url": f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X"},
                            outbound={"allow_cidrs": ["127.0.0.0/8"]})
        platform = Platform.create(settings)
        RuleStore(platform).put(Rule.model_validate({
            "name": "bench", "pattern": {"source": ["bench.latency"]},
            "targets": [{"id": "slack", "type": "slack", "rate_per_second": 1000}]}), actor=SYSTEM)
        worker = EventWorker(platform, install_defaults=False)
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_until_complete, args=(worker.run(stop),), daemon=True)
        thread.start()
        # Warm-up, not timed with the rest: the first delivery builds the rule index, the Slack
        # target's HTTP client and its templates (about a second on this machine), which would
        # otherwise put every event of the first second and a half above the p90. Its latency is
        # reported on its own as ``first_ms``.
        t0 = time.perf_counter()
        first = put_events(platform, [{"Source": "bench.latency", "DetailType": "Bench", "Detail": {"i": -1}}])
        first_id = first["Entries"][0]["EventId"]
        deadline = time.perf_counter() + 30
        while first_id not in arrivals and time.perf_counter() < deadline:
            time.sleep(0.001)
        first_ms = (arrivals[first_id] - t0) * 1000 if first_id in arrivals else None
        for i in range(20):
            put_events(platform, [{"Source": "bench.latency", "DetailType": "Bench", "Detail": {"i": -2 - i}}])
            time.sleep(1 / args.rate)
        time.sleep(0.5)
        arrivals.clear()
        total = int(args.rate * args.seconds)
        cpu0 = time.process_time()
        start = time.perf_counter()
        for i in range(total):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            result = put_events(platform, [{"Source": "bench.latency", "DetailType": "Bench", "Detail": {"i": i}}])
            sent[result["Entries"][0]["EventId"]] = t0
        achieved = total / (time.perf_counter() - start)
        deadline = time.perf_counter() + 30
        while len(arrivals) < total and time.perf_counter() < deadline:
            time.sleep(0.05)
        cpu_ms = (time.process_time() - cpu0) * 1000 / total
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        platform.close()
    server.shutdown()
    latencies = [(arrivals[k] - v) * 1000 for k, v in sent.items() if k in arrivals]
    print(json.dumps({
        "events": total, "delivered": len(latencies), "target_rate": args.rate, "achieved_rate": round(achieved, 1),
        "p50_ms": round(statistics.median(latencies), 1), "p90_ms": round(percentile(latencies, 0.90), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
        "first_ms": round(first_ms, 1) if first_ms is not None else None,
        "cpu_ms_per_event": round(cpu_ms, 2),
        "load_average": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
