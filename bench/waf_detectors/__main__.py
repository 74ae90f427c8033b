"""Time per call of the SQLi and XSS detectors with their native loops and with the Python ones.

    .venv/bin/python -m bench.waf_detectors [--n 1000] [--rounds 3]

Both run in the same process, alternately in each round (the order flips every round), on the
values ``bench.waf_engine``'s requests hand the detectors (query values, header values, a JSON
body's values and the whole 2 KB body, an 8 KB form body), short attack payloads, and the first
2,000 values of the CRS regression corpus. Each value is made unique per iteration (trailing
spaces), so no memo can help. Prints, for each, the median µs per pass over a value set (for the
CRS values: per value, the pass divided by 2,000), and Python ÷ native. Needs the extension built (``bash scripts/setup.sh`` with gcc and python3-dev).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from assetguard.waf.detectors import native, sqli, sqli_folded, xss
from bench.waf_sqli.__main__ import ATTACKS, FORM_BODY, GET_VALUES, JSON_VALUES

CRS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "crs-regression" / "tests"
JSON_BODY = json.dumps({"author_id": 7, "title": "Weekly notes", "kind": "markdown", "tags": ["travel", "food", "notes"],
                        "body": ("We walked along the river and talked about the new release. " * 40)[:1900]})
XSS_ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="alert(1)',
               "javascript:alert(document.cookie)", "';alert(String.fromCharCode(88))//", "<svg/onload=alert(1)>"]


def _crs_values(limit: int) -> list[str]:
    if not CRS_DIR.exists():
        return []
    from bench.waf_quality.crs import load_cases

    cases, _ = load_cases(CRS_DIR, levels={})
    return sorted({v for case in cases for v in (*case.payloads, case.uri, case.body) if v})[:limit]


def _use(on: bool, loops: dict[str, tuple[object, object]]) -> None:
    """Point the detectors at their native loops (``on``) or at the Python ones."""
    for name, (native_loop, python_loop) in loops.items():
        module, attr = name.split(".")
        setattr({"sqli": sqli, "xss": xss}[module], attr, native_loop if on else python_loop)


def _time_set(detect: Callable[[str], bool], values: list[str], n: int) -> list[float]:
    """µs per call of ``detect`` over the whole value set, one figure per iteration."""
    times = []
    for i in range(n):
        fresh = [v + " " * (i % 7) for v in values]
        start = time.perf_counter()
        for v in fresh:
            detect(v)
        times.append((time.perf_counter() - start) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="iterations per value set, mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not native.ENABLED:
        sys.exit("bench.waf_detectors: the native extension is not built (or ASSETGUARD_WAF_NATIVE=0)")
    loops = {
        "sqli.lex_folded": (sqli.lex_folded, sqli_folded.lex_folded_python),
        "sqli._native_may_be_sqli": (sqli._native_may_be_sqli, None),
        "xss._native_may_be_xss": (xss._native_may_be_xss, None),
        "xss._native_xss_gates": (xss._native_xss_gates, None),
    }
    crs = _crs_values(2000)
    sets: dict[str, list[str]] = {
        "typical GET values": GET_VALUES, "2 KB JSON values": JSON_VALUES, "2 KB JSON body": [JSON_BODY],
        "8 KB form body": [FORM_BODY], "SQLi attacks": ATTACKS, "XSS attacks": XSS_ATTACKS,
    }
    if crs:
        sets["CRS, per value"] = crs
    detectors: dict[str, Callable[[str], bool]] = {"sqli": sqli.detect_sqli, "xss": xss.detect_xss}
    results: dict[tuple[str, str, bool], list[float]] = {}
    for r in range(args.rounds):
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            _use(on, loops)
            for name, values in sets.items():
                n = max(10, args.n // max(1, len(values) // 10)) if len(values) > 50 else args.n
                for det, detect in detectors.items():
                    results.setdefault((det, name, on), []).extend(_time_set(detect, values, n))
    _use(True, loops)
    print(f"{'detector':8} {'value set':20} {'native µs':>10} {'Python µs':>10} {'Python/native':>14}")
    for det in detectors:
        for name in sets:
            per = len(sets[name]) if name == "CRS, per value" else 1
            fast = statistics.median(results[(det, name, True)]) / per
            slow = statistics.median(results[(det, name, False)]) / per
            print(f"{det:8} {name:20} {fast:10.1f} {slow:10.1f} {slow / fast:13.2f}x")
    print("(median µs per pass over the value set; both modes alternate in the same process)")


if __name__ == "__main__":
    main()
