"""The audit chain detects rows edited, deleted or reordered with raw SQL."""

from __future__ import annotations

from sqlalchemy import text

from assetguard.auth.principal import Principal
from assetguard.runtime.platform import Platform

ALICE = Principal("alice", "operator")


def _fill(platform: Platform, n: int = 5) -> None:
    for i in range(n):
        with platform.db.begin() as conn:
            platform.audit.record(conn, ALICE, "rules.put", f"rule/r{i}", before={"n": i},
                                  after={"n": i + 1, "smtp_password": "hunter2"})


def test_intact_chain_verifies_and_redacts(platform: Platform) -> None:
    _fill(platform)
    report = platform.audit.verify()
    assert report.ok, report.problems
    assert report.rows == 5
    rows = platform.audit.query(resource="rule/r3")
    assert rows[0]["after"] == {"n": 4, "smtp_password": "***"}
    assert rows[0]["actor"] == "alice" and rows[0]["actor_role"] == "operator"


def test_edited_row_is_named(platform: Platform) -> None:
    _fill(platform)
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET resource = 'rule/evil' WHERE seq = 3"))
    report = platform.audit.verify()
    assert not report.ok
    assert any("seq 3: edited" in p for p in report.problems), report.problems


def test_deleted_row_is_named(platform: Platform) -> None:
    _fill(platform)
    with platform.db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    problems = platform.audit.verify().problems
    assert any("seq 2: deleted" in p for p in problems), problems


def test_deleted_tail_is_named(platform: Platform) -> None:
    _fill(platform)
    with platform.db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    problems = platform.audit.verify().problems
    assert any("5-5: deleted from the end" in p for p in problems), problems


def test_reordered_rows_are_named(platform: Platform) -> None:
    _fill(platform)
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 4"))
        conn.execute(text("UPDATE audit_log SET seq = 4 WHERE seq = 100"))
    problems = platform.audit.verify().problems
    assert any("seq 2" in p for p in problems) and any("seq 4" in p for p in problems), problems


def test_export_is_cloudtrail_shaped(platform: Platform) -> None:
    import io
    import json

    _fill(platform, 2)
    buf = io.StringIO()
    assert platform.audit.export(buf) == 2
    first = json.loads(buf.getvalue().splitlines()[0])
    for key in ("eventTime", "eventSource", "eventName", "userIdentity", "requestParameters", "responseElements"):
        assert key in first
    assert first["eventSource"] == "rules.assetguard" and first["eventName"] == "put"


def test_record_many_continues_the_chain(platform: Platform) -> None:
    from assetguard.audit.trail import AuditEntry

    _fill(platform, 2)
    with platform.db.begin() as conn:
        last = platform.audit.record_many(conn, ALICE, [AuditEntry("tags.edit", f"arn:r{i}", None, {"i": i})
                                                        for i in range(50)])
    assert last == 52
    _fill(platform, 1)
    report = platform.audit.verify()
    assert report.ok and report.rows == 53
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = NULL WHERE seq = 30"))
    assert any("seq 30: edited" in p for p in platform.audit.verify().problems)
