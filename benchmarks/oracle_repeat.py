"""Run the reference-solution model through the real lm-eval CLI several times on a task (or group) and compare
every verdict: the grader must score the references 100 % and give the same verdict to every document each time.
Also counts, per task, the tests decided on the graded process's own answer (objects that are not data).

python benchmarks/oracle_repeat.py [--task mbppplus_custom] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from evaluation.lm_eval_command import lm_eval_command
from reporting.results import sample_verdicts

ROOT = Path(__file__).resolve().parents[1]


def command(task: str, out: Path) -> list[str]:
    """One run of the reference-solution model (lm-eval with the plugin's reference models), from the one builder."""
    return lm_eval_command("", task, out, model="codeeval-oracle", launcher="plugin")


def verdicts(folder: Path) -> tuple[dict[tuple, tuple], dict[str, int]]:
    """(task, doc_id) -> verdict, and per task the number of tests decided in the graded process."""
    out, in_process = {}, {}
    for samples in sorted(folder.rglob("samples_*.jsonl")):
        task = samples.name[len("samples_"):].rsplit("_", 1)[0]
        for line in samples.read_text().splitlines():
            s = json.loads(line)
            (v,) = sample_verdicts(s)
            out[(task, s["doc_id"])] = (v["passed"], v.get("passed_base"), v["status"], v["etype"])
            in_process[task] = in_process.get(task, 0) + int(v.get("in_process_tests") or 0)
    return out, in_process


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
            subprocess.run(command(a.task, out), cwd=ROOT, check=True, capture_output=True, text=True)
            found, in_process = verdicts(out)
            runs.append(found)
            passed = sum(v[0] for v in found.values())
            print(f"run {i + 1}: {passed} of {len(found)} references pass ({time.perf_counter() - start:.0f} s); "
                  f"tests decided in the graded process: {sum(in_process.values())}"
                  + "".join(f", {t} {n}" for t, n in sorted(in_process.items()) if n))
    differ = [d for d in runs[0] if len({r.get(d) for r in runs}) > 1]
    print(f"documents whose verdict differs between the {a.runs} runs: {len(differ)}"
          + (f" ({', '.join(f'{t}/{d}' for t, d in differ[:10])})" if differ else ""))


if __name__ == "__main__":
    main()
