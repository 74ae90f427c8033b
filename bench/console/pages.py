"""Server time of every console page with 100,000 findings, 100,000 assets and a million spans.

    .venv/bin/python -m bench.console.pages [--findings 100000] [--assets 100000] [--spans 1000000]

Fills an embedded-default (SQLite) platform through the domains' own services (findings through the
hub, assets through the inventory, spans straight into the telemetry store in bulk), logs a viewer
into the console and requests each page several times in-process (FastAPI TestClient, so the figure
is server time without network). Goal: under 300 ms per page.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

PAGES = ("/console/system", "/console/security", "/console/traces", "/console/cost", "/console/assets",
         "/console/tags", "/console/findings", "/console/waf", "/console/rules", "/console/audit",
         "/console/outbox")


def fill(platform: Any, n_findings: int, n_assets: int, n_spans: int) -> dict[str, float]:
    from assetguard.core.clock import utcnow
    from assetguard.inventory.service import InventoryService
    from assetguard.telemetry.store import TelemetryStore
    from bench.findings.upsert import make_finding

    took: dict[str, float] = {}
    t = time.perf_counter()
    from assetguard.findings.hub import FindingsHub

    hub = FindingsHub(platform)
    now = utcnow()
    at = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    batch = 1000
    for start in range(0, n_findings, batch):
        hub.import_many([make_finding(i, at) for i in range(start, min(start + batch, n_findings))])
    took["findings"] = time.perf_counter() - t

    t = time.perf_counter()
    inv = InventoryService(platform)
    for start in range(0, n_assets, 5000):
        items = [{"resourceType": ("AWS::EC2::Instance", "AWS::S3::Bucket", "AWS::EC2::SecurityGroup")[i % 3],
                  "resourceId": f"r-{i:08d}", "arn": f"arn:aws:ec2:us-east-1:123456789012:thing/r-{i:08d}",
                  "awsRegion": ("us-east-1", "eu-west-1")[i % 2], "accountId": "123456789012",
                  "tags": {"Owner": f"team-{i % 7}"} if i % 4 else {}, "configuration": {"n": i}}
                 for i in range(start, min(start + 5000, n_assets))]
        inv.apply_collection("bench", items)
    took["assets"] = time.perf_counter() - t

    t = time.perf_counter()
    store = TelemetryStore(platform.db)
    week = 7 * 24 * 3600
    rows = []
    for i in range(n_spans):
        trace = i // 4
        start = now - timedelta(seconds=(trace * 37) % week)
        root = i % 4 == 0
        rows.append({"trace_id": f"{trace:032x}", "span_id": f"{i:016x}",
                     "parent_id": None if root else f"{trace * 4:016x}",
                     "service": ("assetguard-waf", "demo-app", "demo-app", "demo-app")[i % 4],
                     "name": ("GET /user", "waf.evaluate", "GET /user", "SELECT users")[i % 4],
                     "kind": ("SERVER", "INTERNAL", "SERVER", "CLIENT")[i % 4], "start_time": start,
                     "duration_ms": 1.0 + (i % 97), "status": "ERROR" if i % 211 == 0 else "UNSET",
                     "route": "/user" if i % 4 in (0, 2) else None, "http_status": 200 if i % 4 in (0, 2) else None,
                     "is_root": 1 if root else 0, "attributes": {"http.route": "/user"}})
        if len(rows) == 20000:
            store.add_spans(rows)
            rows = []
    store.add_spans(rows)
    took["spans"] = time.perf_counter() - t
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from assetguard.api.app import create_app
    from assetguard.auth.principal import SYSTEM
    from assetguard.core.settings import Settings
    from assetguard.runtime.platform import Platform

    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform.create(Settings(data_dir=Path(tmp), secret_key="bench-secret-key-0123456789"))  # type: ignore[arg-type]
        took = fill(platform, args.findings, args.assets, args.spans)
        print(f"filled: {args.findings:,} findings in {took['findings']:.0f} s, {args.assets:,} assets in "
              f"{took['assets']:.0f} s, {args.spans:,} spans in {took['spans']:.0f} s; cores: {os.cpu_count()}")
        client = TestClient(create_app(platform=platform))
        _info, token = platform.tokens.create("bench-viewer", "viewer", actor=SYSTEM)
        form = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        client.post("/login", data={"token": token, "csrf_token": csrf.group(1) if csrf else ""})
        print(f"{'page':24} {'status':>6} {'median ms':>10} {'max ms':>8}")
        worst = 0.0
        for page in PAGES:
            times, status = [], 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                resp = client.get(page)
                times.append((time.perf_counter() - t) * 1000)
                status = resp.status_code
            if status == 404:
                continue
            med = statistics.median(times)
            worst = max(worst, med)
            print(f"{page:24} {status:>6} {med:>10.0f} {max(times):>8.0f}")
        print(f"slowest page median: {worst:.0f} ms (goal < 300 ms)")
        platform.close()


if __name__ == "__main__":
    main()
