"""Fail fast, stop always: a process that cannot reach its bus or database exits within the set
time with one line naming the URL (password masked) and the cause; SIGTERM stops a process that
is stuck; ``config check`` refuses a malformed bus URL instead of falling back to the outbox."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaleout.conftest import SECRET, Cluster, free_port

TIMEOUT = 3  # connect_timeout_seconds in these tests


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


class Blackhole:
    """A TCP port that accepts connections and never says anything (a hung server)."""

    def __init__(self, port: int, held: list[socket.socket]) -> None:
        self.port = port
        self.held = held


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not done.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield Blackhole(server.getsockname()[1], held)
    done.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_worker_with_unreachable_bus_exits_with_one_line(cluster: Cluster) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    started = time.monotonic()
    worker = cluster.start("worker", "worker", env={"ASSETGUARD_BUS_URL": url,
                                                    "ASSETGUARD_CONNECT_TIMEOUT_SECONDS": str(TIMEOUT)})
    assert worker.wait(60) == 2, worker.describe()
    took = time.monotonic() - started
    out = worker.output()
    assert "Traceback" not in out, out
    [line] = error_lines(out)
    assert url in line and f"within {TIMEOUT} s" in line and "ConnectionRefusedError" in line, line
    assert "bus_url" in line
    assert took < TIMEOUT + 45, took  # start-up (imports, migrations check) plus the set time
    # One line per failed attempt at most every 10 s, not a traceback every 2 s.
    assert out.count("NATS at") <= 2, out


def test_unreachable_database_exits_with_one_line_and_a_masked_password(tmp_path: Path) -> None:
    port = free_port()
    cluster = Cluster(tmp_path, {"ASSETGUARD_DATABASE_URL": f"postgresql://ag:s3cret-pw@127.0.0.1:{port}/ag",
                                 "ASSETGUARD_SECRET_KEY": SECRET,
                                 "ASSETGUARD_CONNECT_TIMEOUT_SECONDS": str(TIMEOUT)})
    try:
        worker = cluster.start("worker", "worker")
        assert worker.wait(60) == 2, worker.describe()
        out = worker.output()
        assert "Traceback" not in out and "s3cret-pw" not in out, out
        [line] = error_lines(out)
        assert f"postgresql+psycopg://ag:***@127.0.0.1:{port}/ag" in line and "database_url" in line, line
        assert "refused" in line.lower(), line
    finally:
        cluster.close()


def test_sigterm_stops_a_worker_stuck_connecting(cluster: Cluster, blackhole: Blackhole) -> None:
    worker = cluster.start("worker", "worker", env={"ASSETGUARD_BUS_URL": f"nats://127.0.0.1:{blackhole.port}",
                                                    "ASSETGUARD_CONNECT_TIMEOUT_SECONDS": "120"})
    deadline = time.monotonic() + 60
    while not blackhole.held:  # it is waiting for a handshake that never comes
        assert worker.alive and time.monotonic() < deadline, worker.describe()
        time.sleep(0.1)
    time.sleep(0.5)
    stopping = time.monotonic()
    assert worker.terminate(timeout=30) == 0, worker.describe()
    assert time.monotonic() - stopping < 25
    assert "Traceback" not in worker.output(), worker.output()


def test_a_malformed_bus_url_is_refused_not_replaced_by_the_outbox(tmp_path: Path) -> None:
    typo = "nats//127.0.0.1:4222"
    check = Cluster(tmp_path, {"ASSETGUARD_BUS_URL": typo}).run("config", "check")
    assert check.returncode == 2, check
    [line] = check.stderr.strip().splitlines()
    assert "ASSETGUARD_BUS_URL" in line and typo in line, line
    # The worker refuses too: no silent fallback to the database outbox.
    worker = Cluster(tmp_path, {"ASSETGUARD_BUS_URL": "http://127.0.0.1:4222"}).run("worker")
    assert worker.returncode == 2, worker
    [line] = worker.stderr.strip().splitlines()
    assert "ASSETGUARD_BUS_URL" in line and "has scheme 'http'" in line, line


def _hold(port: int) -> socket.socket | None:
    """Listen on ``port`` unless something else already does (either way, it is taken)."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    sock.listen(1)
    return sock


def test_a_taken_metrics_port_stops_a_process_only_when_it_was_chosen(cluster: Cluster) -> None:
    """Two workers (or schedulers) on one host cannot share a metrics port: a port named with
    --metrics-port that is taken is one error line naming it; a taken default port leaves the
    process running without metrics, with one warning naming the option."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    held = [_hold(9464), _hold(9465)]  # the defaults: taken by us, or by someone else already
    try:
        for command in ("worker", "scheduler"):
            result = cluster.run(command, "--metrics-port", str(port))
            assert result.returncode == 2, result
            [line] = error_lines(result.stderr)
            assert line.startswith("error: --metrics-port: ") and f"127.0.0.1:{port}" in line, line
            assert "Traceback" not in result.stderr, result.stderr
        worker = cluster.start("worker", "worker")
        scheduler = cluster.start("scheduler", "scheduler")
        for proc, default in ((worker, 9464), (scheduler, 9465)):
            proc.wait_output(f"metrics not served: 127.0.0.1:{default} (the default --metrics-port) is in use")
            time.sleep(0.5)
            assert proc.alive, proc.describe()
            assert proc.terminate() == 0, proc.describe()
    finally:
        taken.close()
        for sock in held:
            if sock is not None:
                sock.close()
