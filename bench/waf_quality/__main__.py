"""WAF detection quality: assetguard ``baseline`` / ``recommended`` vs nginx + ModSecurity CRS PL1/PL2.

    .venv/bin/python -m bench.waf_quality [--no-modsec] [--legit 6000] [--out /tmp/waf_quality]

Same requests for every WAF, in one run:

* the OWASP CRS regression tests (``expect_ids`` = attack, by rule family; ``no_expect_ids`` =
  legitimate), minus the ignore list printed with its reasons;
* every attack payload replayed in seven placements (query, path, header, cookie, form, JSON,
  multipart);
* a generated legitimate corpus shaped like the demo app's traffic (``legit.py``).

A request counts as blocked by assetguard when a rule blocks it (the ACL's default action,
which blocks paths outside /user, /content, /was, is not detection and is not counted); by
ModSecurity when nginx answers 403. Misses and false positives go to ``--out`` for study.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.waf_quality.crs import load_cases
from bench.waf_quality.legit import generate
from bench.waf_quality.placements import PLACEMENTS, place

ROOT = Path(__file__).resolve().parents[2]
NGINX_SH = ROOT / "bench" / "modsec" / "nginx.sh"
ENGINE_WAFS = ("baseline", "recommended")
MODSEC_WAFS = ("modsec-pl1", "modsec-pl2")


def build_corpus(
    legit_n: int, categories: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Records with a ``meta`` dict: set (crs|placement|legit), attack flag, category, ...

    ``categories`` (e.g. ``{"sqli", "xss"}``) keeps only the CRS tests of those families, for a
    quick loop while working on one group; the legitimate corpus is always complete.
    """
    cases, ignored = load_cases()
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for case in cases:
        if categories and case.category not in categories:
            continue
        rec = case.record()
        rec["meta"] = {
            "set": "crs",
            "attack": case.attack,
            "category": case.category,
            "id": case.case_id,
            "paranoia": case.paranoia,
        }
        records.append(rec)
        for payload in case.payloads:
            if payload in seen:
                continue
            seen.add(payload)
            for where in PLACEMENTS:
                placed = place(payload, where)
                if placed is None:
                    continue
                placed["meta"] = {
                    "set": "placement",
                    "attack": True,
                    "category": case.category,
                    "placement": where,
                    "id": case.case_id,
                    "payload": payload,
                }
                records.append(placed)
    for rec in generate(legit_n):
        rec["meta"] = {"set": "legit", "attack": False, "category": rec.pop("kind")}
        records.append(rec)
    return records, ignored


def run_engine(acl_name: str, records: list[dict[str, Any]]) -> tuple[list[bool], list[str]]:
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.request import HttpRequest

    acl = load_compiled_acl(acl_name)
    blocked: list[bool] = []
    rules: list[str] = []
    for rec in records:
        wire = {k: v for k, v in rec.items() if k != "meta"}
        try:
            verdict = acl.evaluate(HttpRequest.from_jsonl_record(wire))
        except Exception as exc:  # noqa: BLE001 - a bench records engine errors instead of stopping
            blocked.append(False)
            rules.append(f"error:{type(exc).__name__}")
            continue
        hit = verdict.action == "BLOCK" and verdict.terminating_rule_id != "Default_Action"
        blocked.append(hit)
        rules.append(f"{verdict.terminating_rule_id}/{verdict.group_rule_id}" if hit else "")
    return blocked, rules


