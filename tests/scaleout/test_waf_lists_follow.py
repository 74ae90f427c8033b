"""The managed IP lists live in the database: two schedulers (one leads) refresh them once from
``waf.list_sources``, and two ``waf proxy`` processes, each with its own data directory, block the
newly listed address within seconds, without a restart; nothing is written to any data directory."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from sqlalchemy import select

from tests.scaleout.conftest import Cluster, Proc, free_port


def _status(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/user/profile", timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _until(check, timeout: float, what: str, procs: list[Proc]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s; " + "; ".join(p.describe() for p in procs))
        time.sleep(0.2)


def test_one_scheduled_refresh_serves_every_proxy(cluster: Cluster, upstream: str) -> None:
    cluster.env["ASSETGUARD_TELEMETRY__ENABLED"] = "false"
    ports = [free_port(), free_port()]
    proxies = [cluster.start(f"proxy-{i}", "waf", "proxy", "--listen", f"127.0.0.1:{port}",
                             "--upstream", upstream) for i, port in enumerate(ports)]
    for proxy in proxies:
        proxy.wait_output("WAF proxy on")
    assert [_status(port) for port in ports] == [200, 200]  # loopback is in no shipped list

    feed = cluster.root / "feeds" / "anonymous.txt"
    feed.parent.mkdir()
    feed.write_text("# this test's own anonymous list\n127.0.0.1/32\n")
    sources = {"ASSETGUARD_WAF__LIST_SOURCES": json.dumps({"anonymous": [str(feed)]})}
    schedulers = [cluster.start(f"scheduler-{i}", "scheduler", "--metrics-port", "0", env=sources) for i in range(2)]
    procs = [*proxies, *schedulers]
    _until(lambda: [_status(port) for port in ports] == [403, 403], 60,
           "both proxies did not block the newly listed address", procs)
    for proc in procs:
        assert proc.alive, proc.describe()

    from assetguard.db.engine import Database
    from assetguard.runtime.tables import scheduler_runs
    from assetguard.waf.store import MANAGED_LIST_KIND, WafStore

    database = Database(cluster.env["ASSETGUARD_DATABASE_URL"])
    try:
        stored = WafStore(database).versions(MANAGED_LIST_KIND, "anonymous")
        assert [(v.version, v.created_by) for v in stored] == [(1, "scheduler")]  # one refresh, by the leader
        with database.connect() as conn:
            runs = conn.execute(select(scheduler_runs.c.status).where(
                scheduler_runs.c.job == "waf.lists.refresh")).scalars().all()
        assert runs == ["ok"]
        beats = WafStore(database).proxies(alive_seconds=30)
        generation = WafStore(database).state().generation
        assert len(beats) == 2 and all(b["generation"] == generation for b in beats), beats
    finally:
        database.dispose()
    for proc in procs:
        assert proc.terminate() == 0, proc.describe()
    written = [p for p in cluster.root.rglob("*.txt") if p != feed]
    assert written == [], written  # no list was written under any process's data directory
