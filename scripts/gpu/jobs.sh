#!/usr/bin/env bash
# The GPU session's background jobs (start one detached: scripts/gpu/start.sh NAME). Logs: $W/out/NAME.log,
# exit status: $W/out/NAME.rc. Each job resumes: finished benchmark rows, adapters and results are skipped.
#   cost      the QLoRA cost grid, then the speed levers, on a random Mistral-7B-shaped model (COST_GPU, default 0)
#   gemma     the Gemma 3 270M grid: six adapters, base and adapter evaluations, pass@10, a rerun (GEMMA_GPUS,
#             default 1; JOBS_PER_GPU, default 2 on a >100 GB card, else 1); starts from reports/runs/gemma_grid
#   multigpu  data-parallel on both GPUs: the 7B QLoRA with DDP and FSDP2, Gemma evaluation on 1 vs 2 GPUs
set -uo pipefail
W=/tmp/codelora
cd "$W/repo"
case ${1:?job name} in
  cost)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    [ -f "$W/mistral7b/config.json" ] || python3 -m codeeval.random_mistral "$W/mistral7b" --shape 7b --device cuda
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite cost --steps 2 --warmup 1 --timeout 300 \
      --out "$W/out/qlora_cost.json"
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite levers --steps 2 --warmup 1 --timeout 300 \
      --out "$W/out/qlora_levers.json" ;;
  gemma)
    # resume from the committed run: its result folders are skipped, its code-r8 adapter is not trained again
    mkdir -p outputs/eval outputs/adapters
    cp -rn reports/runs/gemma_grid/results/. outputs/eval/
    [ -d outputs/adapters/gemma3-270m-code-r8 ] || cp -r reports/runs/gemma_grid/adapters/gemma3-270m-code-r8 outputs/adapters/
    # a Gemma training peaks near 49 GiB (262k-vocabulary logits): two per H200, one per H100
    mem=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
    python3 scripts/grid.py --gpus ${GEMMA_GPUS:-1} --jobs-per-gpu ${JOBS_PER_GPU:-$(( mem > 100000 ? 2 : 1 ))} \
      --batch 128 --results outputs/eval \
      --recipes gemma3-270m-code-r8 gemma3-270m-code-r16 gemma3-270m-code-r32 gemma3-270m-code-r64 \
                gemma3-270m-code_explained-r8 gemma3-270m-code_explained-r32 \
      --passk-task mbpp_custom_passk --passk-adapter-task mbpp_custom_alpaca_passk \
      --rerun gemma3-270m-code-r8 --rerun-tasks mbpp_custom_alpaca ;;
  multigpu)
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite multigpu --gpus 2 --steps 2 --warmup 1 \
      --timeout 300 --out "$W/out/qlora_multigpu.json"
    python3 benchmarks/bench_eval_dp.py --model models/gemma-3-270m --tasks mbpp_custom --gpus 2 --out "$W/out/eval_dp.json" ;;
  *) echo "unknown job $1" >&2; exit 2 ;;
esac
