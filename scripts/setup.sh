#!/usr/bin/env bash
# Create ./.venv (if needed) and install assetguard into it.
#   bash scripts/setup.sh          the runtime only (what `assetguard up` needs)
#   bash scripts/setup.sh test     the runtime plus the test extras (pytest, moto, Playwright, mypy...)
# Each part is installed once; it is installed again when pyproject.toml, setup.py or a native
# extension's source changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
want="${1:-runtime}"
case "$want" in
  runtime) spec='.'; stamp=.venv/.assetguard-runtime ;;
  test) spec='.[test]'; stamp=.venv/.assetguard-test ;;
  *) echo "setup.sh: unknown part '$want' (expected: runtime or test)" >&2; exit 2 ;;
esac
step() { printf '\n==> %s\n' "$*"; }
if [ ! -x .venv/bin/python ]; then
  step "creating the virtual environment .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
   || [ src/assetguard/events/_native.c -nt "$stamp" ] || [ src/assetguard/waf/detectors/_native.c -nt "$stamp" ]; then
  step "upgrading pip"
  .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip
  step "installing assetguard ($want: $spec) into .venv; the optional C extension is built when gcc and python3-dev are present"
  .venv/bin/python -m pip install --disable-pip-version-check -e "$spec"
  touch "$stamp"
  [ "$want" = test ] && touch .venv/.assetguard-runtime
  step "installed"
fi
