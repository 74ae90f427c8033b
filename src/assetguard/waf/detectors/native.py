"""The detectors' optional C loops (``assetguard.waf.detectors._native``) and whether they run.

The extension is built when the package is installed on a machine with a C compiler and Python's
headers (``setup.py``); :data:`BUILT` says whether it was. :data:`ENABLED` says whether the
detectors use it: ``ASSETGUARD_WAF_NATIVE=0`` keeps the pure-Python loops even when it is built.
Each detector module configures the part it uses with its own tables (one source of truth) and
keeps its Python loop as the fallback; both give the same answers
(``tests/waf/detection/test_native_detectors.py``).

Example::

    >>> from assetguard.waf.detectors import native
    >>> native.ENABLED in (True, False)
    True
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["BUILT", "ENABLED", "module"]

_built: ModuleType | None
try:
    from assetguard.waf.detectors import _native as _loaded
except ImportError:  # installed without a C compiler: the Python loops run
    _built = None
else:
    _built = _loaded

BUILT = _built is not None
ENABLED = BUILT and os.environ.get("ASSETGUARD_WAF_NATIVE", "1") != "0"
# The extension when the detectors use it, else None.
module: ModuleType | None = _built if ENABLED else None
