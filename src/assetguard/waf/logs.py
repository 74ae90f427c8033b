"""WAF logs in the AWS WAF log format, Prometheus counters, and sampled bus events for blocks.

:func:`log_record` builds one AWS WAF log record (``timestamp, formatVersion, webaclId,
terminatingRuleId, terminatingRuleType, action, httpRequest{...}, ruleGroupList, labels, ...``);
credential headers (``Authorization``, ``Cookie``, ``X-Api-Key`` ...) and secret-named query
parameters (``?token=``) are logged as ``***``, as AWS WAF's ``RedactedFields`` would.
:class:`WafLogWriter` appends sampled records as JSON lines to a file or stdout.
:class:`BlockedEventPublisher` publishes a sample of blocks as ``WAF Request Blocked`` events on a
background thread, so the request path never waits for the database.

Example::

    record = log_record(acl, request, verdict)
    writer = WafLogWriter(Path("waf.jsonl"), sample_rate=0.5); writer.write(record)
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import random
import sys
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from prometheus_client import Counter

from assetguard.core.redact import REDACTED, is_secret_key, mask_query
from assetguard.waf.request import HttpRequest, wire_to_text

if TYPE_CHECKING:
    from assetguard.waf.engine import CompiledACL, Verdict

log = logging.getLogger(__name__)

REQUESTS = Counter("assetguard_waf_requests", "Requests evaluated by the WAF, by ACL, terminating rule and action",
                   ["acl", "rule", "action"])
RULE_MATCHES = Counter("assetguard_waf_rule_matches", "Rule matches (terminating and Count), by ACL, rule and action",
                       ["acl", "rule", "action"])
ENGINE_ERRORS = Counter("assetguard_waf_engine_errors", "Requests the engine failed to evaluate", ["acl", "outcome"])


def webacl_id(acl: CompiledACL) -> str:
    arn = acl.document.get("ARN")
    if isinstance(arn, str) and arn:
        return arn
    return f"arn:aws:wafv2:local:{acl.context.account}:regional/webacl/{acl.name}/assetguard"


@functools.lru_cache(maxsize=1024)
def _secret_header(name: str) -> bool:
    """Headers whose values are a client's credentials (``Authorization``, ``Cookie``, ``X-Api-Key``
    ...): logged as ``***``, since the log and the blocks shown to viewers must not carry them."""
    return is_secret_key(name.replace("-", "_"))


def log_record(acl: CompiledACL, request: HttpRequest, verdict: Verdict, *, now: float | None = None,
               source: str = "assetguard") -> dict[str, Any]:
    """The AWS WAF log record for one evaluated request."""
    groups: dict[str, dict[str, Any]] = {}
    for entry in verdict.group_trace:
        group = groups.setdefault(entry["ruleGroupId"], {
            "ruleGroupId": entry["ruleGroupId"], "terminatingRule": None, "nonTerminatingMatchingRules": [],
            "excludedRules": None, "customerConfig": None})
        if entry["action"] == "COUNT":
            group["nonTerminatingMatchingRules"].append({"ruleId": entry["ruleId"], "action": "COUNT"})
        else:
            group["terminatingRule"] = {"ruleId": entry["ruleId"], "action": entry["action"], "ruleMatchDetails": None}
    in_groups = {e["ruleId"] for e in verdict.group_trace}
    country = next((label.rsplit(":", 1)[1] for label in verdict.labels
                    if label.startswith("awswaf:clientip:geo:country:")), "-")
    return {
        "timestamp": int((time.time() if now is None else now) * 1000),
        "formatVersion": 1,
        "webaclId": webacl_id(acl),
        "terminatingRuleId": verdict.terminating_rule_id,
        "terminatingRuleType": verdict.terminating_rule_type,
        "action": verdict.action,
        "terminatingRuleMatchDetails": [],
        "httpSourceName": source,
        "httpSourceId": acl.name,
        "ruleGroupList": list(groups.values()),
        "rateBasedRuleList": [],
        "nonTerminatingMatchingRules": [{"ruleId": rule, "action": action, "ruleMatchDetails": []}
                                        for rule, action in verdict.non_terminating if rule not in in_groups],
        "requestHeadersInserted": [{"name": n, "value": v} for n, v in verdict.insert_headers] or None,
        "responseCodeSent": verdict.response_code or None,
        "httpRequest": {
            "clientIp": request.client_ip,
            "country": country,
            "headers": [{"name": wire_to_text(n), "value": REDACTED if _secret_header(n) else wire_to_text(v)}
                        for n, v in request.headers],
            "uri": wire_to_text(request.path),
            "args": mask_query(wire_to_text(request.query_string)),
            "httpVersion": request.http_version,
            "httpMethod": request.method,
            "requestId": request.request_id or uuid.uuid4().hex,
        },
        "labels": [{"name": label} for label in verdict.labels],
    }


def count(acl_name: str, verdict: Verdict) -> None:
    """Prometheus counters for one verdict."""
    REQUESTS.labels(acl_name, verdict.terminating_rule_id, verdict.action).inc()
    if verdict.terminating_rule_id != "Default_Action":
        RULE_MATCHES.labels(acl_name, verdict.group_rule_id or verdict.terminating_rule_id, verdict.action).inc()
    for rule, action in verdict.non_terminating:
        RULE_MATCHES.labels(acl_name, rule, action).inc()


class WafLogWriter:
    """Append sampled log records as JSON lines to ``path`` (``-`` or None = stdout)."""

    def __init__(self, path: Path | str | None, sample_rate: float = 1.0) -> None:
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._stream: IO[str]
        if path is None or str(path) == "-":
            self._stream, self._owned = sys.stdout, False
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._stream, self._owned = open(path, "a", encoding="utf-8", buffering=1), True

    def sampled(self) -> bool:
        return self.sample_rate >= 1.0 or random.random() < self.sample_rate

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self._stream.write(line)

    def close(self) -> None:
        if self._owned:
            self._stream.close()


class RecentBlocks:
    """The last ``size`` blocked-request log records, for the console's live tail."""

    def __init__(self, size: int = 200) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)

    def add(self, record: dict[str, Any]) -> None:
        self._items.append(record)

    def newest(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(reversed(self._items))[:limit]


class BlockedEventPublisher:
    """Publish a sample of blocks as ``WAF Request Blocked`` on the bus, off the request path."""

    SOURCE = "assetguard.waf"
    DETAIL_TYPE = "WAF Request Blocked"

    def __init__(self, bus: Any, sample_rate: float = 0.1, max_queue: int = 1000) -> None:
        self.bus = bus
        self.sample_rate = sample_rate
        self.dropped = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="waf-events", daemon=True)
        self._thread.start()

    def offer(self, record: dict[str, Any]) -> None:
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            return
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            record = self._queue.get()
            if record is None:
                return
            try:
                self.bus.publish(self.SOURCE, self.DETAIL_TYPE, record, resources=[record["webaclId"]])
            except Exception:
                log.exception("could not publish a WAF Request Blocked event")

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
