"""The compiled advisory index and package matching.

Advisories are compiled once per (ecosystem, package name): each OSV range becomes a sorted list
of ``(version key, event)`` pairs; a package version is turned into its key once (cached per
scheme), then checked against plain tuples. OSV semantics (schema "Evaluation"):

* a version is affected by a range when the last event at or below it is ``introduced``
  (``introduced: "0"`` is below everything), ``fixed`` ends the range at that version,
  ``last_affected`` just after it; ``limit`` caps the range (the version must be below a limit);
* several ranges, and the explicit ``versions`` list, are OR'd;
* ``GIT`` ranges name commits, which an installed package does not carry: they match through the
  ``versions`` list only; an entry with commit ranges and no ``versions`` cannot be decided on a
  version and is reported by :meth:`AdvisoryIndex.unresolved` (never silently dropped);
* ``Debian:12`` advisories apply to ``Debian:12`` packages (a release-less ecosystem to all);
* a distribution binary package is also matched under its source package (``source.name`` at
  ``source.version``), which is what Debian and Ubuntu advisories name;
* the reported fix is the first ``fixed`` version above the installed one.

Aliases are unified: advisories for one package that share a CVE (GHSA + PYSEC, say) give one
:class:`Match` whose ``aliases`` lists every other id::

    index = AdvisoryIndex.load(AdvisoryDatabase(platform), packages)
    for m in index.match(packages):
        print(m.package, m.version, m.id, m.fixed)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from assetguard.vulns import versions as V
from assetguard.vulns.osv import normalise_name
from assetguard.vulns.purl import identity
from assetguard.vulns.severity import RANK

if TYPE_CHECKING:
    from assetguard.vulns.database import AdvisoryDatabase, PackageKey

_INTRODUCED, _FIXED, _LAST, _LIMIT = 0, 1, 2, 3
_KINDS = {"introduced": _INTRODUCED, "fixed": _FIXED, "last_affected": _LAST, "limit": _LIMIT}
_BOTTOM = (0,)  # sort position of introduced "0": below every real version
FREEZE_ROWS = 1000  # compiled rows from which a load freezes its objects out of the cyclic GC


@lru_cache(maxsize=4096)
def release_of(ecosystem: str) -> str | None:
    """``"Ubuntu:22.04:LTS"`` -> ``"22.04"``; ``"Debian:12"`` -> ``"12"``; ``"PyPI"`` -> None."""
    parts = [p for p in ecosystem.split(":")[1:] if p not in ("LTS", "Pro", "FIPS")]
    return parts[0] if parts else None


class KeyCache:
    """Version keys computed once per (scheme, version); None when unparseable."""

    def __init__(self) -> None:
        self._by_scheme: dict[str, dict[str, Any]] = {}

    def cache_for(self, scheme: str) -> dict[str, Any]:
        cache = self._by_scheme.get(scheme)
        if cache is None:
            cache = self._by_scheme[scheme] = {}
        return cache

    def key(self, scheme: str, version: str) -> Any:
        cache = self._by_scheme.get(scheme)
        if cache is None:
            cache = self._by_scheme[scheme] = {}
        try:
            return cache[version]
        except KeyError:
            pass
        try:
            k = V.key_function(scheme)(version)
        except V.InvalidVersion:
            k = None
        cache[version] = k
        return k


@dataclass(slots=True)
class CompiledRange:
    scheme: str
    events: list[tuple[Any, int, str]]  # ((1, key) | _BOTTOM, kind, version text), sorted

    def evaluate(self, vkey: Any) -> tuple[bool, str | None]:
        """(affected, first fixed version above) for a version key of this range's scheme."""
        pos = (1, vkey)
        affected = False
        limited = False
        has_limit = False
        fixed: str | None = None
        for ekey, kind, text in self.events:
            if kind == _INTRODUCED:
                if ekey <= pos:
                    affected = True
            elif kind == _FIXED:
                if pos >= ekey:
                    affected = False
                elif fixed is None:
                    fixed = text
            elif kind == _LAST:
                if pos > ekey:
                    affected = False
            else:
                has_limit = True
                limited = limited or pos < ekey
        if has_limit and not limited:
            affected = False
        return affected, fixed


@dataclass(slots=True)
class CompiledAffected:
    advisory_id: str
    canonical_id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: str
    cvss: float | None
    cvss_vector: str | None
    release: str | None
    ranges: list[CompiledRange]
    versions: frozenset[str]
    unresolved: bool = False  # GIT (commit) ranges only: cannot be evaluated on a package version


