"""The one place an lm-eval command line is built (evaluate.sh, experiment.grid, assistant.grade and assistant.serve's
hint, benchmarks/bench_eval.py and oracle_repeat.py, and the reports' provenance commands all call `lm_eval_command`).

    python -m evaluation.lm_eval_command --model-args ARGS --tasks T --output-path DIR [--device D] [--batch B]
        [--limit N] [--gen-kwargs G] [--seed S] [--print] [--record-json JSON]

runs the command (or prints it with --print), after writing DIR/run.json (evaluation.run_record) that says what the
run is: --record-json adds the caller's facts (recipe, backend) to what the command itself tells.
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

LAUNCHERS = {"lm_eval": ["lm_eval"], "python": [sys.executable, "-m", "lm_eval"],
             "plugin": [sys.executable, "-m", "evaluation.lm_eval_cli"],  # lm-eval with the reference models
             "deterministic": [sys.executable, "-m", "evaluation.lm_eval_cli", "--deterministic"]}


def model_args_text(args: dict | str) -> str:
    return ",".join(f"{k}={v}" for k, v in args.items()) if isinstance(args, dict) else (args or "")


def gen_kwargs_text(gen: dict | list[str] | str | None) -> str | None:
    """`k=v,k2=v2` from a dict, a list of `k=v` or the text itself (lm-eval splits each value on commas anyway)."""
    if not gen:
        return None
    if isinstance(gen, str):
        return gen
    return ",".join(f"{k}={v}" for k, v in gen.items()) if isinstance(gen, dict) else ",".join(gen)


def lm_eval_command(model_args: dict | str, tasks: str | list[str], output_path: str | Path, *, model: str = "hf",
                    launcher: list[str] | str = "lm_eval", include_path: str | Path = "lm_eval_tasks",
                    device: str | None = None, batch_size: str | int | None = None, limit: int | float | None = None,
                    gen_kwargs: dict | list[str] | str | None = None, seed: str | None = None, log_samples: bool = True,
                    extra: list[str] = ()) -> list[str]:
    """`lm_eval run ...` as a list of arguments; every setting that changes the numbers is an argument here.
    `launcher` is a LAUNCHERS name or the words before `run` ([] for lm-eval's own arguments alone)."""
    cmd = [*(LAUNCHERS[launcher] if isinstance(launcher, str) else launcher), "run", "--model", model]
    if args := model_args_text(model_args):  # a reference model (codeeval-oracle) takes none
        cmd += ["--model_args", args]
    cmd += ["--include_path", str(include_path), "--tasks", tasks if isinstance(tasks, str) else ",".join(tasks)]
    if batch_size:  # the batch shapes change bfloat16 rounding: part of what reproduces a run
        cmd += ["--batch_size", str(batch_size)]
    if device:
        cmd += ["--device", device]
    if limit:
        cmd += ["--limit", str(int(limit))]
    if gen := gen_kwargs_text(gen_kwargs):
        cmd += ["--gen_kwargs", gen]
    if seed:
        cmd += ["--seed", seed]
    if log_samples:
        cmd += ["--log_samples"]
    return cmd + ["--output_path", str(output_path), *extra]


def shell(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation.lm_eval_command", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-args", required=True, help="lm-eval --model_args, e.g. pretrained=models/x,dtype=float32")
    p.add_argument("--tasks", required=True)
    p.add_argument("--output-path", required=True, help="the run's folder: lm-eval's results and run.json")
    p.add_argument("--model", default="hf")
    p.add_argument("--launcher", default="lm_eval", choices=sorted(LAUNCHERS))
    p.add_argument("--device")
    p.add_argument("--batch")
    p.add_argument("--limit", type=int)
    p.add_argument("--gen-kwargs")
    p.add_argument("--seed")
    p.add_argument("--record-json", default="{}", help="more facts for run.json (JSON object), e.g. the recipe")
    p.add_argument("--print", action="store_true", help="print the command instead of running it")
    a = p.parse_args(argv)
    cmd = lm_eval_command(a.model_args, a.tasks, a.output_path, model=a.model, launcher=a.launcher, device=a.device,
                          batch_size=a.batch, limit=a.limit, gen_kwargs=a.gen_kwargs, seed=a.seed)
    if a.print:
        print(shell(cmd))
        return 0
    from . import run_record

    try:
        extra = json.loads(a.record_json)
    except json.JSONDecodeError as e:
        p.error(f"--record-json is not JSON: {e}")
    run_record.write(a.output_path, run_record.describe(cmd, **extra))
    print("+ " + shell(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
