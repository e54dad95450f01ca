"""python -m custom_suite.validate — check every task of the custom suite:

1. schema: required fields, unique ids, difficulty easy/medium/hard, >= 5 tests, the signature's name is defined
   by the reference, >= 10 tasks per category and >= 150 in all;
2. every reference passes all its tests in the project's sandbox;
3. test strength: mechanical mutants of each reference (custom_suite.mutate) must be killed by the tests;
   mutation score >= 90 % in every category;
4. originality: no task is an MBPP or HumanEval task, by the checks that decontaminate the training data: n-gram
   copies of a prompt or solution, a paraphrase (content words, function names), or a reference that passes
   a benchmark task's own tests (candidates: the ten tasks whose words it contains most, and tasks whose
   tests call a function named like the entry point);
5. ambiguity proxies: the instruction names the function/class the tests call, every test calls it, and every
   exception a test expects is named in the instruction.
Prints a per-category table; --markdown PATH also writes it. Exit status 1 on any failure.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from codealpaca_prep.decontaminate import Decontaminator
from codealpaca_prep.load import Row
from sandbox import Test, run_many

from . import CATEGORIES, TEST_SETUP, SuiteError, as_docs, load_tasks
from .mutate import mutants

MIN_TESTS, MIN_PER_CATEGORY, MIN_TOTAL, MIN_MUTATION_SCORE = 5, 10, 150, 0.90


def schema_problems(tasks) -> list[str]:
    problems = []
    ids = Counter(t["id"] for t in tasks)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    per_cat = Counter(t["category"] for t in tasks)
    for cat in CATEGORIES:
        if per_cat[cat] < MIN_PER_CATEGORY:
            problems.append(f"category {cat}: {per_cat[cat]} tasks, need {MIN_PER_CATEGORY}")
    problems += [f"unknown category file {c}.yaml" for c in per_cat if c not in CATEGORIES]
    if len(tasks) < MIN_TOTAL:
        problems.append(f"{len(tasks)} tasks in all, need {MIN_TOTAL}")
    for t in tasks:
        if t["difficulty"] not in ("easy", "medium", "hard"):
            problems.append(f"{t['id']}: difficulty {t['difficulty']!r}")
        if len(t["tests"]) < MIN_TESTS:
            problems.append(f"{t['id']}: {len(t['tests'])} tests, need {MIN_TESTS}")
        try:
            tree = ast.parse(t["reference"])
        except SyntaxError as exc:
            problems.append(f"{t['id']}: reference does not parse ({exc})")
            continue
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if t["entry_point"] not in defined:
            problems.append(f"{t['id']}: reference does not define {t['entry_point']}")
    return problems


def ambiguity_problems(tasks) -> list[str]:
    problems = []
    for t in tasks:
        if t["entry_point"] not in t["instruction"]:
            problems.append(f"{t['id']}: the instruction does not name {t['entry_point']}")
        for test in t["tests"]:
            if not re.search(rf"\b{re.escape(t['entry_point'])}\b", test):
                problems.append(f"{t['id']}: test does not call {t['entry_point']}: {test[:60]}")
            for exc in re.findall(r"(?:raises|error_message)\((\w+)", test):
                if exc not in t["instruction"]:
                    problems.append(f"{t['id']}: a test expects {exc}, which the instruction does not mention")
    return problems


def originality_problems(tasks, progress: bool = False) -> list[str]:
    decon = Decontaminator()
    problems = []
    rows = [Row(t["id"], 0, t["instruction"], "", t["reference"]) for t in tasks]
    for row in rows:
        m = decon.match(row)
        if m:
            problems.append(f"{row.id}: overlaps {m['benchmark']} ({m['field']}, {m['score']})")
    hits = decon.solved(rows, [decon.candidates(row, 10, 0.3, containment=True) for row in rows], progress)
    problems += [f"{row.id}: its reference passes the tests of {hit[0]} ({decon.texts[hit[0]].strip()[:70]!r})"
                 for row, hit in zip(rows, hits) if hit]
    return problems


def run_references_and_mutants(docs, progress: bool = True):
    """Each reference once (recording what its assertions saw), then its mutants graded against that record."""
    tests = {d["task_id"]: [Test(code=c, helpers=True) for c in d["tests"]] for d in docs}
    refs = run_many([{"program": d["reference"], "tests": tests[d["task_id"]], "setup": TEST_SETUP, "record": True}
                     for d in docs], progress=progress, desc="references")
    jobs, owners = [], []
    for d, ref in zip(docs, refs):
        for m in mutants(d["reference"]):
            jobs.append({"program": m.code, "tests": tests[d["task_id"]], "setup": TEST_SETUP, "references": ref.tests})
            owners.append((d["task_id"], m.kind))
    results = run_many(jobs, progress=progress, desc="mutants")
    return [((d["task_id"], "reference"), r) for d, r in zip(docs, refs)] + list(zip(owners, results))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--markdown", help="also write the table to this Markdown file")
    p.add_argument("--before", default=None,
                   help="a JSON of an earlier run's per-category counts (tests, mutants, killed) to show beside these")
    p.add_argument("--tasks-dir", default=None, help="validate the YAML files of this folder instead of the suite's")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    try:
        tasks = load_tasks(a.tasks_dir) if a.tasks_dir else load_tasks()
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    docs = as_docs(tasks)
    problems = schema_problems(tasks) + ambiguity_problems(tasks) + originality_problems(tasks, not a.no_progress)
    cat_of = {d["task_id"]: d["category"] for d in docs}
    stats = defaultdict(lambda: Counter())
    survivors = defaultdict(list)
    failing, mutated = set(), Counter()
    for (task_id, kind), res in run_references_and_mutants(docs, progress=not a.no_progress):
        cat = cat_of[task_id]
        if kind == "reference":
            if not res.passed:
                failing.add(task_id)
                problems.append(f"{task_id}: reference fails: {res.status} {res.etype} {res.msg}")
            continue
        if task_id in failing:  # a failing reference's mutants say nothing about its tests
            continue
        mutated[task_id] += 1
        stats[cat]["mutants"] += 1
        if res.passed:
            survivors[cat].append(f"{task_id} ({kind})")
        else:
            stats[cat]["killed"] += 1
    per_cat = Counter(t["category"] for t in tasks)
    diff = defaultdict(Counter)
    for t in tasks:
        diff[t["category"]][t["difficulty"]] += 1
    unmutated = defaultdict(list)
    for d in docs:
        if d["task_id"] not in failing and not mutated[d["task_id"]]:
            unmutated[d["category"]].append(d["task_id"])
    lines = ["| category | tasks | easy / medium / hard | tests | mutants | killed | mutation score | tasks without a mutant |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    n_tests = Counter()
    for t in tasks:
        n_tests[t["category"]] += len(t["tests"])
    total = Counter()
    for cat in CATEGORIES:
        s = stats[cat]
        score = s["killed"] / s["mutants"] if s["mutants"] else 1.0
        if score < MIN_MUTATION_SCORE:
            problems.append(f"category {cat}: mutation score {score:.1%} < {MIN_MUTATION_SCORE:.0%}; survivors: "
                            + ", ".join(survivors[cat][:10]))
        d = diff[cat]
        lines.append(f"| {cat} | {per_cat[cat]} | {d['easy']} / {d['medium']} / {d['hard']} | {n_tests[cat]} | "
                     f"{s['mutants']} | {s['killed']} | {score:.1%} | "
                     + (", ".join(t.removeprefix("custom/") for t in unmutated[cat]) or "–") + " |")
        total.update(s)
    lines.append(f"| **all** | {len(tasks)} | | {sum(n_tests.values())} | {total['mutants']} | {total['killed']} | "
                 f"{total['killed'] / max(total['mutants'], 1):.1%} | {sum(map(len, unmutated.values()))} |")
    if a.before:
        before = json.loads(Path(a.before).read_text(encoding="utf-8"))
        lines += ["", f"Before ({before['source']}):", "",
                  "| category | tests | mutants | killed | mutation score | now: tests | now: mutants | now: score |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for cat in (*CATEGORIES, "all"):
            b = before["categories"].get(cat)
            s = total if cat == "all" else stats[cat]
            now_tests = sum(n_tests.values()) if cat == "all" else n_tests[cat]
            if b:
                lines.append(f"| {cat} | {b['tests']} | {b['mutants']} | {b['killed']} | {b['killed'] / max(b['mutants'], 1):.1%} | "
                             f"{now_tests} | {s['mutants']} | {s['killed'] / max(s['mutants'], 1):.1%} |")
    print("\n".join(lines))
    if a.markdown:
        command = "python -m custom_suite.validate " + " ".join(argv if argv is not None else sys.argv[1:])
        Path(a.markdown).write_text(f"# Custom suite validation\n\n`{command.strip()}`\n\n" + "\n".join(lines)
                                    + "\n\nSurviving mutants (equivalent or untested behaviour):\n\n"
                                    + "".join(f"- {s}\n" for cat in CATEGORIES for s in survivors[cat]))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for prob in problems:
            print(f"  {prob}", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
