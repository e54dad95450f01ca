"""python -m codealpaca_prep.audit REJECTED.jsonl --check tests --n 30 — a seeded sample of the rows one
decontamination check removed, each beside the benchmark task it matched, as a Markdown table with a blank
"same task?" column for a reviewer: the way to measure a check's false-positive rate by reading."""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from .decontaminate import benchmark_texts

CHECKS = ("instruction", "code", "paraphrase", "core words", "tests")


def sample(rejected: Path, check: str, n: int, seed: int = 0) -> tuple[int, list[dict]]:
    rows = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("field") == check]
    random.Random(seed).shuffle(rows)
    return len(rows), rows[:n]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rejected", type=Path, help="rejected.jsonl written by python -m codealpaca_prep")
    p.add_argument("--check", choices=CHECKS, required=True, help="which decontamination check's removals to sample")
    p.add_argument("--n", type=int, default=30, help="sample size (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels-out", type=Path, default=None,
                   help="also write the sample as JSON with an empty `same` field per row, for a reviewer to fill "
                        "(reports/data_labels.json holds the filled ones that data.md counts)")
    a = p.parse_args(argv)
    if not a.rejected.is_file():
        print(f"error: {a.rejected} not found", file=sys.stderr)
        return 2
    total, rows = sample(a.rejected, a.check, a.n, a.seed)
    texts, _ = benchmark_texts()
    print(f"{len(rows)} of {total} rows removed by the `{a.check}` check (seed {a.seed})\n")
    print("| # | row | instruction | benchmark task | its text | score | rule | same task? |")
    print("| ---: | --- | --- | --- | --- | ---: | --- | --- |")
    for i, r in enumerate(rows):
        ins = " ".join(r["row"]["instruction"].split()).replace("|", "\\|")
        bench = " ".join(_text(texts, r["benchmark"]).split()).replace("|", "\\|")
        print(f"| {i} | {r['id']} | {ins[:110]} | {r['benchmark']} | {bench[:110]} | {r['score']:.2f} | {r.get('rule', '')} |  |")
    if a.labels_out:
        a.labels_out.write_text(json.dumps([{"id": r["id"], "check": a.check, "benchmark": r["benchmark"],
                                             "rule": r.get("rule"), "score": r["score"],
                                             "instruction": r["row"]["instruction"], "task": _text(texts, r["benchmark"]),
                                             "same": None} for r in rows], indent=1) + "\n", encoding="utf-8")
    return 0


def _text(texts: dict, key: str) -> str:
    return texts.get(key) or texts.get(f"mbpp/{key.split('/')[1]}", "")  # an MBPP+ task is MBPP's


if __name__ == "__main__":
    sys.exit(main())
