"""End-to-end latency through a running ``assetguard up``: ``POST /events`` → Slack receiver.

The whole platform runs as users run it (``assetguard up``: API, console, worker, scheduler and
WAF proxy in one process, SQLite, in-process bus) in a fresh directory, with
``ASSETGUARD_SLACK__WEBHOOK_URL`` pointing at a Slack stand-in on 127.0.0.1 in this process. A
rule sending ``source: bench.latency`` to Slack is put through the API with the first-start admin
token; then events are POSTed one per request at a steady rate, in turn over ``--connections``
keep-alive connections (default 4).
Latency is from just before the POST to the moment the stand-in has read the message.
``server_cpu_ms_per_event`` is the ``up`` process's CPU time per event while events flow.

    .venv/bin/python -m bench.events.latency_up                  # 200 events/s for 10 s
    .venv/bin/python -m bench.events.latency_up --rate 100 --seconds 5
    .venv/bin/python -m bench.events.latency_up --set ASSETGUARD_TELEMETRY__ENABLED=false
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.events.latency import percentile, receiver

TOKEN = re.compile(r"\b(ag_[0-9a-f]{8}_[A-Za-z0-9_-]{20,})")
BIN = Path(sys.executable).parent / "assetguard"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """One keep-alive connection to the platform's API."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        try:
            self.conn.request(method, path, body=json.dumps(body), headers=self.headers)
        except (BrokenPipeError, ConnectionResetError):
            # The server closed the idle keep-alive connection before this request was sent.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def put_event(self, i: int) -> str:
        status, answer = self.call("POST", "/events", {"Entries": [
            {"Source": "bench.latency", "DetailType": "Bench", "Detail": json.dumps({"i": i})}]})
        if status != 200 or answer["FailedEntryCount"]:
            raise SystemExit(f"POST /events answered {status}: {answer}")
        return str(answer["Entries"][0]["EventId"])


def start_platform(cwd: Path, webhook: str, extra: list[str]) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGUARD_")}
    env.update({"ASSETGUARD_SLACK__WEBHOOK_URL": webhook, "ASSETGUARD_OUTBOUND__ALLOW_CIDRS": '["127.0.0.0/8"]',
                "ASSETGUARD_WAF__LISTEN": f"127.0.0.1:{free_port()}",
                "ASSETGUARD_DEMO__APP_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"})
    env.update(item.split("=", 1) for item in extra)
    out = (cwd / "up.out").open("wb")
    proc = subprocess.Popen([str(BIN), "up", "--port", str(port)], cwd=cwd, env=env, stdout=out,
                            stderr=(cwd / "up.err").open("wb"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"assetguard up exited with {proc.returncode}: {(cwd / 'up.err').read_text()[-2000:]}")
        match = TOKEN.search((cwd / "up.out").read_text())
        if match:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return proc, port, match.group(1)
            except OSError:
                pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("assetguard up did not start within 120 s")


def setting(item: str) -> str:
    """``--set`` values: ``ASSETGUARD_NAME=value``."""
    name, eq, _value = item.partition("=")
    if not eq or not name.startswith("ASSETGUARD_"):
        raise argparse.ArgumentTypeError(f"expected ASSETGUARD_NAME=value, got {item!r}")
    return item


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections sending in turn")
    parser.add_argument("--set", action="append", default=[], type=setting, metavar="ASSETGUARD_X=V",
                        help="a setting for the platform process (its other ASSETGUARD_* are cleared)")
    args = parser.parse_args()
    arrivals: dict[str, float] = {}
    sent: dict[str, float] = {}
    server = receiver(arrivals)
    webhook = f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X"
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, token = start_platform(Path(tmp), webhook, args.set)
        try:
            api = Api(port, token)
            status, answer = api.call("PUT", "/rules/bench", {
                "name": "bench", "pattern": {"source": ["bench.latency"]},
                "targets": [{"id": "slack", "type": "slack", "rate_per_second": 1000}]})
            if status >= 300:
                raise SystemExit(f"PUT /rules/bench answered {status}: {answer}")
            # Warm-up, as in bench.events.latency: the first delivery builds the rule index and the
            # Slack client. The worker sees a rule put through the API within its rule-cache refresh,
            # so probe until one event gets through; the first probe's latency is ``first_ms``.
            t0 = time.perf_counter()
            first_ms = None
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline and not arrivals:
                probe_at = time.perf_counter()
                probe = api.put_event(-1)
                while probe not in arrivals and time.perf_counter() < probe_at + 1:
                    time.sleep(0.001)
                if probe in arrivals and first_ms is None:
                    first_ms = (arrivals[probe] - t0) * 1000
            if not arrivals:
                raise SystemExit("no probe event reached the Slack stand-in within 60 s")
            for i in range(20):
                api.put_event(-2 - i)
                time.sleep(1 / args.rate)
            time.sleep(0.5)
            arrivals.clear()
            platform_proc = psutil.Process(proc.pid)
            cpu0 = sum(platform_proc.cpu_times()[:2])
            total = int(args.rate * args.seconds)
            start = time.perf_counter()
            lock = threading.Lock()
            # Open loop over ``--connections`` keep-alive connections: event i is due at
            # start + i/rate and goes out on connection i % connections, as a server behind a few
            # clients sees it; one slow answer does not hold back the other connections.
            apis = [api] + [Api(port, token) for _ in range(args.connections - 1)]

            def send(k: int) -> None:
                for i in range(k, total, len(apis)):
                    delay = start + i / args.rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    t0 = time.perf_counter()
                    event_id = apis[k].put_event(i)
                    with lock:
                        sent[event_id] = t0

            senders = [threading.Thread(target=send, args=(k,)) for k in range(len(apis))]
            for thread in senders:
                thread.start()
            for thread in senders:
                thread.join()
            achieved = total / (time.perf_counter() - start)
            deadline = time.perf_counter() + 30
            while len(arrivals) < total and time.perf_counter() < deadline:
                time.sleep(0.05)
            cpu_ms = (sum(platform_proc.cpu_times()[:2]) - cpu0) * 1000 / total
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    server.shutdown()
    latencies = [(arrivals[k] - v) * 1000 for k, v in sent.items() if k in arrivals]
    if not latencies:
        raise SystemExit("no event reached the Slack stand-in")
    print(json.dumps({
        "events": total, "connections": args.connections, "delivered": len(latencies), "target_rate": args.rate, "achieved_rate": round(achieved, 1),
        "p50_ms": round(statistics.median(latencies), 1), "p90_ms": round(percentile(latencies, 0.90), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
        "first_ms": round(first_ms, 1) if first_ms is not None else None,
        "server_cpu_ms_per_event": round(cpu_ms, 2), "load_average": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
