"""``POST /events`` ingest speed: one ``assetguard api`` process on PostgreSQL, keep-alive load from wrk.

Each tree measured (the current one, and with ``--anchor DIR`` a checkout of another commit, whose
``src/`` goes first on ``PYTHONPATH``) gets a throwaway PostgreSQL database created on the server
named by ``--db``, and a real ``assetguard api`` process on 127.0.0.1 (as a user starts it: uvicorn,
telemetry on, no worker) with an operator token. ``wrk`` (one thread, ``--connections`` keep-alive
connections, a Lua script) then posts single-entry requests and batches of 10 for ``--seconds``
each, after a 2-second warm-up; the trees take turns, so both see the same machine. Each entry is
~300 bytes (a Detail of ~200 bytes as JSON text, one resource), as an application would send.

Printed per run: requests/s, entries/s, latency p50/p99 (wrk's), the server process's CPU time per
request, and the check: every answer with ``"FailedEntryCount":0`` is counted by the Lua script, and
the rows of that run's source in ``event_outbox`` must number at least the accepted entries and at
most the accepted entries plus those of the requests still in flight when wrk stopped (one per
connection). A run whose figures do not pass the check says ``LOST`` and the exit status is 1.

    .venv/bin/python -m bench.events.ingest --db postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.events.ingest --db ... --anchor /tmp/anchor --seconds 10 --rounds 2
    .venv/bin/python -m bench.events.ingest --db ... --set ASSETGUARD_TELEMETRY__ENABLED=false
    .venv/bin/python -m bench.events.ingest --db ... --nice -10    # a shared machine, as root

Load targets 127.0.0.1 only; every wrk run is bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

LUA = r"""
wrk.method = "POST"
wrk.path = "/events"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.body = %(body)s
ok = 0
bad = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status == 200 and string.find(body, '"FailedEntryCount":0', 1, true) then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("AG_RESULT ok=%%d bad=%%d\n", o, b))
end
"""

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def entry(source: str, i: int) -> dict[str, Any]:
    detail = {"orderId": f"o-{i:08d}", "customer": {"id": "c-4711", "tier": "gold", "region": "eu-west-1"},
              "items": [{"sku": "sku-123", "qty": 2, "price": 19.99}, {"sku": "sku-987", "qty": 1, "price": 5.5}],
              "total": 45.48, "currency": "EUR", "channel": "web"}
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail),
            "Resources": [f"arn:aws:shop:eu-west-1:123456789012:order/o-{i:08d}"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    name = f"agbench_ingest_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class Server:
    label: str
    tree: Path | None
    db_url: str
    extra_env: dict[str, str]
    niceness: int = 0
    port: int = 0
    token: str = ""
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="agbench-ingest-")))

    def env(self) -> dict[str, str]:
        env = {**os.environ, "ASSETGUARD_DATA_DIR": str(self.workdir / ".ag"), "ASSETGUARD_DATABASE_URL": self.db_url,
               "ASSETGUARD_SECRET_KEY": "bench-secret-key-0123456789abcdef", "ASSETGUARD_LOG_LEVEL": "warning",
               **self.extra_env}
        if self.tree is not None:
            env["PYTHONPATH"] = str(self.tree / "src") + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def start(self) -> None:
        self.port = free_port()
        code = "from assetguard.cli.main import main; main()"
        self.proc = subprocess.Popen([*nice(self.niceness), sys.executable, "-c", code, "api", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env(), cwd=self.workdir, stdout=subprocess.DEVNULL,
                                     stderr=open(self.workdir / "server.log", "wb"))
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.label}: assetguard api exited ({self.proc.returncode}); "
                                 f"see {self.workdir / 'server.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.label}: assetguard api did not answer /healthz within 120 s")
            time.sleep(0.2)
        created = subprocess.run([sys.executable, "-c", code, "token", "create", "--name", "bench-ingest",
                                  "--role", "operator"], env=self.env(), cwd=self.workdir, capture_output=True,
                                 text=True, check=False)
        match = re.search(r"\b(ag_[0-9a-f]{8}_[A-Za-z0-9_-]{20,})", created.stdout)
        if not match:
            raise SystemExit(f"{self.label}: token create failed: {created.stdout}{created.stderr}")
        self.token = match.group(1)

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def nice(niceness: int) -> list[str]:
    return ["nice", "-n", str(niceness)] if niceness else []


def parse_latency(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def run_wrk(server: Server, batch: int, seconds: float, connections: int, source: str) -> dict[str, Any]:
    body = json.dumps({"Entries": [entry(source, i) for i in range(batch)]}, separators=(",", ":"))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"token": server.token, "body": lua_string(body)})
    try:
        cmd = [*nice(server.niceness), "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
               "-s", script.name, f"http://127.0.0.1:{server.port}/events"]
        cpu0 = server.cpu_seconds()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
        cpu = server.cpu_seconds() - cpu0
    finally:
        os.unlink(script.name)
    result = re.search(r"AG_RESULT ok=(\d+) bad=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (result and rps and p50 and p99):
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    ok, bad = int(result.group(1)), int(result.group(2))
    return {"ok": ok, "bad": bad, "rps": float(rps.group(1)), "p50_ms": parse_latency(p50.group(1)),
            "p99_ms": parse_latency(p99.group(1)), "cpu_ms_per_request": 1e3 * cpu / max(1, ok + bad),
            "errors": " ".join(re.findall(r"Socket errors: .*|Non-2xx.*", out))}


def outbox_rows(db_url: str, source: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM event_outbox WHERE source = :s"), {"s": source})
                       .scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("ASSETGUARD_BENCH_POSTGRES_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL database to connect to for creating the throwaway ones")
    parser.add_argument("--anchor", type=Path, help="a checkout of the anchor commit, measured in the same run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--batches", default="1,10", help="entries per request, comma-separated")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--nice", type=int, default=0, metavar="N",
                        help="run the servers and wrk at this niceness (e.g. -10 as root on a shared machine, so "
                             "other tenants' jobs take less of their CPU; PostgreSQL keeps its own)")
    parser.add_argument("--set", action="append", default=[], metavar="ENV=VALUE",
                        help="extra environment for the servers (e.g. ASSETGUARD_TELEMETRY__ENABLED=false)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    extra = dict(item.split("=", 1) for item in args.set)
    batches = [int(b) for b in args.batches.split(",")]
    trees: list[tuple[str, Path | None]] = [("current", None)]
    if args.anchor is not None:
        if not (args.anchor / "src" / "assetguard").is_dir():
            raise SystemExit(f"--anchor {args.anchor}: no src/assetguard there")
        trees.insert(0, ("anchor", args.anchor.resolve()))
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, HEAD {head}, load {os.getloadavg()}, "
          f"{args.connections} connections, {args.seconds:g} s per run, niceness {args.nice}")
    failed = False
    with contextlib.ExitStack() as stack:
        servers = []
        for label, tree in trees:
            db_url = stack.enter_context(throwaway_database(args.db))
            server = Server(label, tree, db_url, extra, args.nice)
            stack.callback(server.stop)
            server.start()
            servers.append(server)
            if tree is not None:
                rev = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, check=False).stdout.strip()
                print(f"# anchor tree {tree} at {rev or '?'}")
        print(f"{'tree':8} {'batch':>5} {'req/s':>9} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'cpu ms/req':>10} {'accepted':>9} {'rows':>9} check")
        for rnd in range(args.rounds):
            for batch in batches:
                for server in servers:
                    run_wrk(server, batch, 2.0, args.connections, f"bench.warmup.{rnd}.{batch}")
                    source = f"bench.ingest.{rnd}.{batch}"
                    r = run_wrk(server, batch, args.seconds, args.connections, source)
                    accepted = r["ok"] * batch
                    rows = outbox_rows(server.db_url, source)
                    good = accepted <= rows <= accepted + args.connections * batch and r["bad"] == 0
                    failed |= not good
                    print(f"{server.label:8} {batch:>5} {r['rps']:>9,.0f} {r['rps'] * batch:>10,.0f} "
                          f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['cpu_ms_per_request']:>10.3f} "
                          f"{accepted:>9,} {rows:>9,} {'ok' if good else 'LOST'}"
                          f"{'' if not r['errors'] else '  ' + r['errors']}{'' if not r['bad'] else ' bad=' + str(r['bad'])}",
                          flush=True)
    print(f"# load after: {os.getloadavg()}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
