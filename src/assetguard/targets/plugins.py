"""Import the built-in targets so they register on ``assetguard.targets.base.targets``."""

from __future__ import annotations

from assetguard.targets import email, log, outbox, slack, webhook  # noqa: F401
