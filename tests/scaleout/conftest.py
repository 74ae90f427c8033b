"""Scale-out fixtures: real ``assetguard`` processes, each with its own data directory (as
separate hosts would have), sharing one PostgreSQL database, a NATS stream and Redis.

    def test_two_apis(cluster: Cluster) -> None:
        a = cluster.start("api-a", "api", http=True)      # waits for /healthz
        b = cluster.start("api-b", "api", http=True)
        worker = cluster.start("worker", "worker")
        ...
        assert worker.terminate() == 0                      # SIGTERM, bounded wait

``cluster.env`` holds what every process shares (database, bus, Redis, secret key); pass
``env={...}`` to ``start`` for one process's own variables. A process's output goes to
``<data dir>/output.log`` (``proc.output()``), quoted when a wait fails. Every process still
running at the end of the test is sent SIGTERM, then SIGKILL.

Needs ``ASSETGUARD_TEST_POSTGRES_URL`` (and ``ASSETGUARD_TEST_NATS_URL`` /
``ASSETGUARD_TEST_REDIS_URL`` for the fixtures that use them); without them the tests skip
with that reason (CI sets them).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database, nats_test_stream, need_service

REDIS_URL = os.environ.get("ASSETGUARD_TEST_REDIS_URL")
SECRET = "scaleout-secret-key-0123456789abcdef"
START_TIMEOUT = 120.0  # a cold start imports a lot; the CI box has 2 busy cores
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Proc:
    """One running ``python -m assetguard <args>`` with its own data directory."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], data_dir: Path,
                 port: int | None) -> None:
        self.name = name
        self.args = args
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}" if port else ""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / "output.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "assetguard", *args], env=env, cwd=data_dir,
                                      stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def describe(self) -> str:
        state = "running" if self.alive else f"exited {self.popen.returncode}"
        return f"{self.name} ({' '.join(self.args)}; {state}); output:\n{self.output()[-4000:]}"

    def wait_healthz(self, timeout: float = START_TIMEOUT) -> None:
        """Until GET /healthz answers 200; fails early (with the output) if the process exits."""
        assert self.port, f"{self.name} has no HTTP port"
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive:
                raise AssertionError(f"{self.name} exited before answering /healthz: {self.describe()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer /healthz in {timeout:.0f} s: {self.describe()}")
            time.sleep(0.1)

    def wait_output(self, needle: str, timeout: float = START_TIMEOUT) -> None:
        """Until ``needle`` appears in the process's output."""
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if not self.alive:
                raise AssertionError(f"{self.name} exited before printing {needle!r}: {self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {needle!r} in {timeout:.0f} s: {self.describe()}")
            time.sleep(0.1)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status, waiting at most ``timeout`` seconds (fails with the output otherwise)."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout:.0f} s: {self.describe()}") from None

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then the exit status (fails if the process is still running after ``timeout``)."""
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL (a crash: no shutdown code runs)."""
        if self.alive:
            self.popen.kill()
        self.popen.wait(10)

    def close(self) -> None:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()


class Cluster:
    """Starts processes that share ``env`` and each get ``<root>/<name>`` as their data directory."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.procs: list[Proc] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, http: bool = False,
              wait: bool = True) -> Proc:
        """Start ``assetguard <args>``; with ``http=True`` it gets a free port (``--port`` for ``api``
        and ``up``) and, unless ``wait=False``, this returns once it answers /healthz."""
        data_dir = self.root / name
        port = free_port() if http else None
        argv = list(args)
        if port is not None and argv and argv[0] in ("api", "up"):
            argv += ["--host", "127.0.0.1", "--port", str(port)]
        full_env = {**os.environ, **self.env, "ASSETGUARD_DATA_DIR": str(data_dir / ".assetguard"), **(env or {})}
        full_env.pop("ASSETGUARD_CONFIG", None)
        proc = Proc(name, argv, full_env, data_dir, port)
        self.procs.append(proc)
        if http and wait:
            proc.wait_healthz()
        return proc

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
            ) -> subprocess.CompletedProcess[str]:
        """Run a short command (``db upgrade``, ``config check``) to completion."""
        full_env = {**os.environ, **self.env, "ASSETGUARD_DATA_DIR": str(self.root / "cli" / ".assetguard"),
                    **(env or {})}
        full_env.pop("ASSETGUARD_CONFIG", None)
        return subprocess.run([sys.executable, "-m", "assetguard", *args], env=full_env, cwd=self.root,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def token(self, role: str = "admin") -> str:
        """A new API token of ``role``, made directly in the shared (migrated) database."""
        from assetguard.auth.principal import SYSTEM
        from assetguard.core.settings import Settings
        from assetguard.runtime.platform import Platform

        settings = Settings(data_dir=self.root / "token" / ".assetguard",  # type: ignore[arg-type]
                            database_url=self.env["ASSETGUARD_DATABASE_URL"], secret_key=self.env.get("ASSETGUARD_SECRET_KEY"))
        platform = Platform.create(settings, upgrade=False)
        try:
            _info, plaintext = platform.tokens.create(f"scaleout-{role}-{uuid.uuid4().hex[:6]}", role, actor=SYSTEM)
        finally:
            platform.close()
        return plaintext

    def close(self) -> None:
        for proc in self.procs:
            proc.close()


# --- shared services ------------------------------------------------------------------------------

@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (no tables), dropped after the test."""
    with fresh_postgres_database("ag_so") as url:
        yield url


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str]]:
    """``(nats_url, stream)``: a stream name of this test's own, deleted afterwards."""
    with nats_test_stream("agso") as stream:
        yield stream


@pytest.fixture
def redis_url() -> str:
    return need_service("Redis", REDIS_URL, "ASSETGUARD_TEST_REDIS_URL")


@pytest.fixture
def cluster(tmp_path: Path, pg_empty_url: str) -> Iterator[Cluster]:
    """Processes on one fresh PostgreSQL database (no bus: the database outbox)."""
    c = Cluster(tmp_path, {"ASSETGUARD_DATABASE_URL": pg_empty_url, "ASSETGUARD_SECRET_KEY": SECRET,
                           "ASSETGUARD_LOG_LEVEL": "info"})
    yield c
    c.close()


@pytest.fixture
def nats_cluster(cluster: Cluster, nats_stream: tuple[str, str]) -> Cluster:
    """``cluster`` plus NATS JetStream as the bus (a stream of this test's own)."""
    url, stream = nats_stream
    cluster.env.update({"ASSETGUARD_BUS_URL": url, "ASSETGUARD_EVENTS__STREAM": stream})
    return cluster


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    """The URL of a loopback upstream that answers every GET 200 (keep-alive), for proxies under test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
