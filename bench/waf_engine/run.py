"""Engine time per request for a built-in ACL (default ``baseline``).

    .venv/bin/python -m bench.waf_engine.run [--acl baseline] [--n 5000] [--body-limit KB_64] [--modsec]

Four requests: a typical GET with a 5-parameter query, a 2 KB JSON POST, an 8 KB form POST and a
64 KB JSON POST. Each is built fresh per iteration (as the proxy does), so per-request caches
start empty, and the parameter values, a body field and the session cookie differ in every
request (only the browser headers repeat, as in real traffic), so the engine's memos of short
values cannot make a repeated request free. The time covers parsing the request views, every
rule, and the verdict. Prints min/median/p99 wall time in µs, and the mean process CPU time per
request (steadier on a shared, loaded machine).

The ACLs inspect the first 8 KB of a body, and ``AWSManagedRulesCommonRuleSet``'s
``SizeRestrictions_BODY`` blocks a larger one. ``--body-limit KB_64`` sets the ACL's
``AssociationConfig`` inspection limit and counts (instead of blocks) ``SizeRestrictions_BODY``,
so the 64 KB body is inspected whole.

``--modsec`` adds the anchor: nginx + libmodsecurity3 + CRS PL1 (``bench/modsec/nginx.sh``, one
worker, in front of a loopback ``return 200``) is sent the same requests one at a time over a
keep-alive connection, and the CPU time its worker spends (``/proc/<pid>/stat``, user + system,
nginx's own proxying included) is divided by the number of requests.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import random
import statistics
import string
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

from assetguard.waf.documents import load_acl_document, resolve_acl_path
from assetguard.waf.engine import compile_acl
from assetguard.waf.request import HttpRequest

ROOT = Path(__file__).resolve().parents[2]
MODSEC_PORT = 18095
UPSTREAM_PORT = 18096

BROWSER = [
    ("Host", "app.example.com"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Cookie", "session=3f9a1c0e8b7d4e2a; theme=dark"),
]


def requests() -> dict[str, tuple[str, str, list[tuple[str, str]], bytes]]:
    query = urllib.parse.urlencode({"q": "running shoes", "page": "2", "sort": "price", "size": "42", "lang": "en"})
    doc = {"author_id": 7, "title": "Weekly notes", "kind": "markdown", "tags": ["travel", "food", "notes"],
           "body": ("We walked along the river and talked about the new release. " * 40)[:1900]}
    form = urllib.parse.urlencode({"title": "A longer story", "kind": "text",
                                   "body": ("It was a bright cold day in April and the clocks were striking. " * 130)[:8000]})
    # 64 KB: a list of records such as an export or a bulk update sends (fewer than ModSecurity's
    # 1,000 arguments, which it refuses to parse past).
    note = "Ships in two days from the main store; returns are free within thirty days of delivery. "
    items = [{"id": i, "sku": f"SKU-{i:05d}", "name": f"Item {i} in blue", "note": note * 4} for i in range(400)]
    bulk = json.dumps({"title": "Weekly notes", "items": items})[:65536 - 2]
    bulk = bulk[: bulk.rfind("},") + 1] + "]}"
    return {
        "GET /user?5 params": ("GET", f"/user/search?{query}", BROWSER, b""),
        "POST 2 KB JSON": ("POST", "/content", [*BROWSER, ("Content-Type", "application/json")], json.dumps(doc).encode()),
        "POST 8 KB form": ("POST", "/content", [*BROWSER, ("Content-Type", "application/x-www-form-urlencoded")],
                           form.encode()),
        "POST 64 KB JSON": ("POST", "/content", [*BROWSER, ("Content-Type", "application/json")], bulk.encode()),
    }


def varied(method: str, uri: str, headers: list[tuple[str, str]], body: bytes, i: int
           ) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """The same request with per-request values: query words, page, session cookie, a body field."""
    rnd = random.Random(i)
    word = "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(4, 9)))
    uri = uri.replace("running+shoes", f"{word}+shoes").replace("page=2", f"page={rnd.randint(1, 500)}")
    session = f"session={rnd.getrandbits(64):016x}"
    headers = [(n, v.replace("session=3f9a1c0e8b7d4e2a", session)) for n, v in headers]
    body = body.replace(b"Weekly notes", f"Notes {word}".encode()).replace(b"A longer story", f"Story {word}".encode())
    return method, uri, headers, body


def load_acl(acl_name: str, body_limit: str | None) -> Any:
    """The built-in ACL, or with ``body_limit``: that inspection limit, SizeRestrictions_BODY counted."""
    path = resolve_acl_path(acl_name)
    doc = load_acl_document(path)
    if body_limit:
        doc = copy.deepcopy(doc)
        doc["AssociationConfig"] = {"RequestBody": {"CLOUDFRONT": {"DefaultSizeInspectionLimit": body_limit}}}
        for rule in doc["Rules"]:
            managed = rule["Statement"].get("ManagedRuleGroupStatement")
            if managed and managed["Name"] == "AWSManagedRulesCommonRuleSet":
                managed.setdefault("RuleActionOverrides", []).append(
                    {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}})
    return compile_acl(doc, source=str(path))


def measure(acl_name: str, n: int, body_limit: str | None = None) -> dict[str, dict[str, float]]:
    acl = load_acl(acl_name, body_limit)
    results: dict[str, dict[str, float]] = {}
    for label, base in requests().items():
        method, uri, headers, body = base
        verdict = acl.evaluate(HttpRequest(method, uri, list(headers), body, "10.20.30.40"))
        for _ in range(200):  # warm up
            acl.evaluate(HttpRequest(method, uri, list(headers), body, "10.20.30.40"))
        times = []
        cpu = 0.0
        for i in range(n):
            method, uri, headers, body = varied(*base, i)
            request = HttpRequest(method, uri, headers, body, "10.20.30.40")
            cpu_start = time.process_time()
            start = time.perf_counter()
            acl.evaluate(request)
            times.append(time.perf_counter() - start)
            cpu += time.process_time() - cpu_start
        times.sort()
        results[label] = {"min_us": times[0] * 1e6, "median_us": statistics.median(times) * 1e6,
                          "p99_us": times[int(len(times) * 0.99)] * 1e6, "action": verdict.action,  # type: ignore[dict-item]
                          "bytes": len(body), "cpu_us": cpu / n * 1e6}
    return results


def _worker_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _send(conn: http.client.HTTPConnection, request: tuple[str, str, list[tuple[str, str]], bytes],
          statuses: dict[int, int]) -> None:
    method, uri, headers, body = request
    conn.request(method, uri, body=body or None, headers=dict(headers))
    response = conn.getresponse()
    response.read()
    statuses[response.status] = statuses.get(response.status, 0) + 1


def measure_modsec(n: int) -> dict[str, dict[str, Any]]:
    """CPU seconds the nginx + ModSecurity + CRS PL1 worker spends per request, per request kind."""
    from bench.waf_proxy import run as proxy_bench

    proxy_bench.UPSTREAM = UPSTREAM_PORT
    upstream = proxy_bench.start_upstream()
    script = ROOT / "bench" / "modsec" / "nginx.sh"
    subprocess.run(["bash", str(script), "start", "--port", str(MODSEC_PORT), "--upstream",
                    f"127.0.0.1:{UPSTREAM_PORT}", "--paranoia", "1", "--workers", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    results: dict[str, dict[str, Any]] = {}
    try:
        master = (Path(f"/tmp/assetguard-modsec-{MODSEC_PORT}") / "nginx.pid").read_text().strip()
        worker = int(subprocess.run(["pgrep", "-P", master], capture_output=True, text=True, check=True
                                    ).stdout.split()[0])
        for label, base in requests().items():
            conn = http.client.HTTPConnection("127.0.0.1", MODSEC_PORT, timeout=30)
            statuses: dict[int, int] = {}
            for i in range(50):  # warm up
                _send(conn, varied(*base, i), statuses)
            statuses.clear()
            start = _worker_cpu(worker)
            for i in range(n):
                _send(conn, varied(*base, i), statuses)
            results[label] = {"cpu_us": (_worker_cpu(worker) - start) / n * 1e6, "statuses": statuses}
            conn.close()
    finally:
        subprocess.run(["bash", str(script), "stop", "--port", str(MODSEC_PORT)], check=False,
                       stdout=subprocess.DEVNULL)
        proxy_bench.stop(upstream)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--acl", default="baseline")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--body-limit", choices=["KB_16", "KB_32", "KB_48", "KB_64"],
                        help="inspect bodies up to this size (SizeRestrictions_BODY counted, not blocking)")
    parser.add_argument("--modsec", action="store_true",
                        help="anchor: nginx + ModSecurity + CRS PL1 worker CPU per request, same requests")
    parser.add_argument("--without-detectors", action="store_true",
                        help="replace the SQLi/XSS detectors by no-ops: the engine's own share of the time")
    args = parser.parse_args()
    if args.without_detectors:
        import assetguard.waf.detectors.sqli as sqli
        import assetguard.waf.detectors.xss as xss

        sqli.detect_sqli = lambda text, sensitivity="LOW": False  # type: ignore[assignment]
        xss.detect_xss = lambda text: False  # type: ignore[assignment]
    results = measure(args.acl, args.n, args.body_limit)
    anchor = measure_modsec(min(args.n, 2000)) if args.modsec else {}
    print(f"ACL {args.acl}, {args.n} requests each" + (" (detectors stubbed out)" if args.without_detectors else "")
          + (f", body inspection limit {args.body_limit}" if args.body_limit else "")
          + f", load average {os.getloadavg()[0]:.1f}")
    head = f"{'request':<22} {'verdict':<7} {'min µs':>8} {'median µs':>10} {'p99 µs':>8} {'CPU µs/req':>11}"
    print(head + (f" {'ModSec CPU µs':>14} {'median/ModSec':>14}" if anchor else ""))
    for label, r in results.items():
        line = (f"{label:<22} {r['action']:<7} {r['min_us']:8.1f} {r['median_us']:10.1f} {r['p99_us']:8.1f} "
                f"{r['cpu_us']:11.1f}")
        if anchor:
            a = anchor[label]
            line += f" {a['cpu_us']:14.1f} {r['median_us'] / a['cpu_us']:14.3f}"
        print(line)
    print("(CPU µs/req: process CPU time per request, mean; less sensitive than wall time to other load)")
    if anchor:
        print("(ModSec CPU µs: the nginx + ModSecurity + CRS PL1 worker's CPU time per request, same requests;"
              " answers: " + "; ".join(f"{label} {a['statuses']}" for label, a in anchor.items()) + ")")


if __name__ == "__main__":
    main()
