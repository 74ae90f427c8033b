"""assetguard: one platform for the operations and security plan of a small team's assets."""

from __future__ import annotations

__version__ = "0.1.0"
