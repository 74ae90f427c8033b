"""SIGTERM stops ``waf proxy`` and ``up`` (all parts in one process), each with its own data
directory on one PostgreSQL database and NATS, with status 0 within the grace period. (``api``,
``worker`` and ``scheduler`` are stopped the same way by the other tests of this folder, and a
worker stuck connecting by test_fail_fast.)"""

from __future__ import annotations

import signal
import time

from tests.scaleout.conftest import Cluster, free_port

GRACE = 25.0  # the 20 s hard stop plus room for a busy CI box


def test_sigterm_stops_up_and_the_waf_proxy(nats_cluster: Cluster) -> None:
    cluster = nats_cluster
    cluster.env["ASSETGUARD_TELEMETRY__ENABLED"] = "false"
    upstream = f"http://127.0.0.1:{free_port()}"
    procs = {
        "waf proxy": cluster.start("proxy", "waf", "proxy", "--listen", f"127.0.0.1:{free_port()}",
                                   "--upstream", upstream),
        "up": cluster.start("up", "up", http=True, wait=False,
                            env={"ASSETGUARD_WAF__LISTEN": f"127.0.0.1:{free_port()}",
                                 "ASSETGUARD_WAF__UPSTREAM": upstream,
                                 "ASSETGUARD_DEMO__APP_PORT": str(free_port())}),
    }
    procs["up"].wait_healthz()
    procs["waf proxy"].wait_output("WAF proxy on")
    for name, proc in procs.items():
        assert proc.alive, f"{name}: {proc.describe()}"
    started = time.monotonic()
    for proc in procs.values():
        proc.popen.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        code = proc.wait(GRACE)
        assert code == 0, f"{name} exited {code}: {proc.describe()}"
        assert "Traceback" not in proc.output(), f"{name}: {proc.describe()}"
    assert time.monotonic() - started < GRACE
