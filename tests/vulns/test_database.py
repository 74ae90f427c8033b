from __future__ import annotations

import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.osv import parse_record

from .conftest import FIXTURES


def record(id: str, modified: str = "2026-01-01T00:00:00Z", **kw: Any) -> dict[str, Any]:
    r = {"id": id, "modified": modified, "affected": [
        {"package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}
    r.update(kw)
    return r


def test_fixture_import_counts_and_withdrawn(fixture_db: AdvisoryDatabase) -> None:
    stats = fixture_db.stats()
    # 21 fixture files, one withdrawn -> 20 stored.
    assert stats["advisories"] == 20
    assert stats["ecosystems"]["Debian"] == 6
    with pytest.raises(NotFoundError):
        fixture_db.get("DEBIAN-CVE-2099-1005")


def test_severity_from_vectors_and_ecosystem(fixture_db: AdvisoryDatabase) -> None:
    crit = fixture_db.get("DEBIAN-CVE-2099-1001")
    assert (crit["severity"], crit["cvss"]) == ("CRITICAL", 9.8)
    v4 = fixture_db.get("GHSA-6666-7777-8888")
    assert v4["cvss_vector"].startswith("CVSS:4.0/") and v4["cvss"] == 8.7 and v4["severity"] == "HIGH"
    eco = fixture_db.get("RUSTSEC-2099-0001")
    assert (eco["severity"], eco["cvss"]) == ("HIGH", None)
    redhat = fixture_db.get("RHSA-2099:0001")
    assert redhat["severity"] == "HIGH"  # "Important"
    assert fixture_db.get("GHSA-6666-8888-2222")["severity"] == "LOW"


def test_lookup_by_alias(fixture_db: AdvisoryDatabase) -> None:
    assert fixture_db.get("CVE-2099-2003")["id"] == "GHSA-6666-7777-8888"
    assert fixture_db.get("CVE-2099-2002")["canonical_id"] == "CVE-2099-2002"


def test_incremental_by_modified(platform: Platform) -> None:
    db = AdvisoryDatabase(platform)
    first = db.import_records([("a.json", record("X-1")), ("b.json", record("X-2"))], source="t")
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    again = db.import_records([("a.json", record("X-1")), ("b.json", record("X-2"))], source="t")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert again.changed_packages == set()
    newer = record("X-1", modified="2026-02-01T00:00:00Z", summary="changed")
    upd = db.import_records([("a.json", newer)], source="t")
    assert (upd.added, upd.updated) == (0, 1)
    assert upd.changed_packages == {("PyPI", "demo-pkg")}
    assert db.get("X-1")["summary"] == "changed"
    older = record("X-1", modified="2025-01-01T00:00:00Z", summary="stale")
    db.import_records([("a.json", older)], source="t")
    assert db.get("X-1")["summary"] == "changed"
    gone = db.import_records([("a.json", record("X-1", modified="2026-03-01T00:00:00Z",
                                                withdrawn="2026-03-01T00:00:00Z"))], source="t")
    assert gone.withdrawn == 1
    with pytest.raises(NotFoundError):
        db.get("X-1")
    assert db.stats()["advisories"] == 1


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda r: r.pop("modified"), "modified is required"),
    (lambda r: r.update(modified="yesterday"), "modified must be an RFC 3339"),
    (lambda r: r["affected"][0]["ranges"][0]["events"].append({"fixd": "2.0"}),
     "affected[0].ranges[0].events[2]: unknown event 'fixd'"),
    (lambda r: r["affected"][0]["ranges"][0].update(type="DATE"), "affected[0].ranges[0].type"),
    (lambda r: r["affected"][0]["ranges"][0]["events"].__setitem__(1, {"fixed": "not a version!"}),
     "affected[0].ranges[0].events[1].fixed"),
    (lambda r: r["affected"][0].update(package={"name": "x"}), "affected[0].package"),
    (lambda r: r.update(severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}]), "severity[0].score"),
    (lambda r: r.update(aliases="CVE-1"), "aliases must be a list"),
])
def test_malformed_record_names_file_and_field(platform: Platform, mutate: Any, field: str) -> None:
    bad = record("BAD-1")
    mutate(bad)
    db = AdvisoryDatabase(platform)
    summary = db.import_records([("dir/bad.json", bad), ("dir/good.json", record("GOOD-1"))], source="t")
    assert summary.added == 1 and len(summary.errors) == 1
    assert summary.errors[0]["where"] == "dir/bad.json"
    assert field in summary.errors[0]["error"] and "dir/bad.json" in summary.errors[0]["error"]
    assert db.get("GOOD-1")["id"] == "GOOD-1"


