#!/usr/bin/env bash
# Set up (first run only: the runtime, no test tools) and start assetguard on the embedded default: SQLite + in-process bus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/assetguard up "$@"
