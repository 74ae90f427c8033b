"""NoSQL injection, path traversal and LFI: block and pass rates on the technique-built corpora.

The corpora are ``bench.waf_quality.depth`` (attacks and legitimate counterparts in seven
placements plus whole requests); the bench prints the full tables, these tests hold the floors on
a deterministic sample (every third placed record, every whole request) so a pattern that stops
firing, or starts firing on JSON Schema, OData or a CMS post, fails here.

Floors sit under the figures the bench measured (``bench.waf_quality.depth``, recommended:
attacks 99.4-100 %; the legitimate requests it blocks are blocked by the AWS-named groups, which
keep AWS's documented scope, so the whole-ACL legitimate floors are lower than the floor for
assetguard's own groups, 99.5 %).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any

import pytest
from bench.waf_quality.depth import CLASSES, build

from assetguard.waf.engine import compile_acl, load_compiled_acl
from assetguard.waf.managed.loader import load_managed_group
from assetguard.waf.request import HttpRequest

ATTACK_FLOOR = {"nosql": 97.0, "traversal": 97.0, "lfi": 97.0}
# Whole recommended ACL, legitimate requests passed (AWS-named groups included).
LEGIT_FLOOR_ACL = {"nosql": 85.0, "traversal": 93.0}
# The NoSQLi_* and PathTraversal_* rules alone, legitimate requests passed.
LEGIT_FLOOR_OWN = 99.5
OWN_PREFIXES = ("NoSQLi_", "PathTraversal_")
GROUP = "AssetGuardInjectionRuleSet"


def _sample() -> list[dict[str, Any]]:
    records = build(CLASSES)
    placed = [r for r in records if not r["meta"]["placement"].startswith("request:")]
    whole = [r for r in records if r["meta"]["placement"].startswith("request:")]
    return placed[::3] + whole


def _blocked(acl: Any, rec: dict[str, Any]) -> bool:
    verdict = acl.evaluate(HttpRequest.from_jsonl_record({k: v for k, v in rec.items() if k != "meta"}))
    return verdict.action == "BLOCK" and verdict.terminating_rule_id != "Default_Action"


@functools.cache
def _own_rules_only() -> Any:
    """An ACL with only the injection group, every rule but NoSQLi_*/PathTraversal_* in Count."""
    rules = load_managed_group("AssetGuard", GROUP)["Rules"]
    overrides = [
        {"Name": r["Name"], "ActionToUse": {"Count": {}}} for r in rules if not r["Name"].startswith(OWN_PREFIXES)
    ]
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    doc = {
        "Name": "own-rules",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": visibility,
        "Rules": [
            {
                "Name": "injection",
                "Priority": 0,
                "Statement": {
                    "ManagedRuleGroupStatement": {
                        "VendorName": "AssetGuard",
                        "Name": GROUP,
                        "RuleActionOverrides": overrides,
                    }
                },
                "OverrideAction": {"None": {}},
                "VisibilityConfig": visibility,
            }
        ],
    }
    return compile_acl(doc)


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return _sample()


def _rates(acl: Any, records: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float], list[str]]:
    attack: dict[str, list[bool]] = defaultdict(list)
    legit: dict[str, list[bool]] = defaultdict(list)
    wrong: list[str] = []
    for rec in records:
        meta = rec["meta"]
        hit = _blocked(acl, rec)
        (attack if meta["attack"] else legit)[meta["class"]].append(hit if meta["attack"] else not hit)
        if hit != meta["attack"]:
            wrong.append(json.dumps([meta["class"], meta["placement"], meta["payload"][:80]]))
    share = {c: 100.0 * sum(v) / len(v) for c, v in attack.items()}
    passed = {c: 100.0 * sum(v) / len(v) for c, v in legit.items()}
    return share, passed, wrong


def test_recommended_blocks_each_class_and_passes_its_counterpart(sample: list[dict[str, Any]]) -> None:
    blocked, passed, wrong = _rates(load_compiled_acl("recommended"), sample)
    low = {c: round(blocked[c], 1) for c, floor in ATTACK_FLOOR.items() if blocked[c] < floor}
    assert not low, (low, [w for w in wrong if '"lfi"' in w or "true" in w][:20])
    low = {c: round(passed[c], 1) for c, floor in LEGIT_FLOOR_ACL.items() if passed[c] < floor}
    assert not low, (low, wrong[:20])


def test_nosql_and_path_rules_alone_pass_the_legitimate_counterparts(sample: list[dict[str, Any]]) -> None:
    acl = _own_rules_only()
    legit = [r for r in sample if not r["meta"]["attack"]]
    blocked = [r["meta"]["payload"][:100] for r in legit if _blocked(acl, r)]
    passed = 100.0 * (len(legit) - len(blocked)) / len(legit)
    assert passed >= LEGIT_FLOOR_OWN, blocked
    # The same rules alone still carry the classes (the AWS-named groups are not doing the work).
    attacks = [r for r in sample if r["meta"]["attack"]]
    caught = sum(_blocked(acl, r) for r in attacks)
    assert 100.0 * caught / len(attacks) >= 95.0


def test_own_groups_pass_the_legitimate_counterparts(sample: list[dict[str, Any]]) -> None:
    """What assetguard's own groups add to the AWS-named ones (recommended, every AWS group in
    Count) passes >= 99.5 % of each class's legitimate counterparts."""
    from bench.waf_quality.depth import _compiled

    acl = _compiled("recommended-own")
    legit: dict[str, list[str]] = defaultdict(list)
    blocked: dict[str, list[str]] = defaultdict(list)
    for rec in (r for r in sample if not r["meta"]["attack"]):
        legit[rec["meta"]["class"]].append(rec["meta"]["payload"])
        if _blocked(acl, rec):
            blocked[rec["meta"]["class"]].append(rec["meta"]["placement"] + " " + rec["meta"]["payload"][:100])
    low = {c: blocked[c] for c in legit if 100.0 * (len(legit[c]) - len(blocked[c])) / len(legit[c]) < 99.5}
    assert not low, low


@pytest.mark.parametrize(
    "value",
    [
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x", "$ref": "#/$defs/a"}',
        '{"_id": {"$oid": "64f1c2a9e13b5c0012ab34cd"}, "at": {"$date": "2026-12-07T00:00:00Z"}}',
        "query Users($where: users_bool_exp, $in: [String!]) { users(where: $where) { id } }",
        "Save $5 on orders over $50",
        "reports/2026/q3.pdf",
        '<img src="../images/a.png"> see ../docs/setup.md',
        "On Linux, /etc/hosts maps names.",
    ],
)
def test_legitimate_values_in_a_json_body_pass_the_own_rules(value: str) -> None:
    from bench.waf_quality.placements import place

    rec = place(value, "json")
    assert rec is not None and not _blocked(_own_rules_only(), rec)


@pytest.mark.parametrize(
    "value",
    [
        '{"$where": "sleep(1000)"}',
        "'; return true; var x='",
        "' && this.password.match(/.*/)//",
        '{"username": {"$ne": null}}',
        "..%c0%af..%c0%afetc/passwd",
        "..;/..;/WEB-INF/web.xml",
        "....//....//etc/passwd",
        "..%u2216..%u2216windows\\win.ini",
        "C:\\windows\\win.ini",
        "php://filter/convert.base64-encode/resource=index.php",
        "/proc/self/environ",
        "images/../../../../etc/shadow%00.png",
    ],
)
def test_attack_values_in_a_cookie_are_blocked_by_the_own_rules(value: str) -> None:
    from bench.waf_quality.placements import place

    rec = place(value, "cookie")
    assert rec is not None and _blocked(_own_rules_only(), rec)
