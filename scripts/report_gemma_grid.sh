#!/usr/bin/env bash
# Rebuild the Gemma 3 270M reports from the committed grids in runs/ (result JSONs, compressed samples,
# training logs; runs/data_manifest.json: the prepared data they were trained on), each with its hand-written
# reports/<name>_discussion.md:
#   reports/results.md        gemma_grid_3: the grid with eager attention (4 × H200, 2026-11-26),
#                             whose greedy evaluations repeat exactly; the base model's pass@10 comes from gemma_grid
#                             (the same base model; sampling has no greedy result to repeat)
#   reports/results_grid1.md  gemma_grid: the first grid (sdpa attention), two days: 2026-11-25 (base model, code
#                             r8 and r32 on MBPP at batch 128, code_explained r8 and r32) and 2026-11-26 (code r8-r64 on
#                             every Alpaca task at batch 512, the best adapter's pass@10, reruns in bfloat16 and float32)
#   reports/results_grid2.md  gemma_grid_2: the grid trained a second time, evaluations through the deterministic
#                             launcher; its base own-prompt run ran out of GPU memory at batch 512
#                             and the best adapter's pass@10 was cut short
#   reports/results_grid4.md  gemma_grid_4: the experiment on the audited data, in progress (1 × H200, five sessions on
#                             2026-12-03 and 12-04): code r8, code_explained r8, code r32 with LoRA dropout 0.05 and
#                             0, code_explained r32, three training seeds each; code r16 and r64, seed 42; per-epoch
#                             checkpoints of both r8 (the first session's verdicts regraded: see its discussion);
#                             a third training of code r32 (retrain2, 1 × H100, 2026-12-05): its pass@10 and epoch 1;
#                             a fourth (retrain3, 1 × H100, 2026-12-05): its learning curve, epochs 1-3; the base
#                             model's zero-shot and 3-shot MBPP / MBPP+ / HumanEval runs from gemma_grid_3 (the same
#                             weights and eager attention: the primary comparison pairs the adapters with them)
#   reports/results_grid5.md  gemma_grid_5: the experiment again on the clean data (runs/gemma_grid_5/data_manifest.json:
#                             no training row solves or paraphrases a benchmark task), in progress: six of the twelve
#                             trainings evaluated (1 × H100, 2026-12-07, three sessions); the base model
#                             on the new custom suite, its MBPP / MBPP+ / HumanEval runs from gemma_grid_3
# What each run is comes from its run.json (scripts/backfill_run_records.py wrote those of these runs). A file
# runs/contamination/grid4_prepared.json (benchmark tasks the grid-4 training data holds) adds the clean-task section
# to grid 4's report, and to grid 5's the pass rates on those tasks without the rows that held them.
source "$(dirname "$0")/_lib.sh"
G1=runs/gemma_grid; G3=runs/gemma_grid_3; D=$G3/results
step "build reports/results.md"
python3 -m reporting.results build $D/gemma-3-270m $D/gemma-3-270m-alpaca $G1/results/gemma-3-270m-passk \
  $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r16 $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r64 \
  $D/gemma3-270m-code_explained-r8 $D/gemma3-270m-code_explained-r32 $D/gemma3-270m-code-r16-passk \
  --rerun $D/gemma3-270m-code-r8-rerun $D/gemma3-270m-code-r16-rerun --samples $G3/samples.tar.xz $G1/samples.tar.xz \
  --training $G3/training --manifest runs/data_manifest.json --out reports/results.md \
  --title "Gemma 3 270M: base vs LoRA adapters (4 × H200, 2026-11-26, eager attention)"
step "build reports/results_grid1.md"
D=$G1/results
python3 -m reporting.results build $D/gemma-3-270m $D/gemma-3-270m-alpaca $D/gemma-3-270m-passk \
  $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r16 $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r64 \
  $D/gemma3-270m-code_explained-r8 $D/gemma3-270m-code_explained-r32 $D/gemma3-270m-code-r32-passk \
  $D/gemma3-270m-code-r8-float32 $D/gemma3-270m-code-r8-mbpp $D/gemma3-270m-code-r32-mbpp \
  --rerun $D/gemma3-270m-code-r8-rerun $D/gemma3-270m-code-r8-float32-rerun $D/gemma3-270m-code-r8-mbpp-rerun \
  --samples $G1/samples.tar.xz --training $G1/training --manifest runs/data_manifest.json --out reports/results_grid1.md \
  --title "Gemma 3 270M, first grid: sdpa attention (H200 runs, 2026-11-25 and 2026-11-26)"
