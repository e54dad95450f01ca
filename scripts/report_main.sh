#!/usr/bin/env bash
# Rebuild reports/main/results.md from the committed main-job runs (runs/main: the base model and the committed
# `code` r8 adapter, each merged and exported to GGUF q8_0, served by llama.cpp on 2 CPU cores, graded on the
# first 50 documents of MBPP and HumanEval with the Alpaca prompt). scripts/main.sh makes such runs and writes
# its own report under outputs/main/, so running it leaves reports/ as committed.
source "$(dirname "$0")/_lib.sh"
step "build reports/main/results.md"
python3 -m reporting.results build runs/main --out reports/main/results.md \
  --title "Main job: gemma-3-270m and its code r8 adapter on a subset (limit 50 per task)"
