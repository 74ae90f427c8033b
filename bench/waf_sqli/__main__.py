"""Time of the SQLi detector alone on the values a typical request hands it.

    .venv/bin/python -m bench.waf_sqli [--n 2000]

The values are those of ``bench.waf_engine``'s three requests (query arguments, cookies, browser
headers, a JSON body's values, an 8 KB form body) plus short attack payloads, each made unique
per iteration so no memo can help. Prints the median µs per value set. Compare two detector
versions by running this under each, alternately, in the same minute (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.parse

from assetguard.waf.detectors.sqli import detect_sqli

GET_VALUES = ["running shoes", "2", "price", "42", "en", "3f9a1c0e8b7d4e2a", "dark",
              "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
              "https://app.example.com/content?q=shoes&page=1"]
JSON_VALUES = ["Weekly notes", "markdown", "travel", "food", "notes",
               ("We walked along the river and talked about the new release. " * 40)[:1900]]
FORM_BODY = urllib.parse.unquote_plus(urllib.parse.urlencode(
    {"title": "A longer story", "kind": "text",
     "body": ("It was a bright cold day in April and the clocks were striking. " * 130)[:8000]}))
ATTACKS = ["1' or '1'='1", "1 union select null,version()--", "admin'--", "1;waitfor delay '0:0:5'--",
           "AND 7639=(", "hex(", "' union/", json.dumps({"q": "1 or 1=1"})]
SETS = {"typical GET values": GET_VALUES, "2 KB JSON values": JSON_VALUES, "8 KB form body": [FORM_BODY],
        "attack payloads": ATTACKS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'value set':22} {'median µs':>10} {'min µs':>10}")
    for name, values in SETS.items():
        n = max(20, args.n // (50 if name == "8 KB form body" else 1))
        times = []
        for i in range(n):
            fresh = [v + (" " * (i % 7)) for v in values]  # unique per iteration, same meaning
            start = time.perf_counter()
            for v in fresh:
                detect_sqli(v)
            times.append((time.perf_counter() - start) * 1e6)
        print(f"{name:22} {statistics.median(times):10.1f} {min(times):10.1f}")


if __name__ == "__main__":
    main()
