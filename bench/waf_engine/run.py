"""Engine time per request for a built-in ACL (default ``baseline``).

    .venv/bin/python -m bench.waf_engine.run [--acl baseline] [--n 5000]

Three requests: a typical GET with a 5-parameter query, a 2 KB JSON POST, an 8 KB form POST.
Each is built fresh per iteration (as the proxy does), so per-request caches start empty, and the
parameter values and session cookie differ in every request (only the browser headers repeat, as
in real traffic), so the engine's memos of short values cannot make a repeated request free. The
time covers parsing the request views, every rule, and the verdict. Prints min/median/p99 wall
time in µs, and the mean process CPU time per request (steadier on a shared, loaded machine).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import time
import urllib.parse

from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.request import HttpRequest

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
    return {
        "GET /user?5 params": ("GET", f"/user/search?{query}", BROWSER, b""),
        "POST 2 KB JSON": ("POST", "/content", [*BROWSER, ("Content-Type", "application/json")], json.dumps(doc).encode()),
        "POST 8 KB form": ("POST", "/content", [*BROWSER, ("Content-Type", "application/x-www-form-urlencoded")],
                           form.encode()),
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


def measure(acl_name: str, n: int) -> dict[str, dict[str, float]]:
    acl = load_compiled_acl(acl_name)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--acl", default="baseline")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--without-detectors", action="store_true",
                        help="replace the SQLi/XSS detectors by no-ops: the engine's own share of the time")
    args = parser.parse_args()
    if args.without_detectors:
        import assetguard.waf.detectors.sqli as sqli
        import assetguard.waf.detectors.xss as xss

        sqli.detect_sqli = lambda text, sensitivity="LOW": False  # type: ignore[assignment]
        xss.detect_xss = lambda text: False  # type: ignore[assignment]
    results = measure(args.acl, args.n)
    print(f"ACL {args.acl}, {args.n} requests each" + (" (detectors stubbed out)" if args.without_detectors else ""))
    print(f"{'request':<22} {'verdict':<7} {'min µs':>8} {'median µs':>10} {'p99 µs':>8} {'CPU µs/req':>11}")
    for label, r in results.items():
        print(f"{label:<22} {r['action']:<7} {r['min_us']:8.1f} {r['median_us']:10.1f} {r['p99_us']:8.1f} "
              f"{r['cpu_us']:11.1f}")
    print("(CPU µs/req: process CPU time per request, mean; less sensitive than wall time to other load)")


if __name__ == "__main__":
    main()
