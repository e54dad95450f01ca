"""python -m codeeval.clean_mbpp — run every MBPP test-split reference (task_ids 11-510) against its own tests
in the sandbox and write the tasks that fail, with the reason, to codeeval/data/mbpp_excluded.json."""
from __future__ import annotations

import argparse
import json

from .grading import _tests
from .sandbox import Limits, run_many
from .tasks import EXCLUDED_PATH, mbpp_docs


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    docs = list(mbpp_docs(include_excluded=True))
    results = run_many([{"program": d["reference"], "tests": _tests(d), "setup": d["setup"],
                         "limits": Limits(default_test_time=30.0)} for d in docs], progress=True, desc="MBPP references")
    excluded = {}
    for doc, res in zip(docs, results):
        if not res.passed:
            bad = next((i for i, t in enumerate(res.tests) if t.status != "pass"), None)
            where = f"test {bad + 1} ({doc['tests'][bad]!r})" if bad is not None else "module"
            excluded[doc["task_id"].split("/")[1]] = f"reference fails {where}: {res.status} {res.etype or ''} {res.msg or ''}".strip()
    EXCLUDED_PATH.write_text(json.dumps(excluded, indent=1, sort_keys=True) + "\n")
    print(f"{len(docs)} MBPP test tasks; {len(excluded)} excluded (reference fails its own tests) -> {EXCLUDED_PATH}")
    for task_id, reason in sorted(excluded.items(), key=lambda kv: int(kv[0])):
        print(f"  mbpp/{task_id}: {reason[:160]}")


if __name__ == "__main__":
    main()
