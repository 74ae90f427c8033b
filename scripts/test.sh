#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite. PostgreSQL, NATS and browser tests run
# when their servers are available (see README "Tests"); otherwise they skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
