"""Body inspection through the prefilter plan: one pass per body, exact answers for every rule.

A body longer than the plan's memo limit has every chain's form computed once, its distinct forms
scanned together and each hit confirmed; chains ending in LOWERCASE are scanned in their form
before lower-casing with their patterns compiled caseless, which is only sound for patterns that
name no upper-case letter. Each case is checked against the plain per-rule evaluation.
"""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.waf.engine import compile_acl
from assetguard.waf.prefilter import LONG, MEMO_MAX_TEXT, FieldScan, caseless_safe
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import make_acl
from tests.waf.test_fuzz import _without_shortcuts

pytest.importorskip("hyperscan", reason="the caseless scan is a Hyperscan database")


def _regex_rule(name: str, priority: int, regex: str, chain: list[str]) -> dict[str, Any]:
    return {"Name": name, "Priority": priority, "Action": {"Block": {}},
            "Statement": {"RegexMatchStatement": {
                "RegexString": regex, "FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
                "TextTransformations": [{"Priority": i, "Type": t} for i, t in enumerate(chain)]}}}


def _pair(rules: list[dict[str, Any]]) -> tuple[Any, Any]:
    fast = compile_acl(make_acl([dict(rule) for rule in rules]))
    plain = compile_acl(make_acl([dict(rule) for rule in rules]))
    _without_shortcuts(plain)
    return fast, plain


def _verdicts(pair: tuple[Any, Any], body: str) -> tuple[str, str]:
    fast, plain = pair
    request = HttpRequest("POST", "/x", [("Content-Type", "text/plain")], body.encode("latin-1"))
    a = fast.evaluate(request)
    b = plain.evaluate(HttpRequest("POST", "/x", [("Content-Type", "text/plain")], body.encode("latin-1")))
    assert (a.action, a.terminating_rule_id) == (b.action, b.terminating_rule_id)
    assert request.cache.get(LONG) or len(body) <= MEMO_MAX_TEXT
    return a.action, a.terminating_rule_id


@pytest.mark.parametrize(("pattern", "safe"), [
    ("union\\s+select", True), ("[^a-z]{3}", True), ("\\x3c\\/script", True), ("\\x7a", True),
    ("[^A]", False), ("SELECT", False), ("\\x41", False), ("(a)\\1", False), ("\\u0041", False),
    ("(?P<w>x)", False),
])
def test_caseless_safe_refuses_patterns_naming_upper_case(pattern: str, safe: bool) -> None:
    assert caseless_safe(pattern) is safe


def test_lowercase_chain_matches_upper_case_bodies_through_the_cased_form() -> None:
    pair = _pair([_regex_rule("Sel", 0, "union\\s+select", ["LOWERCASE"]),
                  _regex_rule("Cmd", 1, "cat/etc/passwd", ["URL_DECODE", "CMD_LINE"])])
    prose = "Nothing to see here, just words and more words. " * 20
    scan = next(s for s in pair[0].plan.fields if isinstance(s, FieldScan) and s.db is not None)
    assert len(scan.scan_slots) == 2  # the raw value (caseless) and CMD_LINE's cased form of the decoded value
    assert _verdicts(pair, prose) == ("ALLOW", "Default_Action")
    assert _verdicts(pair, prose + "UNION   SeLeCt 1") == ("BLOCK", "Sel")
    assert _verdicts(pair, prose + "CaT%20%5E/ETC/PASS^WD") == ("BLOCK", "Cmd")
    assert _verdicts(pair, "UNION SELECT") == ("BLOCK", "Sel")  # short: the quick path, same scan


def test_a_pattern_naming_upper_case_reads_the_lower_cased_form() -> None:
    # [^A-Z]+ matches every lower-cased text; compiled caseless it would match no letter at all.
    pair = _pair([_regex_rule("NoUpper", 0, "^[^A-Z]{600}", ["LOWERCASE"])])
    assert not any(s.scan_slots == (0,) for s in pair[0].plan.fields if isinstance(s, FieldScan))
    assert _verdicts(pair, "X" * 700) == ("BLOCK", "NoUpper")
    assert _verdicts(pair, "X" * 300) == ("ALLOW", "Default_Action")


# Two patterns of the shipped recommended ACL (EC2MetaDataSSRF and a Unix-command rule) that
# vectorscan, bundled by the PyPI hyperscan wheels, fails to match together in one database.
_EC2 = (r"169\.254\.169\.254|fd00:ec2::254|0xa9fea9fe|2852039166|0251\.0376\.0251\.0376|a9fe:a9fe"
        r"|instance-data[./]|/latest/(?:meta-data|user-data|api/token)")
_UNIX = (r"""(?:^\s*|(?:^|&)[\w.\[\]-]{1,40}=\s*[\"']?|\s[\w:-]{1,40}=[\"']\s*)\\[a-z]{2,12}\s*(?:$|&|[\"'<])"""
         r"""|\|\s*(?:\$\{[^}]*\})?(?:gcc|cc|c89|c99|clang|python|perl|ruby|php|node|lua)[\d.]*\s*(?:$|&|[\"'<])""")


def test_without_hyperscan_the_plan_finds_what_vectorscan_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETGUARD_WAF_HYPERSCAN", "0")
    pair = _pair([_regex_rule("Ec2", 0, _EC2, ["NONE"]), _regex_rule("Unix", 1, _UNIX, ["NONE"])])
    assert all(s.db is None for s in pair[0].plan.fields if isinstance(s, FieldScan))
    assert _verdicts(pair, "title=hello&q=echo | gcc7.4") == ("BLOCK", "Unix")
    assert _verdicts(pair, "title=hello&q=echo" + " words" * 200 + " | gcc7.4") == ("BLOCK", "Unix")
    assert _verdicts(pair, "title=hello&q=echo | gcc is a compiler") == ("ALLOW", "Default_Action")
