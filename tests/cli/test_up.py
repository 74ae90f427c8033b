"""``assetguard up`` end to end: a real process in an empty directory, first-start admin token,
health, console URL, and a clean exit 0 on SIGTERM and on SIGINT."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assetguard.core.settings import load_settings

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent / "assetguard"
TOKEN = re.compile(r"\b(ag_[0-9a-f]{8}_[A-Za-z0-9_-]{20,})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any ASSETGUARD_* setting, plus private ports for extras."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGUARD_")}
    # Components other domains add (WAF proxy, demo app) must not collide with a real instance.
    demo_port = free_port()
    env.update({"ASSETGUARD_WAF__LISTEN": f"127.0.0.1:{free_port()}",
                "ASSETGUARD_WAF__UPSTREAM": f"http://127.0.0.1:{demo_port}",
                "ASSETGUARD_DEMO__APP_PORT": str(demo_port), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    env.update(extra)
    return env


class UpProcess:
    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = cwd / "up.out"
        self.err = cwd / "up.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen([str(BIN), "up", "--port", str(self.port), *args], cwd=cwd,
                                         env=env or clean_env(), stdout=out, stderr=err)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"up exited with {self.proc.returncode}: {self.err.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"/healthz did not answer in {timeout}s: {self.err.read_text()[-3000:]}")

    def stop(self, sig: signal.Signals, timeout: float = 10) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"up did not stop {timeout}s after {sig.name}") from None
        return code, time.monotonic() - started

    def output(self) -> str:
        return self.out.read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_up_in_an_empty_directory(tmp_path: Path, sig: signal.Signals) -> None:
    up = UpProcess(tmp_path)
    try:
        up.wait_healthy()
        out = up.output()
        assert f"http://127.0.0.1:{up.port}/" in out
        match = TOKEN.search(out)
        assert match, f"no admin token in the first-start output: {out}"
        headers = {"Authorization": f"Bearer {match.group(1)}"}
        tokens = httpx.get(up.url + "/tokens", headers=headers).json()
        assert [t["role"] for t in tokens] == ["admin"]
        assert httpx.post(up.url + "/tokens", headers=headers, json={"name": "ci", "role": "viewer"}).status_code == 201
        assert httpx.get(up.url + "/readyz").json()["status"] == "ok"
        assert httpx.get(up.url + "/", follow_redirects=True).url.path == "/login"
        assert (tmp_path / ".assetguard" / "assetguard.db").exists()
    finally:
        code, took = up.stop(sig)
    assert code == 0, f"exit {code} after {sig.name}: {up.err.read_text()[-2000:]}"
    # SHUTDOWN_GRACE is 5 s for all components together; the rest is slack for a loaded 2-core CI box.
    assert took < 10, f"stopping took {took:.1f}s"
    assert "Traceback" not in up.err.read_text()


def test_second_start_reuses_the_database_and_prints_no_new_token(tmp_path: Path) -> None:
    first = UpProcess(tmp_path)
    first.wait_healthy()
    assert first.stop(signal.SIGTERM)[0] == 0
    second = UpProcess(tmp_path)
    try:
        second.wait_healthy()
        out = second.output()
        assert TOKEN.search(out) is None
        assert "assetguard token create" in out
    finally:
        assert second.stop(signal.SIGTERM)[0] == 0


def test_init_writes_a_config_that_loads_and_up_uses_it(tmp_path: Path) -> None:
    env = clean_env()
    done = subprocess.run([str(BIN), "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    config = tmp_path / "assetguard.yaml"
    settings = load_settings(config)
    assert settings.api.port == 8080 and settings.waf.acl == "baseline"
    again = subprocess.run([str(BIN), "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists" in again.stdout + again.stderr
    config.write_text(config.read_text().replace("data_dir: .assetguard", "data_dir: state"))
    up = UpProcess(tmp_path, env=env)
    try:
        up.wait_healthy()
    finally:
        assert up.stop(signal.SIGTERM)[0] == 0
    assert (tmp_path / "state" / "assetguard.db").exists()


def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([str(BIN), "up", "--port", str(port)], cwd=tmp_path, env=clean_env(),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: api.port: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr and not (tmp_path / ".assetguard").exists()


def test_stop_components_waits_together_and_cancels_stragglers(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from assetguard.cli.up import stop_components

    class Polite:
        name = "polite"

        async def run(self, stop: asyncio.Event) -> None:
            await stop.wait()
            await asyncio.sleep(0.3)

    class Stubborn:
        name = "stubborn"
        cancelled = False

        async def run(self, stop: asyncio.Event) -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                Stubborn.cancelled = True
                raise

    async def scenario() -> float:
        stop = asyncio.Event()
        comps = [Polite(), Polite(), Stubborn()]
        running = [(c, asyncio.create_task(c.run(stop))) for c in comps]
        await asyncio.sleep(0)
        stop.set()
        started = time.monotonic()
        await stop_components(running, grace=1.0)  # type: ignore[arg-type]
        return time.monotonic() - started

    took = asyncio.run(scenario())
    assert 0.9 < took < 2.5  # two polite ones finish in parallel; the stubborn one is cancelled at 1 s
    assert Stubborn.cancelled
    assert "component stubborn did not stop in 1 s; cancelling" in caplog.text
