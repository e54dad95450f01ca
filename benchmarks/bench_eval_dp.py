"""Data-parallel evaluation: the same lm-eval run on 1 GPU and on N GPUs (`accelerate launch -m lm_eval`, one model
copy per GPU, documents split between them; the sandbox grades on the host's CPU cores), compared document by
document.

    python benchmarks/bench_eval_dp.py --model models/gemma-3-270m --tasks mbpp_custom --gpus 2 --out dp.json

Prints the wall time of each run, the speed-up, pass@1 of each and how many documents got a different generation
or verdict. Greedy decoding; float32 by default, so that batch shapes (which differ between the runs) cannot flip a
near-tie in the logits.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from reporting.results import compare_samples, load_runs

from experiment.grid import Grid  # the grid's evaluation: same lm-eval command, environment and launcher

ROOT = Path(__file__).resolve().parents[1]


def run(gpus: int, a: argparse.Namespace, results: Path) -> float:
    """One evaluation of the base model: on GPU 0 alone, or data-parallel over GPUs 0..gpus-1."""
    grid = Grid(argparse.Namespace(results=results, gpus=[str(i) for i in range(gpus)], jobs_per_gpu=1,
                                   train_jobs_per_gpu=1,
                                   mode="spread" if gpus == 1 else "dp", base=a.model, dtype=a.dtype, batch=a.batch,
                                   device="cuda", limit=0))
    started = time.perf_counter()
    if not grid.evaluate("eval", a.tasks):
        raise SystemExit(f"the {gpus}-GPU evaluation failed: {results / 'logs' / 'eval.log'}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/gemma-3-270m")
    p.add_argument("--tasks", default="mbpp_custom")
    p.add_argument("--gpus", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out", help="JSON file for the figures")
    a = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="eval-dp-"))
    figures = {"model": a.model, "tasks": a.tasks, "batch": a.batch, "dtype": a.dtype, "runs": {}}
    runs = {}
    for gpus in (1, a.gpus):
        wall = run(gpus, a, work / f"gpus{gpus}")
        (runs[gpus],) = load_runs([work / f"gpus{gpus}" / "eval"])
        figures["runs"][gpus] = {"wall_s": round(wall, 1), "pass@1": {
            t: r.get("pass@1,sandbox") for t, r in runs[gpus].results.items()}}
        print(f"{gpus} GPU(s): {wall:.1f} s, pass@1 {figures['runs'][gpus]['pass@1']}", flush=True)
    one, many = runs[1].samples, runs[a.gpus].samples
    diffs = [compare_samples(one[t], many.get(t, [])) for t in one]
    figures["documents"] = sum(len(v) for v in one.values())
    figures["different_generation"], figures["different_verdict"], figures["missing"] = (
        sum(d[i] for d in diffs) for i in range(3))
    figures["speedup"] = round(figures["runs"][1]["wall_s"] / figures["runs"][a.gpus]["wall_s"], 2)
    print(f"speed-up {figures['speedup']}x on {a.gpus} GPUs; {figures['documents']} documents, "
          f"{figures['different_generation']} different generations, {figures['different_verdict']} different verdicts, "
          f"{figures['missing']} missing")
    if a.out:
        Path(a.out).write_text(json.dumps(figures, indent=1))
    return 0 if figures["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
