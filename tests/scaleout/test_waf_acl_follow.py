"""An ACL saved through one ``assetguard api`` is enforced by a ``waf proxy`` started with a data
directory of its own, then changed through the API and picked up without a signal; the API reports
which proxy runs which version."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import httpx
import pytest

from tests.scaleout.conftest import Cluster, free_port

pytestmark = pytest.mark.postgres

NONE = [{"Priority": 0, "Type": "NONE"}]
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def blocking(path: str) -> dict:
    return {"Name": "shop", "DefaultAction": {"Allow": {}}, "VisibilityConfig": VIS, "Rules": [
        {"Name": "block", "Priority": 0, "Action": {"Block": {}}, "VisibilityConfig": VIS, "Statement": {
            "ByteMatchStatement": {"SearchString": path, "PositionalConstraint": "STARTS_WITH",
                                   "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}}]}


def until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"not within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - start


def status(url: str, path: str) -> int:
    try:
        return httpx.get(url + path, headers={"User-Agent": "scaleout"}, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def test_an_acl_saved_on_one_api_is_followed_by_a_proxy_elsewhere(cluster: Cluster, upstream: str) -> None:
    api = cluster.start("api", "api", http=True)
    made = cluster.run("token", "create", "--name", "waf-operator", "--role", "operator")
    assert made.returncode == 0, made.stderr + made.stdout
    headers = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=30) as http:
        saved = http.put("/waf/acls/shop", json=blocking("/admin"))
        assert saved.status_code == 200, saved.text
        port = free_port()
        # the poll is slow on purpose: only the notification can make the change visible in time
        proxy = cluster.start("proxy", "waf", "proxy", "--acl", "shop", "--upstream", upstream,
                              "--listen", f"127.0.0.1:{port}", env={"ASSETGUARD_WAF__ACL_POLL_SECONDS": "120",
                                                                   "ASSETGUARD_WAF__HEARTBEAT_SECONDS": "1"})
        proxy.wait_output("WAF proxy on")
        front = f"http://127.0.0.1:{port}"
        until(lambda: status(front, "/ok") == 200, timeout=15)  # allowed: the upstream answers
        assert status(front, "/admin") == 403
        assert not (proxy.data_dir / ".assetguard" / "waf").exists()  # nothing of the ACL on this host

        changed = http.put("/waf/acls/shop", json=blocking("/private"))
        assert changed.status_code == 200 and changed.json()["version"] == 2
        took = until(lambda: status(front, "/private") == 403, timeout=15)
        assert status(front, "/admin") == 200, proxy.describe()
        print(f"new version enforced {took:.2f} s after the save")

        def reported() -> list[dict]:
            return [p for p in http.get("/waf/proxies").json()["proxies"] if p["alive"]]

        until(lambda: [(p["acl"], p["version"]) for p in reported()] == [("shop", 2)], timeout=10)
        assert reported()[0]["address"] == f"127.0.0.1:{port}" and reported()[0]["health"] == "ok"

        answer = http.post("/waf/reload", json={"acl": "shop", "wait_seconds": 15}).json()
        assert answer["pending"] == [], answer
        assert [(p["acl"], p["version"], p["acked"]) for p in answer["proxies"]] == [("shop", 2, True)]

        proxy.popen.send_signal(signal.SIGHUP)  # still reloads, and keeps serving
        proxy.wait_output("SIGHUP: reloading ACL shop", timeout=10)
        assert status(front, "/private") == 403

        assert proxy.terminate() == 0, proxy.describe()
        until(lambda: reported() == [], timeout=10)  # a stopped proxy leaves the list
