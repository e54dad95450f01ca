#!/usr/bin/env bash
# The GPU session's background jobs (start one detached: scripts/gpu/start.sh NAME). Logs: $W/out/NAME.log,
# exit status: $W/out/NAME.rc. Each job resumes: finished benchmark rows, adapters and results are skipped.
#   cost      the QLoRA cost grid on a random Mistral-7B-shaped model (COST_GPU, default 0)
#   levers    the speed levers on the same model, rows in $W/out/qlora_levers_<gpu>.json (COST_GPU)
#   gemma     the Gemma 3 270M grid: six adapters, base and adapter evaluations, pass@10, reruns (GEMMA_GPUS,
#             default "0"; two trainings per >100 GB card, else one); starts from reports/runs/gemma_grid
#   multigpu  the 7B QLoRA on 1 GPU, then data-parallel on both with DDP and FSDP2
#   evaldp    Gemma evaluation on 1 vs 2 GPUs (waits for the Gemma conversion)
#   gemmaprep Axolotl's preprocessing of the Gemma code dataset, on the CPU (waits for the Gemma conversion)
set -uo pipefail
W=/tmp/codelora
cd "$W/repo"
mistral7b() { [ -f "$W/mistral7b/config.json" ] || python3 -m codeeval.random_mistral "$W/mistral7b" --shape 7b --device cuda; }
case ${1:?job name} in
  cost)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    mistral7b
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite cost --steps 2 --warmup 1 --timeout 300 \
      --out "$W/out/qlora_cost.json" ;;
  levers)
    export CUDA_VISIBLE_DEVICES=${COST_GPU:-0}
    mistral7b
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader -i 0 | grep -o 'H[0-9]*' | tr H h)
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite levers --steps 2 --warmup 1 --timeout 240 \
      --out "$W/out/qlora_levers_${gpu:-gpu}.json" ;;
  gemma)
    # resume from the committed run: its result folders are skipped, its code-r8 adapter is not trained again
    mkdir -p outputs/eval outputs/adapters
    cp -rn reports/runs/gemma_grid/results/. outputs/eval/
    [ -d outputs/adapters/gemma3-270m-code-r8 ] || cp -r reports/runs/gemma_grid/adapters/gemma3-270m-code-r8 outputs/adapters/
    # a Gemma training peaks near 49 GiB (262k-vocabulary logits): two per H200, one per H100; evaluations (batch
    # 512: decoding a 270M model is bound by per-step overhead, not by the GPU) fill the rest
    mem=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
    export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    python3 scripts/grid.py --gpus ${GEMMA_GPUS:-0} --jobs-per-gpu $(( mem > 100000 ? 4 : 3 )) \
      --train-jobs-per-gpu $(( mem > 100000 ? 2 : 1 )) --batch 512 --results outputs/eval \
      --recipes gemma3-270m-code-r8 gemma3-270m-code-r16 gemma3-270m-code-r32 gemma3-270m-code-r64 \
                gemma3-270m-code_explained-r8 gemma3-270m-code_explained-r32 \
      --passk-task mbpp_custom_passk --passk-adapter-task mbpp_custom_alpaca_passk \
      --rerun gemma3-270m-code-r8 --rerun-dtype bfloat16 float32 ;;
  multigpu)
    mistral7b
    python3 benchmarks/bench_qlora_cost.py --model "$W/mistral7b" --suite multigpu --gpus 2 --steps 2 --warmup 1 \
      --timeout 300 --out "$W/out/qlora_multigpu.json" ;;
  gemmaprep)  # axolotl's tokenisation of the code variant on the CPU, while the GPUs run something else
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    CUDA_VISIBLE_DEVICES= python3 -m axolotl.cli.preprocess axolotl_configs/gemma3-270m-code-r16.yml ;;
  evaldp)
    until [ -f models/gemma-3-270m/config.json ]; do sleep 10; done
    python3 benchmarks/bench_eval_dp.py --model models/gemma-3-270m --tasks mbpp_custom --gpus 2 --batch 64 \
      --out "$W/out/eval_dp.json" ;;
  *) echo "unknown job $1" >&2; exit 2 ;;
esac
