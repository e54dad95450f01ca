#!/usr/bin/env bash
# Prepare the training data (skipped when data/prepared/manifest.json exists; FORCE=1 redoes it).
# CODEALPACA=PATH|HUB_ID picks the source (default: the hub id sahil2801/CodeAlpaca-20k; offline, a local copy).
source "$(dirname "$0")/_lib.sh"
step "prepare CodeAlpaca -> data/prepared"
if [ -f data/prepared/manifest.json ] && [ -z "${FORCE:-}" ]; then echo "data/prepared exists (FORCE=1 to redo)" >&2; exit 0; fi
python3 -m codealpaca_prep --input "${CODEALPACA:-sahil2801/CodeAlpaca-20k}" "$@"
