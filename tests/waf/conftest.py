"""Fixtures for the WAF engine tests: stand-in managed groups and IP lists under ``fixtures/``.

The real managed groups belong to the detection engineer; engine tests must not depend on their
contents, so they use small groups with the same names and capacities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assetguard.core.settings import WafSettings
from assetguard.waf.engine import CompiledACL, compile_acl, load_compiled_acl
from assetguard.waf.follower import AclFollower
from assetguard.waf.gate import WafGate
from assetguard.waf.ipsets import IPSetStore
from assetguard.waf.store import WafStore

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_GROUPS = FIXTURES / "groups"
FIXTURE_IPSETS = FIXTURES / "ipsets"

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def make_acl(rules: list[dict], default: str = "Allow", **extra: object) -> dict:
    """A CreateWebACL document around ``rules`` (VisibilityConfig filled in)."""
    for rule in rules:
        rule.setdefault("VisibilityConfig", VIS)
    return {"Name": "test-acl", "DefaultAction": {default: {}}, "Rules": rules, "VisibilityConfig": VIS, **extra}


@pytest.fixture
def fixture_ipsets(tmp_path: Path) -> IPSetStore:
    """A private copy of the fixture IP lists (tests may rewrite them)."""
    target = tmp_path / "ipsets"
    target.mkdir()
    for file in FIXTURE_IPSETS.iterdir():
        (target / file.name).write_text(file.read_text())
    return IPSetStore(target)


@pytest.fixture
def compile_doc(fixture_ipsets: IPSetStore):  # type: ignore[no-untyped-def]
    def compile_(doc: dict, **kwargs: object) -> CompiledACL:
        kwargs.setdefault("ipsets", fixture_ipsets)
        kwargs.setdefault("managed_dir", FIXTURE_GROUPS)
        return compile_acl(doc, **kwargs)  # type: ignore[arg-type]
    return compile_


@pytest.fixture
def baseline(fixture_ipsets: IPSetStore) -> CompiledACL:
    return load_compiled_acl("baseline", managed_dir=FIXTURE_GROUPS, ipsets=fixture_ipsets)


@pytest.fixture
def waf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point CLI/settings at the fixture groups and IP lists."""
    monkeypatch.setenv("ASSETGUARD_WAF__MANAGED_DIR", str(FIXTURE_GROUPS))
    monkeypatch.setenv("ASSETGUARD_WAF__IPSET_DIR", str(FIXTURE_IPSETS))
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def start_followers(waf: WafSettings, store: WafStore) -> Iterator[Callable[..., tuple[AclFollower, WafGate]]]:
    """For a fixture to ``yield from``: ``start(name, poll=0.3)`` starts an ACL follower (heartbeat every
    0.5 s) and its gate; all are stopped afterwards."""
    started: list[tuple[AclFollower, WafGate]] = []

    def start(name: str, poll: float = 0.3) -> tuple[AclFollower, WafGate]:
        follower = AclFollower(waf.model_copy(update={"acl_poll_seconds": poll, "heartbeat_seconds": 0.5}),
                               store, name, address="127.0.0.1:18000")
        gate = WafGate(follower.compile)
        follower.start(gate)
        started.append((follower, gate))
        return follower, gate

    yield start
    for follower, gate in started:
        follower.stop()
        gate.close()
