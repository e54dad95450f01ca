"""Remove rows that overlap an evaluation task: every MBPP task (974) and every HumanEval task (164).

Four checks, in order, each reported on its own:
* instruction: word 3-gram containment (the share of a benchmark prompt's 3-grams, boilerplate such as "Write a
  function to" removed, found in the row's instruction + input);
* code: token 10-gram containment of the benchmark's reference solution in the row's output;
* paraphrase: content-word Jaccard of the two instructions (`paraphrase.py`) at or above WORDS_THRESHOLD, or at
  or above WORDS_WITH_NAME_THRESHOLD where the row's function is named like the one the task's tests call;
* core words: Jaccard of the instructions' core words (`paraphrase.core_words`: asking verbs dropped, synonyms
  folded) at or above PARAPHRASE_JACCARD, sharing at least two of them;
* tests: the row's definitions (its imports, functions and classes, demo code dropped) pass every test of an MBPP
  (any split), MBPP+ or HumanEval task, and the row's function is named like the task's or their words are at
  least PASS_WORDS similar (`functional.py`; run in the sandbox).
"""
from __future__ import annotations

import re
import sys
from dataclasses import replace

from tqdm import tqdm

from common.benchmark_sets import load_humaneval, load_mbpp
from sandbox import ERROR, FAIL, PASS, Limits, Test, run_many

from .functional import PASS_WORDS, FunctionalCheck, benchmark, humaneval_text
from .load import Row
from .ngrams import ContainmentIndex, code_tokens, ngrams, task_words
from .paraphrase import (PARAPHRASE_JACCARD, PARAPHRASE_SHARED, CoreIndex, WordIndex, aliased_program,
                         entry_function, names_agree)

TEXT_N, TEXT_THRESHOLD, TEXT_MIN_SHARED = 3, 0.6, 3
CODE_N, CODE_THRESHOLD, CODE_MIN_SHARED = 10, 0.5, 5
WORDS_THRESHOLD = 0.9
WORDS_WITH_NAME_THRESHOLD = 0.7  # ... when the row's function and the one the task's tests call are named alike
TESTS_FLOOR, TESTS_CANDIDATES = 0.3, 3  # `candidates`/`solved`: the custom suite's check of its references
RULE = (f"a row is contaminated with a task when its imports, functions and classes (top-level demo code dropped) "
        f"pass every one of the task's own tests (MBPP test_list, MBPP+ base assertions, HumanEval check) AND, for an "
        f"MBPP task that MBPP+ extends, also MBPP+'s base and plus inputs (graded as the benchmark grades a model), "
        f"or, for any other task, its function is named like the task's (names_agree: 2 name tokens in common) or "
        f"the two texts' content-word Jaccard is >= {PASS_WORDS}; or when its instruction paraphrases the task's text (core-word Jaccard >= "
        f"{PARAPHRASE_JACCARD} with >= {PARAPHRASE_SHARED} core words shared; or content-word Jaccard >= "
        f"{WORDS_THRESHOLD}, or >= {WORDS_WITH_NAME_THRESHOLD} with names agreeing); or by n-gram containment of "
        f"the task's text ({TEXT_N}-grams >= {TEXT_THRESHOLD}) or reference code ({CODE_N}-grams >= {CODE_THRESHOLD})")


def mirror(key: str, known: set[str] | frozenset[str]) -> list[str]:
    """A task id with its other spelling where it has one: MBPP+ task Mbpp/N is MBPP task mbpp/N."""
    if key.lower().startswith("mbpp/"):
        n = key.split("/")[1]
        return [key] + [k for k in (f"mbpp/{n}", f"Mbpp/{n}") if k != key and k in known]
    return [key]


def benchmark_texts(mbpp_path=None, humaneval_path=None) -> tuple[dict[str, str], dict[str, str]]:
    texts, codes, _ = benchmark_tasks(mbpp_path, humaneval_path)
    return texts, codes


