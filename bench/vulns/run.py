"""Vulnerability scanning benchmark: DB import speed, a 2,000-package host, a full fleet scan.

    .venv/bin/python -m bench.vulns.run                       # 300,000 advisories, 5,000 x 500
    .venv/bin/python -m bench.vulns.run --advisories 20000 --assets 200   # quick

Uses a fresh SQLite database under a temporary directory (``--database-url`` for PostgreSQL).
The fleet scan is timed twice: matching alone (advisory index load + every package matched) and
end to end (``VulnerabilityScanner.scan_assets``: matching, ASFF findings imported into the hub,
``Vulnerability Detected`` events, scan state).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.matcher import AdvisoryIndex, wanted_keys
from assetguard.vulns.scanner import VulnerabilityScanner, packages_of
from bench.vulns import generate


def _split(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())


def calibrate() -> float:
    d = {"purl": "pkg:pypi/x@1", "name": "x"}
    t = time.perf_counter()
    for _ in range(1_000_000):
        d.get("purl")
        d.get("name")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--advisories", type=int, default=300_000)
    ap.add_argument("--assets", type=int, default=5000)
    ap.add_argument("--packages", type=int, default=500)
    ap.add_argument("--host-packages", type=int, default=2000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--skip-end-to-end", action="store_true")
    ap.add_argument("--import-only", action="store_true")
    ap.add_argument("--reuse", type=Path, default=None,
                    help="SQLite file: import into it once, later runs skip the import timing")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ag-bench-vulns-"))
    reused = bool(args.reuse and args.reuse.exists())
    if reused:
        # The reused file holds advisories only; scans run on a copy so every run starts clean.
        shutil.copy(args.reuse, tmp / "bench.db")
    url = args.database_url or (f"sqlite:///{args.reuse}" if args.reuse and not reused
                                else f"sqlite:///{tmp}/bench.db")
    platform = Platform.create(Settings(data_dir=tmp, database_url=url,  # type: ignore[arg-type]
                                        secret_key="bench-secret-key-0123456789abcdef"))
    db = AdvisoryDatabase(platform)
    print(f"database: {url.split('://')[0]}; advisories {args.advisories:,}; fleet {args.assets:,} x {args.packages}")

    if not reused:
        t = time.perf_counter()
        summary = db.import_records(generate.advisories(args.advisories), source="bench")
        dt = time.perf_counter() - t
        print(f"import           {summary.added:>9,} advisories in {dt:6.1f} s  = {summary.added / dt:8,.0f} records/s")
        t = time.perf_counter()
        again = db.import_records(generate.advisories(args.advisories), source="bench")
        dt = time.perf_counter() - t
        print(f"re-import        {again.unchanged:>9,} unchanged  in {dt:6.1f} s  = "
              f"{again.unchanged / dt:8,.0f} records/s")
    if args.reuse and not reused:
        platform.close()
        shutil.copy(args.reuse, tmp / "bench.db")
        platform = Platform.create(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp}/bench.db",  # type: ignore[arg-type]
                                            secret_key="bench-secret-key-0123456789abcdef"))
        db = AdvisoryDatabase(platform)
    if args.import_only:
        return
    print(f"calibration      2,000,000 dict.get in {calibrate():.2f} s (this machine's Python speed right now; "
          f"an idle core needs about 0.08 s)")

    scanner = VulnerabilityScanner(platform)
    host, host2 = generate.assets(2, args.host_packages, seed=99)
    t = time.perf_counter()
    s1 = scanner.scan_assets([host])
    dt_host = time.perf_counter() - t
    print(f"single host cold {args.host_packages:>9,} packages   in {dt_host:6.3f} s ({s1.matches} matches, "
          f"{s1.findings_opened} findings; compiles its advisories from the database; {_split(s1.seconds)})")

    fleet = generate.assets(args.assets, args.packages)
    total = sum(len(packages_of(a)) for a in fleet)
    t = time.perf_counter()
    index = AdvisoryIndex(db.affected_for(wanted_keys(p for a in fleet for p in packages_of(a))))
    t_load = time.perf_counter() - t
    n = sum(len(index.match(packages_of(a))) for a in fleet)
    dt = time.perf_counter() - t
    print(f"fleet matching   {total:>9,} packages   in {dt:6.1f} s (index load {t_load:.1f} s), {n:,} matches")
    scanner.index_for(p for a in fleet for p in packages_of(a))  # a server's warm index
    t = time.perf_counter()
    s2 = scanner.scan_assets([host2])
    dt_host = time.perf_counter() - t
    print(f"single host warm {args.host_packages:>9,} packages   in {dt_host:6.3f} s ({s2.matches} matches, "
          f"{s2.findings_opened} findings; index already compiled in this process; {_split(s2.seconds)})")
    if not args.skip_end_to_end:
        t = time.perf_counter()
        s = scanner.scan_assets(fleet)
        dt = time.perf_counter() - t
        print(f"fleet scan e2e   {s.assets:>9,} assets     in {dt:6.1f} s, {s.findings_opened:,} findings opened, "
              f"{len(s.failed)} failed; {_split(s.seconds)}")
        t = time.perf_counter()
        s = scanner.scan_assets(fleet)
        dt = time.perf_counter() - t
        print(f"fleet re-scan    {s.assets:>9,} assets     in {dt:6.1f} s, {s.findings_unchanged:,} unchanged; "
              f"{_split(s.seconds)}")
    print(f"calibration      2,000,000 dict.get in {calibrate():.2f} s (end of run)")
    platform.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
