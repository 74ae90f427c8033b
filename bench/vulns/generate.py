"""Deterministic synthetic OSV advisories and package inventories for the vulnerability benchmark.

Advisories spread over eight ecosystems; each names one package from a per-ecosystem pool and
affects one or two version ranges. Assets draw their packages from the same pools (popular names
more often, a few versions each), so fleets repeat packages as real ones do and a realistic
share of packages have advisories.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

ECOSYSTEMS = [  # (ecosystem, share of advisories, purl type)
    ("PyPI", 0.22, "pypi"), ("npm", 0.25, "npm"), ("Maven", 0.15, "maven"), ("Go", 0.10, "golang"),
    ("Debian:12", 0.12, "deb"), ("Alpine:v3.19", 0.06, "apk"), ("crates.io", 0.05, "cargo"),
    ("RubyGems", 0.05, "gem"),
]
NAMES_PER_ECOSYSTEM = 8000
VECTORS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
           "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L", "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N"]


def name(eco: str, i: int) -> str:
    base = eco.split(":")[0]
    if base == "Maven":
        return f"org.example{i % 97}:artifact-{i}"
    if base == "Go":
        return f"github.com/example{i % 89}/module{i}"
    return f"pkg-{base.lower().replace('.', '')}-{i}"


def version(eco: str, major: int, minor: int, patch: int) -> str:
    base = eco.split(":")[0]
    if base == "Debian":
        return f"{major}.{minor}.{patch}-{1 + patch % 3}"
    if base == "Alpine":
        return f"{major}.{minor}.{patch}-r{patch % 4}"
    return f"{major}.{minor}.{patch}"


def _pick_ecosystem(rng: random.Random) -> str:
    x = rng.random()
    for eco, share, _ptype in ECOSYSTEMS:
        x -= share
        if x <= 0:
            return eco
    return ECOSYSTEMS[-1][0]


def advisories(count: int, seed: int = 7) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    for n in range(count):
        eco = _pick_ecosystem(rng)
        i = rng.randrange(NAMES_PER_ECOSYSTEM)  # ~4.7 advisories per package name at 300,000
        major, minor = rng.randint(0, 4), rng.randint(0, 9)
        ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": version(eco, major, minor, 0)},
                                                   {"fixed": version(eco, major, minor, rng.randint(1, 9))}]}]
        if rng.random() < 0.3:
            ranges.append({"type": "ECOSYSTEM", "events": [{"introduced": version(eco, major + 1, 0, 0)},
                                                           {"fixed": version(eco, major + 1, 0, rng.randint(1, 5))}]})
        rec = {"id": f"BENCH-{n:07d}", "modified": "2026-01-01T00:00:00Z", "aliases": [f"CVE-2099-{n + 100000}"],
               "summary": f"synthetic advisory {n}",
               "severity": [{"type": "CVSS_V3", "score": VECTORS[n % len(VECTORS)]}],
               "affected": [{"package": {"ecosystem": eco, "name": name(eco, i)}, "ranges": ranges}],
               "references": [{"type": "ADVISORY", "url": f"https://example.invalid/BENCH-{n:07d}"}]}
        yield f"bench/BENCH-{n:07d}.json", rec


def package(eco: str, i: int, rng: random.Random) -> dict[str, Any]:
    ptype = next(p for e, _s, p in ECOSYSTEMS if e == eco)
    v = version(eco, rng.randint(0, 9), rng.randint(0, 19), rng.randint(0, 9))
    n = name(eco, i)
    purl_name = n.replace(":", "/") if ptype == "maven" else n
    return {"name": n, "version": v, "ecosystem": eco, "purl": f"pkg:{ptype}/{purl_name}@{v}", "source": None,
            "location": None}


def package_pool(size: int, seed: int = 11) -> list[dict[str, Any]]:
    """Distinct package dicts assets draw from (a fleet repeats versions)."""
    rng = random.Random(seed)
    pool = []
    for _ in range(size):
        eco = _pick_ecosystem(rng)
        # a third of a fleet's packages come from the 500 most popular names of an ecosystem
        i = rng.randrange(500) if rng.random() < 0.33 else rng.randrange(NAMES_PER_ECOSYSTEM)
        pool.append(package(eco, i, rng))
    return pool


def assets(count: int, per_asset: int, seed: int = 13, pool_size: int = 40000) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pool = package_pool(pool_size)
    out = []
    for a in range(count):
        # fresh dicts per asset, as the inventory returns them (decoded JSON), not shared pool objects
        pkgs = json.loads(json.dumps(rng.sample(pool, per_asset)))
        out.append({"arn": f"urn:assetguard:host:bench-{a:05d}", "resourceType": "AssetGuard::Host::Linux",
                    "resourceId": f"bench-{a:05d}", "resourceName": f"bench-{a:05d}", "accountId": "123456789012",
                    "awsRegion": "us-east-1", "configuration": {"packages": pkgs}})
    return out
