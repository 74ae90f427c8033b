"""Matching semantics against the fixture advisories and hand-built index rows."""

from __future__ import annotations

from typing import Any

from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.matcher import AdvisoryIndex, release_of

from .conftest import deb, pypi


def row(ranges: list[dict[str, Any]], versions: list[str] | None = None, *, eco: str = "PyPI",
        name: str = "pkg", id: str = "T-1", aliases: list[str] | None = None) -> dict[str, Any]:
    return {"advisory_id": id, "ecosystem": eco, "ecosystem_base": eco.split(":")[0], "name_key": name,
            "name": name, "purl": None, "ranges": ranges, "versions": versions or [], "canonical_id": id,
            "aliases": aliases or [], "summary": None, "severity_label": "HIGH", "cvss_score": 7.5,
            "cvss_vector": None}


def hits(index: AdvisoryIndex, version: str, eco: str = "PyPI", name: str = "pkg") -> list[tuple[str, str | None]]:
    return [(m.id, m.fixed) for m in index.match([{"name": name, "version": version, "ecosystem": eco}])]


def eco_range(*events: dict[str, str], kind: str = "ECOSYSTEM") -> dict[str, Any]:
    return {"type": kind, "events": list(events)}


def test_introduced_fixed_boundaries() -> None:
    idx = AdvisoryIndex([row([eco_range({"introduced": "1.0"}, {"fixed": "1.5"})])])
    assert hits(idx, "0.9") == []
    assert hits(idx, "1.0") == [("T-1", "1.5")]     # introduced is inclusive
    assert hits(idx, "1.4.9") == [("T-1", "1.5")]
    assert hits(idx, "1.5") == []                    # fixed is exclusive
    assert hits(idx, "1.5rc1") == [("T-1", "1.5")]   # a pre-release of the fix is still affected


def test_last_affected_and_limit() -> None:
    idx = AdvisoryIndex([row([eco_range({"introduced": "0"}, {"last_affected": "2.0"})])])
    assert hits(idx, "2.0") == [("T-1", None)]
    assert hits(idx, "2.0.1") == []
    lim = AdvisoryIndex([row([eco_range({"introduced": "1.0"}, {"limit": "3.0"})])])
    assert hits(lim, "2.9") == [("T-1", None)]
    assert hits(lim, "3.0") == []


def test_several_ranges_and_events_are_ored() -> None:
    idx = AdvisoryIndex([row([eco_range({"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"},
                                        {"fixed": "2.3"}),
                              eco_range({"introduced": "5.0"}, {"fixed": "5.1"})])])
    assert hits(idx, "1.1") == [("T-1", "1.2")]
    assert hits(idx, "1.5") == []
    assert hits(idx, "2.2") == [("T-1", "2.3")]
    assert hits(idx, "5.0.1") == [("T-1", "5.1")]
    assert hits(idx, "4.0") == []


def test_unsorted_events_are_evaluated_in_version_order() -> None:
    idx = AdvisoryIndex([row([eco_range({"fixed": "2.3"}, {"introduced": "2.0"}, {"fixed": "1.2"},
                                        {"introduced": "1.0"})])])
    assert hits(idx, "1.5") == []
    assert hits(idx, "2.1") == [("T-1", "2.3")]


def test_explicit_versions_and_git_ranges() -> None:
    idx = AdvisoryIndex([row([eco_range({"introduced": "abc123"}, {"fixed": "def456"}, kind="GIT")],
                             versions=["1.0.3", "1.0.7"])])
    assert hits(idx, "1.0.3") == [("T-1", None)]
    assert hits(idx, "1.0.4") == []


