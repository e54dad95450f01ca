"""Grade an lm-eval run's logged samples again, without the model: after a grader fix, or for a run whose sandbox
could not run programs.

    python -m evaluation.regrade outputs/eval/LABEL [outputs/eval/OTHER ...]
    python -m evaluation.regrade outputs/eval/LABEL --check       # print what would change, write nothing

Every results_<stamp>.json under a folder is taken with its samples_<task>_<stamp>.jsonl (`--log_samples`): each
sample's logged document and generations (`resps`, before any filter) are graded again in the sandbox, and the
sample's metrics and filtered response are rewritten; so are the tasks' aggregated metrics (as lm-eval computes
them: the mean and its standard error for `mean` metrics, the NaN-skipping mean for the others; a measure no sample
has is left out, as the tasks' drop_unmeasured does) and the groups' size-weighted pass@1 with its pooled standard
error. A run made before the metrics' rename (grading.RENAMED) is written back under today's names. The results
file records what was done under `regraded`. The generations are never touched.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from lm_eval.api.metrics import mean_stderr, pooled_sample_stderr

from .grading import RENAMED, doc_metrics, grade, nanmean
from .unmeasured import drop_unmeasured

FILTER = "sandbox"


def _samples(results: Path) -> dict[str, Path]:
    stamp = results.stem[len("results_"):]
    return {f.stem[len("samples_"):-(len(stamp) + 1)]: f for f in sorted(results.parent.glob(f"samples_*_{stamp}.jsonl"))}


def _aggregate(rows: list[dict], config: dict) -> dict:
    """The task's results entry from its samples' metrics, as lm-eval aggregates them."""
    out = {}
    for m in config.get("metric_list", []):
        name = RENAMED.get(m["metric"], m["metric"])
        values = [r[name] for r in rows if name in r]
        if not values:
            continue
        if m.get("aggregation") == "mean":
            out[f"{name},{FILTER}"] = float(sum(values) / len(values))
            out[f"{name}_stderr,{FILTER}"] = float(mean_stderr(values)) if len(values) > 1 else "N/A"
        else:
            out[f"{name},{FILTER}"] = nanmean(values)
            out[f"{name}_stderr,{FILTER}"] = "N/A"
    return out


def _reaggregate(entry: dict, rows: list[dict], config: dict) -> None:
    """ENTRY's task metrics aggregated again from ROWS: the ones it had go first, under a former name too, so that
    neither a renamed metric nor one no longer measured keeps its old figure."""
    for m in config.get("metric_list", []):
        for name in {m["metric"], RENAMED.get(m["metric"], m["metric"])}:
            entry.pop(f"{name},{FILTER}", None)
            entry.pop(f"{name}_stderr,{FILTER}", None)
    entry.update(_aggregate(rows, config))


def _groups(results: dict, subtasks: dict[str, list[str]], sizes: dict[str, int]) -> None:
    """Size-weighted pass@1 of each group, its subgroups first (a group's size is the sum of its tasks')."""
    def size(name: str) -> int:
        return sizes.get(name) or sum(size(t) for t in subtasks.get(name, []))

    def value(name: str) -> None:
        for child in subtasks.get(name, []):
            if child in subtasks:
                value(child)
        kids = [t for t in subtasks[name] if f"pass@1,{FILTER}" in results.get(t, {})]
        n = [size(t) for t in kids]
        if not kids or not sum(n):
            return
        scores = [results[t][f"pass@1,{FILTER}"] for t in kids]
        errs = [results[t].get(f"pass@1_stderr,{FILTER}") for t in kids]
        results.setdefault(name, {})[f"pass@1,{FILTER}"] = sum(s * k for s, k in zip(scores, n)) / sum(n)
        if all(isinstance(e, (int, float)) for e in errs) and sum(n) > len(n):
            results[name][f"pass@1_stderr,{FILTER}"] = float(pooled_sample_stderr(errs, n))

    for group in subtasks:
        value(group)


def regrade(results_path: Path, write: bool = True, progress: bool = True) -> dict:
    """Grade one run's samples again; returns per task {documents, changed (documents whose pass@1 changed),
    pass@1 before, after}."""
    j = json.loads(results_path.read_text())
    summary = {}
    for task, path in _samples(results_path).items():
        rows = [json.loads(line) for line in path.open()]
        docs = [r["doc"] for r in rows]
        generations = [list(r["resps"][0]) for r in rows]
        verdicts = drop_unmeasured(grade(docs, generations, progress=progress), docs)
        before = [r.get("pass@1") for r in rows]
        for r, v in zip(rows, verdicts):
            metrics = doc_metrics(v)
            for name in r.get("metrics", []):  # what lm-eval logged, perhaps under former names or no longer measured
                r.pop(name, None)
            r.update(metrics, metrics=list(metrics))
            r["filtered_resps"] = [[str(x) for x in v]]
        changed = sum(b != r["pass@1"] for b, r in zip(before, rows))
        entry = j["results"].setdefault(task, {})
        _reaggregate(entry, rows, j.get("configs", {}).get(task, {}))
        summary[task] = {"documents": len(rows), "changed": changed,
                         "pass@1_before": sum(b or 0 for b in before) / max(1, len(rows)),
                         "pass@1_after": entry.get(f"pass@1,{FILTER}")}
        if write:
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    sizes = {t: v.get("effective", 0) for t, v in j.get("n-samples", {}).items()}
    _groups(j["results"], j.get("group_subtasks", {}), sizes)
    for group in j.get("groups", {}):
        for key in (f"pass@1,{FILTER}", f"pass@1_stderr,{FILTER}"):
            if key in j["results"].get(group, {}):
                j["groups"][group][key] = j["results"][group][key]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        head = ""
    j["regraded"] = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "git_hash": head,
                     "documents_changed": sum(s["changed"] for s in summary.values())}
    if write:
        results_path.write_text(json.dumps(j, indent=2, ensure_ascii=False, default=str, allow_nan=True))
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", type=Path, help="lm-eval output folders (results_*.json with samples)")
    p.add_argument("--check", action="store_true", help="grade and print what would change; write nothing")
    a = p.parse_args(argv)
    found = 0
    for folder in a.folders:
        if not folder.exists():
            p.error(f"{folder}: no such folder")
        for results in sorted(folder.rglob("results_*.json")):
            if not _samples(results):
                print(f"{results}: no samples_*.jsonl beside it (run lm-eval with --log_samples); skipped",
                      file=sys.stderr)
                continue
            found += 1
            print(f"{results}:", flush=True)
            started = time.perf_counter()
            summary = regrade(results, write=not a.check)
            for task, s in summary.items():
                after = s["pass@1_after"]
                line = f"  {task}: pass@1 of {s['changed']} of {s['documents']} documents changed"
                if isinstance(after, float) and not math.isnan(after):
                    line += f"; pass@1 {s['pass@1_before']:.4f} -> {after:.4f}"
                print(line, flush=True)
            print(f"  graded {sum(s['documents'] for s in summary.values())} documents in "
                  f"{time.perf_counter() - started:.1f} s ({os.cpu_count()} CPU cores)", flush=True)
    if not found:
        print("no results_*.json with samples found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
