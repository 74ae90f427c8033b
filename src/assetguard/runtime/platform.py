"""``Platform``: the cross-cutting services one deployment shares.

Built once by the CLI entry point or ``create_app()`` and passed in; never a module global::

    platform = Platform.create(load_settings())
    InventoryService(platform).list_assets()

Domain services are plain classes that take the platform; they are cheap to construct.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from assetguard.audit.signing import deployment_public_key, retired_limits, retired_public_keys
from assetguard.audit.trail import AuditTrail
from assetguard.auth.keys import KeyStore
from assetguard.auth.tokens import TokenService
from assetguard.core.settings import Settings
from assetguard.db import migrate
from assetguard.db.engine import Database
from assetguard.events.bus import EventBus, OutboxBus

T = TypeVar("T")


class Platform:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.audit = AuditTrail(db, own_key=lambda: deployment_public_key(settings),  # verify trusts it
                                retired_keys=lambda: retired_public_keys(settings),  # and those it rotated out
                                retired_limits=lambda: retired_limits(settings),
                                digest_interval=timedelta(seconds=settings.audit.digest_interval_seconds))
        self.tokens = TokenService(db, self.audit)
        self.keys = KeyStore(settings, db, audit=self.audit)  # session, webhook and parameter keys, in the database
        self.bus: EventBus = OutboxBus(db)
        self._singletons: dict[str, Any] = {}

    @classmethod
    def create(cls, settings: Settings, *, upgrade: bool = True) -> Platform:
        """Open the database (applying migrations unless ``upgrade=False``) and load plugins."""
        from assetguard.runtime.plugins import load_builtin_plugins

        db = Database(settings.resolved_database_url)
        if upgrade:
            db.wait_until_reachable(settings.connect_timeout_seconds)  # or one line: URL and cause
            migrate.upgrade(db.engine)
        load_builtin_plugins()
        platform = cls(settings, db)
        for hook in PLATFORM_HOOKS:
            hook(platform)
        return platform

    def singleton(self, key: str, factory: Callable[[], T]) -> T:
        """One shared instance per platform (rate-limit state, compiled ACLs, clients)."""
        if key not in self._singletons:
            self._singletons[key] = factory()
        return self._singletons[key]  # type: ignore[no-any-return]

    def close(self) -> None:
        for value in self._singletons.values():
            close = getattr(value, "close", None)
            if callable(close):
                close()
        self.db.dispose()


# Domains may adjust a freshly created platform (e.g. swap the bus backend for NATS).
PLATFORM_HOOKS: list[Callable[[Platform], None]] = []
