"""Remediation runbooks: one small plugin per fix (see :mod:`assetguard.compliance.runbooks.base`)."""
