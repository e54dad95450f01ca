"""Grade the same MBPP+ programs with this project's grader and with EvalPlus (PyPI `evalplus`, pointed at the
vendored MBPP+ file through MBPP_OVERRIDE_PATH): verdict agreement (base and base+plus) and throughput.

Timing: both graders from a cold start in the same run, one after the other, at the same worker count; each
computes its expected outputs and reference times itself inside its timed run (EvalPlus with an empty ground-truth
cache, ours with an empty reference cache). Programs whose module timed out here are listed with EvalPlus' verdict.

Programs: every canonical solution, up to --mutants mechanical mutants of each (off-by-one, flipped comparisons,
dropped returns, ...), and real model outputs from an lm-eval `--log_samples` file of `mbppplus_custom`.

python benchmarks/evalplus_compare.py [--mutants 4] [--model-samples outputs/.../samples_mbppplus_custom_*.jsonl]
                                      [--workers 2] [--out reports/evalplus_agreement]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common.benchmark_sets import MBPPPLUS_PATH
from custom_suite.mutate import mutants
from evaluation import grading
from evaluation.documents import mbppplus_docs
from evaluation.extract import extract_code
from sandbox import isolation_report


def build_samples(docs, n_mutants: int, n_second_order: int, model_files: list[str]) -> list[dict]:
    samples = []
    for doc in docs:
        samples.append({"task_id": doc["task_id"], "source": "reference", "solution": doc["reference"]})
        first = mutants(doc["reference"], limit=n_mutants, seed=1)
        for m in first:
            samples.append({"task_id": doc["task_id"], "source": f"mutant: {m.kind}", "solution": m.code})
        seen = {m.code for m in first}
        for m in first[:n_second_order]:  # two changes at once
            second = [x for x in mutants(m.code, limit=3, seed=2) if x.code not in seen]
            if second:
                seen.add(second[0].code)
                samples.append({"task_id": doc["task_id"], "source": f"mutant: {m.kind} + {second[0].kind}",
                                "solution": second[0].code})
    for path in model_files:
        for line in open(path):
            rec = json.loads(line)
            gen = rec["resps"][0][0] if isinstance(rec["resps"][0], list) else rec["resps"][0]
            samples.append({"task_id": rec["doc"]["task_id"], "source": "model", "solution": extract_code(gen)})
    return samples


def run_evalplus(samples: list[dict], workers: int, tmp: Path, cache: Path) -> tuple[dict, float]:
    """EvalPlus needs a sample for every task: tasks not compared get a failing stub, and are ignored later."""
    path = tmp / "samples.jsonl"
    Path(str(path).replace(".jsonl", "_eval_results.json")).unlink(missing_ok=True)  # else EvalPlus asks to overwrite
    have = {s["task_id"] for s in samples}
    with open(path, "w") as fh:
        for s in samples:
            fh.write(json.dumps({"task_id": s["task_id"], "solution": s["solution"]}) + "\n")
        from common.benchmark_sets import load_mbppplus
        for t in load_mbppplus():  # a stub that fails at once, so that unused tasks cost EvalPlus ~nothing
            if t["task_id"] not in have:
                stub = f"def {t['entry_point']}(*args):\n    raise NotImplementedError\n"
                fh.write(json.dumps({"task_id": t["task_id"], "solution": stub}) + "\n")
    plus_jsonl = tmp / "MbppPlus.jsonl"  # EvalPlus reads JSON lines with the inputs as lists
    if not plus_jsonl.exists():
        with open(MBPPPLUS_PATH) as src, open(plus_jsonl, "w") as dst:
            for row in json.load(src):
                for key in ("base_input", "plus_input"):
                    value = json.loads(row[key]) if isinstance(row[key], str) else row[key]
                    row[key] = value or []
                dst.write(json.dumps(row) + "\n")
    env = {**os.environ, "MBPP_OVERRIDE_PATH": str(plus_jsonl), "XDG_CACHE_HOME": str(cache)}  # its ground-truth cache
    cmd = [sys.executable, "-m", "evalplus.evaluate", "--dataset", "mbpp", "--samples", str(path), "--parallel",
           str(workers), "--i_just_wanna_run"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"evalplus failed:\n{proc.stderr[-3000:]}")
    results = json.loads(Path(str(path).replace(".jsonl", "_eval_results.json")).read_text())["eval"]
    return results, seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mutants", type=int, default=100, help="first-order mutants per task, at most")
    p.add_argument("--second-order", type=int, default=1, help="two-change mutants per task, at most")
    p.add_argument("--model-samples", nargs="*", default=[])
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--out", default="reports/evalplus_agreement")
    p.add_argument("--tasks", type=int, default=None, help="only the first N MBPP+ tasks (for a quick check)")
    a = p.parse_args()
    docs = list(mbppplus_docs())[:a.tasks]
    by_id = {d["task_id"]: d for d in docs}
    samples = [s for s in build_samples(docs, a.mutants, a.second_order, a.model_samples) if s["task_id"] in by_id]
    print(f"{len(samples)} programs: {dict(Counter(s['source'].split(':')[0] for s in samples))}")
    with tempfile.TemporaryDirectory() as tmp:
        ep, ep_seconds = run_evalplus(samples, a.workers, Path(tmp), Path(tmp) / "cold-cache")
    grading._ref_cache.clear()
    os.environ["CODEEVAL_REFERENCE_CACHE"] = "off"  # cold, as EvalPlus's own cache is
    start = time.perf_counter()
    grouped: dict[str, list[dict]] = {}
    for s in samples:
        grouped.setdefault(s["task_id"], []).append(s)
    order = list(grouped)
    verdicts = grading.grade([by_id[t] for t in order], [[s["solution"] for s in grouped[t]] for t in order],
                             progress=True)
    ours_seconds = time.perf_counter() - start
    n_inputs = sum(len(pickle.loads(base64.b64decode(by_id[t]["inputs_json"]))) * len(grouped[t]) for t in order)

    rows, disagree = [], []
    for t in order:
        ep_rows = [r for r in ep[t]]
        # EvalPlus keeps the samples of a task in file order; ours too
        for s, v, e in zip(grouped[t], verdicts[order.index(t)], ep_rows[:len(grouped[t])]):
            ep_base = e["base_status"] == "pass"
            ep_plus = ep_base and e["plus_status"] == "pass"
            row = {"task_id": t, "source": s["source"], "ours_base": v["passed_base"], "ours_plus": v["passed"],
                   "evalplus_base": ep_base, "evalplus_plus": ep_plus, "ours_status": v["status"], "ours_etype": v["etype"],
                   "evalplus_status": [e["base_status"], e["plus_status"]], "module_ok": v["runs_clean"]}
            rows.append(row)
            if (row["ours_base"], row["ours_plus"]) != (ep_base, ep_plus):
                disagree.append({**row, "solution": s["solution"], "why": v["first_failure"]})
    n = len(rows)
    agree_base = sum(r["ours_base"] == r["evalplus_base"] for r in rows) / n
    agree_plus = sum(r["ours_plus"] == r["evalplus_plus"] for r in rows) / n
    agree_both = 1 - len(disagree) / n
    iso = isolation_report()
    module_timeouts = [r for r in rows if r["ours_status"] == "timeout" and not r["module_ok"]]
    lines = [
        f"programs: {n} on {len(order)} MBPP+ tasks ({dict(Counter(r['source'].split(':')[0] for r in rows))})",
        f"agreement with EvalPlus: base {agree_base:.2%}, base+plus {agree_plus:.2%}, both verdicts {agree_both:.2%} ({len(disagree)} disagreements)",
        f"pass rate ours: base {sum(r['ours_base'] for r in rows) / n:.2%}, plus {sum(r['ours_plus'] for r in rows) / n:.2%}; "
        f"evalplus: base {sum(r['evalplus_base'] for r in rows) / n:.2%}, plus {sum(r['evalplus_plus'] for r in rows) / n:.2%}",
        f"throughput on {a.workers} workers ({os.cpu_count()} cores), each from a cold start (references included):",
        f"  ours: {ours_seconds:.1f} s, {n / ours_seconds:.1f} programs/s, {n_inputs / ours_seconds:,.0f} inputs/s",
        f"  evalplus: {ep_seconds:.1f} s, {n / ep_seconds:.1f} programs/s, {n_inputs / ep_seconds:,.0f} inputs/s"
        " (CLI wall time incl. its start-up and its ground-truth computation)",
        f"  speed-up: {ep_seconds / ours_seconds:.2f}x",
        f"module time-outs here (the module may use the program's whole budget, as in EvalPlus): {len(module_timeouts)}"
        + "".join(f"; {r['task_id']} ({r['source']}, EvalPlus {r['evalplus_status']})" for r in module_timeouts),
        f"isolation here: {iso}",
    ]
    print("\n".join(lines))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(str(out) + ".json").write_text(json.dumps({"summary": lines, "disagreements": disagree}, indent=1, default=str))
    md = ["# This grader vs EvalPlus on MBPP+", "", f"`python benchmarks/evalplus_compare.py {' '.join(sys.argv[1:])}`", "",
          *[f"- {line}" for line in lines], "", "## Disagreements", ""]
    for d in disagree:
        md += [f"### {d['task_id']} ({d['source']})", "",
               f"ours: base={d['ours_base']} plus={d['ours_plus']} ({d['ours_status']} {d['ours_etype']}); "
               f"evalplus: {d['evalplus_status']}", "", f"first failure (ours): `{json.dumps(d['why'])[:300]}`", "",
               "```python", d["solution"][:1500], "```", ""]
    Path(str(out) + ".md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
