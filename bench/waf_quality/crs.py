"""The OWASP CRS regression corpus (go-ftw YAML) as attack and legitimate requests.

Each test's first stage becomes one request. A test with ``expect_ids`` is an attack of the
category its rule id belongs to; a test with only ``no_expect_ids`` is legitimate traffic.
Tests the comparison cannot use fairly go to :data:`IGNORED` with the reason, never silently.

Paranoia levels come from the rules that Debian's ``modsecurity-crs`` package installs
(``tag:'paranoia-level/N'``); a rule id that CRS 3.3 does not have is ``None`` (a CRS 4 rule).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The OWASP CRS regression tests, shipped with their licence under tests/data/crs-regression/.
CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "crs-regression" / "tests"
CRS_RULES = Path("/usr/share/modsecurity-crs/rules")

CATEGORIES = {
    "911": "method-enforcement",
    "913": "scanner",
    "920": "protocol",
    "921": "protocol-attack",
    "922": "multipart",
    "930": "lfi",
    "931": "rfi",
    "932": "rce",
    "933": "php",
    "934": "generic",
    "941": "xss",
    "942": "sqli",
    "943": "session-fixation",
    "944": "java",
}
# Every ignored group carries its reason.
IGNORED_FILE_PREFIXES = {
    "RESPONSE-": "response-side test: inspects what the application sends back, not the request",
    "REQUEST-949": "blocking-evaluation bookkeeping, not an attack class",
    "REQUEST-999": "exclusion-rule bookkeeping, not an attack class",
}
REASON_PL34 = "paranoia level 3/4 rule: fires on ordinary input by design (CRS docs), not an attack signal"
REASON_RAW = "needs a raw, malformed HTTP message (encoded_request) that no application ever receives"
REASON_NO_INPUT = "no request in the test (response or log-only check)"
REASON_ERROR = "expects the HTTP client to fail (expect_error): malformed on the wire"


@dataclass(slots=True)
class CrsCase:
    """One CRS test as a request plus its verdict class."""

    case_id: str
    rule_id: int
    category: str
    attack: bool
    method: str
    uri: str
    headers: list[list[str]]
    body: str
    paranoia: int | None
    payloads: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The offline-contract JSONL record of this request."""
        rec: dict[str, Any] = {
            "method": self.method,
            "uri": self.uri,
            "headers": self.headers,
            "client_ip": "10.1.2.3",
        }
        if self.body:
            rec["body"] = self.body
        return rec


def paranoia_levels(rules_dir: Path = CRS_RULES) -> dict[int, int]:
    """Rule id → paranoia level, read from the installed CRS rule files.

    Without them the ignore list would silently lose its paranoia-level-3/4 entries and the
    figures would not be comparable with earlier runs, so a missing package is an error.
    """
    levels: dict[int, int] = {}
    if not rules_dir.exists():
        raise SystemExit(
            f"waf_quality: {rules_dir} not found; the CRS paranoia levels come from Debian's "
            "modsecurity-crs package: apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs"
        )
    for conf in sorted(rules_dir.glob("*.conf")):
        text = conf.read_text(encoding="utf-8", errors="replace")
        for chunk in re.split(r"\n(?=SecRule|SecAction)", text):
            m = re.search(r"\bid:(\d+)", chunk)
            if not m:
                continue
            pl = re.search(r"paranoia-level/(\d)", chunk)
            levels[int(m.group(1))] = int(pl.group(1)) if pl else 1
    return levels


def _as_text(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, list):
        return "\r\n".join(str(x) for x in data)
    return str(data)


def _payloads(uri: str, body: str, content_type: str) -> list[str]:
    """The attacker-controlled values of a request: query values and form values (URL-decoded)."""
    from urllib.parse import unquote_plus

    out: list[str] = []
    query = uri.split("?", 1)[1] if "?" in uri else ""
    sources = [query]
    if body and "multipart" not in content_type and "json" not in content_type and "xml" not in content_type:
        sources.append(body)
    for source in sources:
        for part in source.split("&"):
            if "=" in part:
                value = unquote_plus(part.split("=", 1)[1])
            else:
                value = unquote_plus(part)
            if len(value) >= 4:
                out.append(value)
    if body and ("json" in content_type or "xml" in content_type):
        out.append(body)
    return out


def load_cases(
    corpus: Path = CORPUS, levels: dict[int, int] | None = None
) -> tuple[list[CrsCase], list[tuple[str, str]]]:
    """All usable cases and the ignore list ``[(case id or file, reason)]``."""
    levels = paranoia_levels() if levels is None else levels
    cases: list[CrsCase] = []
    ignored: list[tuple[str, str]] = []
    for path in sorted(corpus.rglob("*.yaml")):
        folder = path.parent.name
        reason = next((r for p, r in IGNORED_FILE_PREFIXES.items() if folder.startswith(p)), None)
        if reason:
            ignored.append((f"{folder}/{path.name}", reason))
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not doc.get("tests"):
            ignored.append((f"{folder}/{path.name}", REASON_NO_INPUT))
            continue
        rule_id = int(doc.get("rule_id") or path.stem)
        category = CATEGORIES.get(str(rule_id)[:3])
        if category is None:
            ignored.append((f"{folder}/{path.name}", "rule family outside the request attack categories"))
            continue
        for test in doc.get("tests") or []:
            case_id = f"{rule_id}-{test.get('test_id')}"
            stage = (test.get("stages") or [{}])[0]
            stage = stage.get("stage", stage)
            inp, out = stage.get("input"), stage.get("output") or {}
            log = out.get("log") or {}
            expect = log.get("expect_ids") or out.get("expect_ids")
            if inp is None:
                ignored.append((case_id, REASON_NO_INPUT))
                continue
            if inp.get("encoded_request") or inp.get("raw_request"):
                ignored.append((case_id, REASON_RAW))
                continue
            if out.get("expect_error"):
                ignored.append((case_id, REASON_ERROR))
                continue
            attack = bool(expect)
            pl = levels.get(rule_id)
            if attack and pl is not None and pl >= 3:
                ignored.append((case_id, REASON_PL34))
                continue
            headers_map = inp.get("headers") or {}
            headers = [[str(k), str(v)] for k, v in headers_map.items()]
            for pair in headers:
                if pair[0].lower() == "host" and pair[1] in ("localhost", "127.0.0.1"):
                    # The CRS harness targets localhost; a deployed app has a real host name, and
                    # Host_localhost_HEADER would otherwise decide every test.
                    pair[1] = "app.example.com"
            body = _as_text(inp.get("data"))
            uri = str(inp.get("uri") or "/")
            method = str(inp.get("method") or "GET")
            autocomplete = inp.get("autocomplete_headers", True) is not False
            if body and autocomplete and not any(k.lower() == "content-type" for k, _ in headers):
                # go-ftw completes a request with data like a form post unless told not to.
                headers.append(["Content-Type", "application/x-www-form-urlencoded"])
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            if body and autocomplete and not any(k.lower() == "content-length" for k, _ in headers):
                headers.append(["Content-Length", str(len(body.encode("utf-8", errors="surrogateescape")))])
            cases.append(
                CrsCase(
                    case_id,
                    rule_id,
                    category,
                    attack,
                    method,
                    uri,
                    headers,
                    body,
                    pl,
                    _payloads(uri, body, content_type.lower()) if attack else [],
                )
            )
    return cases, ignored


def encode_body(body: str) -> bytes:
    return body.encode("utf-8", errors="surrogateescape")


def b64(body: str) -> str:
    return base64.b64encode(encode_body(body)).decode()
