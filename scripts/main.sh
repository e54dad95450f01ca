#!/usr/bin/env bash
# README command 1: install, then run the main job on the embedded default.
# Today the main job is the data preparation; CODEALPACA=PATH|HUB_ID picks another source.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[main] step 1/2: install" >&2
bash scripts/setup.sh
echo "[main] step 2/2: prepare CodeAlpaca -> data/prepared" >&2
python3 -m codealpaca_prep --input "${CODEALPACA:-../shared/data/codealpaca/code_alpaca_20k.json}" \
    || { echo "[main] failed at step 2/2 (data preparation)" >&2; exit 1; }