@dataclass
class Match:
    """One (package, advisory) result — the rows of ``scan vulns --format json``."""

    package: str
    version: str
    ecosystem: str
    purl: str | None
    id: str
    aliases: list[str]
    severity: str
    cvss: float | None
    fixed: str | None
    cvss_vector: str | None = None
    summary: str | None = None
    canonical_id: str = ""
    matched_via: str = "binary"  # or "source:<name>"
    location: str | None = None
    advisory_ids: list[str] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """The JSON contract object: exactly these nine keys."""
        return {"package": self.package, "version": self.version, "ecosystem": self.ecosystem,
                "purl": self.purl, "id": self.id, "aliases": self.aliases, "severity": self.severity,
                "cvss": self.cvss, "fixed": self.fixed}


_UNSET = object()


def _compile(row: dict[str, Any], keys: KeyCache) -> CompiledAffected:
    return _compile_parts(row["advisory_id"], row["ecosystem"], row["ecosystem_base"], row["ranges"],
                          row["versions"], row["canonical_id"], row["aliases"], row["summary"],
                          row["severity_label"], row["cvss_score"], row["cvss_vector"], keys)


def _compile_parts(advisory_id: str, ecosystem: str, base: str, raw_ranges: list[dict[str, Any]],
                   versions: list[str] | None, canonical_id: str, aliases: list[str] | None, summary: str | None,
                   severity: str, cvss: float | None, vector: str | None, keys: KeyCache) -> CompiledAffected:
    # Hot on cold scans (one call per affected row loaded): plain loops, cached keys, no lambdas.
    ecosystem_scheme = V.ECOSYSTEM_SCHEMES.get(base)
    ranges: list[CompiledRange] = []
    git_ranges = 0
    for rng in raw_ranges:
        rtype = rng["type"]
        if rtype == "GIT":
            git_ranges += 1
            continue
        scheme = ecosystem_scheme if rtype == "ECOSYSTEM" else ("go" if base == "Go" else "semver")
        if scheme is None:
            continue
        cache = keys.cache_for(scheme)
        events: list[tuple[Any, int, str]] = []
        for ev in rng["events"]:
            kind, text = next(iter(ev.items()))
            if text == "0" and kind == "introduced":
                events.append((_BOTTOM, _INTRODUCED, text))
                continue
            k = cache.get(text, _UNSET)
            if k is _UNSET:
                k = keys.key(scheme, text)
            if k is None:
                break
            events.append(((1, k), _KINDS[kind], text))
        else:
            events.sort()
            ranges.append(CompiledRange(scheme, events))
    # Commit ranges alone (no version range, no versions list) say nothing about a package version.
    unresolved = bool(git_ranges) and not ranges and not versions
    return CompiledAffected(advisory_id, canonical_id, tuple(aliases or ()), summary, severity, cvss, vector,
                            release_of(ecosystem), ranges, frozenset(versions or ()), unresolved)


def package_key(ecosystem: str, name: str) -> PackageKey:
    return (V.ecosystem_base(ecosystem), normalise_name(ecosystem, name))


@lru_cache(maxsize=262144)
def _keys_of(ecosystem: str | None, name: str | None, source: str | None, purl: str | None
             ) -> tuple[PackageKey, ...]:
    eco, nm, _version = identity({"ecosystem": ecosystem, "name": name, "purl": purl, "version": "-"})
    if not eco or not nm:
        return ()
    keys = [package_key(eco, nm)]
    if source:
        sk = package_key(eco, source)
        if sk != keys[0]:
            keys.append(sk)
    return tuple(keys)


def keys_of(pkg: dict[str, Any]) -> tuple[PackageKey, ...]:
    """Index keys (binary, then source name) of one inventory package."""
    src = pkg.get("source")
    eco, name = pkg.get("ecosystem"), pkg.get("name")
    return _keys_of(eco, name, src.get("name") if isinstance(src, dict) else None,
                    None if eco and name else pkg.get("purl"))


def wanted_keys(packages: Iterable[dict[str, Any]]) -> set[PackageKey]:
    """Index keys (binary and source names) the given inventory packages need."""
    out: set[PackageKey] = set()
    for pkg in packages:
        out.update(keys_of(pkg))
    return out


