"""Java, PHP and generic (Node.js, Perl, template, SSRF, ORM) code-injection rules: attacks that
must block, each in the rule expected to catch it, and legitimate look-alikes that must pass.

Samples are written for these tests (not taken from the CRS corpus); each attack class is shown
in more than one spelling so a rule aimed at one string would fail here.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from assetguard.waf.managed.groups.patterns import chunks
from assetguard.waf.managed.groups.patterns_code import CODE
from assetguard.waf.request import HttpRequest

from .group_helpers import label_of, only, q, req

GROUPS = ("AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesPHPRuleSet", "AssetGuardInjectionRuleSet")


def serialized_b64(skew: int) -> str:
    """A Java serialization stream (magic ACED, version 5) base64-encoded after ``skew`` bytes."""
    stream = b"\xac\xed\x00\x05sr\x00\x11java.util.HashMap"
    return base64.b64encode(b"\x00" * skew + stream).decode()


K, PHP, INJ = GROUPS
ATTACKS: list[tuple[str, str, HttpRequest]] = [
    # ---- Java
    (INJ, "JavaClassName_QUERYSTRING", req(q("java.lang.ProcessBuilder", "type"))),
    (INJ, "JavaClassName_QUERYSTRING", req(q("org.apache.commons.beanutils.BeanComparator", "cls"))),
    (INJ, "JavaClassName_BODY", req(form="action=com.opensymphony.xwork2.ActionContext")),
    (INJ, "JavaClassName_QUERYSTRING", req(q("java.nio.spi.Runtime", "t"))),
    (INJ, "JavaClassName_JSON", req(doc={"@class": "java.io.FileOutputStream"})),
    (INJ, "JavaClassName_COOKIE", req(headers=[["Cookie", "handler=org.omg.CORBA.ORB"]])),
    (K, "JavaDeserializationRCE_BODY", req(form="state=" + quote(serialized_b64(0)))),
    (K, "JavaDeserializationRCE_QUERYSTRING", req(q(serialized_b64(1), "s"))),
    (K, "JavaDeserializationRCE_HEADER", req(headers=[["X-State", serialized_b64(2)]])),
    (INJ, "JavaDeserialization_COOKIE", req(headers=[["Cookie", "viewstate=" + serialized_b64(1)]])),
    (K, "Log4JRCE_BODY", req(doc={"name": "%24%7Bjndi:rmi://x.example/a%7D"})),
    (K, "Log4JRCE_BODY", req(doc={"name": "$&lbrace;jndi:dns://x.example}"})),
    (K, "Log4JRCE_QUERYSTRING", req(q("$&lcub;env:USER}"))),
    (INJ, "JSPFileUpload_HEADER", req(headers=[["X-File-Name", "report.JSP. "]])),
    (
        INJ,
        "JSPFileUpload_BODY",
        req(form='--b\r\nContent-Disposition: form-data; name="f"; filename="cmd.jspx "\r\n\r\nx\r\n--b--'),
    ),
    # ---- PHP
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("posix_getpwuid(0)"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("  mb_ereg_replace /* x */ ('.*', 'y', 'z')"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q('strrev("dmc")'))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("get_current_user();"))),
    (PHP, "PHPHighRiskMethodsVariables_BODY", req(form="x=" + quote('("pass"."thru")("id")'))),
    (PHP, "PHPHighRiskMethodsVariables_BODY", req(form="x=" + quote("[ exec ][ 0 ]( 'id' );"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("$fn //c\n ('id')"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("$x[$y[0]]{1}(2)"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("$   { 'cmd' }"))),
    (PHP, "PHPHighRiskMethodsVariables_QUERYSTRING", req(q("php://stderr", "log"))),
    (PHP, "PHPHighRiskMethodsVariables_BODY", req(form="cfg=" + quote("max_input_vars = 1"))),
    (PHP, "PHPHighRiskMethodsVariables_HEADER", req(headers=[["X-Config", "open_basedir=/"]])),
    (INJ, "PHPInjection_URIPATH", req("/content/str_rot13(%22x%22)")),
    (INJ, "PHPInjection_URIPATH", req("/content/intval%20(1)")),
    # ---- Node.js, Perl, templates
    (INJ, "NodeJSCode_QUERYARGUMENTS", req(q("global['process'].exit()"))),
    (INJ, "NodeJSCode_QUERYARGUMENTS", req(q("require.cache"))),
    (INJ, "NodeJSCode_BODY", req(form="v=" + quote("while (Infinity) {}"))),
    (INJ, "NodeJSCode_JSON", req(doc={"v": "for(;;);"})),
    (INJ, "NodeJSCode_QUERYARGUMENTS", req(q("@{[ `id` ]}"))),
    (INJ, "NodeJSCode_JSON", req(doc={"cb": "\\u0070rocess.binding('spawn_sync')"})),
    (
        INJ,
        "NodeJSCode_COOKIE",
        req(
            headers=[["Cookie", "p=" + base64.b64encode(b"require('child_process').execSync('id')").decode()]]
        ),
    ),
    (INJ, "PrototypePollution_QUERYSTRING", req("/content?user[__proto__][admin]=1")),
    (INJ, "PrototypePollution_QUERYSTRING", req("/content?a[constructor][prototype][isAdmin]=1")),
    (INJ, "NodeJSCode_URIPATH", req("/content/x;require.main.require('fs')")),
    (INJ, "TemplateStatement_QUERYARGUMENTS", req(q("{% set x = cycler %}{{ x }}"))),
    (INJ, "TemplateStatement_JSON", req(doc={"n": "<%= 6*7 %>"})),
    (INJ, "TemplateStatement_BODY", req(form="n=" + quote("{%- if 7 -%}seven{% endif %}"))),
    # ---- SSRF
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("http://2130706433/admin", "url"))),
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("gopher://10.1.65000/_x", "url"))),
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("http://①⓪.0.0.1/", "url"))),
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("http://10。0。0。1/", "url"))),
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("http://trusted.example &@10.0.0.5/", "url"))),
    (INJ, "SSRFEvasion_BODY", req(form="cb=" + quote("http:10.0.0.1"))),
    (INJ, "SSRFEvasion_JSON", req(doc={"hook": "host.docker.internal:2375/containers/json"})),
    (INJ, "SSRFEvasion_COOKIE", req(headers=[["Cookie", "next=redis.default.svc.cluster.local:6379"]])),
    (INJ, "SSRFEvasion_QUERYARGUMENTS", req(q("data:text/html,<b>hi</b>", "src"))),
    # ---- ORM lookups
    (INJ, "ORMLookup_QUERYSTRING", req("/content?author__password__startswith=a")),
    (INJ, "ORMLookup_JSON", req(doc={"owner__email__icontains": "@corp"})),
    (INJ, "ORMLookup_BODY", req(form="reset_token__isnull=false")),
]

# Legitimate requests that share words or characters with the attacks above.
LEGIT: list[HttpRequest] = [
    req(q("java.lang.NullPointerException fix")),
    req(q("how the java runtime handles processbuilder pipes")),
    req(doc={"body": "Call java.lang.String#format, or a java.io.File for paths."}),
    req(q("substring of a string in php")),
    req(q("array functions (map, filter) in php")),
    req(q("$5 (per month) plans")),
    req(doc={"code": "const total = `${price}` + `${qty}`;\nconsole.log(`Total: ${total}`);"}),
    req(doc={"code": "for x in range(10):\n    print(len(items))\n"}),
    req(doc={"code": "while (true) {\n  const job = await queue.next();\n  if (!job) break;\n}\n"}),
    req(form="engine=v8&precision=high&smtp=off"),
    req(q("process.env in node tutorial")),
    req(q("precision timing with date(1)")),
    req("/content/array-functions-in-php"),
    req("/content/File_(disambiguation)"),
    req("/content?proto=https&constructor=Bob+the+Builder"),
    req(q("50% off {sale} and 100% cotton")),
    req(q("https://example.com/path?x=1&y=2", "url")),
    req(q("time:1732900000", "since")),
    req(doc={"avatar": "data:image/png;base64,iVBORw0KGgo="}),
    req(doc={"body": "Point your client at host.docker.internal when it runs in a container."}),
    req(q("http://example.com/a b@c.example", "note")),
    req("/content?sort=created_at&page_size=10&first__name=Ann"),
    req(headers=[["X-Filename", "notes.jsp.txt"]]),
    req(
        doc={"code": "{% for post in posts %}\n  {% if post.draft %}<em>draft</em>{% endif %}\n{% endfor %}"}
    ),
    req(q("host.docker.internal not resolving")),
    req(q("org.apache.commons lang3 StringUtils")),
    req(doc={"code": "const text = await readFile(path, 'utf8');\nprint(chr(65)); define(['dep'], f);"}),
    req(doc={"code": "$stmt->execute([$id]);"}),
    req(headers=[["Cookie", "session=" + base64.b64encode(b"user=ann;theme=dark").decode()]]),
]


@pytest.mark.parametrize(
    ("group", "rule", "request_"), ATTACKS, ids=[f"{r}-{i}" for i, (_, r, _) in enumerate(ATTACKS)]
)
def test_attack_blocks_in_its_rule(group: str, rule: str, request_: HttpRequest) -> None:
    verdict = only(group, counting=True).evaluate(request_)
    assert label_of(group, rule) in verdict.labels, (request_.uri, sorted(verdict.labels))
    assert only(group).evaluate(request_).action == "BLOCK"


@pytest.mark.parametrize("request_", LEGIT, ids=[str(i) for i in range(len(LEGIT))])
@pytest.mark.parametrize("group", GROUPS)
def test_look_alike_passes(group: str, request_: HttpRequest) -> None:
    verdict = only(group).evaluate(request_)
    assert verdict.action == "ALLOW", (verdict.group_rule_id, request_.uri)


@pytest.mark.parametrize("key", sorted(CODE))
def test_patterns_fit_the_aws_regex_limit(key: str) -> None:
    assert all(len(part) <= 512 for part in chunks(CODE[key]))
