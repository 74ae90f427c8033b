"""Console navigation: which pages exist and in which order the shell lists them.

A page module declares ``NAV = NavItem("Audit", "/audit")``; the shell shows every declared
item, sorted by ``order`` when given and otherwise by the canonical order below. Pages that are
not installed are simply absent from the navigation.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from fastapi import APIRouter

from assetguard.core.errors import PluginError

CONSOLE_PREFIX = "/console"
CANONICAL_ORDER = ("System", "Security", "Traces", "Cost", "Assets", "Tags", "Findings", "WAF", "Rules",
                   "Audit")


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar.

    ``path`` is relative to the console prefix (``"/audit"`` is served at ``/console/audit``).
    ``order`` overrides the canonical position (canonical labels sort at 10, 20, ... 100).
    """

    label: str
    path: str
    order: int | None = None

    @property
    def href(self) -> str:
        return CONSOLE_PREFIX + self.path

    @property
    def sort_key(self) -> tuple[int, str]:
        if self.order is not None:
            return (self.order, self.label)
        if self.label in CANONICAL_ORDER:
            return ((CANONICAL_ORDER.index(self.label) + 1) * 10, self.label)
        return (1000, self.label)


@dataclass(frozen=True)
class Page:
    name: str
    router: APIRouter
    nav: NavItem | None


def discover_pages(package: ModuleType) -> list[Page]:
    """Import every module of ``package`` that defines ``router``; a broken page fails loudly."""
    pages = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if router is None:
            continue
        if not isinstance(router, APIRouter):
            raise PluginError(f"console page {module.__name__}: router must be a fastapi.APIRouter")
        nav = getattr(module, "NAV", None)
        if nav is not None and not isinstance(nav, NavItem):
            raise PluginError(f"console page {module.__name__}: NAV must be an assetguard.console.nav.NavItem")
        pages.append(Page(info.name, router, nav))
    return pages


def navigation(pages: list[Page]) -> list[NavItem]:
    return sorted((p.nav for p in pages if p.nav is not None), key=lambda n: n.sort_key)
