"""Throughput of the NATS JetStream backend with 1 and with 2 ``assetguard worker`` processes.

Each run gets a fresh PostgreSQL database and a fresh stream on the local servers, 1,000
realistic rules (those of ``bench.events.matching``) plus one rule sending the benchmark's events
to a Slack target, and ``--workers`` real ``assetguard worker`` processes
(``ASSETGUARD_BUS_URL=nats://...``). Once every worker is connected, ``--events`` ~1 KB events
are committed to the outbox in one transaction; the clock runs until a real HTTP receiver on
127.0.0.1 (playing Slack's webhook, its 1 msg/s limit lifted with ``rate_per_second``) has
received every one. That covers relay to the stream, the shared durable consumer, matching,
delivery records, claiming and the HTTP delivery. Worker start-up is not timed.

    .venv/bin/python -m bench.events.nats_workers                     # 1 then 2 workers, 5,000 events
    .venv/bin/python -m bench.events.nats_workers --workers 2 --events 2000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from assetguard.auth.principal import SYSTEM
from assetguard.core.settings import Settings
from assetguard.events.envelope import make_event
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.runtime.platform import Platform
from bench.events.latency import receiver
from bench.events.matching import make_rule

SOURCE = "bench.nats"


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"agbench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def delete_stream(nats_url: str, stream: str) -> None:
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def run() -> None:
        nc = await nats.connect(nats_url)
        with contextlib.suppress(NotFoundError):  # never created: a run that failed early
            await nc.jetstream().delete_stream(stream)
        await nc.close()

    asyncio.run(run())


def bench_event(rng: random.Random, i: int) -> dict[str, Any]:
    """A ~1 KB envelope shaped like the matching benchmark's, from the benchmark's source."""
    from bench.events.matching import make_event as matching_event

    shape = matching_event(rng, i)
    return make_event(SOURCE, "Bench Event", shape["detail"], resources=shape["resources"],
                      account=shape["account"], region=shape["region"])


def run(workers: int, events: int, rules: int, db_admin_url: str, nats_url: str, timeout: float) -> dict[str, Any]:
    arrivals: dict[str, float] = {}
    server = receiver(arrivals)
    db_name, db_url = fresh_database(db_admin_url)
    stream = f"agbench-{uuid.uuid4().hex[:10]}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hook = f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X"
            env = {**os.environ, "ASSETGUARD_DATA_DIR": str(Path(tmp) / ".ag"), "ASSETGUARD_DATABASE_URL": db_url,
                   "ASSETGUARD_SECRET_KEY": "bench-secret-key-0123456789abcdef", "ASSETGUARD_BUS_URL": nats_url,
                   "ASSETGUARD_EVENTS__STREAM": stream, "ASSETGUARD_SLACK__WEBHOOK_URL": hook,
                   "ASSETGUARD_OUTBOUND__ALLOW_CIDRS": '["127.0.0.0/8"]'}
            settings = Settings(data_dir=Path(tmp) / ".ag", database_url=db_url,  # type: ignore[arg-type]
                                secret_key="bench-secret-key-0123456789abcdef", slack={"webhook_url": hook},
                                outbound={"allow_cidrs": ["127.0.0.0/8"]})
            platform = Platform.create(settings)  # migrates; this process only writes rules and the outbox
            documents = [{"name": f"generated-{i}", "pattern": make_rule(random.Random(7 + i)), "targets": []}
                         for i in range(rules)]
            documents.append({"name": "bench", "pattern": {"source": [SOURCE]},
                              "targets": [{"id": "slack", "type": "slack", "rate_per_second": 10000}]})
            RuleStore(platform).put_many([Rule.model_validate(d) for d in documents], actor=SYSTEM)
            code = "from assetguard.cli.main import main; main()"
            for _ in range(workers):
                procs.append(subprocess.Popen([sys.executable, "-c", code, "worker", "--metrics-port", "0"],
                                              env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            # Ready when a probe event put through the bus has been delivered (every worker is then
            # connected to the stream, or about to be: the consumer is shared).
            probe = make_event(SOURCE, "Bench Event", {"probe": True})
            platform.bus.enqueue([probe])  # type: ignore[attr-defined]
            ready_by = time.perf_counter() + 120
            while probe["id"] not in arrivals:
                if time.perf_counter() > ready_by or any(p.poll() is not None for p in procs):
                    raise RuntimeError("workers did not start: " + " | ".join(
                        (p.stderr.read() if p.stderr and p.poll() is not None else b"").decode()[-500:]
                        for p in procs))
                time.sleep(0.05)
            time.sleep(2.0)  # let every worker finish connecting
            rng = random.Random(42)
            batch = [bench_event(rng, i) for i in range(events)]
            size = sum(len(json.dumps(e)) for e in batch) / len(batch)
            wanted = {str(e["id"]) for e in batch}
            load_before = os.getloadavg()[0]
            cpu_before = _children_cpu(procs)
            start = time.perf_counter()
            platform.bus.enqueue(batch)  # type: ignore[attr-defined]
            deadline = start + timeout
            while not wanted <= arrivals.keys() and time.perf_counter() < deadline:
                time.sleep(0.02)
            delivered = len(wanted & arrivals.keys())
            elapsed = max(arrivals[k] for k in wanted & arrivals.keys()) - start if delivered else float("nan")
            cpu = _children_cpu(procs) - cpu_before
            platform.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        server.shutdown()
        delete_stream(nats_url, stream)
        drop_database(db_admin_url, db_name)
    return {"workers": workers, "events": events, "delivered": delivered, "rules": rules + 1,
            "event_bytes": round(size), "seconds": round(elapsed, 2), "events_per_s": round(delivered / elapsed, 1),
            "worker_cpu_s": round(cpu, 1) if cpu == cpu else None,
            "load_average": round(max(load_before, os.getloadavg()[0]), 1)}


def _children_cpu(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU seconds of the worker processes (Linux /proc), NaN elsewhere."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in procs:
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, action="append", help="worker processes (repeatable; default 1 and 2)")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rules", type=int, default=1000, help="generated rules besides the benchmark's own")
    parser.add_argument("--database-admin-url", default=os.environ.get(
        "ASSETGUARD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--nats-url", default=os.environ.get("ASSETGUARD_BENCH_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    for count in args.workers or [1, 2]:
        print(json.dumps(run(count, args.events, args.rules, args.database_admin_url, args.nats_url, args.timeout)),
              flush=True)


if __name__ == "__main__":
    main()
