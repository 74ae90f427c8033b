"""``AdvisoryDatabase``: import OSV records incrementally and serve them to the matcher.

Import semantics (``import_source`` / ``import_records``):

* a record is stored when its id is new or its ``modified`` is later than the stored one
  (re-importing an export is cheap: unchanged records are skipped);
* a record with ``withdrawn`` set removes the stored advisory;
* a malformed record is reported (file + JSON path) and skipped; the others proceed;
* each batch is one transaction with its audit record (``vulns.import``);
* the summary lists the (ecosystem, package) keys whose advisories changed, so only the assets
  holding those packages are re-scanned::

    summary = AdvisoryDatabase(platform).import_source("osv/PyPI-all.zip", actor=cli_principal())
    summary.added, summary.updated, summary.withdrawn, summary.errors
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.vulns.osv import Advisory, parse_record
from assetguard.vulns.sources import RecordError, iter_records
from assetguard.vulns.tables import vuln_advisories, vuln_affected, vuln_db_state
from assetguard.vulns.versions import ecosystem_base

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

PackageKey = tuple[str, str]  # (ecosystem base, normalised name)
BATCH = 1000


@dataclass
class ImportSummary:
    source: str
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    changed_packages: set[PackageKey] = field(default_factory=set)
    # Stored entries that name a package only through GIT (commit) ranges, without versions:
    # {"id", "ecosystem", "package"}. Nothing can match them until the record lists versions.
    commits_only: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "read": self.read, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "withdrawn": self.withdrawn, "errors": self.errors,
                "changed_packages": len(self.changed_packages), "commits_only": self.commits_only}


@contextmanager
def paused_gc(*, keep: bool = False) -> Iterator[None]:
    """Cyclic GC off while bulk-loading acyclic rows; ``keep``: freeze what exists afterwards.

    Decoding and compiling thousands of advisory rows allocates hundreds of thousands of small
    containers; each allocation burst triggered full collections that walk every object the
    process holds (about 200,000 after the imports, 0.2-0.3 s a pass on the shared VM): most
    of a cold single-host scan. With ``keep`` (a compiled index that lives as long as the
    process) the objects are moved to the permanent generation (``gc.freeze``) so no later
    collection walks them again; reference counting still frees them when they are dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class AdvisoryDatabase:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.db = platform.db

    # -- import ---------------------------------------------------------------------------------
    def import_source(self, source: str | Path, *, actor: Principal = SYSTEM,
                      progress: Callable[[int], None] | None = None, guard: Any = None) -> ImportSummary:
        """Import every record of a directory, file, zip export or URL (fetched through ``guard``,
        an ``OutboundGuard``, when given: the API passes the deployment's)."""
        return self.import_records(iter_records(source, guard=guard), source=str(source), actor=actor,
                                   progress=progress)

    def import_records(self, items: Iterable[tuple[str, Any]], *, source: str, actor: Principal = SYSTEM,
                       progress: Callable[[int], None] | None = None) -> ImportSummary:
        summary = ImportSummary(source)
        batch: dict[str, Advisory] = {}
        for where, raw in items:
            summary.read += 1
            if progress:
                progress(1)
            if isinstance(raw, RecordError):
                summary.errors.append({"where": where, "error": str(raw)})
                continue
            try:
                adv = parse_record(raw, where=where)
            except ValidationError as exc:
                summary.errors.append({"where": where, "error": str(exc)})
                continue
            prev = batch.get(adv.id)
            if prev is None or adv.modified > prev.modified:
                batch[adv.id] = adv
            if len(batch) >= BATCH:
                self._store(list(batch.values()), summary, actor)
                batch = {}
        if batch:
            self._store(list(batch.values()), summary, actor)
        return summary

    def _store(self, advisories: list[Advisory], summary: ImportSummary, actor: Principal) -> None:
        now = utcnow()
        a, f = vuln_advisories.c, vuln_affected.c
        with self.db.begin() as conn:
            ids = [x.id for x in advisories]
            stored: dict[str, Any] = {}
            for chunk in _chunks(ids):
                stored.update({r.id: r.modified for r in conn.execute(select(a.id, a.modified).where(a.id.in_(chunk)))})
            replace: list[str] = []
            rows: list[dict[str, Any]] = []
            affected_rows: list[dict[str, Any]] = []
            counts = {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0}
            for adv in advisories:
                old = stored.get(adv.id)
                if adv.withdrawn is not None:
                    if old is not None:
                        replace.append(adv.id)
                    counts["withdrawn"] += 1
                    summary.changed_packages |= adv.package_keys()
                    continue
                if old is not None and adv.modified <= old:
                    counts["unchanged"] += 1
                    continue
                if old is not None:
                    replace.append(adv.id)
                    counts["updated"] += 1
                else:
                    counts["added"] += 1
                summary.changed_packages |= adv.package_keys()
                summary.commits_only += [{"id": adv.id, "ecosystem": x.ecosystem, "package": x.name}
                                         for x in adv.affected if x.commits_only]
                rows.append({"id": adv.id, "canonical_id": adv.canonical_id, "modified": adv.modified,
                             "published": adv.published, "aliases": adv.aliases, "summary": adv.summary,
                             "severity_label": adv.severity.label, "cvss_score": adv.severity.score,
                             "cvss_vector": adv.severity.vector, "record": adv.record, "imported_at": now})
                affected_rows += [{"advisory_id": adv.id, "ecosystem": x.ecosystem,
                                   "ecosystem_base": ecosystem_base(x.ecosystem), "name_key": x.name_key,
                                   "name": x.name, "purl": x.purl, "ranges": x.ranges, "versions": x.versions,
                                   "spec": _spec(adv, x.ranges, x.versions)}
                                  for x in adv.affected]
            for chunk in _chunks(replace):
                summary.changed_packages |= {(r.ecosystem_base, r.name_key) for r in conn.execute(
                    select(f.ecosystem_base, f.name_key).where(f.advisory_id.in_(chunk)))}
                conn.execute(delete(vuln_affected).where(f.advisory_id.in_(chunk)))
                conn.execute(delete(vuln_advisories).where(a.id.in_(chunk)))
            if rows:
                conn.execute(vuln_advisories.insert(), rows)
            if affected_rows:
                conn.execute(vuln_affected.insert(), affected_rows)
            if counts["added"] or counts["updated"] or replace:
                conn.execute(update(vuln_db_state).where(vuln_db_state.c.id == 1)
                             .values(generation=vuln_db_state.c.generation + 1, changed_at=now))
                self.platform.audit.record(conn, actor, "vulns.import", f"vulndb/{summary.source}"[:1024],
                                           after={**counts, "ids": [r["id"] for r in rows[:20]],
                                                  "removed": [i for i in replace if i not in
                                                              {r["id"] for r in rows}][:20]})
        summary.added += counts["added"]
        summary.updated += counts["updated"]
        summary.unchanged += counts["unchanged"]
        summary.withdrawn += counts["withdrawn"]

    # -- read -----------------------------------------------------------------------------------
    def affected_specs(self, keys: Iterable[PackageKey]) -> list[tuple[str, str, str, str, str]]:
        """``(advisory id, ecosystem, ecosystem base, name key, match spec JSON)`` for these keys only.

        The hot path of a cold scan: one query per ecosystem and 900 names through the
        ``(ecosystem_base, name_key)`` index, never a scan of the whole table; decoding is left
        to the caller (the matcher compiles each spec as it decodes it).
        """
        by_base: dict[str, list[str]] = defaultdict(list)
        for base, name in set(keys):
            by_base[base].append(name)
        f = vuln_affected.c
        out: list[tuple[str, str, str, str, str]] = []
        with self.db.connect() as conn, paused_gc():
            for base, names in by_base.items():
                for chunk in _chunks(sorted(names), 900):
                    stmt = (select(f.advisory_id, f.ecosystem, f.name_key, f.spec)
                            .where(f.ecosystem_base == base, f.name_key.in_(chunk)))
                    out += [(advisory_id, ecosystem, base, name_key, spec)
                            for advisory_id, ecosystem, name_key, spec in conn.execute(stmt)]
        return out

    def affected_for(self, keys: Iterable[PackageKey]) -> list[dict[str, Any]]:
        """Affected entries (with their advisory's summary data) for the given package keys, decoded."""
        out: list[dict[str, Any]] = []
        loads = json.loads
        with paused_gc():
            for advisory_id, ecosystem, base, name_key, spec in self.affected_specs(keys):
                d = loads(spec)
                out.append({"advisory_id": advisory_id, "ecosystem": ecosystem, "ecosystem_base": base,
                            "name_key": name_key, "ranges": d["r"], "versions": d["v"],
                            "canonical_id": d["c"], "aliases": d["a"], "summary": d["m"],
                            "severity_label": d["s"], "cvss_score": d["x"], "cvss_vector": d["y"]})
        return out

    def get(self, advisory_id: str) -> dict[str, Any]:
        """The stored OSV record by id or by alias (CVE/GHSA); NotFoundError."""
        a = vuln_advisories.c
        with self.db.connect() as conn:
            row = conn.execute(select(vuln_advisories).where(a.id == advisory_id)).first()
            if row is None:
                row = conn.execute(select(vuln_advisories).where(a.canonical_id == advisory_id)
                                   .order_by(a.id).limit(1)).first()
        if row is None:
            raise NotFoundError(f"no advisory {advisory_id!r}")
        return _advisory_dict(row._mapping)

    def list(self, *, ecosystem: str | None = None, package: str | None = None, severity: str | None = None,
             limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        a, f = vuln_advisories.c, vuln_affected.c
        stmt = select(vuln_advisories).order_by(a.modified.desc(), a.id)
        if ecosystem or package:
            sub = select(f.advisory_id)
            if ecosystem:
                sub = sub.where(f.ecosystem_base == ecosystem_base(ecosystem))
            if package:
                sub = sub.where(f.name_key == package.lower()) if ecosystem is None else sub.where(
                    f.name_key == _name_key(ecosystem, package))
            stmt = stmt.where(a.id.in_(sub))
        if severity:
            stmt = stmt.where(a.severity_label == severity.upper())
        with self.db.connect() as conn:
            return [_advisory_dict(r._mapping, full=False) for r in conn.execute(stmt.limit(limit).offset(offset))]

    def generation(self) -> int:
        """Changes whenever advisories are added, updated or removed (cache invalidation)."""
        with self.db.connect() as conn:
            value = conn.execute(select(vuln_db_state.c.generation).where(vuln_db_state.c.id == 1)).scalar()
        return int(value or 0)

    def stats(self) -> dict[str, Any]:
        a, f = vuln_advisories.c, vuln_affected.c
        with self.db.connect() as conn:
            total = conn.execute(select(func.count()).select_from(vuln_advisories)).scalar_one()
            per = conn.execute(select(f.ecosystem_base, func.count(func.distinct(f.advisory_id)))
                               .group_by(f.ecosystem_base)).all()
            newest = conn.execute(select(func.max(a.modified))).scalar_one()
        return {"advisories": int(total), "ecosystems": {str(e): int(n) for e, n in per},
                "newest_modified": newest.isoformat() if newest else None}


def _spec(adv: Advisory, ranges: list[dict[str, Any]], versions: list[str]) -> str:
    return json.dumps({"r": ranges, "v": versions, "c": adv.canonical_id, "a": adv.aliases,
                       "s": adv.severity.label, "x": adv.severity.score, "y": adv.severity.vector,
                       "m": adv.summary}, separators=(",", ":"))


def _name_key(ecosystem: str, name: str) -> str:
    from assetguard.vulns.osv import normalise_name

    return normalise_name(ecosystem, name)


def _advisory_dict(m: Any, *, full: bool = True) -> dict[str, Any]:
    out = {"id": m["id"], "canonical_id": m["canonical_id"], "aliases": list(m["aliases"] or []),
           "summary": m["summary"], "severity": m["severity_label"], "cvss": m["cvss_score"],
           "cvss_vector": m["cvss_vector"], "modified": m["modified"].isoformat()}
    if full:
        out["record"] = m["record"]
    return out
