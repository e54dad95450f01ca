"""A seeded sample of the prep's decisions, as a Markdown table with a blank column for a reviewer: the way to
measure a check by reading.

  python -m codealpaca_prep.audit REJECTED.jsonl --check tests --n 30
      the rows one decontamination check removed, each beside the benchmark task it matched ("same task?");
  python -m codealpaca_prep.audit --filter SOURCE --n 60
      rows the Python-only filter kept and rows it rejected ("Python task, Python answer?"), with the code kept.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import warnings
from pathlib import Path

from .decontaminate import benchmark_texts

CHECKS = ("instruction", "code", "paraphrase", "core words", "tests")


def sample(rejected: Path, check: str, n: int, seed: int = 0) -> tuple[int, list[dict]]:
    rows = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("field") == check]
    random.Random(seed).shuffle(rows)
    return len(rows), rows[:n]


def filter_sample(source: str, n: int, seed: int = 0) -> dict[str, tuple[int, list[tuple]]]:
    """{"kept" / "rejected": (how many, a seeded sample of n (row, reason, code kept))} for the Python-only filter."""
    from .language import answer_code, rejection_reason
    from .load import read_source, validate

    rows, _ = validate(read_source(source))
    out = {"kept": [], "rejected": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in rows:
            reason = rejection_reason(row.instruction, row.input, row.output)
            out["rejected" if reason else "kept"].append((row, reason, answer_code(row.output)))
    # ordered by a seeded hash of the row id: a change to the filter moves only the rows it decides otherwise
    rank = lambda item: hashlib.sha256(f"{seed}:{item[0].id}".encode()).hexdigest()  # noqa: E731
    return {side: (len(items), sorted(items, key=rank)[:n]) for side, items in out.items()}


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def _print_filter(source: str, n: int, seed: int) -> None:
    for side, (total, items) in filter_sample(source, n, seed).items():
        print(f"\n{len(items)} of {total} rows the filter {side} (seed {seed})\n")
        print("| # | row | instruction | input | output (as kept) | reason | Python task, Python answer? |")
        print("| ---: | --- | --- | --- | --- | --- | --- |")
        for i, (row, reason, code) in enumerate(items):
            print(f"| {i} | {row.id} | {_cell(row.instruction, 90)} | {_cell(row.input, 40)} | {_cell(code, 110)} | "
                  f"{_cell(reason or '', 40)} |  |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rejected", type=Path, nargs="?", help="rejected.jsonl written by python -m codealpaca_prep")
    p.add_argument("--check", choices=CHECKS, help="which decontamination check's removals to sample")
    p.add_argument("--filter", metavar="SOURCE", help="sample the Python-only filter's decisions on this CodeAlpaca "
                                                      "copy (.json/.jsonl) instead")
    p.add_argument("--n", type=int, default=30, help="sample size, per side with --filter (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels-out", type=Path, default=None,
                   help="also write the sample as JSON with an empty `same` field per row, for a reviewer to fill "
                        "(reports/data_labels.json holds the filled ones that data.md counts)")
    a = p.parse_args(argv)
    if a.filter:
        if not Path(a.filter).is_file():
            print(f"error: {a.filter} not found", file=sys.stderr)
            return 2
        _print_filter(a.filter, a.n, a.seed)
        return 0
    if a.rejected is None or a.check is None:
        p.error("give REJECTED.jsonl and --check, or --filter SOURCE")
    if not a.rejected.is_file():
        print(f"error: {a.rejected} not found", file=sys.stderr)
        return 2
    from .decontaminate import benchmark_texts

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
