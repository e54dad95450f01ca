"""The blind human-rating workflow: a sheet of random generations with a separate key, and the filled sheets' means.

python -m reporting.results rating-sheet RESULTS_DIR ... --out reports/rating_sheet.csv [--n 30 --seed 0]
python -m reporting.results aggregate-ratings FILLED.csv [...] --key reports/rating_sheet.key.json
"""
from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from pathlib import Path

from .runs import load_runs, sample_verdicts

def rating_sheet(dirs: list[str], out: Path, n: int, seed: int) -> tuple[Path, Path]:
    """A blind sheet: random generations, model names replaced by item ids; the key goes to a separate file."""
    items = []
    for r in load_runs(dirs):
        for task, samples in r.samples.items():
            for s in samples:
                for v in sample_verdicts(s)[:1]:
                    items.append({"run": r.label, "task": task, "task_id": s["doc"].get("task_id"),
                                  "instruction": s["doc"].get("text", "")[:600], "code": v.get("code", "")})
    rng = random.Random(seed)
    rng.shuffle(items)
    items = items[:n]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "instruction", "code", "clarity_1to5", "readability_1to5", "instruction_adherence_1to5", "comment"])
        for i, it in enumerate(items):
            w.writerow([f"item-{i:03d}", it["instruction"], it["code"], "", "", "", ""])
    key = out.with_suffix(".key.json")
    key.write_text(json.dumps({f"item-{i:03d}": {k: it[k] for k in ("run", "task", "task_id")} for i, it in enumerate(items)}, indent=1))
    return out, key


def aggregate_ratings(sheets: list[str], key_path: str, out: Path | None) -> str:
    key = json.loads(Path(key_path).read_text())
    scores = defaultdict(lambda: defaultdict(list))
    problems = []
    for sheet in sheets:
        with open(sheet, newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if row["item"] not in key:
                    problems.append(f"{sheet}:{n}: unknown item {row['item']!r}")
                    continue
                for col in ("clarity_1to5", "readability_1to5", "instruction_adherence_1to5"):
                    cell = (row.get(col) or "").strip()
                    if not cell:
                        continue
                    if cell not in {"1", "2", "3", "4", "5"}:
                        problems.append(f"{sheet}:{n}: {col} must be 1-5, got {cell!r}")
                        continue
                    scores[key[row["item"]]["run"]][col].append(int(cell))
    if problems:
        raise SystemExit("rating sheets have errors:\n  " + "\n  ".join(problems))
    lines = ["| model / adapter | ratings | clarity | readability | instruction adherence |", "| --- | ---: | ---: | ---: | ---: |"]
    for run in sorted(scores):
        s = scores[run]
        mean = lambda col: f"{sum(s[col]) / len(s[col]):.2f}" if s[col] else "–"  # noqa: E731
        lines.append(f"| {run} | {max(len(v) for v in s.values())} | {mean('clarity_1to5')} | {mean('readability_1to5')} | "
                     f"{mean('instruction_adherence_1to5')} |")
    text = "\n".join(lines) + f"\n\nFrom {len(sheets)} filled sheet(s), blind (model names were hidden), 1 = poor, 5 = excellent.\n"
    if out:
        out.write_text(text)
    return text