def _modsec(
    paranoia: int, records: list[dict[str, Any]], port: int, upstream_port: int
) -> tuple[list[bool], list[int]]:
    from bench.waf_quality.modsec_client import statuses

    subprocess.run(
        [
            "bash",
            str(NGINX_SH),
            "start",
            "--paranoia",
            str(paranoia),
            "--port",
            str(port),
            "--upstream",
            f"127.0.0.1:{upstream_port}",
            "--workers",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    try:
        codes = statuses([{k: v for k, v in r.items() if k != "meta"} for r in records], port)
    finally:
        subprocess.run(["bash", str(NGINX_SH), "stop", "--port", str(port)], check=False, capture_output=True)
    return [c == 403 for c in codes], codes


def engine_time(acl_name: str, n: int = 3000) -> float:
    """Median µs to evaluate a typical GET with a 5-parameter query."""
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.request import HttpRequest

    acl = load_compiled_acl(acl_name)
    rec = {
        "method": "GET",
        "uri": "/content?q=select+a+theme&page=2&sort=date&tag=python&lang=en",
        "headers": [
            ["Host", "app.example.com"],
            ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"],
            ["Accept", "text/html"],
            ["Accept-Language", "en-US"],
            ["Cookie", "session=abc123; theme=dark"],
        ],
        "client_ip": "10.0.0.1",
    }
    times = []
    for _ in range(n):
        request = HttpRequest.from_jsonl_record(rec)
        t0 = time.perf_counter()
        acl.evaluate(request)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def pct(hits: int, total: int) -> str:
    return f"{100.0 * hits / total:5.1f}" if total else "  n/a"


def report(records: list[dict[str, Any]], results: dict[str, list[bool]], wafs: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    header = "| " + " | ".join(["set", "category", "n", *wafs]) + " |"
    sep = "|" + "---|" * (3 + len(wafs))

    def table(title: str, keyfn: Any, select: Any, blocked_is_good: bool) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(records):
            if select(rec["meta"]):
                groups[keyfn(rec["meta"])].append(i)
        print(f"\n### {title}\n\n{header}\n{sep}")
        rows = {}
        all_idx = [i for idx in groups.values() for i in idx]
        for key in [*sorted(groups), "ALL"]:
            idx = all_idx if key == "ALL" else groups[key]
            cells = []
            for waf in wafs:
                hits = sum(results[waf][i] for i in idx)
                good = hits if blocked_is_good else len(idx) - hits
                cells.append(pct(good, len(idx)))
            rows[key] = {
                "n": len(idx),
                **{w: float(c) if c.strip() != "n/a" else None for w, c in zip(wafs, cells, strict=True)},
            }
            print(f"| {title.split(':')[0]} | {key} | {len(idx)} | " + " | ".join(cells) + " |")
        summary[title] = rows

    table(
        "CRS attacks: % blocked", lambda m: m["category"], lambda m: m["set"] == "crs" and m["attack"], True
    )
    table(
        "CRS legitimate (no_expect_ids): % passed",
        lambda m: m["category"],
        lambda m: m["set"] == "crs" and not m["attack"],
        False,
    )
    table("Payload placements: % blocked", lambda m: m["placement"], lambda m: m["set"] == "placement", True)
    table(
        "Placements by category: % blocked", lambda m: m["category"], lambda m: m["set"] == "placement", True
    )
    table("Own legitimate corpus: % passed", lambda m: m["category"], lambda m: m["set"] == "legit", False)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-modsec", action="store_true", help="only the assetguard ACLs")
    parser.add_argument("--legit", type=int, default=6000, help="size of the generated legitimate corpus")
    parser.add_argument("--out", type=Path, default=Path("/tmp/waf_quality"))
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument(
        "--category",
        action="append",
        default=[],
        help="only the CRS tests of this family (sqli, xss, rce, ...); repeatable; for quick loops",
    )
    parser.add_argument(
        "--acl", action="append", choices=ENGINE_WAFS, help="only this assetguard ACL; repeatable"
    )
    args = parser.parse_args()
    engine_wafs = tuple(args.acl or ENGINE_WAFS)

    t0 = time.time()
    records, ignored = build_corpus(args.legit, frozenset(args.category))
    print(f"{len(records)} requests; {len(ignored)} CRS tests ignored:")
    reasons: dict[str, int] = defaultdict(int)
    for _, reason in ignored:
        reasons[reason] += 1
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {count:4d}  {reason}")

    results: dict[str, list[bool]] = {}
    rule_hits: dict[str, list[str]] = {}
    for acl in engine_wafs:
        t = time.time()
        results[acl], rule_hits[acl] = run_engine(acl, records)
        print(f"{acl}: {time.time() - t:.1f}s")
    wafs = list(engine_wafs)
    codes: dict[str, list[int]] = {}
    if not args.no_modsec:
        from bench.modsec.upstream import serve_in_thread

        upstream = serve_in_thread(args.port + 1)
        try:
            for pl, name in ((1, "modsec-pl1"), (2, "modsec-pl2")):
                t = time.time()
                results[name], codes[name] = _modsec(pl, records, args.port, args.port + 1)
                wafs.append(name)
                other = sum(1 for c in codes[name] if c not in (200, 403))
                print(f"{name}: {time.time() - t:.1f}s ({other} answers neither 200 nor 403)")
        finally:
            upstream.shutdown()

    summary = report(records, results, wafs)
    timing = {acl: engine_time(acl) for acl in engine_wafs}
    print("\nEngine time, typical GET (median µs): " + ", ".join(f"{k} {v:.1f}" for k, v in timing.items()))
    print(f"total {time.time() - t0:.0f}s")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps({"summary": summary, "engine_us": timing}, indent=2))
    with (args.out / "mistakes.jsonl").open("w") as fh:
        for i, rec in enumerate(records):
            meta = rec["meta"]
            mine = results[engine_wafs[-1]][i]
            if mine != meta["attack"]:
                row = {
                    "wrong": "miss" if meta["attack"] else "false-positive",
                    **meta,
                    "rule": rule_hits[engine_wafs[-1]][i],
                    "uri": rec["uri"][:300],
                    "body": (rec.get("body") or "")[:300],
                    **{w: results[w][i] for w in wafs},
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
