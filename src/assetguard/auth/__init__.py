"""API tokens, roles and principals."""
