"""Managed IP lists in the database: refreshed once (CLI or the leader's scheduled job), versioned,
followed by every proxy without compiling its ACL again; the shipped files stay the fallback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from assetguard.core.errors import ConfigError, ValidationError
from assetguard.core.settings import Settings, load_settings
from assetguard.runtime.platform import Platform
from assetguard.waf.acl_source import compile_named_acl
from assetguard.waf.follower import AclFollower
from assetguard.waf.gate import WafGate
from assetguard.waf.ipsets import DEFAULT_IPSET_DIR
from assetguard.waf.managed.list_store import KEEP_VERSIONS, refresh_lists, stored_lists
from assetguard.waf.request import HttpRequest
from assetguard.waf.store import MANAGED_LIST_KIND, WafStore
from tests.waf.conftest import make_acl, start_followers

LISTED = "198.18.0.7"  # in no shipped list


def _listed_acl() -> dict:
    return make_acl([{"Name": "anonymous", "Priority": 0, "Action": {"Block": {}},
                      "Statement": {"IPSetReferenceStatement": {"ARN": "managed:ipset/anonymous"}}}])


def _action(gate: WafGate, ip: str) -> str:
    return gate.inspect(HttpRequest("GET", "/", [("User-Agent", "t")], client_ip=ip)).action


def _until(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def store(platform: Platform) -> WafStore:
    return WafStore(platform.db)


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "exit-addresses"
    path.write_text(f"ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nExitAddress {LISTED} 2026-05-01 11:05:00\n")
    return path


@pytest.fixture
def follow(settings: Settings, store: WafStore) -> Iterator[Callable[..., tuple[AclFollower, WafGate]]]:
    yield from start_followers(settings.waf, store)


def test_a_refresh_is_a_new_version_only_when_the_list_changed(store: WafStore, feed: Path, tmp_path: Path) -> None:
    shipped = (DEFAULT_IPSET_DIR / "anonymous.txt").read_text()
    [saved] = refresh_lists(store, {"anonymous": [str(feed)]}, actor="alice")
    assert (saved.name, saved.count, saved.version, saved.changed) == ("anonymous", 1, 1, True)
    doc = store.get(MANAGED_LIST_KIND, "anonymous")
    assert doc is not None and doc.document is not None
    assert doc.document["Addresses"] == [f"{LISTED}/32"] and doc.document["Sources"] == [str(feed)]
    assert doc.created_by == "alice"
    generation = store.state().generation
    [again] = refresh_lists(store, {"anonymous": [str(feed)]}, actor="alice")
    assert (again.version, again.changed) == (1, False)
    assert store.state().generation == generation  # nothing saved, no proxy woken
    assert (DEFAULT_IPSET_DIR / "anonymous.txt").read_text() == shipped  # no file is written anywhere
    # Only the newest KEEP_VERSIONS versions of a list are kept.
    for i in range(KEEP_VERSIONS + 2):
        feed.write_text(f"192.0.2.{i}\n")
        refresh_lists(store, {"anonymous": [str(feed)]}, actor="alice")
    versions = [v.version for v in store.versions(MANAGED_LIST_KIND, "anonymous")]
    assert versions == list(range(KEEP_VERSIONS + 3, 3, -1))
    # A bad source saves nothing, for any list.
    bad = tmp_path / "bad.txt"
    bad.write_text("999.1.1.1\n")
    feed.write_text("192.0.2.200\n")
    with pytest.raises(ValidationError, match="999.1.1.1"):
        refresh_lists(store, {"anonymous": [str(feed)], "hosting-provider": [str(bad)]}, actor="alice")
    assert store.versions(MANAGED_LIST_KIND, "anonymous")[0].version == KEEP_VERSIONS + 3
    assert store.get(MANAGED_LIST_KIND, "hosting-provider") is None


def test_compiling_against_the_store_serves_the_saved_list_else_the_file(settings: Settings, store: WafStore,
                                                                          feed: Path) -> None:
    store.put("acl", "shop", _listed_acl(), actor="t")
    acl, _fp = compile_named_acl(settings.waf, store, "shop")
    request = HttpRequest("GET", "/", [("User-Agent", "t")], client_ip=LISTED)
    assert acl.evaluate(request).action == "ALLOW"
    refresh_lists(store, {"anonymous": [str(feed)]}, actor="t")
    acl, _fp = compile_named_acl(settings.waf, store, "shop")  # e.g. another process, or the API
    assert acl.evaluate(request).action == "BLOCK"
    store.put(MANAGED_LIST_KIND, "anonymous", None, actor="t")  # deleted: the shipped file again
    assert stored_lists(settings.waf, store).sync() == ["anonymous"]
    assert acl.evaluate(request).action == "ALLOW"


def test_a_proxy_follows_a_new_list_without_compiling_its_acl_again(follow, store: WafStore,  # type: ignore[no-untyped-def]
                                                                     feed: Path) -> None:
    store.put("acl", "shop", _listed_acl(), actor="t")
    _follower, gate = follow("shop")
    assert _action(gate, LISTED) == "ALLOW"
    reloads = gate.reloads
    [saved] = refresh_lists(store, {"anonymous": [str(feed)]}, actor="t")
    assert _until(lambda: _action(gate, LISTED) == "BLOCK")
    assert gate.reloads == reloads  # the compiled ACL reads the list per request
    assert _until(lambda: store.proxies(alive_seconds=30)[0]["generation"] == store.state().generation)
    feed.write_text("203.0.113.0/24\n")
    refresh_lists(store, {"anonymous": [str(feed)]}, actor="t")
    assert _until(lambda: _action(gate, "203.0.113.9") == "BLOCK")
    assert _action(gate, LISTED) == "ALLOW"
    assert saved.version == 1


def test_update_lists_cli_saves_in_the_database_and_records_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 feed: Path) -> None:
    from assetguard.audit.tables import audit_log
    from assetguard.cli.main import app
    from assetguard.db.engine import Database

    db = tmp_path / "ag.db"
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.chdir(tmp_path)
    shipped = (DEFAULT_IPSET_DIR / "anonymous.txt").read_text()
    result = CliRunner().invoke(app, ["waf", "update-lists", "--anonymous", str(feed)])
    assert result.exit_code == 0, result.output
    assert "managed:ipset/anonymous: 1 networks (version 1; every proxy follows it)" in result.output
    result = CliRunner().invoke(app, ["waf", "update-lists", "--anonymous", str(feed)])
    assert "managed:ipset/anonymous: 1 networks (unchanged, version 1;" in result.output, result.output
    assert (DEFAULT_IPSET_DIR / "anonymous.txt").read_text() == shipped
    database = Database(f"sqlite:///{db}")
    try:
        stored = WafStore(database).get(MANAGED_LIST_KIND, "anonymous")
        assert stored is not None and stored.version == 1
        with database.connect() as conn:
            actions = conn.execute(select(audit_log.c.action, audit_log.c.resource)).all()
        assert [tuple(a) for a in actions].count(("waf.update_lists", "managed:ipset/anonymous")) == 2
    finally:
        database.dispose()


def test_the_scheduled_refresh_uses_the_configured_sources(platform: Platform, store: WafStore, feed: Path) -> None:
    from assetguard.runtime.scheduler import jobs
    from assetguard.waf.plugins import refresh_managed_lists

    job = jobs.get("waf.lists.refresh")()
    assert job.func is refresh_managed_lists and job.run_at_start
    platform.settings.waf.list_refresh_seconds = 900
    assert job.interval(platform.settings) == 900
    refresh_managed_lists(platform)  # no sources configured: nothing to do
    assert store.get(MANAGED_LIST_KIND, "anonymous") is None
    platform.settings.waf.list_sources = {"anonymous": [str(feed)]}
    refresh_managed_lists(platform)
    stored = store.get(MANAGED_LIST_KIND, "anonymous")
    assert stored is not None and stored.created_by == "scheduler"


def test_list_sources_name_known_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assetguard.yaml"
    config.write_text("waf:\n  list_sources:\n    tor: [https://check.torproject.org/exit-addresses]\n")
    with pytest.raises(ConfigError, match="unknown list 'tor'") as info:
        load_settings(config)
    assert "\n" not in str(info.value)
    monkeypatch.setenv("ASSETGUARD_WAF__LIST_SOURCES", '{"anonymous": ["https://check.torproject.org/exit-addresses"]}')
    config.write_text("{}\n")
    assert load_settings(config).waf.list_sources == {"anonymous": ["https://check.torproject.org/exit-addresses"]}

