"""OSV records: validation into :class:`Advisory`, name normalisation and alias unification.

:func:`parse_record` checks the parts of the OSV schema the matcher relies on and raises
:class:`~assetguard.core.errors.ValidationError` naming the file and JSON path of the first
problem, e.g. ``osv/GHSA-x.json: affected[0].ranges[1].events[0]: unknown event 'fixd'``::

    adv = parse_record(json.load(fh), where="osv/PYSEC-2024-1.json")
    adv.id, adv.canonical_id, adv.severity.label, adv.affected[0].name_key
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.vulns.severity import Severity, score_severity
from assetguard.vulns.versions import InvalidVersion, ecosystem_base, scheme_for, version_key

RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass
class Affected:
    ecosystem: str
    name: str
    name_key: str
    purl: str | None
    ranges: list[dict[str, Any]]     # [{"type": ..., "events": [{"introduced": "0"}, ...]}]
    versions: list[str]

    @property
    def commits_only(self) -> bool:
        """Only ``GIT`` ranges and no ``versions`` list: commits, which no installed package
        version can be compared with, so the entry cannot match anything by itself."""
        return bool(self.ranges) and all(r["type"] == "GIT" for r in self.ranges) and not self.versions


@dataclass
class Advisory:
    id: str
    canonical_id: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    aliases: list[str]
    summary: str | None
    severity: Severity
    affected: list[Affected] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)

    def package_keys(self) -> set[tuple[str, str]]:
        return {(ecosystem_base(a.ecosystem), a.name_key) for a in self.affected}


def normalise_name(ecosystem: str, name: str) -> str:
    """The index form of a package name: PEP 503 for PyPI, lower-case for npm/Alpine/Debian/RubyGems..."""
    base = ecosystem_base(ecosystem)
    if base == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if base in ("Go", "Maven"):
        return name  # case-sensitive module paths / coordinates
    return name.lower()


def canonical_id(advisory_id: str, aliases: list[str]) -> str:
    """One id for a vulnerability however many databases describe it: the CVE, else the GHSA, else the id."""
    ids = [advisory_id, *aliases]
    for prefix in ("CVE-", "GHSA-"):
        found = sorted(i for i in ids if i.startswith(prefix))
        if found:
            return found[0]
    return advisory_id


def parse_time(value: Any) -> datetime:
    """RFC 3339 text to an aware UTC datetime (ValueError otherwise)."""
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(value)
    ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return (ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts).astimezone(UTC)


def _time(value: Any, where: str, path: str, *, required: bool) -> datetime | None:
    if value is None:
        if required:
            raise ValidationError(f"{path} is required (an RFC 3339 timestamp)", where=where)
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise ValidationError(f"{path} must be an RFC 3339 timestamp, got {value!r}", where=where) from None


def _check_event_version(affected: Affected, rtype: str, value: Any, where: str, path: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{path} must be a non-empty version string", where=where)
    if rtype == "GIT" or value == "0":
        return
    ecosystem = "npm" if rtype == "SEMVER" else affected.ecosystem
    if scheme_for(ecosystem) is None:
        return  # an ecosystem we cannot order: matched by explicit versions only
    problem = _version_problem(ecosystem, value)
    if problem:
        raise ValidationError(f"{path}: {problem}", where=where)


@lru_cache(maxsize=65536)
def _version_problem(ecosystem: str, value: str) -> str | None:
    try:
        version_key(ecosystem, value)
    except InvalidVersion as exc:
        return str(exc)
    return None


def _affected(raw: Any, where: str, path: str) -> Affected:
    if not isinstance(raw, dict):
        raise ValidationError(f"{path} must be an object", where=where)
    pkg = raw.get("package")
    if not isinstance(pkg, dict) or not isinstance(pkg.get("ecosystem"), str) or not isinstance(pkg.get("name"), str):
        raise ValidationError(f"{path}.package needs string 'ecosystem' and 'name'", where=where)
    eco, name = pkg["ecosystem"].strip(), pkg["name"].strip()
    if not eco or not name:
        raise ValidationError(f"{path}.package.ecosystem and .name must not be empty", where=where)
    versions = raw.get("versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise ValidationError(f"{path}.versions must be a list of strings", where=where)
    ranges = raw.get("ranges", [])
    if not isinstance(ranges, list):
        raise ValidationError(f"{path}.ranges must be a list", where=where)
    aff = Affected(eco, name, normalise_name(eco, name), pkg.get("purl") if isinstance(pkg.get("purl"), str) else None,
                   [], list(versions))
    for i, rng in enumerate(ranges):
        rpath = f"{path}.ranges[{i}]"
        if not isinstance(rng, dict) or rng.get("type") not in RANGE_TYPES:
            raise ValidationError(f"{rpath}.type must be one of {', '.join(RANGE_TYPES)}", where=where)
        events = rng.get("events")
        if not isinstance(events, list) or not events:
            raise ValidationError(f"{rpath}.events must be a non-empty list", where=where)
        clean: list[dict[str, str]] = []
        for j, ev in enumerate(events):
            epath = f"{rpath}.events[{j}]"
            if not isinstance(ev, dict) or len(ev) != 1:
                raise ValidationError(f"{epath} must be an object with exactly one of {', '.join(EVENT_KINDS)}",
                                      where=where)
            (kind, value), = ev.items()
            if kind not in EVENT_KINDS:
                raise ValidationError(f"{epath}: unknown event {kind!r}; expected one of {', '.join(EVENT_KINDS)}",
                                      where=where)
            _check_event_version(aff, rng["type"], value, where, f"{epath}.{kind}")
            clean.append({kind: value})
        if not any("introduced" in e for e in clean):
            raise ValidationError(f"{rpath}.events needs at least one 'introduced' event", where=where)
        aff.ranges.append({"type": rng["type"], "events": clean})
    return aff


def parse_record(raw: Any, *, where: str) -> Advisory:
    """Validate one OSV record; ValidationError names ``where`` (file) and the JSON path."""
    if not isinstance(raw, dict):
        raise ValidationError("an OSV record must be a JSON object", where=where)
    adv_id = raw.get("id")
    if not isinstance(adv_id, str) or not adv_id.strip():
        raise ValidationError("id is required (a non-empty string)", where=where)
    modified = _time(raw.get("modified"), where, "modified", required=True)
    assert modified is not None
    published = _time(raw.get("published"), where, "published", required=False)
    withdrawn = _time(raw.get("withdrawn"), where, "withdrawn", required=False)
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValidationError("aliases must be a list of strings", where=where)
    affected_raw = raw.get("affected") or []
    if not isinstance(affected_raw, list):
        raise ValidationError("affected must be a list", where=where)
    affected = [_affected(a, where, f"affected[{i}]") for i, a in enumerate(affected_raw)]
    severity_raw = raw.get("severity") or []
    if not isinstance(severity_raw, list):
        raise ValidationError("severity must be a list", where=where)
    # Per-package severity (OSV 1.3+) counts when the record has none of its own.
    entries = [e for e in severity_raw if isinstance(e, dict)]
    for a in affected_raw:
        if isinstance(a, dict) and isinstance(a.get("severity"), list):
            entries += [e for e in a["severity"] if isinstance(e, dict) and e.get("type") not in
                        {x.get("type") for x in entries}]
    blocks: list[Any] = [raw.get("database_specific")]
    for a in affected_raw:
        if isinstance(a, dict):
            blocks += [a.get("database_specific"), a.get("ecosystem_specific")]
    try:
        severity = score_severity(entries, blocks)
    except ValueError as exc:
        index = next((i for i, e in enumerate(severity_raw) if isinstance(e, dict)
                      and str(exc).find(str(e.get("score"))) >= 0), 0)
        raise ValidationError(f"severity[{index}].score: {exc}", where=where) from None
    unique_aliases = sorted({a.strip() for a in aliases if a.strip() and a.strip() != adv_id})
    summary = raw.get("summary") if isinstance(raw.get("summary"), str) else None
    return Advisory(adv_id.strip(), canonical_id(adv_id.strip(), unique_aliases), modified, published, withdrawn,
                    unique_aliases, summary, severity, affected, raw)
