"""Two real ``assetguard api`` processes, each with its own data directory, on one PostgreSQL database:
a console session from one is good on the other, and the failed-auth throttle counts across both."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.scaleout.conftest import Cluster

pytestmark = pytest.mark.postgres


def admin_token(cluster: Cluster) -> str:
    done = cluster.run("token", "create", "--name", "scaleout-admin", "--role", "admin")
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout.strip().splitlines()[-1]


def login(http: httpx.Client, token: str) -> None:
    form = http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    resp = http.post("/login", data={"token": token, "csrf_token": csrf.group(1)})
    assert resp.status_code == 303, resp.text


def test_a_session_from_one_api_is_good_on_another(cluster: Cluster) -> None:
    a = cluster.start("api-a", "api", http=True)
    b = cluster.start("api-b", "api", http=True)
    token = admin_token(cluster)
    with httpx.Client(base_url=a.url, timeout=20) as on_a, httpx.Client(base_url=b.url, timeout=20) as on_b:
        login(on_a, token)
        on_b.cookies.update(on_a.cookies)
        # HTML: the console page renders on B (no redirect to /login)
        page = on_b.get("/console/")
        assert page.status_code == 200 and "csrf_token" in page.text, page.text[:500]
        # JSON: a viewer route with the cookie alone
        assert on_b.get("/audit").status_code == 200
        # a state-changing JSON call on B with the CSRF token A's page carries
        page_a = on_a.get("/console/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page_a.text)
        assert csrf
        made = on_b.post("/tokens", json={"name": "made-on-b", "role": "viewer"},
                         headers={"X-CSRF-Token": csrf.group(1)})
        assert made.status_code == 201, made.text
        assert on_b.post("/tokens", json={"name": "no-csrf", "role": "viewer"}).status_code == 403
    # neither process wrote a key of its own: the data directories hold no secret.key
    assert not (a.data_dir / ".assetguard" / "secret.key").exists()
    assert not (b.data_dir / ".assetguard" / "secret.key").exists()


def test_the_failed_auth_throttle_counts_across_apis(cluster: Cluster) -> None:
    a = cluster.start("api-a", "api", http=True)
    b = cluster.start("api-b", "api", http=True)
    token = admin_token(cluster)
    codes = []
    with httpx.Client(timeout=20) as http:
        for i in range(14):
            # alternate APIs, a new token id and a new X-Forwarded-For each time: none of it helps
            api = a if i % 2 else b
            resp = http.get(api.url + "/audit", headers={"Authorization": f"Bearer ag_{i:08x}_wrong",
                                                         "X-Forwarded-For": f"203.0.113.{i}"})
            codes.append(resp.status_code)
        assert codes == [401] * 10 + [429] * 4, codes
        # the valid token still works on both, from the same (throttled) address
        for api in (a, b):
            assert http.get(api.url + "/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_postgresql_without_a_secret_key_refuses_to_start(cluster: Cluster) -> None:
    del cluster.env["ASSETGUARD_SECRET_KEY"]
    for name, args in (("api-nokey", ["api"]), ("worker-nokey", ["worker", "--metrics-port", "0"])):
        proc = cluster.start(name, *args, http=name.startswith("api"), wait=False)
        assert proc.wait() != 0, proc.describe()
        errors = [line for line in proc.output().splitlines() if "error" in line.lower()]
        assert len(errors) == 1 and "ASSETGUARD_SECRET_KEY must be set" in errors[0], proc.describe()
        assert "Traceback" not in proc.output()
