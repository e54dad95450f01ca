"""Grade committed model outputs again with the current grader and list every verdict that changes.

Each distinct (task, extracted program) pair of the logged samples is graded once; its logged verdict (`passed` in
the sample's filtered response) is compared with the new one. Prints the counts and each change.

    mkdir -p /tmp/g4 && tar -xJf runs/gemma_grid_4/samples.tar.xz -C /tmp/g4
    python benchmarks/regrade_compare.py '/tmp/g4/*/*/samples_humaneval*' '/tmp/g4/*/*/samples_mbpp_*'
"""
from __future__ import annotations

import argparse
import glob
import json
import time
from collections import defaultdict

from evaluation.grading import grade
from evaluation.verdicts import decoded, generations


def logged(patterns: list[str]) -> dict[tuple[str, str], tuple[dict, str, bool]]:
    """(task_id, code) -> (document, generation, logged pass) over every sample file the patterns match."""
    seen: dict[tuple[str, str], tuple[dict, str, bool]] = {}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            for line in open(path, encoding="utf-8"):
                s = json.loads(line)
                for gen, v in zip(generations(s), decoded(s)):
                    seen.setdefault((s["doc"]["task_id"], v["code"]), (s["doc"], gen, bool(v["passed"])))
    return seen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("patterns", nargs="+", help="globs of lm-eval samples_*.jsonl files")
    a = p.parse_args(argv)
    by_doc: dict[str, list] = defaultdict(list)
    for doc, gen, old in logged(a.patterns).values():
        by_doc[doc["task_id"]].append((doc, gen, old))
    groups = list(by_doc.values())
    started = time.time()
    out = grade([g[0][0] for g in groups], [[gen for _, gen, _ in g] for g in groups])
    changed = [(doc["task_id"], old, new["passed"], new["etype"], (new["first_failure"] or {}).get("msg"))
               for g, o in zip(groups, out) for (doc, _, old), new in zip(g, o) if old != bool(new["passed"])]
    n = sum(len(g) for g in groups)
    before = sum(old for g in groups for _, _, old in g)
    after = sum(v["passed"] for o in out for v in o)
    print(f"{n} distinct (task, program) pairs on {len(groups)} tasks, regraded in {time.time() - started:.0f} s: "
          f"passes before {before}, after {after}; verdicts changed: {len(changed)}")
    for c in changed:
        print("  ", c)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
