"""In-house attack detectors behind the WAF's ``SqliMatch`` and ``XssMatch`` statements.

Both are pure functions over text the engine has already transformed::

    from assetguard.waf.detectors.sqli import detect_sqli
    from assetguard.waf.detectors.xss import detect_xss

    detect_sqli("1' OR '1'='1")            # True
    detect_xss('<img src=x onerror=alert(1)>')  # True

Each starts with a cheap precompiled prefilter so benign text costs one regex scan. The inner
loops (the SQL lexer, both prefilters on ASCII text, the XSS word gates) run in the optional C
extension when it is built, with the same answers as their Python fallbacks (see :mod:`.native`).
"""

from __future__ import annotations
