"""Store-and-diff throughput of ``InventoryService.apply_collection`` for N assets.

Three phases per backend, each one ``apply_collection`` call (one transaction):

1. first load: N new assets (CREATE: rows, history, events, audit);
2. unchanged re-collection: the same N items again (hash comparison only, no writes);
3. re-collection with 1 % changed: 1 % UPDATE, the rest unchanged.

    .venv/bin/python -m bench.inventory.store_diff                      # 100k, SQLite and PostgreSQL
    .venv/bin/python -m bench.inventory.store_diff --assets 10000 --backend sqlite

PostgreSQL: a scratch database ``ag_bench_inventory`` is created on ``--postgres-url``
(default ``postgresql://postgres@127.0.0.1:5432/test``) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assetguard.core.settings import Settings
from assetguard.db.engine import normalise_url
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform

REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def make_items(n: int) -> list[dict[str, Any]]:
    """Security-group-sized configuration items (~1 KB of configuration each)."""
    items = []
    for i in range(n):
        region = REGIONS[i % len(REGIONS)]
        gid = f"sg-{i:017x}"
        items.append({
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": gid, "resourceName": f"group-{i}",
            "arn": f"arn:aws:ec2:{region}:123456789012:security-group/{gid}", "awsRegion": region,
            "accountId": "123456789012", "tags": {"env": "prod" if i % 2 else "dev", "team": f"t{i % 17}"},
            "relationships": [{"resourceType": "AWS::EC2::VPC", "resourceId": f"vpc-{i % 50:08x}",
                               "relationshipName": "Is contained in Vpc"}],
            "configuration": {"groupId": gid, "groupName": f"group-{i}", "description": "bench group",
                              "vpcId": f"vpc-{i % 50:08x}", "ownerId": "123456789012", "ipPermissions": [
                                  {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                                   "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}], "ipRanges": ["10.0.0.0/8"],
                                   "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []},
                                  {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                   "ipv4Ranges": [{"cidrIp": f"192.168.{i % 256}.0/24"}],
                                   "ipRanges": [f"192.168.{i % 256}.0/24"], "ipv6Ranges": [], "prefixListIds": [],
                                   "userIdGroupPairs": []}],
                              "ipPermissionsEgress": [{"ipProtocol": "-1", "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}],
                                                       "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [],
                                                       "prefixListIds": [], "userIdGroupPairs": []}]},
        })
    return items


def scope() -> list[str]:
    return [f"123456789012|{r}|AWS::EC2::SecurityGroup" for r in REGIONS]


def run(url: str, n: int) -> dict[str, float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url,
                        secret_key="bench-secret-key-0123456789abcdef")  # type: ignore[arg-type]
    platform = Platform.create(settings)
    try:
        inv = InventoryService(platform)
        items = make_items(n)
        out: dict[str, float] = {}
        again = copy.deepcopy(items)  # a fresh collection: equal content, new objects
        t = time.perf_counter()
        s = inv.apply_collection("bench", items, scope())
        out["first_load_s"] = time.perf_counter() - t
        assert s.created == n, s.as_dict()
        changed = copy.deepcopy(again)
        for item in changed[:: 100]:
            item["configuration"]["ipPermissions"][1]["ipv4Ranges"][0]["cidrIp"] = "0.0.0.0/0"
        t = time.perf_counter()
        s = inv.apply_collection("bench", again, scope())
        out["unchanged_s"] = time.perf_counter() - t
        assert s.unchanged == n and s.created == s.updated == s.deleted == 0, s.as_dict()
        t = time.perf_counter()
        s = inv.apply_collection("bench", changed, scope())
        out["one_percent_changed_s"] = time.perf_counter() - t
        assert s.updated == len(changed[::100]), s.as_dict()
        return out
    finally:
        platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", args.assets)
    if args.backend in ("postgresql", "both"):
        admin_url = normalise_url(args.postgres_url)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = "ag_bench_inventory"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results["postgresql"] = run(make_url(admin_url).set(database=name).render_as_string(hide_password=False),
                                        args.assets)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    n = args.assets
    print(f"{'backend':<11} {'phase':<22} {'seconds':>8} {'assets/s':>10}")
    for backend, phases in results.items():
        for phase, seconds in phases.items():
            print(f"{backend:<11} {phase.removesuffix('_s'):<22} {seconds:8.2f} {n / seconds:10.0f}")


if __name__ == "__main__":
    main()