step "build reports/results_grid2.md"
G2=runs/gemma_grid_2; D=$G2/results
python3 -m reporting.results build $D/gemma-3-270m-alpaca $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r16 \
  $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r64 $D/gemma3-270m-code_explained-r8 $D/gemma3-270m-code_explained-r32 \
  --rerun $D/gemma3-270m-code-r8-rerun --samples $G2/samples.tar.xz --training $G2/training \
  --launcher "python -m evaluation.lm_eval_cli --deterministic" --manifest runs/data_manifest.json --out reports/results_grid2.md \
  --title "Gemma 3 270M: the grid trained a second time (2 × H200, 2026-11-26, deterministic launcher)"
step "build reports/results_grid4.md"
CONTAMINATION=runs/contamination/grid4_prepared.json  # the check of the data grid 4 was trained on
G4=runs/gemma_grid_4; D=$G4/results
python3 -m reporting.results build $G3/results/gemma-3-270m $D/gemma-3-270m $D/gemma-3-270m-alpaca $G1/results/gemma-3-270m-passk \
  $D/gemma3-270m-code-r8 $D/gemma3-270m-code_explained-r8 \
  $D/gemma3-270m-code-r8-seed43 $D/gemma3-270m-code-r8-seed44 \
  $D/gemma3-270m-code_explained-r8-seed43 $D/gemma3-270m-code_explained-r8-seed44 \
  $D/gemma3-270m-code-r32 $D/gemma3-270m-code-r32-seed43 $D/gemma3-270m-code-r32-seed44 \
  $D/gemma3-270m-code-r32-dropout0 $D/gemma3-270m-code-r32-dropout0-seed43 $D/gemma3-270m-code-r32-dropout0-seed44 \
  $D/gemma3-270m-code_explained-r32 $D/gemma3-270m-code_explained-r32-seed43 $D/gemma3-270m-code_explained-r32-seed44 \
  $D/gemma3-270m-code-r16 $D/gemma3-270m-code-r64 \
  $D/gemma3-270m-code-r8-checkpoint-44 $D/gemma3-270m-code-r8-checkpoint-88 \
  $D/gemma3-270m-code_explained-r8-checkpoint-61 $D/gemma3-270m-code_explained-r8-checkpoint-122 \
  $D/gemma3-270m-code-r32-retrain2-checkpoint-44 $D/gemma3-270m-code-r32-retrain2-passk \
  $D/gemma3-270m-code-r32-retrain3-checkpoint-44 $D/gemma3-270m-code-r32-retrain3-checkpoint-88 \
  $D/gemma3-270m-code-r32-retrain3-checkpoint-132 \
  --samples $G4/samples.tar.xz $G3/samples.tar.xz $G1/samples.tar.xz --training $G4/training --manifest $G4/data_manifest.json --out reports/results_grid4.md \
  ${CONTAMINATION:+--contamination $CONTAMINATION} \
  --title "Gemma 3 270M on the audited data: code r8 and code_explained r8, three seeds each, with learning curves; code r32 with dropout 0.05 and 0 and code_explained r32, three seeds each; code r16 and r64, one seed; the base model on today's suite; code r32's pass@10 and learning curve (1 × H200, 2026-12-03 and 12-04; 1 × H100, 2026-12-05)"
step "build reports/results_grid5.md"
G5=runs/gemma_grid_5; D=$G5/results
python3 -m reporting.results build $G3/results/gemma-3-270m $D/gemma-3-270m $D/gemma-3-270m-alpaca \
  $D/gemma3-270m-code-r8 $D/gemma3-270m-code-r8-seed44 $D/gemma3-270m-code-r32-seed43 $D/gemma3-270m-code-r32-seed44 \
  $D/gemma3-270m-code_explained-r8-seed43 $D/gemma3-270m-code_explained-r32-seed44 \
  --samples $G5/samples.tar.xz $G3/samples.tar.xz --training $G5/training --manifest $G5/data_manifest.json \
  --contamination runs/contamination/grid5_prepared.json --earlier-contamination $CONTAMINATION --out reports/results_grid5.md \
  --title "Gemma 3 270M on the clean data, in progress: code r8 (seeds 42, 44), code r32 (seeds 43, 44), code_explained r8 (seed 43) and r32 (seed 44), the base model on the new custom suite (1 × H100, 2026-12-07)"
