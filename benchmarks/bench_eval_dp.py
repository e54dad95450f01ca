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
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from grid import ENV  # noqa: E402


def run(gpus: int, a: argparse.Namespace, out: Path) -> float:
    lm_eval = ["-m", "lm_eval", "run", "--model", "hf", "--model_args", f"pretrained={a.model},dtype={a.dtype}",
               "--include_path", "lm_eval_tasks", "--tasks", a.tasks, "--batch_size", str(a.batch), "--log_samples",
               "--output_path", str(out)]
    if gpus == 1:
        cmd = [sys.executable, *lm_eval, "--device", "cuda"]
    else:
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(gpus), "--num_machines", "1",
               "--dynamo_backend", "no", *lm_eval]
    env = {**os.environ, **ENV, "CUDA_VISIBLE_DEVICES": ",".join(str(i) for i in range(gpus))}
    started = time.perf_counter()
    with open(out.with_suffix(".log"), "w") as log:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - started


def samples(out: Path) -> tuple[dict, dict]:
    results = json.loads(next(out.glob("*/results_*.json")).read_text())["results"]
    per_doc = {}
    for path in out.glob("*/samples_*.jsonl"):
        task = path.name.split("samples_", 1)[1].rsplit("_", 1)[0]
        for line in path.read_text().splitlines():
            s = json.loads(line)
            per_doc[(task, s["doc_id"])] = (s["resps"], s.get("pass@1"))
    return results, per_doc


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
    docs = {}
    for gpus in (1, a.gpus):
        wall = run(gpus, a, work / f"gpus{gpus}")
        results, docs[gpus] = samples(work / f"gpus{gpus}")
        figures["runs"][gpus] = {"wall_s": round(wall, 1),
                                 "pass@1": {t: r.get("pass@1,sandbox") for t, r in results.items()}}
        print(f"{gpus} GPU(s): {wall:.1f} s, pass@1 {figures['runs'][gpus]['pass@1']}", flush=True)
    one, many = docs[1], docs[a.gpus]
    figures["documents"] = len(one)
    figures["missing"] = len(set(one) ^ set(many))
    figures["different_generation"] = sum(one[k][0] != many[k][0] for k in one.keys() & many.keys())
    figures["different_verdict"] = sum(one[k][1] != many[k][1] for k in one.keys() & many.keys())
    figures["speedup"] = round(figures["runs"][1]["wall_s"] / figures["runs"][a.gpus]["wall_s"], 2)
    print(f"speed-up {figures['speedup']}x on {a.gpus} GPUs; {figures['documents']} documents, "
          f"{figures['different_generation']} different generations, {figures['different_verdict']} different verdicts, "
          f"{figures['missing']} missing")
    if a.out:
        Path(a.out).write_text(json.dumps(figures, indent=1))
    return 0 if figures["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
