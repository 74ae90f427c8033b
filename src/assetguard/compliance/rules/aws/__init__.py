"""AWS rules, named by AWS Config's managed-rule identifiers (lower kebab case)."""
