"""The grading alone: a logged run's samples graded again on this machine's CPUs, no model, nothing written back.

    python benchmarks/bench_grading.py runs/gemma_grid_3/samples.tar.xz:gemma3-270m-code-r8 \\
        --label after --out runs/perf/grading_cpu.json

Two passes over every samples_*.jsonl of the run (`DIR` or `ARCHIVE.tar.xz:MEMBER`): references cold (an empty
reference store), then kept (the store the first pass filled). Each pass prints and records its seconds, split into
the reference runs and the samples' own grading, and how many documents' pass@1 differs from the logged one (0 is
the grader repeating itself). The first pass also lists the longest references. `--out` appends one row per run.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_eval import committed, host  # noqa: E402
from evaluation import grading  # noqa: E402


def graded_pass(files: list[Path]) -> dict:
    """Grade every file's samples once; seconds in the reference runs and in all of the grading, and how many
    reference programs ran (recorded runs: the samples' own are not)."""
    spent = {"references": 0.0, "ran": 0}
    runs_references, runs_many = grading.references, grading.run_many

    def counted(jobs, *args, **kwargs):
        spent["ran"] += sum(bool(job.get("record")) for job in jobs)
        return runs_many(jobs, *args, **kwargs)

    @functools.wraps(runs_references)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return runs_references(*args, **kwargs)
        finally:
            spent["references"] += time.perf_counter() - started

    grading.references, grading.run_many = timed, counted
    grading._ref_cache.clear()
    documents = changed = 0
    started = time.perf_counter()
    try:
        for path in files:
            rows = [json.loads(line) for line in path.open()]
            verdicts = grading.grade([r["doc"] for r in rows], [list(r["resps"][0]) for r in rows], progress=False)
            documents += len(rows)
            changed += sum(r.get("pass@1") != grading.doc_metrics(v)["pass@1"] for r, v in zip(rows, verdicts))
    finally:
        grading.references, grading.run_many = runs_references, runs_many
    total = time.perf_counter() - started
    return {"total_s": round(total, 1), "references_s": round(spent["references"], 1),
            "samples_s": round(total - spent["references"], 1), "references_run": spent["ran"], "documents": documents,
            "pass1_changed": changed}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="an lm-eval output folder with samples_*.jsonl, or ARCHIVE.tar.xz:MEMBER")
    p.add_argument("--label", default="run", help="what this row is called in the report (e.g. before / after)")
    p.add_argument("--out", help="JSON file (a list of rows) to append this run's row to")
    a = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    folder = committed(a.run, work / "run")
    files = sorted(folder.rglob("samples_*.jsonl"))
    if not files:
        p.error(f"{a.run}: no samples_*.jsonl (run lm-eval with --log_samples)")
    os.environ["CODEEVAL_REFERENCE_CACHE"] = str(work / "references")  # empty: the first pass is cold
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=ROOT).stdout.strip()
    path, colon, member = a.run.partition(":")
    where = Path(path).resolve()
    shown = (str(where.relative_to(ROOT)) if where.is_relative_to(ROOT) else path) + colon + member
    row = {"label": a.label, "git": git, "run": shown, "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
           "cpu_model": host()["cpu_model"], "isolation": grading.isolation_level()}
    for name in ("cold", "kept"):
        row[name] = graded_pass(files)
        r = row[name]
        print(f"{a.label} ({git}), references {name}: {r['total_s']} s = references {r['references_s']} "
              f"({r['references_run']} run) + samples {r['samples_s']}; {r['pass1_changed']} of {r['documents']} "
              "documents' pass@1 differ from the log",
              flush=True)
        if name == "cold":
            slow = sorted(grading._ref_cache.items(), key=lambda kv: -kv[1]["result"].seconds)[:5]
            row["longest_references"] = [[task, round(ref["result"].seconds, 1)] for task, ref in slow]
            print("  longest references: " + ", ".join(f"{t} {s} s" for t, s in row["longest_references"]), flush=True)
    if a.out:
        out = Path(a.out)
        rows = json.loads(out.read_text()) if out.exists() else []
        out.write_text(json.dumps(rows + [row], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
