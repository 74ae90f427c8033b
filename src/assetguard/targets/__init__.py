"""Event targets: one module per destination (email, slack, webhook, outbox, log), on one registry."""
