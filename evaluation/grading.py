"""Grade generations by running them: references first (for time limits and MBPP+ expected outputs), then
every sample in the sandbox; per-sample verdicts, error taxonomy and code quality; per-document metrics.

A reference's run depends on the benchmark, not on the model: a passing one is kept on disk
(`CODEEVAL_REFERENCE_CACHE`: a folder, default ~/.cache/codelora/references; `off` runs them every time), keyed by
the task's reference, tests and setup, the limits, the sandbox's source, its isolation and the Python version. Only
this process writes there; a graded program runs as another user on a read-only root and cannot reach it (without an
OS sandbox, SANDBOX_ISOLATION=process, it could: nothing is kept or read then)."""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import pickle
import sys
import tempfile
import threading
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from .extract import cut_at_stops, extract_code
from common.cache import cache_dir
from common.pysource import parses
from .quality import quality, written_part
import sandbox
from sandbox import MEMORY, PASS, TIMEOUT, Limits, TaskResult, Test, isolation_level, run_many
from sandbox.split import split_test
from sandbox.verdict import LENIENT_ORACLES

ERROR_KINDS = ("syntax", "name_signature", "wrong_answer", "exception", "timeout", "memory")
PASS_AT_K = (1, 5, 10)
# Measures that some samples have no value of (unparsable code, a program that failed), averaged over those that do:
# the verdict's key -> the metric's name. lm-eval's table sorts metric names; none of these sorts before pass@1.
MEASURES = {"pep8_per_line": "quality_pep8_per_line", "has_docstring": "quality_docstring",
            "has_comment": "quality_comment", "complexity": "quality_complexity", "runtime_ratio": "runtime_ratio",
            "loc": "quality_loc"}
# Metric names before the tasks' version 3.0, former -> current: runs/ keeps results and samples under the former
# names (err_*, in_process and the quality measures sorted before pass@1 in lm-eval's table)
RENAMED = {**{f"err_{kind}": f"verdict_{kind}" for kind in ERROR_KINDS}, "in_process": "verdict_in_process",
           **{key: name for key, name in MEASURES.items() if key != name}}
SPLIT_AFTER = 2.0  # s: a reference's call tests still running then are shared out over the workers

_ref_cache: dict[str, dict] = {}
_ref_lock = threading.Lock()


def _tests(doc: dict, expected: list | None = None) -> list[Test]:
    if doc["inputs_json"]:
        inputs = pickle.loads(base64.b64decode(doc["inputs_json"]))  # built by evaluation.documents from vendored data
        expected = expected if expected is not None else [None] * len(inputs)
        return [Test(entry_point=doc["entry_point"], args=args, expected=exp, atol=doc["atol"], oracle="mbpp")
                for args, exp in zip(inputs, expected)]
    if doc["prefix"] and doc["category"] == "humaneval":
        # HumanEval's check(candidate) binds values of its own and calls the prompt's helpers: it runs in the
        # grader, with the prompt's definitions as the benchmark wrote them; only candidate(...) runs in the program
        return [Test(driver=t, prelude=doc["prefix"], entry_point=doc["entry_point"]) for t in doc["tests"]]
    # MBPP's asserts call the task's function by its name, even where that is a builtin's (mbpp/126 `sum`); the
    # custom suite's raises()/error_message() are decided here from what the program raised (test_helpers)
    return [Test(code=t, entry_point=doc["entry_point"] or None, helpers=bool(doc.get("test_helpers")))
            for t in doc["tests"]]


def reference_store() -> Path | None:
    """The folder that keeps passing reference runs between evaluations (None: CODEEVAL_REFERENCE_CACHE=off, or
    SANDBOX_ISOLATION=process, where a graded program runs as this user and could write there)."""
    value = os.environ.get("CODEEVAL_REFERENCE_CACHE", "")
    if value.lower() in ("off", "0", "no", "none") or isolation_level() == "process":
        return None
    return Path(value) if value else cache_dir() / "references"


