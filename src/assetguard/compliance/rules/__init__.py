"""Rule modules: ``aws/`` (AWS Config managed-rule equivalents) and ``linux/`` (KISA Unix guide)."""
