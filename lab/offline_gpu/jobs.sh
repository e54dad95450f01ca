#!/usr/bin/env bash
# The GPU session's background jobs (start one detached: lab/offline_gpu/start.sh NAME). Logs: $W/out/NAME.log,
# exit status: $W/out/NAME.rc. Each job resumes: finished benchmark rows, adapters and results are skipped.
#   cost      the QLoRA cost grid on a random Mistral-7B-shaped model (COST_GPU, default 0)
#   evalspeed one adapter's evaluation split into phases, before/after (benchmarks/bench_eval.py; EVAL_CASES="a|b:K=V")
#   gradingspeed  the grading alone on this host's CPUs, before/after (benchmarks/bench_grading.py; BEFORE=TAR)
#   evalbefore  evalspeed's evaluation with an older grader (BEFORE=TAR), references cold, in that grader's tree
#   peer      Unsloth against the recipe, same card, same rows (bench_qlora_cost.py --suite peer; PEER_ONLY="a|b";
#             PEER_TIMEOUT: seconds per case, 300 - a profiled Unsloth run on an H200 took longer on 2026-12-06;
#             PEER_WARMUP: steps before timing, 2; PEER_RUN=NAME: qlora_peer_<gpu>_NAME.json)
#   decodeoverhead  the host's cost per greedy decoding step on the evaluated model's structure
#             (benchmarks/bench_decode_overhead.py: only Gemma's config.json; waits for it)
#   levers    the speed levers on the same model, rows in $W/out/qlora_levers_<gpu>.json (COST_GPU)
#   gemma     the Gemma 3 270M grid: six adapters, base and adapter evaluations (eager attention), the best
#             adapter's pass@10, the code-r8 rerun (GEMMA_GPUS, default "0"; two jobs per >100 GB card, else one)
#   experiment   every Gemma recipe again on today's data, with seed repeats, dropout 0 and learning curves
#   determinism  is batched greedy decoding bit-reproducible? sdpa and eager (benchmarks/gpu_determinism.py)
#   multigpu  the 7B QLoRA on 1 GPU, then data-parallel on both with DDP and FSDP2
#   evaldp    Gemma evaluation on 1 vs 2 GPUs (waits for the Gemma conversion)
#   gemmaprep Axolotl's preprocessing of both Gemma datasets, on the CPU (waits for the Gemma conversion)
set -uo pipefail
W=/tmp/codelora
cd "$W/repo"
mistral7b() { [ -f "$W/mistral7b/config.json" ] || python3 -m model_builders.random_mistral "$W/mistral7b" --shape 7b --device cuda; }
gpu_name() { nvidia-smi --query-gpu=name --format=csv,noheader -i 0 | grep -o 'H[0-9][0-9]*' | head -1 | tr H h; }
# BEFORE=TAR (`git archive -o .gpu-wheels/grader-COMMIT.tar COMMIT common custom_suite evaluation lm_eval_tasks sandbox
# benchmarks`) unpacked to $W/before, with today's benchmark scripts and the repo's runs/ and models/
before_tree() {
  rm -rf "$W/before" && mkdir -p "$W/before" && tar -C "$W/before" -xf "${BEFORE:?BEFORE=TAR}"
  cp benchmarks/bench_grading.py benchmarks/bench_eval.py "$W/before/benchmarks/"
  ln -s "$W/repo/runs" "$W/before/runs" && ln -s "$W/repo/models" "$W/before/models"
}
# the committed code-r8 adapter's codeeval_alpaca, as the grid evaluates it, split into phases (bench_eval.py): OUT CASE...
eval_bench() {
  local out=$1; shift
  CUDA_VISIBLE_DEVICES=${COST_GPU:-0} python3 benchmarks/bench_eval.py --model models/gemma-3-270m \
    --adapter runs/gemma_grid/adapters/gemma3-270m-code-r8 --tasks codeeval_alpaca --device cuda --dtype bfloat16 \
    --batch 256 --model-args attn_implementation=eager "$@" \
    --committed runs/gemma_grid_3/samples.tar.xz:gemma3-270m-code-r8 --out "$out"
}
case ${1:?job name} in
  cost)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    mistral7b
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite cost --steps 4 --warmup 2 --timeout 300 \
      --out "$W/out/qlora_cost.json" ;;
  gradingspeed)  # grid 3's code-r8 samples graded again, references cold then kept; BEFORE=TAR: an older grader
    # (see before_tree), measured first with today's benchmark script
    run=runs/gemma_grid_3/samples.tar.xz:gemma3-270m-code-r8 rows=$W/out/grading_cpu_host.json
    if [ -n "${BEFORE:-}" ]; then
      before_tree
      (cd "$W/before" && python3 benchmarks/bench_grading.py "$run" --label "before ($(basename "$BEFORE" .tar))" --out "$rows")
    fi
    python3 benchmarks/bench_grading.py "$run" --label after --out "$rows" ;;
  evalspeed)  # the committed code-r8 adapter's codeeval_alpaca, as the grid evaluates it, split into phases
    # EVAL_SUITE=DIR: with the custom suite's tasks/ from DIR (the committed run's: git archive COMMIT
    # custom_suite/tasks), in a copy of the repo; EVAL_RUN=NAME: eval_speed_<gpu>_NAME.json
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    gpu=$(gpu_name)
    # the grader keeps passing reference runs on disk: an empty folder makes the first case cold, the next warm
    export CODEEVAL_REFERENCE_CACHE=$W/evalspeed-references && rm -rf "$CODEEVAL_REFERENCE_CACHE"
    cases=(); IFS='|' read -ra specs <<< "${EVAL_CASES:-references-cold|references-kept}"
    for c in "${specs[@]}"; do cases+=(--case "$c"); done
    if [ -n "${EVAL_SUITE:-}" ]; then
      rm -rf "$W/repo-suite" && mkdir -p "$W/repo-suite"
      tar --exclude=./models --exclude=./outputs -cf - . | tar -C "$W/repo-suite" -xf -
      ln -s "$W/repo/models" "$W/repo-suite/models"
      rm -rf "$W/repo-suite/custom_suite/tasks" && cp -r "$EVAL_SUITE" "$W/repo-suite/custom_suite/tasks"
      cd "$W/repo-suite" && export PYTHONPATH=$W/site:$W/repo-suite
    fi
    eval_bench "$W/out/eval_speed_${gpu:-gpu}${EVAL_RUN:+_$EVAL_RUN}.json" "${cases[@]}" ;;
  evalbefore)  # the same evaluation with the grader of BEFORE=TAR, an empty reference store (EVAL_SUITE as evalspeed)
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    gpu=$(gpu_name) && before_tree
    [ -z "${EVAL_SUITE:-}" ] || { rm -rf "$W/before/custom_suite/tasks" && cp -r "$EVAL_SUITE" "$W/before/custom_suite/tasks"; }
    export CODEEVAL_REFERENCE_CACHE=$W/before-references && rm -rf "$CODEEVAL_REFERENCE_CACHE"
    cd "$W/before" && export PYTHONPATH=$W/site:$W/before
    eval_bench "$W/out/eval_speed_${gpu:-gpu}${EVAL_RUN:+_$EVAL_RUN}_before.json" \
      --case "before (grader of $(basename "$BEFORE" .tar | sed 's/^grader-//')), references cold" ;;
  levers)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    mistral7b
    gpu=$(gpu_name)
    # resumes from the committed rows of this card: only the cases missing or failed there run (torch.compile's
    # first compilation of the 7B model takes minutes: LEVERS_TIMEOUT). LEVERS_RUN=run3 writes (and resumes)
    # qlora_levers_<gpu>_run3.json instead; LEVERS_ONLY="case|case|..." runs those cases, in that order.
    out="qlora_levers_${gpu:-gpu}${LEVERS_RUN:+_$LEVERS_RUN}.json"
    [ -f "runs/perf/$out" ] && cp -n "runs/perf/$out" "$W/out/"
    only=()
    [ -n "${LEVERS_ONLY:-}" ] && IFS='|' read -ra only <<< "$LEVERS_ONLY" && only=(--only "${only[@]}")
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite levers --steps "${LEVERS_STEPS:-2}" \
      --warmup "${LEVERS_WARMUP:-1}" --timeout "${LEVERS_TIMEOUT:-240}" --out "$W/out/$out" "${only[@]}" ;;
  peer)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    mistral7b
    gpu=$(gpu_name)
    only=()
    [ -n "${PEER_ONLY:-}" ] && IFS='|' read -ra only <<< "$PEER_ONLY" && only=(--only "${only[@]}")
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite peer --steps 4 --warmup "${PEER_WARMUP:-2}" \
      --timeout "${PEER_TIMEOUT:-300}" --out "$W/out/qlora_peer_${gpu:-gpu}${PEER_RUN:+_$PEER_RUN}.json" "${only[@]}" ;;
  decodeoverhead)
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    gpu=$(gpu_name)
    CUDA_VISIBLE_DEVICES=${COST_GPU:-0} python3 benchmarks/bench_decode_overhead.py --config models/gemma-3-270m \
      --adapter runs/gemma_grid/adapters/gemma3-270m-code-r8 --device cuda --batch 256 --steps 128 \
      --out "$W/out/decode_overhead_${gpu:-gpu}.json" ;;
  gemma)
    # GEMMA_RESUME=DIR (e.g. runs/gemma_grid_3/results) starts from committed results of the same setting.
    # The committed code-r8 adapter is evaluated, not trained again; it and the freshly trained r16 are evaluated twice
    # (the reproducibility pairs). Eager attention: Gemma's sdpa decoding is not bit-reproducible
    # (benchmarks/gpu_determinism.py; reports/results_grid1_discussion.md).
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    mkdir -p outputs/eval outputs/adapters
    [ -n "${GEMMA_RESUME:-}" ] && cp -rn "$GEMMA_RESUME"/. outputs/eval/
    [ -d outputs/adapters/gemma3-270m-code-r8 ] || cp -r runs/gemma_grid/adapters/gemma3-270m-code-r8 outputs/adapters/
    # a Gemma training peaks near 59 GB (262k-vocabulary logits), an adapter evaluation at batch 256 ~48 GB: two jobs
    # per H200 (trainings first), one per H100. The base model's own prompts (3-shot) at batch 256 asked eager
    # attention for 71.7 GiB in one softmax: batch 64 for that run (it then held ~13 GB). The base model's pass@10 is
    # not repeated: the model is the same as in the first grid and sampling has no greedy result to reproduce
    # (GEMMA_PASSK=mbpp_custom_passk does).
    mem=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
    per=$(( mem > 100000 ? 2 : 1 ))
    export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    python3 -m experiment.grid --gpus ${GEMMA_GPUS:-0} --jobs-per-gpu $per --train-jobs-per-gpu $tper \
      --batch 256 --base-batch 64 --results outputs/eval --model-args attn_implementation=eager \
      --passk-task "${GEMMA_PASSK:-}" \
      --recipes gemma3-270m-code-r8 gemma3-270m-code-r16 gemma3-270m-code-r32 gemma3-270m-code-r64 \
                gemma3-270m-code_explained-r8 gemma3-270m-code_explained-r32 \
      --passk-adapter-task mbpp_custom_alpaca_passk --rerun gemma3-270m-code-r8 gemma3-270m-code-r16 ;;
  experiment)
    # every Gemma recipe trained on the prepared data as it is now (the committed adapters predate its audit): the
    # six of the grid, three seeds of four of them, r32 without LoRA dropout; learning curves of code r8,
    # code_explained r8 and code r32 (one checkpoint per epoch); pass@10 of the base and of the best adapter. GEMMA_RESUME=DIR
    # (runs/<grid>/results of an earlier session of this job) skips what is done.
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    if [ -f "$W/gguf/adapters.count" ]; then until [ -f "$W/adapters.ok" ]; do sleep 5; done; fi  # pack.sh's adapters.tar
    if [ -f "$W/out/gemmaprep.log" ]; then until [ -f "$W/out/gemmaprep.rc" ]; do sleep 5; done; fi  # started beside
    mkdir -p outputs/eval
    [ -n "${GEMMA_RESUME:-}" ] && cp -rn "$GEMMA_RESUME"/. outputs/eval/
    mem=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
    per=${EXPERIMENT_PER_GPU:-$(( mem > 100000 ? 2 : 1 ))}  # 3 on an H200 is untried: 2 trainings used 77 %
    # EXPERIMENT_TRAIN_PER_GPU: at most this many of those are trainings (default: all). Not PER_GPU=2 with
    # TRAIN_PER_GPU=1 on an H100: an adapter's evaluation at --batch 256 holds ~47 GiB, a training ~26 GiB plus a
    # 16 GiB cross-entropy over Gemma's 262k vocabulary, and the trainings beside an evaluation ran out of memory
    # (2026-12-07, NOTES.md)
    tper=${EXPERIMENT_TRAIN_PER_GPU:-$per}
    export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    # EXPERIMENT_RECIPES="a b": only those this session (no base model, no pass@k: a later session's full run has them;
    # EXPERIMENT_BASE=1 runs them with these recipes, the best adapter picked among them; EXPERIMENT_BASE=greedy:
    # the base model's greedy runs and the best adapter's pass@k, not the base model's; EXPERIMENT_BASE_TASKS=custom_suite:
    # the base's runs on that task only, its own prompt and the Alpaca one, e.g. when only that suite changed)
    base=(--passk-task mbpp_custom_passk --passk-adapter-task mbpp_custom_alpaca_passk)
    [ "${EXPERIMENT_BASE:-}" = greedy ] && base=(--passk-adapter-task mbpp_custom_alpaca_passk)
    [ "${EXPERIMENT_BASE:-}" = greedy-only ] && base=()  # the base's greedy runs, no pass@k at all
    if [ -n "${EXPERIMENT_RECIPES:-}" ]; then
      read -ra recipes <<< "$EXPERIMENT_RECIPES"; only=(--no-base); [ -n "${EXPERIMENT_BASE:-}" ] && only=("${base[@]}")
    else  # the grid's main comparisons first, so that a session cut short has them
      recipes=(gemma3-270m-code-r8 gemma3-270m-code_explained-r8 gemma3-270m-code-r32 gemma3-270m-code_explained-r32
               'gemma3-270m-*')
      only=("${base[@]}")
    fi
    # EXPERIMENT_CURVE="a b": the recipes with learning curves (default: both r8 and code r32, where they are run)
    curve=(); for c in ${EXPERIMENT_CURVE:-gemma3-270m-code-r8 gemma3-270m-code_explained-r8 gemma3-270m-code-r32}; do
      [[ " ${recipes[*]} " == *" $c "* || " ${recipes[*]} " == *"*"* ]] && curve+=("$c"); done
    python3 -m experiment.grid --gpus ${GEMMA_GPUS:-0} --jobs-per-gpu $per --train-jobs-per-gpu $tper \
      --batch 256 --base-batch 64 --results outputs/eval --model-args attn_implementation=eager "${only[@]}" \
      ${EXPERIMENT_BASE_TASKS:+--base-tasks $EXPERIMENT_BASE_TASKS --base-alpaca-tasks ${EXPERIMENT_BASE_TASKS}_alpaca} \
      --recipes "${recipes[@]}" ${curve:+--curve "${curve[@]}"} \
      ${EXPERIMENT_SEEDS:+--seeds $EXPERIMENT_SEEDS} --results-first ${EXPERIMENT_EVALUATE_ONLY:+--evaluate-only} ;;
      # EXPERIMENT_SEEDS="43 44": each recipe again with those seeds. --results-first: a session here ends, and with
      # one job per GPU trainings-first left 2026-12-07's session with three adapters and no evaluation of them
      # (NOTES.md). EXPERIMENT_EVALUATE_ONLY=1: evaluate the adapters there are (pack.sh's adapters.tar), train none
  determinism)  # batched greedy decoding, run against run, on GPU 0 (and 1): sdpa, then eager attention
    for attn in sdpa eager; do
      python3 benchmarks/gpu_determinism.py --gpus ${GEMMA_GPUS:-0} --attn $attn --out "$W/out/determinism_$attn.json"
    done ;;
  multigpu)
    mistral7b
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite multigpu --gpus 2 --steps 2 --warmup 1 \
      --timeout 300 --out "$W/out/qlora_multigpu.json" ;;
  gemmaprep)  # axolotl's tokenisation of both variants on the CPU, while the GPU runs something else
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    for r in gemma3-270m-code-r16 gemma3-270m-code_explained-r16; do
      CUDA_VISIBLE_DEVICES= python3 -m axolotl.cli.preprocess axolotl_configs/$r.yml > "$W/out/preprocess-$r.log" 2>&1 &
    done; wait ;;
  evaldp)
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    python3 benchmarks/bench_eval_dp.py --model models/gemma-3-270m --tasks mbpp_custom --gpus 2 --batch 64 \
      --out "$W/out/eval_dp.json" ;;
  *) echo "unknown job $1" >&2; exit 2 ;;
esac
