#!/usr/bin/env bash
# Set up (first run only: the runtime plus the test extras) and run the whole test suite.
# PostgreSQL, NATS and browser tests run
# when their servers are available (see README "Tests"); otherwise they skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
