"""Configuration compliance: rules over configuration items, conformance packs, the evaluator
and remediation runbooks (AWS Config rules + Systems Manager Automation, locally)."""
