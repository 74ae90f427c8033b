"""The running platform: shared services, background components and the scheduler."""
