#!/usr/bin/env bash
# Evaluate a base model and any adapters on the tasks; results go to RESULTS/<label>/. A label whose results were
# made with the same settings (evaluation/run_key.py: model, adapter hash, tasks, limit, generation settings, dtype,
# device, batch, seed, lm-eval and plugin versions) is skipped; one made with other settings is moved aside to
# RESULTS/<label>.replaced-<time> and run again.
#   MODEL=models/gemma-3-270m ADAPTERS="outputs/adapters/a outputs/adapters/b" \
#   TASKS=codeeval_all LIMIT=5 DEVICE=cpu BATCH=8 RESULTS=outputs/eval scripts/evaluate.sh
# Each run writes RESULTS/<label>/run.json first (evaluation.run_record: model and adapter with their sha256, tasks,
# generation settings, the command); RECIPE=axolotl_configs/NAME.yml and DATA_MANIFEST=data/prepared/manifest.json
# add the adapters' recipe coordinates and the sha256 of the data they were trained on.
source "$(dirname "$0")/_lib.sh"
MODEL=${MODEL:-models/gemma-3-270m}; TASKS=${TASKS:-codeeval_all}; RESULTS=${RESULTS:-outputs/eval}
DEVICE=${DEVICE:-cpu}; BATCH=${BATCH:-8}; DTYPE=${DTYPE:-float32}
extra=(); [ -n "${LIMIT:-}" ] && extra+=(--limit "$LIMIT"); [ -n "${GEN_KWARGS:-}" ] && extra+=(--gen-kwargs "$GEN_KWARGS")
run() {  # label model_args tasks [record json]
  local label=$1 args=$2 tasks=$3 record=${4:-'{}'}
  local key=(--model-args "$args" --tasks "$tasks" --limit "${LIMIT:-}" --gen-kwargs "${GEN_KWARGS:-}"
             --device "$DEVICE" --batch "$BATCH")
  if compgen -G "$RESULTS/$label/*/results_*.json" > /dev/null; then
    if python3 -m evaluation.run_key check "$RESULTS/$label" "${key[@]}" > /dev/null; then
      echo "skip $label (results exist, same settings)" >&2; return
    fi
    local old="$RESULTS/$label.replaced-$(date +%Y%m%d-%H%M%S)"
    mv "$RESULTS/$label" "$old"; echo "re-running $label; the earlier results are in $old" >&2
  fi
  step "evaluate $label on $tasks"
  python3 -m evaluation.lm_eval_command --model-args "$args" --tasks "$tasks" --device "$DEVICE" --batch "$BATCH" \
    --output-path "$RESULTS/$label" --record-json "$record" "${extra[@]}"
  python3 -m evaluation.run_key write "$RESULTS/$label" "${key[@]}"
}
run "$(basename "$MODEL")" "pretrained=$MODEL,dtype=$DTYPE" "$TASKS"
for adapter in ${ADAPTERS:-}; do
  record=$(python3 -c 'import json, sys
from evaluation.run_record import recipe_coordinates
recipe, manifest, name = sys.argv[1:]
print(json.dumps({"recipe": recipe_coordinates(recipe) if recipe else None, "training": name,
                  "data_manifest": manifest or None}))' "${RECIPE:-}" "${DATA_MANIFEST:-}" "$(basename "$adapter")")
  run "$(basename "$adapter")" "pretrained=$MODEL,peft=$adapter,dtype=$DTYPE" "${ADAPTER_TASKS:-codeeval_alpaca}" "$record"
done
