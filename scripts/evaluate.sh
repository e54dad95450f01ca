#!/usr/bin/env bash
# Evaluate a base model and any adapters on the tasks; results go to RESULTS/<label>/ and a label that already
# has results is skipped (resume).   MODEL=models/gemma-3-270m ADAPTERS="outputs/adapters/a outputs/adapters/b" \
#   TASKS=codeeval_all LIMIT=5 DEVICE=cpu BATCH=8 RESULTS=outputs/eval scripts/evaluate.sh
source "$(dirname "$0")/_lib.sh"
MODEL=${MODEL:-models/gemma-3-270m}; TASKS=${TASKS:-codeeval_all}; RESULTS=${RESULTS:-outputs/eval}
DEVICE=${DEVICE:-cpu}; BATCH=${BATCH:-8}; DTYPE=${DTYPE:-float32}
extra=(); [ -n "${LIMIT:-}" ] && extra+=(--limit "$LIMIT"); [ -n "${GEN_KWARGS:-}" ] && extra+=(--gen_kwargs "$GEN_KWARGS")
run() {  # label model_args tasks
  local label=$1 args=$2 tasks=$3
  if compgen -G "$RESULTS/$label/*/results_*.json" > /dev/null; then echo "skip $label (results exist)" >&2; return; fi
  step "evaluate $label on $tasks"
  lm_eval run --model hf --model_args "$args" --include_path lm_eval_tasks --tasks "$tasks" --device "$DEVICE" \
    --batch_size "$BATCH" --log_samples --output_path "$RESULTS/$label" "${extra[@]}"
}
run "$(basename "$MODEL")" "pretrained=$MODEL,dtype=$DTYPE" "$TASKS"
for adapter in ${ADAPTERS:-}; do
  run "$(basename "$adapter")" "pretrained=$MODEL,peft=$adapter,dtype=$DTYPE" "${ADAPTER_TASKS:-codeeval_alpaca}"
done
