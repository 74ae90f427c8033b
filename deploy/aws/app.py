#!/usr/bin/env python3
"""CDK entry point: ``npx cdk synth`` (run by ``assetguard deploy aws synth``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assetguard_cdk.app import main

main()
