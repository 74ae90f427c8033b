"""RuleStore against each backend: shipped defaults installed once, also by workers starting together."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, select

from assetguard.audit.tables import audit_log
from assetguard.auth.principal import SYSTEM
from assetguard.events.default_rules import load_default_rules
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.tables import event_default_rules, event_rules
from assetguard.runtime.platform import Platform

STARTERS = 4
ROUNDS = 3


def _install_when_all_ready(platform: Platform, start: threading.Barrier) -> list[str]:
    store = RuleStore(platform)
    start.wait(timeout=30)
    return store.install_defaults()


def test_concurrent_install_defaults_installs_each_default_once(platform: Platform) -> None:
    """Workers starting at once (threads released together) each call install_defaults: none fails,
    every default exists exactly once, and exactly one caller reports having installed it."""
    defaults = sorted(r.name for r in load_default_rules())
    assert len(defaults) >= 2
    for _round in range(ROUNDS):
        with platform.db.begin() as conn:  # back to a fresh start for the next round
            conn.execute(delete(event_rules))
            conn.execute(delete(event_default_rules))
        start = threading.Barrier(STARTERS)
        with ThreadPoolExecutor(STARTERS) as pool:
            futures = [pool.submit(_install_when_all_ready, platform, start) for _ in range(STARTERS)]
            results = [f.result(timeout=60) for f in futures]
        claimed = Counter(name for names in results for name in names)
        assert sorted(claimed) == defaults and set(claimed.values()) == {1}, results
        with platform.db.connect() as conn:
            rules = conn.execute(select(event_rules.c.name, event_rules.c.origin)).all()
            marks = conn.execute(select(event_default_rules.c.name)).scalars().all()
        assert sorted(name for name, _origin in rules) == defaults
        assert {origin for _name, origin in rules} == {"default"}
        assert sorted(marks) == defaults
    with platform.db.connect() as conn:
        audited = conn.execute(select(audit_log.c.resource).where(
            audit_log.c.action == "events.rule.install-default")).scalars().all()
    assert Counter(audited) == {f"rule/{name}": ROUNDS for name in defaults}


def test_install_defaults_keeps_a_user_rule_of_the_same_name(platform: Platform) -> None:
    default = next(r for r in load_default_rules() if r.name == "security-alerts")
    mine = Rule.model_validate({**default.document(), "description": "mine", "state": "DISABLED"})
    store = RuleStore(platform)
    store.put(mine, actor=SYSTEM)
    installed = store.install_defaults()
    assert "security-alerts" not in installed and installed
    kept = store.get("security-alerts")
    assert (kept.origin, kept.rule.description, kept.rule.state) == ("user", "mine", "DISABLED")
    assert store.install_defaults() == []