def test_invalid_json_file_is_reported(platform: Platform, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text(json.dumps(record("OK-1")))
    summary = AdvisoryDatabase(platform).import_source(tmp_path)
    assert summary.added == 1
    assert summary.errors[0]["where"].endswith("a.json") and "not valid JSON" in summary.errors[0]["error"]


def _zip_bytes(records: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for r in records:
            z.writestr(f"{r['id']}.json", json.dumps(r))
    return buf.getvalue()


def test_zip_export(platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "all.zip"
    path.write_bytes(_zip_bytes([record("Z-1"), record("Z-2")]))
    summary = AdvisoryDatabase(platform).import_source(path)
    assert summary.added == 2 and summary.errors == []


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "PyPI").mkdir()
    (tmp_path / "PyPI" / "all.zip").write_bytes(_zip_bytes([record("U-1"), record("U-2"), record("U-3")]))
    (tmp_path / "one.json").write_text(json.dumps(record("U-9")))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_import_zip_and_json(platform: Platform, http_server: str) -> None:
    from assetguard.core.errors import ProviderError
    from assetguard.targets.outbound import OutboundGuard

    db = AdvisoryDatabase(platform)
    with pytest.raises(ValidationError, match="outbound.allow_cidrs"):  # loopback: only when allowed
        db.import_source(f"{http_server}/one.json")
    loopback = OutboundGuard(["127.0.0.0/8"])
    assert db.import_source(f"{http_server}/PyPI/all.zip", guard=loopback).added == 3
    assert db.import_source(f"{http_server}/one.json", guard=loopback).added == 1
    with pytest.raises(ProviderError, match="HTTP 404"):
        db.import_source(f"{http_server}/missing.zip", guard=loopback)


def test_import_is_audited(fixture_db: AdvisoryDatabase, platform: Platform) -> None:
    rows = platform.audit.query(action="vulns.import", limit=10, offset=0, actor=None, resource=None,
                                since=None, until=None)
    assert rows and rows[0]["after"]["added"] == 20


def test_parse_record_unifies_aliases() -> None:
    adv = parse_record(json.loads((FIXTURES / "PYSEC-2099-12.json").read_text()), where="x")
    assert adv.canonical_id == "CVE-2099-2002"
    assert adv.aliases == ["CVE-2099-2002", "GHSA-4444-5555-6666"]


def test_commit_only_entries_are_listed_by_the_import(platform: Platform) -> None:
    commits = [{"type": "GIT", "repo": "https://example.invalid/demo.git",
                "events": [{"introduced": "3f6a1c0"}, {"fixed": "9b2e4d1"}]}]
    summary = AdvisoryDatabase(platform).import_records([
        ("a.json", record("OSV-2099-1", affected=[{"package": {"ecosystem": "PyPI", "name": "demo"},
                                                   "ranges": commits}])),
        ("b.json", record("OSV-2099-2", affected=[{"package": {"ecosystem": "PyPI", "name": "demo"},
                                                   "ranges": commits, "versions": ["1.0"]}])),
        ("c.json", record("OSV-2099-3")),
    ], source="test")
    assert summary.added == 3 and summary.errors == []
    assert summary.commits_only == [{"id": "OSV-2099-1", "ecosystem": "PyPI", "package": "demo"}]
    assert summary.as_dict()["commits_only"] == summary.commits_only
