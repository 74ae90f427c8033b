from __future__ import annotations

import pytest

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.findings.hub import FindingsHub
from tests.findings.factory import PRODUCT, make_finding


def test_create_then_update_keeps_created_at_and_publishes_one_event_per_finding(platform):
    hub = FindingsHub(platform)
    result = hub.batch_import([make_finding("a"), make_finding("b")])
    assert result == {"SuccessCount": 2, "FailedCount": 0, "FailedFindings": []}
    stored = hub.get(PRODUCT, "a")
    assert stored["Workflow"] == {"Status": "NEW"}
    assert stored["RecordState"] == "ACTIVE"
    assert stored["Severity"] == {"Label": "HIGH", "Normalized": 70}
    events = platform.bus.recent(detail_type="Findings - Imported")
    assert len(events) == 2
    assert all(len(e["detail"]["findings"]) == 1 for e in events)
    assert {e["detail"]["findings"][0]["Id"] for e in events} == {"a", "b"}

    upd = make_finding("a", created="2026-01-01T00:00:00.000Z", at="2026-01-02T00:00:00.000Z", severity="LOW")
    upd["CreatedAt"] = "2025-06-01T00:00:00.000Z"
    assert hub.batch_import([upd])["SuccessCount"] == 1
    stored = hub.get(PRODUCT, "a")
    assert stored["CreatedAt"] == "2026-01-01T00:00:00.000Z"
    assert stored["Severity"]["Label"] == "LOW"
    assert len(platform.bus.recent(detail_type="Findings - Imported")) == 3


def test_per_finding_errors_are_shaped_like_aws(platform):
    hub = FindingsHub(platform)
    bad_title = make_finding("t", Title="x" * 257)
    bad_desc = make_finding("d", Description="x" * 1025)
    missing = make_finding("m")
    del missing["GeneratorId"]
    mismatch = make_finding("c", created="2025-12-31T00:00:00.000Z")
    huge = make_finding("h", ProductFields={"blob": "x" * (241 * 1024)})
    dup = [make_finding("dup"), make_finding("dup")]
    result = hub.batch_import([bad_title, bad_desc, missing, mismatch, huge, *dup, make_finding("ok")])
    errors = {f["Id"]: f["ErrorCode"] for f in result["FailedFindings"]}
    assert errors == {"t": "InvalidInput", "d": "InvalidInput", "m": "InvalidInput", "c": "InvalidInput",
                      "h": "FindingSizeExceeded", "dup": "DuplicatedFindingIdentifier"}
    assert result["SuccessCount"] == 2  # "ok" and the first "dup"
    assert result["FailedCount"] == 6
    assert all(set(f) == {"Id", "ErrorCode", "ErrorMessage"} for f in result["FailedFindings"])


def test_updated_at_must_increase(platform):
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("a", at="2026-01-02T00:00:00.000Z")])
    same = hub.batch_import([make_finding("a", at="2026-01-02T00:00:00.000Z", severity="LOW")])
    older = hub.batch_import([make_finding("a", at="2026-01-01T00:00:00.000Z", severity="LOW")])
    assert same["FailedFindings"][0]["ErrorCode"] == "InvalidInput"
    assert "later" in older["FailedFindings"][0]["ErrorMessage"]
    assert hub.get(PRODUCT, "a")["Severity"]["Label"] == "HIGH"


def test_batch_limits_raise_for_the_whole_batch(platform):
    hub = FindingsHub(platform)
    with pytest.raises(ValidationError, match="at most 100"):
        hub.batch_import([make_finding(f"f{i}") for i in range(101)])
    big = [make_finding(f"f{i}", ProductFields={"b": "x" * (200 * 1024)}) for i in range(31)]
    with pytest.raises(ValidationError, match="6 MB"):
        hub.batch_import(big)
    assert hub.count() == 0
    assert hub.batch_import([make_finding(f"f{i}") for i in range(100)])["SuccessCount"] == 100


def test_providers_cannot_change_consumer_fields(platform):
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("a", Workflow={"Status": "SUPPRESSED"}, Note={"Text": "x", "UpdatedBy": "p",
                                                                                   "UpdatedAt": "2026-01-01T00:00:00Z"})])
    doc = hub.get(PRODUCT, "a")
    assert doc["Workflow"]["Status"] == "NEW" and "Note" not in doc
    hub.update_findings([{"ProductArn": PRODUCT, "Id": "a"}], actor=SYSTEM, workflow_status="NOTIFIED",
                        note="seen", severity_label="LOW", verification_state="TRUE_POSITIVE",
                        user_defined_fields={"team": "blue"})
    hub.batch_import([make_finding("a", at="2026-01-03T00:00:00.000Z", severity="CRITICAL",
                                   Workflow={"Status": "RESOLVED"}, VerificationState="FALSE_POSITIVE",
                                   UserDefinedFields={"team": "red"}, Note={"Text": "provider"})])
    doc = hub.get(PRODUCT, "a")
    assert doc["Workflow"]["Status"] == "NOTIFIED"
    assert doc["Note"]["Text"] == "seen"
    assert doc["VerificationState"] == "TRUE_POSITIVE"
    assert doc["UserDefinedFields"] == {"team": "blue"}
    assert doc["Severity"]["Label"] == "LOW"  # consumer-set severity survives provider updates


def test_update_workflow_is_audited_and_unknown_ids_are_reported(platform):
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("a")])
    hub.update_workflow(PRODUCT, "a", "SUPPRESSED", actor=SYSTEM, note="accepted risk")
    rows = platform.audit.query(action="findings.update")
    assert rows[0]["after"]["Workflow"] == {"Status": "SUPPRESSED"}
    assert rows[0]["before"]["Workflow"] == {"Status": "NEW"}
    with pytest.raises(NotFoundError):
        hub.update_workflow(PRODUCT, "zzz", "RESOLVED")
    with pytest.raises(ValidationError):
        hub.update_workflow(PRODUCT, "a", "DONE")


def test_list_filters_and_insights(platform):
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("a", severity="HIGH"), make_finding("b", severity="LOW"),
                      make_finding("c", severity="CRITICAL", GeneratorId="iam-password-policy")])
    assert {f["Id"] for f in hub.list(min_severity="HIGH")} == {"a", "c"}
    assert [f["Id"] for f in hub.list({"GeneratorId": [{"Value": "iam-", "Comparison": "PREFIX"}]})] == ["c"]
    assert {f["Id"] for f in hub.list({"SeverityLabel": [{"Value": "LOW", "Comparison": "NOT_EQUALS"}]})} == {"a", "c"}
    groups = hub.insight("GeneratorId")
    assert groups == [{"GroupByAttributeValue": "restricted-ssh", "Count": 2},
                      {"GroupByAttributeValue": "iam-password-policy", "Count": 1}]
    assert hub.insight("SeverityLabel", {"GeneratorId": [{"Value": "restricted-ssh"}]})[0]["Count"] == 1


def test_retention_purges_findings_untouched_for_90_days(platform):
    from datetime import timedelta

    from sqlalchemy import update

    from assetguard.core.clock import utcnow
    from assetguard.findings.tables import findings

    hub = FindingsHub(platform)
    hub.batch_import([make_finding("old"), make_finding("fresh")])
    with platform.db.begin() as conn:
        conn.execute(update(findings).where(findings.c.finding_id == "old")
                     .values(processed_at=utcnow() - timedelta(days=91)))
    assert hub.purge_expired() == 1
    assert [f["Id"] for f in hub.list()] == ["fresh"]
