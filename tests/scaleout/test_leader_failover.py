"""Two ``assetguard scheduler`` processes on PostgreSQL; the leader's database session is
terminated (``pg_terminate_backend``, as in a network blip). The old leader steps down, the
follower takes over, and no job slot runs twice."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from assetguard.db.engine import normalise_url
from assetguard.runtime.leader import LOCK_KEY
from tests.scaleout.conftest import Cluster
from tests.scaleout.plugins.scaleout_tick import INTERVAL

PLUGINS = Path(__file__).parent / "plugins"
CHECK = 1.0


def executions(log: Path) -> list[tuple[int, float, float]]:
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text().splitlines() if line.strip()]
    return sorted((int(pid), float(start), float(end)) for pid, start, end in rows)


def wait_for_ticks(log: Path, pid: int, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for p, _s, _e in executions(log) if p == pid) < count:
        assert time.monotonic() < deadline, f"process {pid} did not run {count} ticks: {executions(log)}"
        time.sleep(0.2)


def test_terminated_leader_steps_down_and_no_slot_runs_twice(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "ticks.log"
    env = {"PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "SCALEOUT_TICK_LOG": str(log), "ASSETGUARD_SCHEDULER__CHECK_SECONDS": str(CHECK),
           "ASSETGUARD_SCHEDULER__LEASE_SECONDS": "4", "ASSETGUARD_TELEMETRY__ENABLED": "false"}
    upgraded = cluster.run("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    first = cluster.start("scheduler-a", "scheduler", "--metrics-port", "0", env=env)
    first.wait_output("scheduler leads")
    second = cluster.start("scheduler-b", "scheduler", "--metrics-port", "0", env=env)
    second.wait_output("scheduler follows")
    wait_for_ticks(log, first.pid, 2)

    engine = create_engine(normalise_url(cluster.env["ASSETGUARD_DATABASE_URL"]), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
                                        "AND granted"), {"k": LOCK_KEY}).scalar()
            assert backend is not None, first.describe()
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar()
        cut = time.time()
        first.wait_output("scheduler lease lost", timeout=5 * CHECK + 10)
        second.wait_output("scheduler leads", timeout=5 * CHECK + 10)
        wait_for_ticks(log, second.pid, 2)
        assert first.alive, first.describe()  # it steps down and follows; it does not die
        assert first.terminate() == 0, first.describe()
        assert second.terminate() == 0, second.describe()

        with engine.connect() as conn:
            runs = conn.execute(text("SELECT slot, token, holder, status FROM scheduler_runs "
                                     "WHERE job = 'scaleout.tick' ORDER BY slot")).all()
            lease_token = conn.execute(text("SELECT token FROM scheduler_lease")).scalar()
    finally:
        engine.dispose()

    done = executions(log)
    slots = [int(start // INTERVAL) for _pid, start, _end in done]
    assert len(slots) == len(set(slots)), f"a slot ran twice: {done}"
    for (_p1, _s1, end1), (_p2, start2, _e2) in zip(done, done[1:], strict=False):
        assert start2 >= end1, f"two runs overlapped: {done}"
    # The old leader ran nothing after the cut (beyond a run it had already started).
    assert all(start < cut for pid, start, _end in done if pid == first.pid), done
    assert {int(r.slot) for r in runs} >= set(slots)  # every execution was a claimed slot
    assert {int(r.token) for r in runs} == {1, 2} and lease_token == 2, runs
    assert "Traceback" not in first.output() + second.output(), first.describe() + second.describe()
