"""Advisory severity: CVSS v3.x / v4.0 vectors scored with the ``cvss`` library, else the
ecosystem's own rating.

Precedence: a CVSS v3.1/v3.0 vector, then a CVSS v4.0 vector, then CVSS v2; with no vector, the
label from ``database_specific.severity`` / ``ecosystem_specific.severity`` (GitHub's
``MODERATE``, Debian's ``unimportant``, Ubuntu's ``priority``...). The label follows the CVSS
qualitative scale, which is also the ASFF severity label::

    >>> score_severity([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}], [])
    Severity(label='CRITICAL', score=9.8, vector='CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', source='CVSS_V3')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
RANK = {label: i for i, label in enumerate(LABELS)}

# Ecosystem words for severity, lower-cased, to the ASFF label.
ECOSYSTEM_WORDS = {
    "critical": "CRITICAL", "high": "HIGH", "important": "HIGH", "moderate": "MEDIUM", "medium": "MEDIUM",
    "low": "LOW", "negligible": "LOW", "unimportant": "INFORMATIONAL", "none": "INFORMATIONAL",
    "informational": "INFORMATIONAL", "untriaged": "MEDIUM", "unknown": "MEDIUM",
}


@dataclass(frozen=True)
class Severity:
    label: str
    score: float | None
    vector: str | None
    source: str  # CVSS_V3, CVSS_V4, CVSS_V2, ecosystem, or none


def label_for_score(score: float) -> str:
    """CVSS qualitative rating: 0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10 critical."""
    if score == 0:
        return "INFORMATIONAL"
    if score < 4.0:
        return "LOW"
    if score < 7.0:
        return "MEDIUM"
    if score < 9.0:
        return "HIGH"
    return "CRITICAL"


@lru_cache(maxsize=8192)
def score_vector(kind: str, vector: str) -> float:
    """Base score of one OSV ``severity`` entry; raises ValueError when the vector is malformed."""
    try:
        if kind == "CVSS_V3":
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V2":
            return float(CVSS2(vector).scores()[0])
    except (CVSSError, KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed {kind} vector {vector!r}: {exc}") from exc
    raise ValueError(f"unsupported severity type {kind!r}")


def ecosystem_label(*blocks: Any) -> str | None:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for field in ("severity", "priority", "urgency"):
            value = block.get(field)
            if isinstance(value, str) and value.strip().lower() in ECOSYSTEM_WORDS:
                return ECOSYSTEM_WORDS[value.strip().lower()]
    return None


def score_severity(entries: list[dict[str, Any]], ecosystem_blocks: list[Any]) -> Severity:
    """The advisory's severity from its OSV ``severity`` list and ecosystem-specific blocks."""
    by_kind = {e.get("type"): e.get("score") for e in entries if isinstance(e, dict)}
    for kind in ("CVSS_V3", "CVSS_V4", "CVSS_V2"):
        vector = by_kind.get(kind)
        if isinstance(vector, str) and vector:
            score = score_vector(kind, vector)
            return Severity(label_for_score(score), score, vector, kind)
    label = ecosystem_label(*ecosystem_blocks)
    if label:
        return Severity(label, None, None, "ecosystem")
    return Severity("MEDIUM", None, None, "none")  # unknown severity: Inspector's "UNTRIAGED" → medium
