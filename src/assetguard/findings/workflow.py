"""Workflow status: Security Hub's automatic transitions on provider updates.

Statuses are NEW, NOTIFIED, RESOLVED and SUPPRESSED. A consumer may set any status
(``FindingsHub.update_findings``). A provider's import moves it automatically:

* ``Compliance.Status`` becomes PASSED while NEW or NOTIFIED → RESOLVED;
* ``Compliance.Status`` goes from PASSED to FAILED, WARNING or NOT_AVAILABLE while NOTIFIED or
  RESOLVED → NEW (the problem is back);
* ``RecordState`` goes from ARCHIVED to ACTIVE while NOTIFIED or RESOLVED → NEW;
* SUPPRESSED is never changed automatically.

>>> auto_transition("RESOLVED", old_compliance="PASSED", new_compliance="FAILED",
...                 old_record="ACTIVE", new_record="ACTIVE")
'NEW'
"""

from __future__ import annotations

REOPENABLE = ("NOTIFIED", "RESOLVED")
FAILING = ("FAILED", "WARNING", "NOT_AVAILABLE")


def auto_transition(status: str, *, old_compliance: str | None, new_compliance: str | None,
                    old_record: str | None, new_record: str) -> str:
    """The workflow status after a provider update (``old_*`` None for a new finding)."""
    if status == "SUPPRESSED":
        return status
    if old_record == "ARCHIVED" and new_record == "ACTIVE" and status in REOPENABLE:
        return "NEW"
    if old_compliance == "PASSED" and new_compliance in FAILING and status in REOPENABLE:
        return "NEW"
    if new_compliance == "PASSED" and status in ("NEW", "NOTIFIED"):
        return "RESOLVED"
    return status
