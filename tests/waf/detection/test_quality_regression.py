"""Detection must not regress: CRS attack samples per category are blocked by ``recommended``,
generated legitimate traffic passes.

Floors sit a few points under the figures measured by ``bench.waf_quality`` (BENCHMARKS.md), on
a deterministic sample (every fifth CRS attack), so a broken detector or a rule that stops firing
fails here long before anyone reruns the bench.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from bench.waf_quality.crs import CRS_RULES

from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.request import HttpRequest
from tests.conftest import CORPORA

CRS_DIR = CORPORA / "crs-regression" / "tests"
# Share of sampled CRS attacks `recommended` must block, per category (percent).
FLOORS = {
    "generic": 45,
    "java": 80,
    "lfi": 85,
    "multipart": 75,
    "php": 65,
    "protocol": 88,
    "protocol-attack": 90,
    "rfi": 75,
    "rce": 40,
    "session-fixation": 80,
    "sqli": 83,
    "xss": 85,
}
OVERALL_FLOOR = 55
LEGIT_FLOOR = 99.0


def _blocked(acl: Any, record: dict[str, Any]) -> bool:
    verdict = acl.evaluate(HttpRequest.from_jsonl_record(record))
    return verdict.action == "BLOCK" and verdict.terminating_rule_id != "Default_Action"


@pytest.fixture(scope="module")
def recommended() -> Any:
    return load_compiled_acl("recommended")


@pytest.mark.skipif(not CRS_DIR.exists(), reason="CRS regression corpus not available")
@pytest.mark.skipif(
    not CRS_RULES.exists(),
    reason="Debian's modsecurity-crs package (CRS paranoia levels for the ignore list) is not installed",
)
def test_crs_attack_sample_blocked_per_category(recommended: Any) -> None:
    from bench.waf_quality.crs import load_cases

    cases, ignored = load_cases(CRS_DIR)
    assert all(reason for _, reason in ignored), "every ignored test carries its reason"
    hits: dict[str, list[bool]] = defaultdict(list)
    for case in [c for c in cases if c.attack][::5]:
        hits[case.category].append(_blocked(recommended, case.record()))
    shares = {cat: 100.0 * sum(v) / len(v) for cat, v in hits.items()}
    low = {cat: round(shares[cat], 1) for cat, floor in FLOORS.items() if shares[cat] < floor}
    assert not low, f"categories under their floor: {low} (floors {FLOORS})"
    overall = 100.0 * sum(sum(v) for v in hits.values()) / sum(len(v) for v in hits.values())
    assert overall >= OVERALL_FLOOR, overall


def test_generated_legitimate_sample_passes(recommended: Any) -> None:
    from bench.waf_quality.legit import generate

    records = generate(1000, seed=7)
    blocked = [r for r in records if _blocked(recommended, {k: v for k, v in r.items() if k != "kind"})]
    passed = 100.0 * (len(records) - len(blocked)) / len(records)
    assert passed >= LEGIT_FLOOR, [(r["kind"], r["uri"], (r.get("body") or "")[:120]) for r in blocked[:10]]


def test_legit_generator_is_deterministic() -> None:
    from bench.waf_quality.legit import generate

    assert generate(50, seed=3) == generate(50, seed=3)
    assert generate(50, seed=3) != generate(50, seed=4)
    assert len(generate(5000)) == 5000
