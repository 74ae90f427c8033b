"""Registry[T]: duplicates are errors, unknown names list the valid ones, entry points load lazily."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from assetguard.core import registry as registry_module
from assetguard.core.errors import PluginError
from assetguard.core.registry import Registry


def test_register_get_and_duplicate() -> None:
    reg: Registry[int] = Registry("widget")
    reg.add("one", 1)

    @reg.register("two")
    def two() -> int:
        return 2

    assert reg.get("one") == 1 and reg.get("two") is two
    with pytest.raises(PluginError, match="widget plugin 'one' is already registered"):
        reg.add("one", 11)
    assert reg.get("one") == 1  # the first registration is kept, not silently overwritten
    assert "one" in reg and len(reg) == 2


def test_unknown_name_lists_valid_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [])
    reg: Registry[str] = Registry("target")
    reg.add("slack", "s")
    reg.add("email", "e")
    with pytest.raises(PluginError, match=r"unknown target 'pager'; valid names: email, slack"):
        reg.get("pager")
    with pytest.raises(PluginError, match=r"valid names: \(none\)"):
        Registry[str]("empty").get("x")


@pytest.fixture
def fake_distribution(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A third-party package 'agplugin' exposing entry points in group assetguard.target."""
    module = types.ModuleType("agplugin")
    module.pager = "PAGER"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agplugin", module)
    eps = {
        "assetguard.target": [EntryPoint("pager", "agplugin:pager", "assetguard.target")],
        "assetguard.broken": [EntryPoint("bad", "agplugin_missing:thing", "assetguard.broken")],
        "assetguard.clash": [EntryPoint("slack", "agplugin:pager", "assetguard.clash")],
    }
    calls: list[str] = []

    def entry_points(group: str) -> list[EntryPoint]:
        calls.append(group)
        return eps.get(group, [])

    monkeypatch.setattr(registry_module, "entry_points", entry_points)
    return calls


def test_entry_points_are_loaded_on_first_unknown_lookup(fake_distribution: list[str]) -> None:
    reg: Registry[str] = Registry("target")
    reg.add("slack", "s")
    assert reg.get("slack") == "s" and fake_distribution == []  # known names never touch entry points
    assert reg.get("pager") == "PAGER"
    assert reg.names() == ["pager", "slack"]
    reg.get("pager")
    assert fake_distribution == ["assetguard.target"]  # scanned once


def test_broken_or_clashing_entry_points_are_plugin_errors(fake_distribution: list[str]) -> None:
    with pytest.raises(PluginError, match=r"cannot load broken entry point 'bad' \(agplugin_missing:thing\)"):
        Registry[str]("broken").get("bad")
    clash: Registry[str] = Registry("clash")
    clash.add("slack", "built-in")
    with pytest.raises(PluginError, match="redefines clash 'slack'"):
        clash.names()


def test_items_are_sorted_and_include_entry_points(fake_distribution: list[str]) -> None:
    reg: Registry[str] = Registry("target")
    reg.add("zeta", "z")
    assert list(reg.items()) == [("pager", "PAGER"), ("zeta", "z")]
