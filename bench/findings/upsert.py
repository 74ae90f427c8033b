"""Upsert throughput of ``FindingsHub.batch_import`` on the embedded default (SQLite file).

N findings in batches of 100 (the BatchImportFindings limit): first as creates, then the same
N again as updates (UpdatedAt one second later). Each stored finding also writes its
``Findings - Imported`` event to the outbox, and each batch one audit row, exactly as in production.

    .venv/bin/python -m bench.findings.upsert                 # 100,000 findings
    .venv/bin/python -m bench.findings.upsert --findings 10000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from assetguard.core.settings import Settings
from assetguard.findings.hub import FindingsHub
from assetguard.runtime.platform import Platform

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL", "INFORMATIONAL")


def make_finding(i: int, at: str) -> dict[str, Any]:
    region = ("us-east-1", "eu-west-1")[i % 2]
    return {
        "SchemaVersion": "2018-10-08", "Id": f"bench/{i}", "GeneratorId": f"rule-{i % 40}",
        "ProductArn": f"arn:aws:securityhub:{region}:123456789012:product/123456789012/default",
        "AwsAccountId": "123456789012", "Region": region,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": at, "UpdatedAt": at, "Severity": {"Label": SEVERITIES[i % 5]},
        "Title": f"Security group sg-{i:08x} allows SSH from anywhere",
        "Description": "Port 22 is reachable from 0.0.0.0/0. Restrict the source range or use Session Manager.",
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": f"arn:aws:ec2:{region}:123456789012:security-group/sg-{i:08x}",
                       "Region": region, "Partition": "aws", "Tags": {"env": "prod", "team": f"t{i % 9}"}}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": f"rule-{i % 40}"},
        "Remediation": {"Recommendation": {"Text": "Revoke the 0.0.0.0/0 ingress rule for port 22."}},
    }


def run(n: int, data_dir: Path) -> dict[str, float]:
    platform = Platform.create(Settings(data_dir=data_dir, secret_key="bench-secret-key-0123456789"))  # type: ignore[arg-type]
    hub = FindingsHub(platform)
    out: dict[str, float] = {}
    for phase, at in (("create", "2026-01-01T00:00:00.000Z"), ("update", "2026-01-01T00:00:01.000Z")):
        batch = [make_finding(i, at) for i in range(n)]
        start, cpu = time.perf_counter(), time.process_time()
        ok = 0
        for i in range(0, n, 100):
            ok += hub.batch_import(batch[i:i + 100])["SuccessCount"]
        out[phase] = time.perf_counter() - start
        out[phase + "_cpu"] = time.process_time() - cpu
        assert ok == n, (phase, ok)
    out["stored"] = hub.count()
    platform.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.findings, Path(tmp))
    n = args.findings
    print(f"findings upsert, embedded SQLite, {n} findings in batches of 100")
    print(f"  create: {r['create']:.1f} s wall, {r['create_cpu']:.1f} s CPU ({n / r['create']:.0f} findings/s)")
    print(f"  update: {r['update']:.1f} s wall, {r['update_cpu']:.1f} s CPU ({n / r['update']:.0f} findings/s)")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  stored: {int(r['stored'])}")


if __name__ == "__main__":
    main()
