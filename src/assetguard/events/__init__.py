"""Event envelope, patterns, rules, bus backends and delivery."""
