"""`python -m evaluation.lm_eval_cli [--deterministic] ARGS` = `lm_eval ARGS` with the project's reference models
(`codeeval-oracle`, `codeeval-empty`) registered. lm-eval has no plugin discovery for models, so this is the
documented equivalent of `lm_eval --model codeeval-oracle ...`; lm-eval's own models (`hf`, ...) work as with
`lm_eval`.

--deterministic (first argument) turns on PyTorch's deterministic algorithms and cuBLAS's fixed workspace
(CUBLAS_WORKSPACE_CONFIG=:4096:8) before lm-eval starts, which lm-eval has no option for. Measured on Gemma 3 270M
(reports/results_grid2.md): not enough to repeat batched bfloat16 generation exactly; its sdpa attention decodes
differently run to run, `--model_args ...,attn_implementation=eager` does not (benchmarks/gpu_determinism.py)."""
import os
import sys


def deterministic_torch() -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS starts: before any CUDA work
    import torch

    # warn_only: an operation without a deterministic kernel is named in the log instead of stopping the run
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    print(f"[lm_eval_cli] deterministic algorithms on, CUBLAS_WORKSPACE_CONFIG={os.environ['CUBLAS_WORKSPACE_CONFIG']}",
          file=sys.stderr, flush=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--deterministic"]:
        deterministic_torch()
        argv = argv[1:]
    sys.argv = [sys.argv[0], *argv]
    import lm_eval.models  # noqa: F401  (lm-eval's own models: it loads them only into an empty registry)
    from lm_eval.__main__ import cli_evaluate

    from . import reference_models  # noqa: F401  (registers the reference models)

    cli_evaluate()


if __name__ == "__main__":
    main(sys.argv[1:])
