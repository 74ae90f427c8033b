"""The ``assetguard`` command line; one module per command group, each defining ``app``."""
