#!/usr/bin/env bash
# Rebuild reports/results.md from the committed Gemma 3 270M grid (reports/runs/gemma_grid: result JSONs,
# compressed samples, training logs) and reports/results_discussion.md.
source "$(dirname "$0")/_lib.sh"
R=reports/runs/gemma_grid; D=$R/results
step "build reports/results.md"
python3 -m codeeval.report build $D/gemma-3-270m $D/gemma-3-270m-alpaca $D/gemma-3-270m-passk \
  $D/gemma3-270m-code-r8-mbpp $D/gemma3-270m-code-r32-mbpp $D/gemma3-270m-code_explained-r8 \
  $D/gemma3-270m-code_explained-r32 --rerun $D/gemma3-270m-code-r8-mbpp-rerun --samples $R/samples.tar.xz \
  --training $R/training --out reports/results.md --title "Gemma 3 270M: base vs LoRA adapters (H200 run, 2026-11-25)"