def test_semver_range_type_for_go_with_v_prefix() -> None:
    idx = AdvisoryIndex([row([eco_range({"introduced": "0"}, {"fixed": "0.17.0"}, kind="SEMVER")],
                             eco="Go", name="golang.org/x/net")])
    assert hits(idx, "v0.15.0", eco="Go", name="golang.org/x/net") == [("T-1", "0.17.0")]
    assert hits(idx, "v0.0.0-20230101000000-abcdef123456", eco="Go", name="golang.org/x/net") == [("T-1", "0.17.0")]
    assert hits(idx, "v0.17.0", eco="Go", name="golang.org/x/net") == []


def test_release_matching() -> None:
    assert release_of("Debian:12") == "12"
    assert release_of("Ubuntu:22.04:LTS") == "22.04"
    assert release_of("Alpine:v3.19") == "v3.19"
    assert release_of("npm") is None
    idx = AdvisoryIndex([row([eco_range({"introduced": "0"}, {"fixed": "2.0-1"})], eco="Debian:11", name="bash")])
    assert hits(idx, "1.0-1", eco="Debian:12", name="bash") == []
    assert hits(idx, "1.0-1", eco="Debian:11", name="bash") == [("T-1", "2.0-1")]


def test_fixture_database_edge_cases(fixture_db: AdvisoryDatabase) -> None:
    pkgs = [
        deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),   # ~ below the fix -> affected
        deb("openssl", "3.0.11-1~deb12u2"),                                  # exactly the fix -> not
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib"),                            # epoch equal to fix -> not
        deb("zlib1g-dev", "1.2.13.dfsg-9", "zlib"),                          # no epoch: 0 < 1 -> affected
        deb("bash", "5.2.15-2+b1"),                                          # Debian:12 only, not :11
        deb("coreutils", "9.1-1"),                                           # withdrawn
        deb("tar", "1.34+dfsg-1.2"),                                         # last_affected inclusive
        deb("curl", "7.88.1-10~rc2"),                                        # introduced at ~rc1
        pypi("requests", "2.31.0"),                                          # fixed boundary -> not
        pypi("urllib3", "2.0.6"),                                            # second range, GHSA+PYSEC
        pypi("Jinja2", "3.1.2"),                                             # name normalisation
        pypi("Django", "4.2.1"),                                             # explicit versions
        pypi("cryptography", "42.0.0rc1"),                                   # fixed at a pre-release
    ]
    matches = {(m.package, m.id): m for m in AdvisoryIndex.load(fixture_db, pkgs).match(pkgs)}
    assert set(matches) == {
        ("libssl3", "DEBIAN-CVE-2099-1001"), ("zlib1g-dev", "DEBIAN-CVE-2099-1002"),
        ("bash", "DEBIAN-CVE-2099-1003"), ("tar", "DEBIAN-CVE-2099-1006"), ("curl", "DEBIAN-CVE-2099-1007"),
        ("urllib3", "GHSA-4444-5555-6666"), ("Jinja2", "GHSA-6666-7777-8888"), ("Django", "PYSEC-2099-40"),
    }
    ssl = matches[("libssl3", "DEBIAN-CVE-2099-1001")]
    assert (ssl.fixed, ssl.matched_via, ssl.severity, ssl.cvss) == ("3.0.11-1~deb12u2", "source:openssl",
                                                                    "CRITICAL", 9.8)
    assert ssl.aliases == ["CVE-2099-1001"]
    urllib3 = matches[("urllib3", "GHSA-4444-5555-6666")]
    assert urllib3.aliases == ["CVE-2099-2002", "PYSEC-2099-12"] and urllib3.fixed == "2.0.7"
    assert matches[("tar", "DEBIAN-CVE-2099-1006")].fixed is None
    assert matches[("zlib1g-dev", "DEBIAN-CVE-2099-1002")].fixed == "1:1.2.13.dfsg-1"


