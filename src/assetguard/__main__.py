"""``python -m assetguard ...``: the same command line as the ``assetguard`` script."""

from assetguard.cli.main import main

main()
