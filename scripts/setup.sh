#!/usr/bin/env bash
# Install the project and everything its jobs and tests use (idempotent; quick when already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e ".[all]" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import codeeval, codealpaca_prep, lm_eval, axolotl" || { echo "setup.sh: install failed" >&2; exit 1; }
