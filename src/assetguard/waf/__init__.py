"""The WAF: WAFv2-compatible web ACLs compiled once and evaluated per request.

Entry points: :func:`assetguard.waf.engine.load_compiled_acl`, :class:`assetguard.waf.request.HttpRequest`,
:class:`assetguard.waf.middleware.WAFMiddleware`, and ``assetguard waf proxy``.
"""