class AdvisoryIndex:
    """(ecosystem base, normalised name) -> compiled affected entries."""

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        self.keys = KeyCache()
        self.entries: dict[PackageKey, list[CompiledAffected]] = {}
        # Fleets repeat the same packages: results are memoised per package identity.
        self._memo: dict[tuple[Any, ...], list[Any]] = {}
        self.add_rows(rows)

    def add_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        # Memoised results only exist for keys already loaded, which new rows never touch.
        from assetguard.vulns.database import paused_gc

        rows = rows if isinstance(rows, list) else list(rows)
        with paused_gc(keep=len(rows) >= FREEZE_ROWS):
            for row in rows:
                self.entries.setdefault((row["ecosystem_base"], row["name_key"]), []).append(
                    _compile(row, self.keys))

    def add_specs(self, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Add ``AdvisoryDatabase.affected_specs`` rows, decoding and compiling each in one step."""
        from assetguard.vulns.database import paused_gc

        loads = json.loads
        keys = self.keys
        entries = self.entries
        rows = rows if isinstance(rows, list) else list(rows)
        # A cold load compiles thousands of entries that live as long as the index: freeze them
        # (see paused_gc). A few rows added to a warm index are not worth a process-wide freeze.
        with paused_gc(keep=len(rows) >= FREEZE_ROWS):
            for advisory_id, ecosystem, base, name_key, spec in rows:
                d = loads(spec)
                compiled = _compile_parts(advisory_id, ecosystem, base, d["r"], d["v"], d["c"], d["a"], d["m"],
                                          d["s"], d["x"], d["y"], keys)
                found = entries.get((base, name_key))
                if found is None:
                    entries[(base, name_key)] = [compiled]
                else:
                    found.append(compiled)

    @classmethod
    def load(cls, database: AdvisoryDatabase, packages: Iterable[dict[str, Any]]) -> AdvisoryIndex:
        """An index holding only the advisories of these packages (indexed lookups by package key)."""
        index = cls()
        index.add_specs(database.affected_specs(wanted_keys(packages)))
        return index

    def unresolved(self, packages: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], CompiledAffected]]:
        """(package, advisory entry) pairs whose advisory names the package only through commit (GIT)
        ranges, without versions: they cannot be decided on an installed version, so they are
        reported separately instead of being matched or silently dropped."""
        out: list[tuple[dict[str, Any], CompiledAffected]] = []
        for pkg in packages:
            for key in self._entry(pkg)[0]:
                out += [(pkg, e) for e in self.entries.get(key, ()) if e.unresolved]
        return out

    # -- matching --------------------------------------------------------------------------------
    def _hits(self, base: str, release: str | None, name_key: str, version: str
              ) -> list[tuple[CompiledAffected, str | None]]:
        entries = self.entries.get((base, name_key))
        if not entries:
            return []
        out: list[tuple[CompiledAffected, str | None]] = []
        for entry in entries:
            if entry.release is not None and release is not None and entry.release != release:
                continue
            if version in entry.versions:
                out.append((entry, _first_fixed(entry, self.keys, version)))
                continue
            for rng in entry.ranges:
                vkey = self.keys.key(rng.scheme, version)
                if vkey is None:
                    continue
                affected, fixed = rng.evaluate(vkey)
                if affected:
                    out.append((entry, fixed))
                    break
        return out

    def _entry(self, pkg: dict[str, Any]) -> list[Any]:
        """The memo entry ``[index keys, matches or None]`` of one package (matches computed lazily)."""
        src = pkg.get("source")
        memo_key = (pkg.get("ecosystem"), pkg.get("name"), pkg.get("version"), pkg.get("purl"), pkg.get("location"),
                    (src.get("name"), src.get("version")) if src else None)
        entry = self._memo.get(memo_key)
        if entry is None:
            entry = self._memo[memo_key] = [keys_of(pkg), None]
        return entry

    def wanted(self, packages: Iterable[dict[str, Any]]) -> set[PackageKey]:
        """Index keys these packages need (one cheap pass; remembered for the match pass)."""
        out: set[PackageKey] = set()
        for pkg in packages:
            out.update(self._entry(pkg)[0])
        return out

    def match_package(self, pkg: dict[str, Any]) -> list[Match]:
        entry = self._entry(pkg)
        found: list[Match] | None = entry[1]
        if found is None:
            found = entry[1] = self._match_uncached(pkg)
        return found

    def match_with_keys(self, packages: Iterable[dict[str, Any]], entries: list[list[Any]] | None = None
                        ) -> tuple[list[Match], set[PackageKey]]:
        """:meth:`match` plus the package keys seen (what a database update must re-scan).

        ``entries`` are the packages' memo entries when the caller already looked them up
        (:meth:`IndexCache.prepare`), which saves hashing every package a second time.
        """
        out: list[Match] = []
        keys: set[PackageKey] = set()
        seen: set[tuple[str, str]] = set()
        pkgs = packages if isinstance(packages, list) else list(packages)
        for i, pkg in enumerate(pkgs):
            entry = entries[i] if entries is not None else self._entry(pkg)
            keys.update(entry[0])
            found: list[Match] | None = entry[1]
            if found is None:
                found = entry[1] = self._match_uncached(pkg)
            for m in found:
                ident = (m.purl or f"{m.ecosystem}/{m.package}@{m.version}", m.canonical_id)
                if ident not in seen:
                    seen.add(ident)
                    out.append(m)
        return out, keys

    def _match_uncached(self, pkg: dict[str, Any]) -> list[Match]:
        eco, name, version = identity(pkg)
        if not eco or not name or not version:
            return []
        base, release = V.ecosystem_base(eco), release_of(eco)
        hits = [(e, f, "binary") for e, f in self._hits(base, release, normalise_name(eco, name), version)]
        src = pkg.get("source")
        if isinstance(src, dict) and src.get("name"):
            sname = normalise_name(eco, src["name"])
            if sname != normalise_name(eco, name):
                sversion = src.get("version") or version
                hits += [(e, f, f"source:{src['name']}") for e, f in self._hits(base, release, sname, sversion)]
        if not hits:
            return []
        return self._unify(hits, pkg, eco, name, version)

    def _unify(self, hits: list[tuple[CompiledAffected, str | None, str]], pkg: dict[str, Any], eco: str,
               name: str, version: str) -> list[Match]:
        groups: dict[str, list[tuple[CompiledAffected, str | None, str]]] = {}
        for hit in hits:
            groups.setdefault(hit[0].canonical_id, []).append(hit)
        out: list[Match] = []
        for canonical, members in groups.items():
            ids = sorted({m[0].advisory_id for m in members})
            every = set(ids) | {a for m in members for a in m[0].aliases}
            rep = min(members, key=lambda m: (m[0].advisory_id != canonical, m[0].advisory_id))[0]
            scored = [m[0] for m in members if m[0].cvss is not None]
            sev_src = max(scored, key=lambda e: e.cvss or 0.0) if scored else max(
                (m[0] for m in members), key=lambda e: RANK.get(e.severity, 0))
            fixes = [m[1] for m in members if m[1]]
            fixed = min(fixes, key=lambda f: self._fix_order(eco, f)) if fixes else None
            out.append(Match(package=name, version=version, ecosystem=eco, purl=pkg.get("purl"),
                             id=rep.advisory_id, aliases=sorted(every - {rep.advisory_id}),
                             severity=sev_src.severity, cvss=sev_src.cvss, fixed=fixed,
                             cvss_vector=sev_src.cvss_vector, summary=rep.summary, canonical_id=canonical,
                             matched_via=members[0][2], location=pkg.get("location"), advisory_ids=ids))
        return out

    def _fix_order(self, eco: str, fixed: str) -> tuple[int, Any]:
        scheme = V.scheme_for(eco)
        k = self.keys.key(scheme, fixed) if scheme else None
        return (0, k) if k is not None else (1, fixed)

    def match(self, packages: Iterable[dict[str, Any]]) -> list[Match]:
        """Every (package, advisory) match, deduplicated by (purl or name@version, advisory)."""
        return self.match_with_keys(packages)[0]


class IndexCache:
    """The compiled index shared by every scan of one process, filled per package key on demand.

    It is rebuilt when the advisory database changed (its generation: row count and newest
    import time), so a server re-scanning one host after another compiles each advisory once::

        index = platform.singleton("vulns.index", lambda: IndexCache(database)).index_for(keys)
    """

    def __init__(self, database: AdvisoryDatabase) -> None:
        import threading

        self.database = database
        self.index = AdvisoryIndex()
        self.loaded: set[PackageKey] = set()
        self.generation: int | None = None
        self.lock = threading.Lock()

    def prepare(self, package_lists: list[list[dict[str, Any]]]) -> tuple[AdvisoryIndex, list[list[list[Any]]]]:
        """The index loaded for these package lists, and each package's memo entry (one pass)."""
        with self.lock:
            generation = self.database.generation()
            if generation != self.generation:
                self.index, self.loaded, self.generation = AdvisoryIndex(), set(), generation
            index = self.index
            entry = index._entry
            entries = [[entry(p) for p in pkgs] for pkgs in package_lists]
            wanted: set[PackageKey] = set()
            for ents in entries:
                for e in ents:
                    wanted.update(e[0])
            missing = wanted - self.loaded
            if missing:
                index.add_specs(self.database.affected_specs(missing))
                self.loaded |= missing
            return index, entries

    def index_for(self, packages: Iterable[dict[str, Any]]) -> AdvisoryIndex:
        with self.lock:
            generation = self.database.generation()
            if generation != self.generation:
                self.index, self.loaded, self.generation = AdvisoryIndex(), set(), generation
            missing = self.index.wanted(packages) - self.loaded
            if missing:
                self.index.add_specs(self.database.affected_specs(missing))
                self.loaded |= missing
            return self.index


def _first_fixed(entry: CompiledAffected, keys: KeyCache, version: str) -> str | None:
    for rng in entry.ranges:
        vkey = keys.key(rng.scheme, version)
        if vkey is None:
            continue
        _affected, fixed = rng.evaluate(vkey)
        if fixed:
            return fixed
    return None
