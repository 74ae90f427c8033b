"""deploy/observability: the Grafana dashboards are well formed, and every metric a panel queries is
one the platform exports on /metrics; the collector configs are valid YAML with the required parts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assetguard.runtime.platform import Platform
from tests.telemetry.test_security_page import _evaluate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "observability"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
PROMQL_WORDS = {"sum", "by", "rate", "histogram_quantile", "topk", "le", "job", "without", "avg", "max", "min",
                "count", "irate", "increase", "on", "ignoring", "group_left", "bool", "and", "or", "unless"}


def _targets(panel: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(panel.get("targets", []))
    for child in panel.get("panels", []):
        out.extend(_targets(child))
    return out


def metric_names(expr: str) -> set[str]:
    """Metric identifiers in a PromQL expression (labels inside {...} and functions left out)."""
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    without_labels = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", without_labels)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    tokens = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_ranges))
    names = set()
    for t in tokens:
        if t in PROMQL_WORDS or re.fullmatch(r"\d+", t):
            continue
        if re.search(rf"\b{re.escape(t)}\s*\(", without_ranges):  # a function call
            continue
        names.add(t)
    return names


def exported_families(text: str) -> set[str]:
    families = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            families.add(name)
            if kind == "histogram":
                families |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            if kind == "counter":
                families |= {name if name.endswith("_total") else f"{name}_total"}
    return families


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_json_is_well_formed(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert doc["uid"].startswith("assetguard-") and doc["title"] and doc["schemaVersion"] >= 36
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in doc["panels"]:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["w"] <= 24
        assert _targets(panel), f"panel {panel['title']!r} queries nothing"
        for t in _targets(panel):
            assert t.get("expr") or t.get("query"), panel["title"]


def test_three_dashboards_cover_system_security_traces() -> None:
    titles = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert titles == {"assetguard-system", "assetguard-security", "assetguard-traces"}


def test_every_queried_metric_is_exported(client: Any, platform: Platform) -> None:
    _evaluate(platform)
    import assetguard.events.metrics  # registers the bus counters
    import assetguard.waf.logs  # noqa: F401 - registers the WAF counters
    from assetguard.telemetry.instruments import WAF_DECISION_SECONDS

    WAF_DECISION_SECONDS.observe(0.00004)
    client.get("/version")
    exported = exported_families(client.get("/metrics").text)
    missing = {}
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in _targets(panel):
                if "expr" not in target:
                    continue
                unknown = metric_names(target["expr"]) - exported - {"target_info"}
                if unknown:
                    missing[f"{path.name}: {panel['title']}"] = sorted(unknown)
    assert not missing, missing


def test_metric_name_parser() -> None:
    expr = 'histogram_quantile(0.99, sum by (le, http_route) (rate(x_bucket{job=~"$job", a="b"}[5m]))) / y_total'
    assert metric_names(expr) == {"x_bucket", "y_total"}


def test_collector_configs_have_their_pipelines() -> None:
    adot = yaml.safe_load((DEPLOY / "collector" / "adot-ecs-fargate.yaml").read_text())
    assert {"awsecscontainermetrics", "otlp"} <= set(adot["receivers"])
    assert {"prometheusremotewrite", "awsxray"} <= set(adot["exporters"])
    assert adot["exporters"]["prometheusremotewrite"]["auth"]["authenticator"] == "sigv4auth"
    pipelines = adot["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["awsxray"]
    for pipeline in pipelines.values():
        for part in ("receivers", "processors", "exporters"):
            section = {"receivers": adot["receivers"], "processors": adot["processors"],
                       "exporters": adot["exporters"]}[part]
            assert set(pipeline[part]) <= set(section), (part, pipeline[part])
    local = yaml.safe_load((DEPLOY / "collector" / "local.yaml").read_text())
    assert "otlp" in local["receivers"] and "prometheus" in local["exporters"]
    provisioning = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "assetguard.yaml").read_text())
    assert {d["uid"] for d in provisioning["datasources"]} == {"prometheus", "tempo"}


def test_the_waf_gate_observes_decision_time() -> None:
    from assetguard.telemetry.instruments import WAF_DECISION_SECONDS
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.gate import WafGate
    from assetguard.waf.request import HttpRequest

    def observed() -> float:
        return sum(s.value for m in WAF_DECISION_SECONDS.collect() for s in m.samples if s.name.endswith("_count"))

    before = observed()
    gate = WafGate(lambda: load_compiled_acl("baseline"))
    gate.inspect(HttpRequest("GET", "/user/1?q=shoes", [("User-Agent", "Mozilla/5.0"), ("Host", "shop")]))
    assert observed() == before + 1
