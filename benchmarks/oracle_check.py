"""The grader's self-check on whole benchmarks, without lm-eval: every task's reference must pass, an empty answer
must fail, and no test may need the graded process's own objects (`in_process`). Prints one line per benchmark.

    python benchmarks/oracle_check.py humaneval mbpp mbppplus custom
"""
from __future__ import annotations

import argparse
import time

from evaluation.grading import grade
from evaluation.reference_models import OracleLM

BENCHMARKS = ("humaneval", "mbpp", "mbppplus", "custom")


def documents(name: str) -> list[dict]:
    from evaluation import documents as d

    if name == "custom":
        from custom_suite import as_docs

        return list(as_docs())
    return list({"humaneval": d.humaneval_docs, "mbpp": d.mbpp_docs, "mbppplus": d.mbppplus_docs}[name]())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("benchmarks", nargs="*", metavar="BENCHMARK", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    a = p.parse_args(argv)
    unknown = sorted(set(a.benchmarks) - set(BENCHMARKS))
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    a.benchmarks = a.benchmarks or list(BENCHMARKS)
    oracle, bad = OracleLM(), 0
    for name in a.benchmarks:
        docs = documents(name)
        started = time.time()
        verdicts = grade(docs, [[oracle.answer(doc), ""] for doc in docs], progress=False)
        fails = [(doc["task_id"], v[0]["etype"]) for doc, v in zip(docs, verdicts) if not v[0]["passed"]]
        empty = [doc["task_id"] for doc, v in zip(docs, verdicts) if v[1]["passed"]]
        in_process = [doc["task_id"] for doc, v in zip(docs, verdicts) if v[0]["in_process_tests"]]
        bad += len(fails) + len(empty) + len(in_process)
        print(f"{name}: {len(docs)} tasks; reference passes {len(docs) - len(fails)}, empty answer passes {len(empty)}, "
              f"tests needing the program's objects {len(in_process)} ({time.time() - started:.0f} s)"
              + (f"; failing references {fails[:10]}" if fails else "") + (f"; empty passes {empty[:10]}" if empty else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
