"""AWS-named rules fire on what the AWS WAF developer guide documents for them, and not on more.

Label-matching rules are written against AWS's names, so an AWS-named rule that matches more
than AWS documents would make ``baseline`` a wrong preview of AWS WAF. What assetguard detects
beyond that scope lives in ``AssetGuardInjectionRuleSet`` (``recommended``), under its own names.

Scopes, from the AWS WAF developer guide (AWS Managed Rules, baseline rule groups):

* ``EC2MetaDataSSRF_*``: "attempts to exfiltrate Amazon EC2 metadata";
* ``GenericRFI_*``: RFI "by embedding URLs that contain IPv4 addresses", with patterns like
  ``http://``, ``https://``, ``ftp://``, ``ftps://`` and ``file://`` and an IPv4 host.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.request import HttpRequest

from .group_helpers import label_of, only, q, req

CORE = "AWSManagedRulesCommonRuleSet"
INJ = "AssetGuardInjectionRuleSet"


@functools.cache
def _recommended() -> Any:
    return load_compiled_acl("recommended")


def _labels(group: str, request_: HttpRequest) -> set[str]:
    return set(only(group, counting=True).evaluate(request_).labels)


def _form(value: str) -> HttpRequest:
    return req(form="url=" + value.replace("%", "%25").replace("&", "%26"))


# (AWS rule, request, own rule that covers it instead): in AWS's scope for the own rule only.
BEYOND_SCOPE = [
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://metadata.google.internal/computeMetadata/v1/", "url")),
     "CloudMetadataSSRF_QUERYARGUMENTS"),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://100.100.100.200/latest/meta", "u")),
     "CloudMetadataSSRF_QUERYARGUMENTS"),
    ("EC2MetaDataSSRF_BODY", _form("http://metadata.azure.com/metadata/instance?api-version=2021-02-01"),
     "CloudMetadataSSRF_BODY"),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://169.254.170.2/v2/credentials/x", "u")),
     "CloudMetadataSSRF_QUERYARGUMENTS"),
    ("EC2MetaDataSSRF_URIPATH", req("/content/computemetadata/v1/instance"), "CloudMetadataSSRF_URIPATH"),
    ("GenericRFI_QUERYARGUMENTS", req(q("http://[2001:db8::1]/shell.txt", "page")), "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_QUERYARGUMENTS", req(q("phar://uploads/avatar.jpg/x.php", "page")), "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_QUERYARGUMENTS", req(q("expect://id", "page")), "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_QUERYARGUMENTS", req(q("https://evil.example/shell.txt?", "page")), "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_QUERYARGUMENTS", req(q("gopher://10.0.0.1:70/_x", "page")), "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_QUERYARGUMENTS", req("/content?mosConfig_absolute_path=http://evil.example/x"),
     "RemoteFileInclusion_QUERYARGUMENTS"),
    ("GenericRFI_BODY", _form("php://10.0.0.5/x"), "RemoteFileInclusion_BODY"),
    ("GenericRFI_URIPATH", req("/content/http://evil.example/shell.txt"), "RemoteFileInclusion_URIPATH"),
]

IN_SCOPE = [
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://169.254.169.254/latest/meta-data/", "url"))),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://[fd00:ec2::254]/latest/api/token", "url"))),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", req(q("http://2852039166/", "url"))),
    ("EC2MetaDataSSRF_BODY", _form("http://instance-data.ec2.internal/latest/user-data")),
    ("EC2MetaDataSSRF_COOKIE", req(headers=[["Cookie", "next=http%3A%2F%2F169.254.169.254%2F"]])),
    ("EC2MetaDataSSRF_URIPATH", req("/content/latest/meta-data/iam/security-credentials/")),
    ("GenericRFI_QUERYARGUMENTS", req(q("http://192.0.2.10/shell.txt", "page"))),
    ("GenericRFI_QUERYARGUMENTS", req(q("ftps://user@198.51.100.7/x.php", "page"))),
    ("GenericRFI_QUERYARGUMENTS", req(q("file://203.0.113.9/share/x", "page"))),
    ("GenericRFI_BODY", _form("https://192.0.2.44:8443/x.txt")),
    ("GenericRFI_URIPATH", req("/content/http://192.0.2.10/x")),
]


@pytest.mark.parametrize(("rule", "request_", "own"), BEYOND_SCOPE, ids=[f"{r}-{o}" for r, _, o in BEYOND_SCOPE])
def test_aws_rule_does_not_fire_beyond_documented_scope(rule: str, request_: HttpRequest, own: str) -> None:
    family = rule.split("_")[0]
    assert not any(family in label for label in _labels(CORE, request_))
    assert label_of(INJ, own) in _labels(INJ, request_)
    assert _recommended().evaluate(request_).action == "BLOCK"


@pytest.mark.parametrize(("rule", "request_"), IN_SCOPE, ids=[r for r, _ in IN_SCOPE])
def test_aws_rule_fires_in_documented_scope(rule: str, request_: HttpRequest) -> None:
    assert label_of(CORE, rule) in _labels(CORE, request_)


def test_ordinary_urls_pass_both() -> None:
    for request_ in (
        req(q("https://docs.example.com/guide/faq.html", "next")),
        _form("https://cdn.example.com/img/a.png"),
    ):
        labels = _labels(CORE, request_) | _labels(INJ, request_)
        assert not any("RFI" in x or "FileInclusion" in x or "SSRF" in x for x in labels), labels


# AWSManagedRulesSQLiRuleSet as AWS lists it today: eight rules, SQLi_* (the SQL injection
# statement, sensitivity Low) before SQLiExtendedPatterns_*, which include the request headers
# and the URI path; the URI path rule's label is spelled "UriPath".
SQLI = "AWSManagedRulesSQLiRuleSet"
SQLI_RULES = [
    ("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments"),
    ("SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_QueryArguments"),
    ("SQLi_BODY", "SQLi_Body"),
    ("SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body"),
    ("SQLiExtendedPatterns_HEADER", "SQLiExtendedPatterns_Header"),
    ("SQLiExtendedPatterns_URIPATH", "SQLiExtendedPatterns_UriPath"),
    ("SQLi_COOKIE", "SQLi_Cookie"),
    ("SQLi_URIPATH", "SQLi_URIPath"),
]


def test_sqli_group_rules_labels_actions_as_aws_lists_them() -> None:
    from assetguard.waf.managed.loader import load_managed_group

    doc = load_managed_group("AWS", SQLI)
    assert (doc["Capacity"], doc["LabelNamespace"]) == (200, "awswaf:managed:aws:sql-database:")
    assert [(r["Name"], r["RuleLabels"][0]["Name"]) for r in doc["Rules"]] == SQLI_RULES
    assert all(list(r["Action"]) == ["Block"] for r in doc["Rules"])
    for rule in doc["Rules"]:
        sqli = [s for s in _statements(rule["Statement"]) if "SqliMatchStatement" in s]
        assert all(s["SqliMatchStatement"]["SensitivityLevel"] == "LOW" for s in sqli)
        assert bool(sqli) == rule["Name"].startswith("SQLi_"), rule["Name"]


def _statements(statement: dict[str, object]) -> list[dict[str, object]]:
    inner = statement.get("OrStatement") or statement.get("AndStatement")
    if isinstance(inner, dict):
        return [s for sub in inner["Statements"] for s in _statements(sub)]
    return [statement]


@pytest.mark.parametrize(
    ("request_", "rule"),
    [
        (req(headers=[["Referer", "https://shop.example/?id=1 UNION SELECT password FROM users"]]),
         "SQLiExtendedPatterns_HEADER"),
        (req(headers=[["X-Api-Filter", "1;waitfor delay '0:0:5'--"]]), "SQLiExtendedPatterns_HEADER"),
        (req("/content/items/1%27%20or%20%271%27%3D%271"), "SQLi_URIPATH"),
        (req("/content/items/1%20union%20all%20select%20null,version()"), "SQLiExtendedPatterns_URIPATH"),
        (req("/content/items/x;waitfor%20delay%20'0:0:5'"), "SQLiExtendedPatterns_URIPATH"),
        (req(q("1' OR '1'='1", "id")), "SQLi_QUERYARGUMENTS"),
    ],
)
def test_sqli_group_first_matching_rule_in_aws_order(request_: HttpRequest, rule: str) -> None:
    verdict = only(SQLI).evaluate(request_)
    assert verdict.action == "BLOCK"
    assert verdict.group_rule_id == rule
    assert label_of(SQLI, rule) in verdict.labels


def test_sqli_header_and_path_rules_pass_ordinary_requests() -> None:
    for request_ in (
        req("/content/selected-works/from-the-archive",
            headers=[["Referer", "https://www.example.com/search?q=select+from+union+station"]]),
        req("/content/union-select-committee-2026", headers=[["X-Request-Id", "7f3c-1e2d"]]),
    ):
        assert only(SQLI).evaluate(request_).action == "ALLOW"
