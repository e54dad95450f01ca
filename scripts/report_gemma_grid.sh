#!/usr/bin/env bash
# Rebuild reports/results.md from the committed Gemma 3 270M grid (reports/runs/gemma_grid: result JSONs,
# compressed samples, training logs) and reports/results_discussion.md, and reports/results_grid2.md from
# reports/runs/gemma_grid_2 (the same grid trained again). The first grid: two GPU sessions: 2026-11-25 (base model,
# code r8 and r32 on MBPP at batch 128, code_explained r8 and r32) and 2026-11-26 (code r8-r64 on every Alpaca
# task at batch 512, the best adapter's pass@10, reruns in bfloat16 and float32).
source "$(dirname "$0")/_lib.sh"
R=reports/runs/gemma_grid; D=$R/results
step "build reports/results.md"
python3 -m codeeval.report build $D/gemma-3-270m $D/gemma-3-270m-alpaca $D/gemma-3-270m-passk \
  $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r16 $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r64 \
  $D/gemma3-270m-code_explained-r8 $D/gemma3-270m-code_explained-r32 $D/gemma3-270m-code-r32-passk \
  $D/gemma3-270m-code-r8-float32 $D/gemma3-270m-code-r8-mbpp $D/gemma3-270m-code-r32-mbpp \
  --rerun $D/gemma3-270m-code-r8-rerun $D/gemma3-270m-code-r8-float32-rerun $D/gemma3-270m-code-r8-mbpp-rerun \
  --samples $R/samples.tar.xz --training $R/training --out reports/results.md \
  --title "Gemma 3 270M: base vs LoRA adapters (H200 runs, 2026-11-25 and 2026-11-26)"
step "build reports/results_grid2.md"
# the grid trained a second time (third GPU session, 2026-11-26): evaluations through the deterministic launcher; the
# base model's own-prompt run ran out of GPU memory at batch 512 and the best adapter's pass@10 was cut short
R=reports/runs/gemma_grid_2; D=$R/results
python3 -m codeeval.report build $D/gemma-3-270m-alpaca $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r16 \
  $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r64 $D/gemma3-270m-code_explained-r8 $D/gemma3-270m-code_explained-r32 \
  --rerun $D/gemma3-270m-code-r8-rerun --samples $R/samples.tar.xz --training $R/training \
  --launcher "python -m codeeval.lm_eval_cli --deterministic" --out reports/results_grid2.md \
  --title "Gemma 3 270M: the grid trained a second time (2 × H200, 2026-11-26, third GPU session)"
