"""IP lists behind the reputation / anonymous-IP groups: formats, refresh without restart, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assetguard.core.errors import ValidationError
from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.ipsets import DEFAULT_IPSET_DIR, IPSetStore
from assetguard.waf.managed.lists import parse_list, update_lists
from assetguard.waf.request import HttpRequest

TOR = """ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2026-05-01 10:00:00
LastStatus 2026-05-01 11:00:00
ExitAddress 198.18.0.7 2026-05-01 11:05:00
ExitNode 0098C475875ABC4AA864738B1D1079F711C38287
ExitAddress 198.18.0.9 2026-05-01 11:06:00
"""


def test_parse_tor_plain_drop_and_json() -> None:
    assert parse_list(TOR) == ["198.18.0.7/32", "198.18.0.9/32"]
    assert parse_list("# feed\n192.0.2.0/24 ; SBL123\n2001:db8::/32\n\n192.0.2.0/24\n") == [
        "192.0.2.0/24",
        "2001:db8::/32",
    ]
    ranges = {
        "prefixes": [{"ip_prefix": "3.5.140.0/22", "service": "EC2"}],
        "ipv6_prefixes": [{"ipv6_prefix": "2600:1f14::/35"}],
    }
    assert parse_list(json.dumps(ranges)) == ["3.5.140.0/22", "2600:1f14::/35"]
    assert parse_list('["203.0.113.5", "203.0.113.0/28"]') == ["203.0.113.5/32", "203.0.113.0/28"]
    with pytest.raises(ValidationError):
        parse_list('["not-an-ip"]')


def _request(ip: str) -> HttpRequest:
    return HttpRequest.from_jsonl_record(
        {
            "method": "GET",
            "uri": "/content?q=hello",
            "client_ip": ip,
            "headers": [["Host", "app.example.com"], ["User-Agent", "Mozilla/5.0"]],
        }
    )


def test_refreshing_lists_changes_verdicts_without_restart(tmp_path: Path) -> None:
    ipsets = tmp_path / "ipsets"
    shutil.copytree(DEFAULT_IPSET_DIR, ipsets)
    store = IPSetStore(ipsets)
    acl = load_compiled_acl("recommended", ipsets=store)
    assert acl.evaluate(_request("198.18.0.7")).action == "ALLOW"

    feed = tmp_path / "exit-addresses"
    feed.write_text(TOR)
    assert update_lists({"anonymous": [str(feed)]}, store=store) == {"anonymous": 2}

    verdict = acl.evaluate(_request("198.18.0.7"))  # same compiled ACL, no reload
    assert verdict.action == "BLOCK"
    assert "awswaf:managed:aws:anonymous-ip-list:AnonymousIPList" in verdict.labels
    assert acl.evaluate(_request("198.18.0.8")).action == "ALLOW"
    assert "198.18.0.9/32" in (ipsets / "anonymous.txt").read_text()
    # A fresh store (another process) reads the refreshed file.
    assert (
        load_compiled_acl("recommended", ipsets=IPSetStore(ipsets)).evaluate(_request("198.18.0.9")).action
        == "BLOCK"
    )


def test_bad_feed_changes_nothing(tmp_path: Path) -> None:
    ipsets = tmp_path / "ipsets"
    shutil.copytree(DEFAULT_IPSET_DIR, ipsets)
    before = (ipsets / "anonymous.txt").read_text()
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("192.0.2.1\n")
    bad.write_text("999.1.1.1\n")
    with pytest.raises(ValidationError):
        update_lists({"anonymous": [str(good)], "hosting-provider": [str(bad)]}, store=IPSetStore(ipsets))
    assert (ipsets / "anonymous.txt").read_text() == before


def test_update_lists_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.cli.main import app

    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'ag.db'}")
    monkeypatch.chdir(tmp_path)
    ipsets = tmp_path / "ipsets"
    shutil.copytree(DEFAULT_IPSET_DIR, ipsets)
    feed = tmp_path / "hosting.txt"
    feed.write_text("198.51.100.0/24 hosting\n")
    result = CliRunner().invoke(
        app, ["waf", "update-lists", "--hosting-provider", str(feed), "--dir", str(ipsets)]
    )
    assert result.exit_code == 0, result.output
    assert "managed:ipset/hosting-provider: 1 networks" in result.output
    assert "198.51.100.0/24" in (ipsets / "hosting-provider.txt").read_text()
    result = CliRunner().invoke(app, ["waf", "update-lists"])
    assert result.exit_code == 2 and result.stderr.startswith("error: name at least one list"), result.output