def benchmark_tasks(mbpp_path=None, humaneval_path=None) -> tuple[dict[str, str], dict[str, str], dict[str, tuple]]:
    """Task texts, reference code and tests (the name they call, setup code, test statements) by task key."""
    mbpp = load_mbpp(mbpp_path) if mbpp_path else load_mbpp()
    he = load_humaneval(humaneval_path) if humaneval_path else load_humaneval()
    texts = {f"mbpp/{t['task_id']}": t["text"] for t in mbpp}
    texts |= {t["task_id"]: humaneval_text(t["prompt"], t["entry_point"]) for t in he}
    codes = {f"mbpp/{t['task_id']}": t["code"] for t in mbpp}
    codes |= {t["task_id"]: t["prompt"] + t["canonical_solution"] for t in he}
    tests = {}
    for t in mbpp:
        called = re.search(r"assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\(|set\()?\s*(\w+)\s*\(", t["test_list"][0])
        if called:
            tests[f"mbpp/{t['task_id']}"] = (called.group(1), t.get("test_setup_code") or "", list(t["test_list"]))
    for t in he:
        tests[t["task_id"]] = (t["entry_point"], "", [t["test"] + f"\ncheck({t['entry_point']})"])
    return texts, codes, tests


class Decontaminator:
    def __init__(self, mbpp_path=None, humaneval_path=None, run_tests: bool = True):
        texts, codes, self.tests = benchmark_tasks(mbpp_path, humaneval_path)
        self.texts = texts
        self.n_tasks = len(texts)
        self.exact = {" ".join(task_words(t)): k for k, t in texts.items()}
        self.text_index = ContainmentIndex({k: ngrams(task_words(t), TEXT_N) for k, t in texts.items()})
        self.code_index = ContainmentIndex({k: ngrams(code_tokens(c), CODE_N) for k, c in codes.items()})
        self.word_index = WordIndex(texts)
        self.core_index = CoreIndex(texts)
        self.run_tests = run_tests
        self.functional = FunctionalCheck(benchmark(mbpp_path, humaneval_path))
        self.task_ids = frozenset(self.functional.tasks) | frozenset(texts)

    def match(self, row: Row) -> dict | None:
        """The benchmark task this row overlaps by text, code or words, with the evidence, or None."""
        tw = task_words(row.instruction + " " + row.input)
        key = " ".join(task_words(row.instruction))
        if key in self.exact:
            return {"benchmark": self.exact[key], "field": "instruction", "score": 1.0}
        hit = self.text_index.best(ngrams(tw, TEXT_N), TEXT_MIN_SHARED)
        if hit and hit[1] >= TEXT_THRESHOLD:
            return {"benchmark": hit[0], "field": "instruction", "score": round(hit[1], 3)}
        hit = self.code_index.best(ngrams(code_tokens(row.output), CODE_N), CODE_MIN_SHARED)
        if hit and hit[1] >= CODE_THRESHOLD:
            return {"benchmark": hit[0], "field": "code", "score": round(hit[1], 3)}
        entry = entry_function(row.output)
        for task, score in self.word_index.top(row.instruction, TESTS_CANDIDATES, WORDS_WITH_NAME_THRESHOLD):
            named = entry is not None and task in self.tests and names_agree(entry[0], self.tests[task][0])
            if score >= WORDS_THRESHOLD or named:
                return {"benchmark": task, "field": "paraphrase", "score": round(score, 3),
                        **({"names": [entry[0], self.tests[task][0]]} if named else {})}
        core = self.core_index.matches(row.instruction)
        if core:
            return {"benchmark": core[0][0], "field": "core words", "score": round(core[0][1], 3)}
        return None

    def findings(self, rows: list[Row], progress: bool = False) -> list[list[dict]]:
        """Every benchmark task each row matches (not only the first): the text checks' match, every core-word
        paraphrase and every pass of the functional check that the rule counts (`FunctionalCheck.decide`)."""
        out = []
        for row in rows:
            m = self.match(row)
            found = [m] if m and m["field"] != "core words" else []
            found += [{"benchmark": k, "field": "core words", "score": round(s, 3)}
                      for k, s in self.core_index.matches(row.instruction)]
            out.append(found)
        if self.run_tests:
            items = [(r.instruction, r.output) for r in rows]
            decided = self.functional.decide(items, self.functional.passes(items, progress), progress)
            for found, d in zip(out, decided):
                found += [{**m, "field": "tests"} for m in d]
        return out

    def candidates(self, row: Row, k: int = TESTS_CANDIDATES, floor: float = TESTS_FLOOR,
                   containment: bool = False) -> list[tuple[str, float]]:
        """(task, word score) of the benchmark tasks whose tests this row's code is run against: the `k` most
        similar by words, and every task whose tests call a function named like the row's."""
        entry = entry_function(row.output)
        if entry is None:
            return []
        found = self.word_index.top(row.instruction, k, floor, containment)
        seen = {task for task, _ in found}
        found += [(task, self.word_index.score(row.instruction, task)) for task, (called, _, _) in self.tests.items()
                  if task not in seen and names_agree(entry[0], called)]
        return [(task, score) for task, score in found if task in self.tests]

    def test_job(self, row: Row, tasks: list[str]) -> tuple[dict, list[int]] | None:
        """One sandbox job that runs every candidate task's tests against the row's code (its function bound to
        each name the tests call), and where each task's tests start in it; None without a function."""
        program = aliased_program(row.output, list(dict.fromkeys(self.tests[t][0] for t in tasks)))
        if program is None or not tasks:
            return None
        setup = "\n".join(dict.fromkeys(self.tests[t][1] for t in tasks if self.tests[t][1]))
        tests, starts = [], []
        for t in tasks:
            starts.append(len(tests))
            tests += [Test(code=c) for c in self.tests[t][2]]
        limits = replace(_TEST_LIMITS, max_task_time=2.0 + len(tasks))
        return {"program": program, "setup": setup, "tests": tests, "limits": limits, "fail_fast": False}, starts

    def solved(self, rows: list[Row], candidates: list[list[tuple[str, float]]],
               progress: bool = False) -> list[tuple[str, float] | None]:
        """For each row, the first candidate task whose tests all pass (with its word score), or None."""
        jobs, where = [], []
        for i, (row, cands) in enumerate(zip(rows, candidates)):
            job = self.test_job(row, [t for t, _ in cands])
            if job is not None:
                jobs.append(job[0])
                where.append((i, job[1]))
        results = run_many(jobs, progress=progress, desc="decontaminate: run benchmark tests")
        out: list[tuple[str, float] | None] = [None] * len(rows)
        retry = []  # a test that timed out ends its process: the candidates after it run again, one job each
        for (i, starts), job, res in zip(where, jobs, results):
            ends = starts[1:] + [len(job["tests"])]
            for c, ((task, score), a, b) in enumerate(zip(candidates[i], starts, ends)):
                done = res.tests[a:b]
                if res.module_ok and len(done) == b - a and all(t.status == PASS for t in done):
                    out[i] = (task, score)
                    break
                if res.module_ok and (len(done) < b - a or any(t.status not in (PASS, FAIL, ERROR) for t in done)):
                    retry += [(i, t, sc) for t, sc in candidates[i][c:]]
                    break
        jobs = [self.test_job(rows[i], [task])[0] for i, task, _ in retry]
        for (i, task, score), res in zip(retry, run_many(jobs, desc="decontaminate: rerun after a timeout")):
            if out[i] is None and res.passed:
                out[i] = (task, score)
        return out

    def split(self, rows: list[Row], progress: bool = False) -> tuple[list[Row], list[dict]]:
        kept, removed = [], []
        for row in tqdm(rows, desc="decontaminate", disable=not progress, leave=False, file=sys.stderr):
            m = self.match(row)
            if m is None:
                kept.append(row)
            else:
                removed.append(self._removal(row, m))
        if not self.run_tests:
            return kept, removed
        items = [(r.instruction, r.output) for r in kept]
        hits = self.functional.decide(items, self.functional.passes(items, progress), progress)
        removed += [self._removal(row, {**hit[0], "field": "tests"}) for row, hit in zip(kept, hits) if hit]
        return [row for row, hit in zip(kept, hits) if not hit], removed

    @staticmethod
    def _removal(row: Row, m: dict) -> dict:
        bench = "HumanEval" if m["benchmark"].startswith("HumanEval") else "MBPP"
        how = {"instruction": "containment", "code": "containment", "paraphrase": "word Jaccard",
               "core words": "core-word Jaccard", "tests": f"its tests pass ({m.get('rule')}); word Jaccard"}[m["field"]]
        return {"index": row.index, "id": row.id, "group": f"overlaps a {bench} task ({m['field']})",
                "reason": f"overlaps {m['benchmark']} ({m['field']}, {how} {m['score']})", **m}


_TEST_LIMITS = Limits(max_task_time=3.0, default_test_time=1.0, min_time=0.5, memory_bytes=1 << 30)  # benchmark tests take ms
