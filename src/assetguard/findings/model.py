"""The AWS Security Finding Format (ASFF): required fields, limits and checks.

Findings travel as plain ASFF dicts (the JSON Security Hub's ``BatchImportFindings`` takes).
:func:`check_finding` returns the first problem with a finding as an ``(ErrorCode, ErrorMessage)``
pair, the way ``BatchImportFindings`` reports it per finding, or ``None`` when it is valid::

    >>> check_finding({"Id": "x"})[0]
    'InvalidInput'

Checks are hand-written (no pydantic in the hot path): the findings benchmark validates
100,000 findings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "2018-10-08"

REQUIRED_FIELDS = (
    "SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt",
    "Title", "Description", "Resources",
)
# Severity and Types are required on *new* findings (Security Hub: "Types" required for
# BatchImportFindings creates; Severity must carry Label or Normalized).

MAX_BATCH_FINDINGS = 100
MAX_BATCH_BYTES = 6 * 1024 * 1024
MAX_FINDING_BYTES = 240 * 1024
MAX_TITLE = 256
MAX_DESCRIPTION = 1024
MAX_RESOURCES = 32
MAX_TYPES = 50

SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
SEVERITY_RANK = {label: i for i, label in enumerate(SEVERITY_LABELS)}
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")

# Consumer fields: set through update_findings (BatchUpdateFindings), never by a provider's import.
CONSUMER_FIELDS = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
# Provider may set these, but once a consumer changed them provider updates are ignored.
CONSUMER_OVERRIDABLE = ("Severity", "Confidence", "Criticality", "Types", "RelatedFindings")

TYPE_NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                   "Sensitive Data Identifications")


def severity_label_for(normalized: int) -> str:
    """Security Hub's mapping of ``Severity.Normalized`` (0-100) to a label."""
    if normalized == 0:
        return "INFORMATIONAL"
    if normalized <= 39:
        return "LOW"
    if normalized <= 69:
        return "MEDIUM"
    if normalized <= 89:
        return "HIGH"
    return "CRITICAL"


NORMALIZED_FOR_LABEL = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


