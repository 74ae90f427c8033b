"""``vulndb import URL`` and ``waf update-lists --… URL`` fetch through the outbound guard, as the
API's imports and the targets do: a loopback URL is refused before any connection (one error line
naming the setting), and fetched once the operator allows it with ``outbound.allow_cidrs``; a
redirect from an allowed address to an internal one is refused too."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.waf.ipsets import DEFAULT_IPSET_DIR
from tests.targets.receivers import feed_server

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
RECORD = {"id": "OSV-2099-CLIGUARD", "modified": "2026-01-01T00:00:00Z", "summary": "guarded CLI import"}
FEED = b"198.51.100.0/24 hosting\n203.0.113.7\n"


@pytest.fixture
def feeds() -> Iterator[ThreadingHTTPServer]:
    yield from feed_server(lambda path: json.dumps(RECORD).encode() if path.endswith(".json") else FEED)


@pytest.fixture
def cli(platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Platform:
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.delenv("ASSETGUARD_OUTBOUND__ALLOW_CIDRS", raising=False)
    monkeypatch.chdir(tmp_path)
    return platform


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output  # stdout and stderr


ALLOW = {"ASSETGUARD_OUTBOUND__ALLOW_CIDRS": '["127.0.0.1/32"]'}


def test_vulndb_import_refuses_loopback_unless_allowed(cli: Platform, feeds: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{feeds.server_address[1]}/rec.json"
    code, out = invoke("vulndb", "import", url, "--no-rescan")
    assert code == 2, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "127.0.0.1" in errors[0] and "outbound.allow_cidrs" in errors[0], out
    assert "Traceback" not in out
    assert feeds.seen == []  # type: ignore[attr-defined]  # refused before connecting
    assert AdvisoryDatabase(cli).stats()["advisories"] == 0

    code, out = invoke("vulndb", "import", url, "--no-rescan", env=ALLOW)
    assert code == 0, out
    assert "added 1" in out
    assert [path for path, _host in feeds.seen] == ["/rec.json"]  # type: ignore[attr-defined]

    # an allowed address that redirects to the metadata service: the hop is vetted and refused
    code, out = invoke("vulndb", "import", url.replace("/rec.json", "/redirect"), "--no-rescan", env=ALLOW)
    assert code == 2 and "169.254.169.254" in out, out


def test_waf_update_lists_refuses_loopback_unless_allowed(cli: Platform, feeds: ThreadingHTTPServer,
                                                          tmp_path: Path) -> None:
    ipsets = tmp_path / "ipsets"
    shutil.copytree(DEFAULT_IPSET_DIR, ipsets)
    before = (ipsets / "hosting-provider.txt").read_text()
    url = f"http://127.0.0.1:{feeds.server_address[1]}/hosting.txt"
    code, out = invoke("waf", "update-lists", "--hosting-provider", url, "--dir", str(ipsets))
    assert code == 2, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "outbound.allow_cidrs" in errors[0], out
    assert feeds.seen == []  # type: ignore[attr-defined]
    assert (ipsets / "hosting-provider.txt").read_text() == before

    code, out = invoke("waf", "update-lists", "--hosting-provider", url, "--dir", str(ipsets), env=ALLOW)
    assert code == 0, out
    assert "managed:ipset/hosting-provider: 2 networks" in out
    written = (ipsets / "hosting-provider.txt").read_text()
    assert "198.51.100.0/24" in written and "203.0.113.7/32" in written

    code, out = invoke("waf", "update-lists", "--anonymous", url.replace("/hosting.txt", "/redirect"),
                       "--dir", str(ipsets), env=ALLOW)
    assert code == 2 and "169.254.169.254" in out, out
