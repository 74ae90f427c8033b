"""Findings hub: ASFF findings with Security Hub's import, workflow, automation and insights.

Entry point: :class:`assetguard.findings.hub.FindingsHub`.
"""