def parse_time(value: Any) -> datetime:
    """ISO 8601 (``2024-01-02T03:04:05.000Z``) to an aware UTC datetime; ValueError otherwise."""
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}")
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def format_time(ts: datetime) -> str:
    """The ASFF timestamp text: millisecond precision with a ``Z`` suffix."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def severity_label(finding: dict[str, Any]) -> str:
    sev = finding.get("Severity") or {}
    label = sev.get("Label")
    if label in SEVERITY_RANK:
        return str(label)
    if isinstance(sev.get("Normalized"), int):
        return severity_label_for(sev["Normalized"])
    return "INFORMATIONAL"


def finding_size(finding: dict[str, Any]) -> int:
    return len(json.dumps(finding, separators=(",", ":"), default=str).encode())


def check_finding(finding: Any, *, new: bool = True, size: int | None = None) -> tuple[str, str] | None:
    """The first reason ``finding`` cannot be imported, as (ErrorCode, ErrorMessage), or None.

    ``size`` is the finding's JSON size in bytes when the caller already measured it.
    """
    if not isinstance(finding, dict):
        return ("InvalidInput", "Finding must be a JSON object")
    if (size if size is not None else finding_size(finding)) > MAX_FINDING_BYTES:
        return ("FindingSizeExceeded", "Finding size exceeded 240 KB")
    for name in REQUIRED_FIELDS:
        value = finding.get(name)
        if value is None or value == "" or value == []:
            return ("InvalidInput", f"Finding does not adhere to Amazon Finding Format. data.{name} is required")
    for name in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Title", "Description"):
        if not isinstance(finding[name], str) or not finding[name].strip():
            return ("InvalidInput", f"Finding does not adhere to Amazon Finding Format. data.{name} must be a "
                                    "non-empty string")
    if finding["SchemaVersion"] != SCHEMA_VERSION:
        return ("InvalidInput", f"data.SchemaVersion must be {SCHEMA_VERSION}")
    if len(finding["Title"]) > MAX_TITLE:
        return ("InvalidInput", f"data.Title should NOT be longer than {MAX_TITLE} characters")
    if len(finding["Description"]) > MAX_DESCRIPTION:
        return ("InvalidInput", f"data.Description should NOT be longer than {MAX_DESCRIPTION} characters")
    if len(finding["Id"]) > 512 or len(finding["ProductArn"]) > 512 or len(finding["GeneratorId"]) > 512:
        return ("InvalidInput", "data.Id, data.ProductArn and data.GeneratorId are at most 512 characters")
    account = finding["AwsAccountId"]
    if not (len(account) == 12 and account.isdigit()):
        return ("InvalidInput", "data.AwsAccountId must be a 12-digit AWS account id")
    for name in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if name in finding and finding[name] is not None:
            try:
                parse_time(finding[name])
            except ValueError:
                return ("InvalidInput", f"data.{name} must be an ISO 8601 timestamp")
    if parse_time(finding["UpdatedAt"]) < parse_time(finding["CreatedAt"]):
        return ("InvalidInput", "data.UpdatedAt must not be earlier than data.CreatedAt")
    resources = finding["Resources"]
    if not isinstance(resources, list) or not 1 <= len(resources) <= MAX_RESOURCES:
        return ("InvalidInput", f"data.Resources must list 1 to {MAX_RESOURCES} resources")
    for i, res in enumerate(resources):
        if not isinstance(res, dict) or not res.get("Type") or not res.get("Id"):
            return ("InvalidInput", f"data.Resources[{i}] needs Type and Id")
    problem = _check_severity(finding.get("Severity"), required=new)
    if problem:
        return ("InvalidInput", problem)
    types = finding.get("Types")
    if new and not types:
        return ("InvalidInput", "Finding does not adhere to Amazon Finding Format. data.Types is required")
    if types is not None:
        if not isinstance(types, list) or len(types) > MAX_TYPES or not all(isinstance(t, str) for t in types):
            return ("InvalidInput", f"data.Types must be a list of at most {MAX_TYPES} strings")
        for t in types:
            if t.split("/", 1)[0] not in TYPE_NAMESPACES:
                return ("InvalidInput", f"data.Types entry {t!r} must start with one of {', '.join(TYPE_NAMESPACES)}")
    compliance = finding.get("Compliance")
    if compliance is not None:
        if not isinstance(compliance, dict) or compliance.get("Status", "PASSED") not in COMPLIANCE_STATUSES:
            return ("InvalidInput", f"data.Compliance.Status must be one of {', '.join(COMPLIANCE_STATUSES)}")
    record_state = finding.get("RecordState")
    if record_state is not None and record_state not in RECORD_STATES:
        return ("InvalidInput", "data.RecordState must be ACTIVE or ARCHIVED")
    return None


def _check_severity(sev: Any, *, required: bool) -> str | None:
    if sev is None:
        return "Finding does not adhere to Amazon Finding Format. data.Severity is required" if required else None
    if not isinstance(sev, dict):
        return "data.Severity must be an object"
    label, normalized = sev.get("Label"), sev.get("Normalized")
    if label is None and normalized is None:
        return "data.Severity needs Label or Normalized"
    if label is not None and label not in SEVERITY_RANK:
        return f"data.Severity.Label must be one of {', '.join(SEVERITY_LABELS)}"
    if normalized is not None and (not isinstance(normalized, int) or not 0 <= normalized <= 100):
        return "data.Severity.Normalized must be an integer from 0 to 100"
    return None


def normalise_severity(finding: dict[str, Any]) -> None:
    """Fill whichever of ``Severity.Label`` / ``Severity.Normalized`` is missing (on a copy of Severity)."""
    sev = finding.get("Severity")
    if not isinstance(sev, dict):
        return
    sev = finding["Severity"] = dict(sev)
    if "Label" not in sev and isinstance(sev.get("Normalized"), int):
        sev["Label"] = severity_label_for(sev["Normalized"])
    if "Normalized" not in sev and sev.get("Label") in NORMALIZED_FOR_LABEL:
        sev["Normalized"] = NORMALIZED_FOR_LABEL[sev["Label"]]


def field_value(finding: dict[str, Any], path: str) -> Any:
    """Value at a dotted ASFF path; lists fan out (``Resources.Type`` → every resource's type)."""
    values: list[Any] = [finding]
    for part in path.split("."):
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, dict) and part in v:
                item = v[part]
                if isinstance(item, list):
                    nxt.extend(item)
                else:
                    nxt.append(item)
        values = nxt
    if not values:
        return None
    return values[0] if len(values) == 1 else values
