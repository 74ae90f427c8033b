"""One host of 2,000 packages scanned in a fresh process, timed from outside (wall clock).

    .venv/bin/python -m bench.vulns.run --reuse /tmp/ag-vulns-300k.db --import-only   # the database, once
    .venv/bin/python -m bench.vulns.single_host --db /tmp/ag-vulns-300k.db --runs 5

The host is the benchmark's 2,000-package host (``generate.assets(2, 2000, seed=99)[0]``, eight
ecosystems), written as a CycloneDX SBOM. Three kinds of fresh process run in turn, ``--runs``
times each, and the wall clock of each process is measured by this script:

* ``cli``: ``assetguard scan vulns --sbom FILE --format json``, the command itself;
* ``equivalent``: ``python -c`` doing exactly what that command does (settings, ``Platform.create``,
  the SBOM collector, ``VulnerabilityScanner.match_packages``, the JSON report), printing its own
  split (imports, platform, scan);
* ``startup``: the same process without the scan (imports and ``Platform.create`` only), the part
  of every ``assetguard`` command that is not the vulnerability scan.

``PYTHONPATH=<another checkout>/src`` runs the same processes on other code (A/B in one sitting).
Every process opens the platform, which applies pending migrations, so the processes run against
a copy of ``--db`` (the ``--reuse`` file stays as the importing code left it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.vulns import generate

EQUIVALENT = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from assetguard.cli.context import CliState
from assetguard.vulns import inputs, reports
from assetguard.vulns.scanner import VulnerabilityScanner
t1 = time.perf_counter()
state = CliState()
platform = state.platform()
t2 = time.perf_counter()
if sys.argv[1] != "-":
    packages = inputs.packages_of_items(inputs.sbom_items(Path(sys.argv[1])))
    scanner = VulnerabilityScanner(platform)
    matches = scanner.match_packages(packages)
    if hasattr(scanner, "unresolved"):  # absent before 832ccec: PYTHONPATH=<older src> compares revisions
        scanner.unresolved(packages)
    sys.stdout.write(reports.as_json(matches) + "\\n")
t3 = time.perf_counter()
state.close()
sys.stderr.write(f"SPLIT {t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f}\\n")
"""


def write_sbom(path: Path, packages: int) -> None:
    host = generate.assets(2, packages, seed=99)[0]
    components = [{"type": "library", "name": p["name"], "version": p["version"], "purl": p["purl"]}
                  for p in host["configuration"]["packages"]]
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                                "metadata": {"component": {"type": "application", "name": "bench-host"}},
                                "components": components}))


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, proc.stdout, proc.stderr


def _fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True, help="SQLite advisory database (bench.vulns.run --reuse)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages", type=int, default=2000)
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}: run bench.vulns.run --reuse {args.db} --import-only first")
    tmp = Path(tempfile.mkdtemp(prefix="ag-bench-host-"))
    sbom = tmp / "host.cdx.json"
    write_sbom(sbom, args.packages)
    db = tmp / "advisories.db"
    shutil.copy(args.db, db)
    env = {**os.environ, "ASSETGUARD_DATABASE_URL": f"sqlite:///{db}",
           "ASSETGUARD_DATA_DIR": str(tmp / "data"), "ASSETGUARD_SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    env.pop("ASSETGUARD_CONFIG", None)
    python = sys.executable
    cli = str(Path(python).with_name("assetguard"))
    print(f"host: {args.packages:,} packages (SBOM); database {args.db} ({args.db.stat().st_size / 1e6:.0f} MB); "
          f"load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    walls: dict[str, list[float]] = {"cli": [], "equivalent": [], "startup": []}
    splits: dict[str, list[list[float]]] = {"equivalent": [], "startup": []}
    outputs: set[str] = set()
    for _ in range(args.runs):
        wall, out, _err = timed([cli, "scan", "vulns", "--sbom", str(sbom), "--format", "json"], env)
        walls["cli"].append(wall)
        outputs.add(out)
        for kind, target in (("equivalent", str(sbom)), ("startup", "-")):
            wall, out, err = timed([python, "-c", EQUIVALENT, target], env)
            walls[kind].append(wall)
            splits[kind].append([float(x) for x in err.split("SPLIT ")[-1].split()])
            if kind == "equivalent":
                outputs.add(out)
    if len(outputs) != 1:
        raise SystemExit("the CLI and the equivalent process printed different results")
    matches = len(json.loads(outputs.pop()))
    print(f"cli        assetguard scan vulns --sbom --format json   {_fmt(walls['cli'])}; {matches} matches")
    for kind in ("equivalent", "startup"):
        cols = list(zip(*splits[kind], strict=True))
        print(f"{kind:<10} fresh python process, wall clock            {_fmt(walls[kind])}; inside: imports "
              f"{statistics.median(cols[0]):.2f} s, Platform.create {statistics.median(cols[1]):.2f} s, "
              f"scan {statistics.median(cols[2]):.2f} s")
    scan_only = [a - b for a, b in zip(walls["equivalent"], walls["startup"], strict=True)]
    print(f"scan share (equivalent minus startup, per run pair)       {_fmt(scan_only)}")
    print(f"load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
