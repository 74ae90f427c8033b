"""``VulnerabilityScanner``: match inventory packages against the advisory database and keep the
findings hub in step.

* ``scan_assets()`` scans every asset with ``configuration.packages`` (one bulk advisory load for
  all of them); ``scan_asset(arn)`` one asset (inventory change); ``rescan_packages(keys)`` only
  the assets holding packages whose advisories changed (database update);
* each (asset, advisory) is one ASFF finding; a finding is re-imported only when its content
  changed; a new one publishes ``Vulnerability Detected`` (source ``assetguard.vulns``);
* a finding no longer matched (package upgraded past the fix, advisory withdrawn, asset deleted)
  is re-imported with ``Compliance.Status = PASSED`` and ``RecordState = ARCHIVED``: the hub
  moves it to RESOLVED::

    summary = VulnerabilityScanner(platform).scan_assets()
    summary.findings_opened, summary.findings_resolved
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError
from assetguard.vulns.asff import build_finding, finding_id, product_arn
from assetguard.vulns.database import AdvisoryDatabase, PackageKey, _chunks
from assetguard.vulns.matcher import AdvisoryIndex, IndexCache, Match
from assetguard.vulns.osv import parse_time
from assetguard.vulns.tables import vuln_advisories, vuln_asset_state

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

SOURCE = "assetguard.vulns"
DETAIL_TYPE = "Vulnerability Detected"
IMPORT_BATCH = 100


@dataclass
class ScanSummary:
    assets: int = 0
    packages: int = 0
    matches: int = 0
    findings_opened: int = 0
    findings_updated: int = 0
    findings_resolved: int = 0
    findings_unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    results: list[tuple[str, Match]] = field(default_factory=list)  # (asset arn, match) when kept
    seconds: dict[str, float] = field(default_factory=lambda: {"index": 0.0, "match": 0.0, "hub": 0.0,
                                                               "state": 0.0})

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "results"}


def packages_of(asset: dict[str, Any]) -> list[dict[str, Any]]:
    pkgs = (asset.get("configuration") or {}).get("packages")
    return [p for p in pkgs if isinstance(p, dict)] if isinstance(pkgs, list) else []


def _fmt(ts: Any) -> str:
    return str(ts.strftime("%Y-%m-%dT%H:%M:%S.")) + f"{ts.microsecond // 1000:03d}Z"


def _digest(matches: list[Match]) -> str:
    body = sorted((m.package, m.version, m.purl or "", m.fixed or "", m.severity, m.cvss or 0.0, m.id)
                  for m in matches)
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()[:24]


class VulnerabilityScanner:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.database = AdvisoryDatabase(platform)
        self._keep = False
        self._digests: dict[str, str | None] = {}

    # -- ad hoc ----------------------------------------------------------------------------------
    def match_packages(self, packages: Sequence[dict[str, Any]]) -> list[Match]:
        """Matches for a package list that is not (necessarily) in the inventory; writes nothing."""
        return self.index_for(packages).match(packages)

    def unresolved(self, packages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Advisories naming these packages only by GIT commit ranges (no versions list): they
        cannot be decided on an installed version, so they are listed instead of matched.
        ``[{"package", "version", "ecosystem", "purl", "id"}]``."""
        return [{"package": pkg.get("name"), "version": pkg.get("version"), "ecosystem": pkg.get("ecosystem"),
                 "purl": pkg.get("purl"), "id": entry.advisory_id}
                for pkg, entry in self.index_for(packages).unresolved(packages)]

    def index_for(self, packages: Iterable[dict[str, Any]]) -> AdvisoryIndex:
        """The process-wide compiled index, loaded for these packages' keys."""
        cache = self.platform.singleton("vulns.index", lambda: IndexCache(self.database))
        return cache.index_for(packages)

    # -- inventory scans -------------------------------------------------------------------------
    def scan_assets(self, assets: list[dict[str, Any]] | None = None, *, actor: Principal = SYSTEM,
                    progress: Callable[[int], None] | None = None, keep_matches: bool = False) -> ScanSummary:
        """Scan ``assets`` (default: every asset in the inventory) and update their findings."""
        gone: list[str] = []
        if assets is None:
            from assetguard.inventory.service import InventoryService

            assets = InventoryService(self.platform).list_assets()
            # Assets deleted from the inventory since their last scan get their findings resolved.
            live = {a["arn"] for a in assets}
            with self.platform.db.connect() as conn:
                gone = [arn for (arn,) in conn.execute(select(vuln_asset_state.c.asset_arn)) if arn not in live]
        states = self._states([a["arn"] for a in assets])
        assets = [a for a in assets if packages_of(a) or a["arn"] in states]
        started = time.perf_counter()
        package_lists = [packages_of(a) for a in assets]
        cache = self.platform.singleton("vulns.index", lambda: IndexCache(self.database))
        index, entries = cache.prepare(package_lists)
        summary = ScanSummary()
        summary.seconds["index"] = time.perf_counter() - started
        self._keep = keep_matches
        for start in range(0, len(assets), 200):
            chunk = assets[start:start + 200]
            self._scan_chunk(chunk, index, states, summary, actor, package_lists[start:start + 200],
                             entries[start:start + 200])
            if progress:
                progress(len(chunk))
        for arn in gone:
            resolved = self.forget_asset(arn, actor=actor)
            summary.findings_resolved += resolved.findings_resolved
        return summary

    def scan_asset(self, arn: str, *, actor: Principal = SYSTEM, keep_matches: bool = False) -> ScanSummary:
        """Re-scan one asset (an inventory change); a deleted asset has its findings resolved."""
        from assetguard.inventory.service import InventoryService

        try:
            asset = InventoryService(self.platform).get(arn)
        except NotFoundError:
            return self.forget_asset(arn, actor=actor)
        if asset.get("configurationItemStatus") in ("ResourceDeleted", "ResourceDeletedNotRecorded"):
            return self.forget_asset(arn, actor=actor)
        return self.scan_assets([asset], actor=actor, keep_matches=keep_matches)

    def rescan_packages(self, keys: Iterable[PackageKey], *, actor: Principal = SYSTEM) -> ScanSummary:
        """Re-scan only the assets that hold one of ``keys`` (after an advisory database update)."""
        wanted = {f"{b}\x1f{n}" for b, n in keys}
        if not wanted:
            return ScanSummary()
        with self.platform.db.connect() as conn:
            arns = [r.asset_arn for r in conn.execute(select(vuln_asset_state.c.asset_arn,
                                                             vuln_asset_state.c.package_keys))
                    if wanted.intersection(r.package_keys)]
        if not arns:
            return ScanSummary()
        from assetguard.inventory.service import InventoryService

        inventory = InventoryService(self.platform)
        assets = []
        for arn in arns:
            try:
                assets.append(inventory.get(arn))
            except NotFoundError:
                continue
        return self.scan_assets(assets, actor=actor)

    def forget_asset(self, arn: str, *, actor: Principal = SYSTEM) -> ScanSummary:
        """Resolve every open finding of a deleted asset and drop its scan state."""
        summary = ScanSummary()
        states = self._states([arn])
        if arn not in states:
            return summary
        self._scan_chunk([{"arn": arn, "configuration": {"packages": []}}], AdvisoryIndex(), states, summary,
                         actor)
        with self.platform.db.begin() as conn:
            conn.execute(delete(vuln_asset_state).where(vuln_asset_state.c.asset_arn == arn))
        return summary

    # -- internals -------------------------------------------------------------------------------
    def _states(self, arns: list[str]) -> dict[str, dict[str, Any]]:
        """Per asset: its findings state; the package-keys digest is kept in ``self._digests``."""
        t = vuln_asset_state.c
        out: dict[str, dict[str, Any]] = {}
        cols = (t.asset_arn, t.open_findings, t.keys_digest)
        with self.platform.db.connect() as conn:
            if len(arns) > 2000:  # a full scan: one pass over the table beats thousands of IN lists
                wanted = set(arns)
                rows = [r for r in conn.execute(select(*cols)) if r.asset_arn in wanted]
            else:
                rows = [r for chunk in _chunks(arns, 500)
                        for r in conn.execute(select(*cols).where(t.asset_arn.in_(chunk)))]
        for r in rows:
            out[r.asset_arn] = dict(r.open_findings or {})
            self._digests[r.asset_arn] = r.keys_digest
        return out

    def _references(self, advisory_ids: set[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        a = vuln_advisories.c
        with self.platform.db.connect() as conn:
            for chunk in _chunks(sorted(advisory_ids), 500):
                for r in conn.execute(select(a.id, a.record).where(a.id.in_(chunk))):
                    refs = r.record.get("references") or []
                    out[r.id] = [x["url"] for x in refs if isinstance(x, dict) and isinstance(x.get("url"), str)]
        return out

    def _scan_chunk(self, assets: list[dict[str, Any]], index: AdvisoryIndex, states: dict[str, dict[str, Any]],
                    summary: ScanSummary, actor: Principal, package_lists: list[list[dict[str, Any]]] | None = None,
                    entries: list[list[list[Any]]] | None = None) -> None:
        from assetguard.findings.hub import FindingsHub

        hub = FindingsHub(self.platform)
        now = utcnow()
        clock = time.perf_counter()
        per_asset: list[tuple[dict[str, Any], dict[str, list[Match]]]] = []
        keys_by_asset: dict[str, list[str]] = {}
        advisory_ids: set[str] = set()
        for n, asset in enumerate(assets):
            pkgs = package_lists[n] if package_lists is not None else packages_of(asset)
            summary.assets += 1
            summary.packages += len(pkgs)
            groups: dict[str, list[Match]] = {}
            found, keys = index.match_with_keys(pkgs, entries[n] if entries is not None else None)
            keys_by_asset[asset["arn"]] = sorted(f"{b}\x1f{n}" for b, n in keys)
            for m in found:
                groups.setdefault(m.canonical_id, []).append(m)
                advisory_ids.update(m.advisory_ids)
                summary.matches += 1
                if self._keep:
                    summary.results.append((asset["arn"], m))
            per_asset.append((asset, groups))
        refs = self._references(advisory_ids) if advisory_ids else {}
        to_import: list[dict[str, Any]] = []
        pending: list[tuple[str, str, dict[str, Any], str, dict[str, Any] | None]] = []
        new_states: dict[str, dict[str, Any]] = {}
        for asset, groups in per_asset:
            arn = asset["arn"]
            old = states.get(arn, {})
            state = {fid: dict(v, open=False) if not v.get("open") else dict(v) for fid, v in old.items()}
            current: set[str] = set()
            for canonical, matches in groups.items():
                fid = finding_id(arn, canonical)
                current.add(fid)
                digest = _digest(matches)
                prev = old.get(fid)
                if prev and prev.get("open") and prev.get("h") == digest:
                    summary.findings_unchanged += 1
                    continue
                created, updated = self._times(prev, now)
                urls = sorted({u for m in matches for i in m.advisory_ids for u in refs.get(i, [])})
                doc = build_finding(asset, matches, urls, created=created, updated=updated)
                kind = "updated" if prev and prev.get("open") else "opened"
                to_import.append(doc)
                pending.append((arn, fid, {"c": created, "u": updated, "h": digest, "open": True,
                                           "p": doc["ProductArn"]}, kind, _event_detail(asset, doc, matches)))
            for fid, prev in old.items():
                if prev.get("open") and fid not in current:
                    resolved = self._resolved_doc(hub, prev, fid, now)
                    if resolved is None:
                        state.pop(fid, None)
                        continue
                    to_import.append(resolved)
                    pending.append((arn, fid, {**prev, "u": resolved["UpdatedAt"], "open": False}, "resolved", None))
            new_states[arn] = state
        failed_ids: set[str] = set()
        summary.seconds["match"] += time.perf_counter() - clock
        clock = time.perf_counter()
        for batch in _chunks(to_import, IMPORT_BATCH):
            result = hub.batch_import(list(batch), actor=actor)
            for f in result["FailedFindings"]:
                failed_ids.add(f["Id"])
                summary.failed.append(f)
        events: list[tuple[str, dict[str, Any]]] = []
        for arn, fid, entry, kind, detail in pending:
            if fid in failed_ids:
                continue
            new_states[arn][fid] = entry
            if kind == "opened":
                summary.findings_opened += 1
                if detail is not None:
                    events.append((arn, detail))
            elif kind == "updated":
                summary.findings_updated += 1
            else:
                summary.findings_resolved += 1
        summary.seconds["hub"] += time.perf_counter() - clock
        clock = time.perf_counter()
        self._save(new_states, states, keys_by_asset, events, now, actor)
        summary.seconds["state"] += time.perf_counter() - clock

    def _times(self, prev: dict[str, Any] | None, now: Any) -> tuple[str, str]:
        if prev is None:
            text = _fmt(now)
            return text, text
        last = parse_time(prev["u"])
        updated = now if now > last else last + timedelta(milliseconds=1)
        return prev["c"], _fmt(updated)

    def _resolved_doc(self, hub: Any, prev: dict[str, Any], fid: str, now: Any) -> dict[str, Any] | None:
        try:
            stored = hub.get(prev.get("p") or product_arn("us-east-1"), fid)
        except NotFoundError:
            return None
        doc = {k: v for k, v in stored.items() if k not in ("Workflow", "Note", "UserDefinedFields",
                                                            "VerificationState", "ProcessedAt")}
        _created, updated = self._times(prev, now)
        doc.update({"UpdatedAt": updated, "RecordState": "ARCHIVED", "Compliance": {"Status": "PASSED"}})
        return doc

    def _save(self, states: dict[str, dict[str, Any]], old_states: dict[str, dict[str, Any]],
              keys: dict[str, list[str]], events: list[tuple[str, dict[str, Any]]], now: Any,
              actor: Principal) -> None:
        t = vuln_asset_state.c
        rows: list[dict[str, Any]] = []
        touched: list[str] = []
        for arn, state in states.items():
            digest = hashlib.sha256("\n".join(keys[arn]).encode()).hexdigest()
            if arn in old_states and old_states[arn] == state and self._digests.get(arn) == digest:
                touched.append(arn)  # nothing changed: only the scan time moves
                continue
            rows.append({"asset_arn": arn, "package_keys": keys[arn], "open_findings": state, "scanned_at": now,
                         "keys_digest": digest})
        with self.platform.db.begin() as conn:
            for chunk in _chunks(touched, 500):
                conn.execute(update(vuln_asset_state).where(t.asset_arn.in_(chunk)).values(scanned_at=now))
            if not rows:
                return
            for chunk in _chunks([r["asset_arn"] for r in rows], 500):
                conn.execute(delete(vuln_asset_state).where(t.asset_arn.in_(chunk)))
            conn.execute(vuln_asset_state.insert(), rows)
            for arn, detail in events:
                self.platform.bus.publish(SOURCE, DETAIL_TYPE, detail, resources=[arn], conn=conn)
            self.platform.audit.record(conn, actor, "vulns.scan", f"vulns/assets/{len(rows)}",
                                       after={"assets": [r["asset_arn"] for r in rows[:20]],
                                              "detected": len(events)})


def _event_detail(asset: dict[str, Any], doc: dict[str, Any], matches: list[Match]) -> dict[str, Any]:
    first = max(matches, key=lambda m: (m.cvss or 0.0))
    vuln = doc["Vulnerabilities"][0]
    return {"asset": asset["arn"], "resourceType": asset.get("resourceType"), "findingId": doc["Id"],
            "vulnerability": vuln["Id"], "advisoryIds": sorted({i for m in matches for i in m.advisory_ids}),
            "aliases": vuln["RelatedVulnerabilities"], "package": first.package, "version": first.version,
            "ecosystem": first.ecosystem, "purl": first.purl, "severity": first.severity, "cvss": first.cvss,
            "fixedVersion": first.fixed, "fixAvailable": vuln["FixAvailable"],
            "packages": [{"name": m.package, "version": m.version, "ecosystem": m.ecosystem, "purl": m.purl,
                          "fixedVersion": m.fixed} for m in matches]}


def asset_report(platform: Platform, arn: str) -> dict[str, Any]:
    """One asset's packages, each with the advisories that affect it and their fixes (console/API).

    ``{"asset": {...summary}, "packages": [{"name", "version", "ecosystem", "purl", "advisories": [...]}],
    "counts": {"CRITICAL": n, ...}}``; vulnerable packages first.
    """
    from assetguard.inventory.service import InventoryService

    asset = InventoryService(platform).get(arn)
    pkgs = packages_of(asset)
    scanner = VulnerabilityScanner(platform)
    index = scanner.index_for(pkgs)
    counts: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for pkg in pkgs:
        advisories: list[dict[str, Any]] = [{"id": m.id, "aliases": m.aliases, "severity": m.severity, "cvss": m.cvss, "fixed": m.fixed,
                       "summary": m.summary, "via": m.matched_via} for m in index.match([pkg])]
        for a in advisories:
            counts[a["severity"]] = counts.get(a["severity"], 0) + 1
        rows.append({"name": pkg.get("name"), "version": pkg.get("version"), "ecosystem": pkg.get("ecosystem"),
                     "purl": pkg.get("purl"), "source": pkg.get("source"), "location": pkg.get("location"),
                     "advisories": sorted(advisories, key=lambda a: -(a["cvss"] or 0.0)),
                     # commit-range-only advisories: named for this package, undecidable on its version
                     "unresolved": sorted({e.advisory_id for _p, e in index.unresolved([pkg])})})
    rows.sort(key=lambda r: (not r["advisories"], -max((a["cvss"] or 0.0 for a in r["advisories"]), default=0),
                             str(r["name"])))
    return {"asset": {"arn": asset["arn"], "resourceType": asset.get("resourceType"),
                      "resourceName": asset.get("resourceName")},
            "packages": rows, "counts": counts, "vulnerable_packages": sum(1 for r in rows if r["advisories"])}


def scanned_assets(platform: Platform, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Assets the scanner has seen, most open findings first (console overview)."""
    t = vuln_asset_state.c
    with platform.db.connect() as conn:
        rows = conn.execute(select(t.asset_arn, t.open_findings, t.package_keys, t.scanned_at)).all()
    out = [{"arn": r.asset_arn, "open": sum(1 for v in (r.open_findings or {}).values() if v.get("open")),
            "resolved": sum(1 for v in (r.open_findings or {}).values() if not v.get("open")),
            "packages": len(r.package_keys or []), "scanned_at": r.scanned_at} for r in rows]
    out.sort(key=lambda r: (-r["open"], r["arn"]))
    return out[offset:offset + limit]
