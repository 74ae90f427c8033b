"""Tag governance: parameter store, tag policies, auto-tagging from CloudTrail, backfill, tag editor."""
