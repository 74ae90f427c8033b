"""Shared kernel: plugin registry, error tree, settings, clock and id helpers."""
