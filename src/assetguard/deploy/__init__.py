"""Deployment planning: turn assetguard's own definitions (ACL, budgets, rules, runbooks) into the
AWS resource properties the CDK app in ``deploy/aws`` creates, so nothing is re-typed by hand."""
