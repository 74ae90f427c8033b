"""Managed rule groups: documents under ``groups/`` and IP lists under ``ipsets/``."""
