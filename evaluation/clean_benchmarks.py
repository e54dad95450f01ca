"""python -m evaluation.clean_benchmarks — run every reference solution in the sandbox: MBPP test-split references
(task_ids 11-510) against their own asserts, MBPP+ canonical solutions on all their inputs (recording the
expected outputs). Tasks whose reference fails are written, with the reason, to common/data/excluded.json."""
from __future__ import annotations

import argparse
import json

from sandbox import Limits, run_many

from .documents import EXCLUDED_PATH, mbpp_docs, mbppplus_docs
from .grading import _tests


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    out = {}
    for name, docs in (("mbpp", list(mbpp_docs(include_excluded=True))), ("mbppplus", list(mbppplus_docs(include_excluded=True)))):
        results = run_many([{"program": d["reference"], "tests": _tests(d), "setup": d["setup"], "record": bool(d["inputs_json"]),
                             "limits": Limits(default_test_time=30.0, max_task_time=600.0)} for d in docs],
                           progress=True, desc=f"{name} references")
        bad = {}
        for doc, res in zip(docs, results):
            if res.passed:
                continue
            i = next((i for i, t in enumerate(res.tests) if t.status != "pass"), None)
            where = "its module" if i is None else (f"test {i + 1} ({doc['tests'][i]!r})" if doc["tests"] else f"input {i + 1}")
            bad[doc["task_id"]] = f"reference fails {where}: {res.status} {res.etype or ''} {res.msg or ''}".strip()
        out[name] = bad
        print(f"{name}: {len(docs)} tasks, {len(bad)} excluded")
        for task_id, reason in bad.items():
            print(f"  {task_id}: {reason[:160]}")
    EXCLUDED_PATH.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {EXCLUDED_PATH}")


if __name__ == "__main__":
    main()
