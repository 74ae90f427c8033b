"""Protocol refusals made visible exactly like rule blocks.

A refusal is one AWS WAF log record (``terminatingRuleId`` ``AssetGuard-Protocol``, the reason as
a label ``assetguard:protocol:<reason>`` and in ``terminatingRuleMatchDetails``), the same
Prometheus counters a rule block increments plus ``assetguard_waf_protocol_refusals_total{reason}``,
the console's recent-blocks tail, and, when sampled, a ``WAF Request Blocked`` event - through the
gate's own log writer and event publisher.

Example::

    record_refusal(gate, Refusal(400, "cl_and_te", "both ..."), partial_request(message, "192.0.2.1"))
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

from assetguard.waf.engine import Verdict
from assetguard.waf.frontdoor.errors import Refusal
from assetguard.waf.frontdoor.parser import MessageParser
from assetguard.waf.gate import WafGate
from assetguard.waf.logs import count, log_record
from assetguard.waf.request import HttpRequest

PROTOCOL_RULE_ID = "AssetGuard-Protocol"
REFUSALS = Counter("assetguard_waf_protocol_refusals", "Requests the front door refused before the ACL, by reason",
                   ["reason", "status"])


def partial_request(message: MessageParser | None, client_ip: str) -> HttpRequest:
    """As much of the refused request as was parsed (method and target may be missing)."""
    if message is None:
        return HttpRequest("-", "/", [], b"", client_ip)
    method, version = message.request_line()
    url = message.url.decode("latin-1") or "/"
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message.headers]
    return HttpRequest(method.decode("latin-1") or "-", url if url.startswith("/") else "/" + url, headers, b"",
                       client_ip, http_version=f"HTTP/{version}" if version else "HTTP/1.1")


def record_refusal(gate: WafGate, refusal: Refusal, request: HttpRequest) -> dict[str, Any]:
    """Count, log and publish one refusal; the log record."""
    acl = gate.acl
    verdict = Verdict(action="BLOCK", terminating_rule_id=PROTOCOL_RULE_ID, terminating_rule_type="REGULAR",
                      labels=(f"assetguard:protocol:{refusal.reason}",), response_code=refusal.status)
    REFUSALS.labels(refusal.reason, str(refusal.status)).inc()
    count(acl.name, verdict)
    record = log_record(acl, request, verdict, source=gate.source)
    record["terminatingRuleMatchDetails"] = [{"conditionType": "PROTOCOL", "location": "REQUEST",
                                              "matchedData": [refusal.reason, refusal.detail]}]
    writer = gate.log_writer
    if writer is not None and writer.sampled():
        writer.write(record)
    gate.recent_blocks.add(record)
    if gate.events is not None:
        gate.events.offer(record)
    return record
