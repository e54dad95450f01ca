"""Run the reference-solution model through the real lm-eval CLI several times on a task and compare every
verdict: the grader must score the references 100 % and give the same verdict to every document each time.

python benchmarks/oracle_repeat.py [--task mbppplus_custom] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporting.results import sample_verdicts

ROOT = Path(__file__).resolve().parents[1]


def verdicts(folder: Path) -> dict[int, tuple]:
    (samples,) = folder.rglob("samples_*.jsonl")
    out = {}
    for line in samples.read_text().splitlines():
        s = json.loads(line)
        (v,) = sample_verdicts(s)
        out[s["doc_id"]] = (v["passed"], v.get("passed_base"), v["status"], v["etype"])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="mbppplus_custom")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.runs):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "evaluation.lm_eval_cli", "run", "--model", "codeeval-oracle",
                            "--include_path", "lm_eval_tasks", "--tasks", a.task, "--log_samples", "--output_path",
                            str(out)], cwd=ROOT, check=True, capture_output=True, text=True)
            runs.append(verdicts(out))
            passed = sum(v[0] for v in runs[-1].values())
            print(f"run {i + 1}: {passed} of {len(runs[-1])} references pass ({time.perf_counter() - start:.0f} s)")
    differ = [d for d in runs[0] if len({r.get(d) for r in runs}) > 1]
    print(f"documents whose verdict differs between the {a.runs} runs: {len(differ)}"
          + (f" ({', '.join(map(str, differ[:10]))})" if differ else ""))


if __name__ == "__main__":
    main()