@lru_cache
def _sandbox_fingerprint() -> str:
    h = hashlib.sha256(sys.version.encode())
    for f in sorted(Path(sandbox.__file__).parent.glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def _reference_key(doc: dict, limits: Limits) -> str:
    fields = [doc.get(k) for k in ("reference", "tests", "inputs_json", "setup", "entry_point", "atol")]
    payload = json.dumps([_sandbox_fingerprint(), isolation_level(), asdict(limits), *fields], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _stored(store: Path | None, key: str) -> TaskResult | None:
    try:
        res = pickle.loads((store / f"{key}.pkl").read_bytes()) if store else None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None  # absent, unreadable or from another version: run it again
    return res if isinstance(res, TaskResult) and res.passed else None


def _store(store: Path | None, key: str, res: TaskResult) -> None:
    if store is None or not res.passed:  # a failing reference (a timeout under load) is run again next time
        return
    try:
        store.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=store, suffix=".tmp", delete=False) as f:
            f.write(pickle.dumps(res))
        os.replace(f.name, store / f"{key}.pkl")
    except OSError as e:
        print(f"grading: cannot keep a reference run in {store}: {e}", file=sys.stderr)


def _run_references(docs: list[dict], limits: Limits, progress: bool, workers: int | None) -> list[TaskResult]:
    """Each reference in one process, as a candidate runs. A reference whose call tests (MBPP+ inputs) still run after
    SPLIT_AFTER seconds is cut there, and the tests it had not finished are shared out over the workers, each share
    in a fresh process that runs the module again (as EvalPlus runs its ground truth's base and plus inputs in
    separate executions): one slow reference (Mbpp/599 sums ranges of 10^8 for 20 s) no longer holds every
    evaluation up while the other cores idle. Not on fewer than four workers: there the cut costs more than it
    saves (all 398 MBPP+ references on two cores: 36.0 s split, 33.5 s whole)."""
    workers = workers or os.cpu_count() or 1
    split = workers >= 4
    jobs = [{"program": d["reference"], "tests": _tests(d), "setup": d["setup"], "limits": limits, "record": True,
             "budget": SPLIT_AFTER if split and d["inputs_json"] else None} for d in docs]
    first = run_many(jobs, workers=workers, progress=progress, desc="references")
    shares, owners = [], []
    for i, res in enumerate(first):
        if jobs[i]["budget"] is None or res.status != TIMEOUT or res.seconds < SPLIT_AFTER:
            continue
        done = next((k for k, t in enumerate(res.tests) if t.status != PASS), len(res.tests)) if res.module_ok else 0
        rest = list(range(done, len(jobs[i]["tests"])))
        size = -(-len(rest) // workers)
        for start in range(0, len(rest), size):
            shares.append({**jobs[i], "budget": None, "tests": [jobs[i]["tests"][k] for k in rest[start:start + size]]})
            owners.append(i)
        # the cut run keeps the tests it finished; its shares add the rest in order
        res.tests, res.status, res.etype, res.msg, res.module_ok = res.tests[:done], PASS, None, None, True
    if not shares:
        return first
    for i, res in zip(owners, run_many(shares, workers=workers, progress=progress, desc="references, split")):
        whole = first[i]
        whole.tests += res.tests
        whole.seconds += res.seconds
        whole.stderr += res.stderr
        if whole.status == PASS and not res.passed:
            whole.status, whole.etype, whole.msg, whole.module_ok = res.status, res.etype, res.msg, res.module_ok
    return first


def references(docs: list[dict], limits: Limits = Limits(), progress: bool = False,
               workers: int | None = None) -> dict[str, dict]:
    """Run each distinct reference once (cached per process and on disk): times per test, and MBPP+ expected
    outputs."""
    todo = {d["task_id"]: d for d in docs if d["task_id"] not in _ref_cache}
    if todo:
        # references get generous limits: they define the time budget, they are not judged by it
        ref_limits = Limits(memory_bytes=limits.memory_bytes, default_test_time=30.0, max_task_time=600.0)
        store = reference_store()
        keys = {i: _reference_key(d, ref_limits) for i, d in todo.items()}
        found = {i: res for i in todo if (res := _stored(store, keys[i])) is not None}
        ids = [i for i in todo if i not in found]
        results = _run_references([todo[i] for i in ids], ref_limits, progress, workers) if ids else []
        for task_id, res in zip(ids, results):
            _store(store, keys[task_id], res)
        with _ref_lock:
            for task_id, res in {**found, **dict(zip(ids, results))}.items():
                _ref_cache[task_id] = {"result": res, "times": [t.seconds for t in res.tests],
                                       "tests": res.tests,
                                       "expected": [t.output for t in res.tests] if todo[task_id]["inputs_json"] else None}
    return {d["task_id"]: _ref_cache[d["task_id"]] for d in docs}


def written_metrics(generation: str, code: str, prefix: str, module_ok: bool) -> dict:
    """Syntax and quality of what the model wrote, never of text the prompt supplied: `syntax_valid` (the extracted
    program parses and the model wrote some of it), `syntax_valid_raw` (the completion as generated, cut only at
    the stop sequences, parses after the prompt it continues), `runs_clean`, and the quality measures of its lines."""
    wrote = bool(written_part(code, prefix)[0].strip())
    raw = cut_at_stops(generation.replace("\r\n", "\n"))
    out = {"syntax_valid": wrote and parses(code), "syntax_valid_raw": parses(prefix + raw if prefix else raw),
           "runs_clean": module_ok and wrote}
    out.update({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in quality(code, prefix).items()})
    return out


def classify(syntax_valid: bool, result: TaskResult) -> str | None:
    """None for a pass, else one of ERROR_KINDS."""
    if result.passed:
        return None
    if not syntax_valid:
        return "syntax"
    status, etype, msg = result.status, result.etype or "", result.msg or ""
    if status == TIMEOUT:
        return "timeout"
    if status == MEMORY:
        return "memory"
    if etype in ("AssertionError", "WrongAnswer"):
        return "wrong_answer"
    if etype == "NameError" or (etype == "TypeError" and "argument" in msg):
        return "name_signature"
    return "exception"


def grade(docs: list[dict], generations: list[list[str]], limits: Limits = Limits(), progress: bool = True) -> list[list[dict]]:
    """One verdict dict per sample: passed, (for MBPP+) passed_base, syntax_valid, runs_clean, error, quality
    (None where undefined, so that lm-eval's sample logs stay parseable)."""
    refs = references(docs, limits, progress=progress)
    jobs, where = [], []
    codes: list[list[str]] = []
    state: list[bool] = []  # per document: a test of it computes with state of its own in the graded process
    for d_i, (doc, gens) in enumerate(zip(docs, generations)):
        ref = refs[doc["task_id"]]
        tests = _tests(doc, ref["expected"])  # once per document: MBPP+ inputs are decoded here
        state.append(any(split_test(t.code, t.helpers).test_state for t in tests if t.code is not None))
        codes.append([])
        for s_i, gen in enumerate(gens):
            code = extract_code(gen, doc["prefix"])
            codes[-1].append(code)
            jobs.append({"program": code, "tests": tests, "setup": doc["setup"],
                         "limits": limits, "test_times": ref["times"], "references": ref["tests"]})
            where.append((d_i, s_i))
    results = run_many(jobs, progress=progress, desc="grade")
    out: list[list[dict]] = [[{} for _ in g] for g in generations]
    for (d_i, s_i), res in zip(where, results):
        doc, code = docs[d_i], codes[d_i][s_i]
        ref = refs[doc["task_id"]]
        written = written_metrics(generations[d_i][s_i], code, doc["prefix"], res.module_ok)
        error = classify(written["syntax_valid"], res)
        verdict = {"passed": res.passed, "status": res.status, "etype": res.etype, "error": error,
                   "isolation": res.isolation, "in_process_tests": res.in_process_tests, "code": code,
                   "first_failure": None if res.passed else {"status": res.status, "etype": res.etype,
                                                             "msg": (res.msg or "")[:200], "stderr": res.stderr[-300:]}}
        # EvalPlus' lenient oracles (sandbox.verdict.LENIENT_ORACLES): a pass there need not mean the task is solved
        verdict["lenient_oracle"] = bool(doc["inputs_json"]) and doc["entry_point"] in LENIENT_ORACLES
        # a test that computes in the graded process with state of its own: a program aimed at the harness can rig it
        verdict["test_state_in_process"] = state[d_i]
        if doc["inputs_json"]:
            verdict["passed_base"] = all(t.status == PASS for t in res.tests[:doc["n_base"]])
        ref_time = sum(t or 0 for t in ref["times"])
        cand_time = sum(t.seconds or 0 for t in res.tests)
        verdict["runtime_ratio"] = cand_time / ref_time if res.passed and ref_time > 0 else None
        verdict.update(written)
        out[d_i][s_i] = verdict
    return out


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator of Chen et al. (2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def has_value(x) -> bool:
    """A measure's value is there: neither None (not measured) nor NaN (undefined for this sample)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def doc_metrics(verdicts: list[dict]) -> dict:
    """Per-document metrics from its samples' verdicts (lm-eval's process_results)."""
    n = len(verdicts)
    c = sum(v["passed"] for v in verdicts)
    # pass@k only where k <= n, pass@1_base only where base tests exist (MBPP+): lm-eval prints no row for a
    # metric no document reports, instead of a NaN row
    m = {f"pass@{k}": pass_at_k(n, c, k) for k in PASS_AT_K if k <= n}
    if "passed_base" in verdicts[0]:
        m["pass@1_base"] = pass_at_k(n, sum(v["passed_base"] for v in verdicts), 1)
    m["syntax_valid"] = float(np.mean([v["syntax_valid"] for v in verdicts]))
    m["syntax_valid_raw"] = float(np.mean([v.get("syntax_valid_raw", v["syntax_valid"]) for v in verdicts]))
    m["runs_clean"] = float(np.mean([v["runs_clean"] for v in verdicts]))
    # samples with a test decided on the graded process's own answer (objects that are not data, e.g. a Vec2 ==)
    m["verdict_in_process"] = float(np.mean([v.get("in_process_tests", 0) > 0 for v in verdicts]))
    for kind in ERROR_KINDS:
        m[f"verdict_{kind}"] = float(np.mean([v["error"] == kind for v in verdicts]))
    for key, name in MEASURES.items():
        if not any(key in v for v in verdicts):  # no sample of the run has it (evaluation.unmeasured): no row
            continue
        values = [v[key] for v in verdicts if has_value(v.get(key))]
        m[name] = float(np.mean(values)) if values else math.nan
    return m


def nanmean(values) -> float:
    values = [v for v in values if has_value(v)]
    return float(np.mean(values)) if values else math.nan


def grade_filter(resps, docs):
    """lm-eval `custom` filter: all generations of all documents at once, graded in parallel."""
    return grade(list(docs), [list(r) for r in resps])


def process_results(doc, results):
    """lm-eval `process_results`: the document's metrics from its samples' verdicts."""
    verdicts = results[0] if results and isinstance(results[0], list) else results
    return doc_metrics(verdicts)