def test_other_ecosystems_from_fixtures(fixture_db: AdvisoryDatabase) -> None:
    pkgs = [
        {"name": "lodash", "version": "4.17.20", "ecosystem": "npm", "purl": "pkg:npm/lodash@4.17.20"},
        {"name": "minimist", "version": "1.2.6", "ecosystem": "npm", "purl": "pkg:npm/minimist@1.2.6"},
        {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},            # identity from purl
        {"name": "golang.org/x/net", "version": "v0.15.0", "ecosystem": "Go"},
        {"name": "busybox", "version": "1.36.1-r15", "ecosystem": "Alpine:v3.19"},
        {"name": "smallvec", "version": "1.6.0", "ecosystem": "crates.io"},
        {"name": "smallvec", "version": "0.6.14", "ecosystem": "crates.io"},
        {"name": "rack", "version": "3.0.4.1", "ecosystem": "RubyGems"},
        {"name": "openssl", "version": "1:3.0.7-17.el9", "ecosystem": "Red Hat"},
    ]
    got = sorted((m.package, m.version, m.id, m.fixed) for m in
                 AdvisoryIndex.load(fixture_db, pkgs).match(pkgs))
    assert got == [
        ("busybox", "1.36.1-r15", "ALPINE-CVE-2099-6001", "1.36.1-r16"),
        ("golang.org/x/net", "v0.15.0", "GO-2099-0001", "0.17.0"),
        ("lodash", "4.17.20", "GHSA-2222-4444-6666", "4.17.21"),
        ("openssl", "1:3.0.7-17.el9", "RHSA-2099:0001", "1:3.0.7-18.el9_2"),
        ("org.apache.logging.log4j:log4j-core", "2.14.1", "GHSA-4444-6666-8888", "2.15.0"),
        ("rack", "3.0.4.1", "GHSA-6666-8888-2222", "3.0.4.2"),
        ("smallvec", "1.6.0", "RUSTSEC-2099-0001", "1.6.1"),
    ]


def test_commit_only_entries_are_reported_not_dropped() -> None:
    commits = eco_range({"introduced": "3f6a1c0"}, {"fixed": "9b2e4d1"}, kind="GIT")
    idx = AdvisoryIndex([row([commits], id="OSV-GIT-1"),                                      # commits only
                         row([commits], versions=["1.0.3"], id="OSV-GIT-2"),                  # + versions
                         row([commits, eco_range({"introduced": "0"}, {"fixed": "2.0"})], id="OSV-GIT-3")])
    pkg = {"name": "pkg", "version": "1.0.3", "ecosystem": "PyPI"}
    assert sorted(m.id for m in idx.match([pkg])) == ["OSV-GIT-2", "OSV-GIT-3"]
    assert [(p["version"], e.advisory_id) for p, e in idx.unresolved([pkg])] == [("1.0.3", "OSV-GIT-1")]
    other = {"name": "other", "version": "1.0.3", "ecosystem": "PyPI"}
    assert idx.unresolved([other]) == []


def test_index_load_reads_only_the_packages_rows(fixture_db: AdvisoryDatabase) -> None:
    # Hundreds of advisories for other packages; a scan of two packages compiles only their rows.
    fixture_db.import_records(((f"x/{i}.json", {
        "id": f"OTHER-{i}", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": f"other-{i % 50}"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}]}]})
        for i in range(500)), source="test")
    pkgs = [pypi("urllib3", "2.0.6"), pypi("other-7", "1.0")]
    specs = fixture_db.affected_specs({("PyPI", "urllib3"), ("PyPI", "other-7")})
    assert {(r[2], r[3]) for r in specs} == {("PyPI", "urllib3"), ("PyPI", "other-7")}
    assert sum(1 for r in specs if r[3] == "other-7") == 10
    index = AdvisoryIndex.load(fixture_db, pkgs)
    assert set(index.entries) == {("PyPI", "urllib3"), ("PyPI", "other-7")}
    assert sum(len(v) for v in index.entries.values()) == len(specs)
    assert {m.id for m in index.match(pkgs)} == {"GHSA-4444-5555-6666"} | {f"OTHER-{i}" for i in range(7, 500, 50)}
