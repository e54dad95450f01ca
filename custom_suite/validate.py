"""python -m custom_suite.validate — check every task of the custom suite:

1. schema: required fields, unique ids, difficulty easy/medium/hard, >= 5 tests, the signature's name is defined
   by the reference, >= 10 tasks per category and >= 150 in all;
2. every reference passes all its tests in the project's sandbox;
3. test strength: mechanical mutants of each reference (custom_suite.mutate) must be killed by the tests;
   mutation score >= 90 % in every category;
4. originality: no task is a near-duplicate of an MBPP or HumanEval prompt or solution (the same n-gram
   check that decontaminates the training data);
5. ambiguity proxies: the instruction names the function/class the tests call, every test calls it, and every
   exception a test expects is named in the instruction.
Prints a per-category table; --markdown PATH also writes it. Exit status 1 on any failure.
"""
from __future__ import annotations

import argparse
import ast
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


def originality_problems(tasks) -> list[str]:
    decon = Decontaminator()
    problems = []
    for t in tasks:
        m = decon.match(Row(t["id"], 0, t["instruction"], "", t["reference"]))
        if m:
            problems.append(f"{t['id']}: overlaps {m['benchmark']} ({m['field']}, {m['score']})")
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
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    try:
        tasks = load_tasks()
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    docs = as_docs(tasks)
    problems = schema_problems(tasks) + ambiguity_problems(tasks) + originality_problems(tasks)
    cat_of = {d["task_id"]: d["category"] for d in docs}
    stats = defaultdict(lambda: Counter())
    survivors = defaultdict(list)
    for (task_id, kind), res in run_references_and_mutants(docs, progress=not a.no_progress):
        cat = cat_of[task_id]
        if kind == "reference":
            if not res.passed:
                problems.append(f"{task_id}: reference fails: {res.status} {res.etype} {res.msg}")
            continue
        stats[cat]["mutants"] += 1
        if res.passed:
            survivors[cat].append(f"{task_id} ({kind})")
        else:
            stats[cat]["killed"] += 1
    per_cat = Counter(t["category"] for t in tasks)
    diff = defaultdict(Counter)
    for t in tasks:
        diff[t["category"]][t["difficulty"]] += 1
    lines = ["| category | tasks | easy / medium / hard | tests | mutants | killed | mutation score |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
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
                     f"{s['mutants']} | {s['killed']} | {score:.1%} |")
        total.update(s)
    lines.append(f"| **all** | {len(tasks)} | | {sum(n_tests.values())} | {total['mutants']} | {total['killed']} | "
                 f"{total['killed'] / max(total['mutants'], 1):.1%} |")
    print("\n".join(lines))
    if a.markdown:
        Path(a.markdown).write_text("# Custom suite validation\n\n`python -m custom_suite.validate`\n\n" + "\n".join(lines)
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
