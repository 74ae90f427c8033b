"""Import each domain's ``plugins`` module so its registrations (targets, jobs, components,
collectors, rules ...) are in place. A domain opts in by having ``assetguard/<domain>/plugins.py``."""

from __future__ import annotations

import importlib

from assetguard.db.migrate import DOMAINS, PACKAGE_DIR

_loaded = False

EXTRA_DOMAINS = ("targets", "console", "api")


def load_builtin_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for domain in (*DOMAINS, *EXTRA_DOMAINS):
        if (PACKAGE_DIR / domain / "plugins.py").exists():
            importlib.import_module(f"assetguard.{domain}.plugins")
    importlib.import_module("assetguard.runtime.retention")  # the retention.prune job
