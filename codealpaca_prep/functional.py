"""Functional contamination: does a row's code, reduced to its definitions, solve a benchmark task by its own tests?

A CodeAlpaca answer often ends in demo code (`print(f(my_list))` with the row's input variables) that raises
NameError when run alone, so the whole program never reaches a benchmark's tests. `definitions` keeps what a
module defines (imports, functions, classes) and drops the rest; the row's functions are then bound to the name
each candidate task's tests call and run against those tests in the sandbox.

Candidates stay few (cheap filters first): a task is tried only with a row function whose positional arity admits
the number of arguments the task's tests pass, and only when the task is among the row's TOP_K closest by
content words (at least FLOOR) or its function is named like one of the row's. A pass alone does not decide:
weak benchmark tests pass unrelated code (any `is_prime` passes MBPP 20's three tests for Woodall numbers), so a
pass counts only with more evidence (`decide`): for the MBPP tasks MBPP+ extends, the program must also pass
MBPP+'s base and plus inputs, graded as the benchmark grades a model; for the others (HumanEval, MBPP tasks outside
MBPP+), the row's function must be named like the task's (`names_agree`) or the two texts' content words must
be at least PASS_WORDS similar. Its false-positive rate, read by hand, is in reports/data.md.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from common.benchmark_sets import load_humaneval, load_mbpp, load_mbppplus
from common.pysource import clean_code, parse
from sandbox import ERROR, FAIL, PASS, Limits, Test, run_many

from .paraphrase import WordIndex, name_tokens, names_agree

TOP_K, FLOOR = 8, 0.1  # candidate tasks per row by content-word Jaccard (arity-compatible ones only)
PASS_WORDS = 0.3  # without MBPP+ inputs, a pass with words at least this similar counts (else the names must agree)
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
LIMITS = Limits(max_task_time=4.0, default_test_time=1.0, min_time=0.5, memory_bytes=1 << 30)
PLUS_LIMITS = Limits(max_task_time=60.0, default_test_time=3.0)  # MBPP+'s plus inputs are large


@lru_cache(maxsize=None)
def _plus_tasks() -> dict[str, dict]:
    """MBPP+ tasks by id: entry point, canonical solution, every input (base then plus), atol."""
    return {t["task_id"]: {"entry_point": t["entry_point"], "reference": clean_code(t["canonical_solution"]),
                           "inputs": t["base_input"] + t["plus_input"], "atol": t["atol"]} for t in load_mbppplus()}


def _plus_expected(task_ids: tuple[str, ...], progress: bool) -> dict[str, list | None]:
    """The canonical solutions' outputs on every input (None for a task whose solution did not pass here)."""
    tasks = _plus_tasks()
    todo = [t for t in task_ids if t not in _EXPECTED]
    jobs = [{"program": tasks[t]["reference"], "record": True, "limits": Limits(default_test_time=30.0, max_task_time=600.0),
             "tests": [Test(entry_point=tasks[t]["entry_point"], args=a, oracle="mbpp") for a in tasks[t]["inputs"]]}
            for t in todo]
    for t, res in zip(todo, run_many(jobs, progress=progress, desc="MBPP+ references") if jobs else []):
        _EXPECTED[t] = [x.output for x in res.tests] if res.passed else None
    return {t: _EXPECTED[t] for t in task_ids}


_EXPECTED: dict[str, list | None] = {}


@dataclass(frozen=True)
class Task:
    key: str  # the task id as evaluation samples spell it: mbpp/N, Mbpp/N (MBPP+), HumanEval/N
    text: str
    entry: str  # the function the tests call
    n_args: int | None  # how many positional arguments the tests pass (None: unknown)
    setup: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    name: str
    required: int
    positional: int
    vararg: bool

    def admits(self, n: int | None) -> bool:
        return n is None or self.vararg or self.required <= n <= self.positional

    def binding(self, n: int | None, cut: bool) -> str | None:
        """How a task's call of n arguments reaches this function: `name`, or `name[:k]` (MBPP often passes a
        length the function does not need: the trailing arguments are dropped, where `cut` allows it), or None."""
        if self.admits(n):
            return self.name
        if cut and n is not None and 1 <= self.required <= self.positional < n:
            return f"{self.name}[:{self.positional}]"
        return None


def _call(entry: str, fn: str) -> str:
    """Source binding the name a task's tests call to the row's function (`fn` as `Function.binding` spells it)."""
    name, _, cut = fn.partition("[")
    if entry == name and not cut:
        return ""
    return f"\n\ndef {entry}(*args):\n    return {name}(*args{'[' + cut if cut else ''})\n"


def base_name(fn: str) -> str:
    return fn.partition("[")[0]


def _source(code: str, node: ast.stmt) -> str:
    lines = code.splitlines()
    start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
    return "\n".join(lines[start - 1:node.end_lineno])


@lru_cache(maxsize=8192)
def definitions(code: str) -> str | None:
    """The row's imports, functions and classes, cut from its source in order (decorators and comments inside
    bodies kept), without its top-level demo code; None when it does not parse or defines no function or class."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return None
    body = [s for s in tree.body if isinstance(s, _KEEP)]
    if not any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for s in body):
        return None
    return "\n\n".join(_source(code, s) for s in body) + "\n"


@lru_cache(maxsize=8192)
def functions(code: str) -> tuple[Function, ...]:
    """The row's top-level functions with their arity."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return ()
    out = []
    for s in tree.body:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = s.args
            positional = len(a.posonlyargs) + len(a.args)
            out.append(Function(s.name, positional - len(a.defaults), positional, a.vararg is not None))
    return tuple(out)


def _n_args(test: str, entry: str) -> int | None:
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (entry, "candidate"):
            return None if any(isinstance(a, ast.Starred) for a in node.args) or node.keywords else len(node.args)
    return None


def _mbpp_entry(test: str) -> str | None:
    called = re.search(r"assert\s+(?:not\s+)?\(?\s*(?:math\.isclose\(|set\()?\s*(\w+)\s*\(", test)
    return called.group(1) if called else None


def humaneval_text(prompt: str, entry: str) -> str:
    """The docstring of the prompt's entry function without its examples (HumanEval/10's prompt opens with a
    helper, `is_palindrome`, whose docstring is not the task)."""
    try:
        fn = next(s for s in parse(prompt + "    pass\n").body if isinstance(s, ast.FunctionDef) and s.name == entry)
        doc = ast.get_docstring(fn) or prompt
    except (StopIteration, SyntaxError):
        found = re.search(r'("""|\'\'\')(.*?)(\1)', prompt, re.S)
        doc = found.group(2) if found else prompt
    return doc.split(">>>")[0]


@lru_cache(maxsize=4)
def benchmark(mbpp_path=None, humaneval_path=None, mbppplus_path=None) -> tuple[Task, ...]:
    """Every MBPP task (all 974, every split), every MBPP+ task (its own base assertions) and every HumanEval task."""
    tasks = []
    for t in (load_mbpp(mbpp_path) if mbpp_path else load_mbpp()):
        entry = _mbpp_entry(t["test_list"][0])
        if entry:
            tasks.append(Task(f"mbpp/{t['task_id']}", t["text"], entry, _n_args(t["test_list"][0], entry),
                              t.get("test_setup_code") or "", tuple(t["test_list"])))
    for t in _mbppplus(mbppplus_path):
        tests = tuple(line for line in t["assertion"].splitlines() if line.strip())
        text = " ".join(line for line in t["prompt"].strip().strip('"').splitlines() if not line.startswith("assert"))
        if tests:
            tasks.append(Task(t["task_id"], text.strip(), t["entry_point"], _n_args(tests[0], t["entry_point"]), "",
                              ("\n".join(tests),)))
    for t in (load_humaneval(humaneval_path) if humaneval_path else load_humaneval()):
        try:
            sig = next(s for s in parse(t["prompt"] + "    pass\n").body
                       if isinstance(s, ast.FunctionDef) and s.name == t["entry_point"])
            n = len(sig.args.posonlyargs) + len(sig.args.args)
        except (StopIteration, SyntaxError):
            n = None
        tasks.append(Task(t["task_id"], humaneval_text(t["prompt"], t["entry_point"]), t["entry_point"], n, "",
                          (t["test"] + f"\ncheck({t['entry_point']})",)))
    return tuple(tasks)


def _mbppplus(path=None) -> list[dict]:
    import json

    from common.benchmark_sets import MBPPPLUS_PATH
    with open(path or MBPPPLUS_PATH, encoding="utf-8") as fh:
        return json.load(fh)  # only the prompt and the base assertions are read: no input decoding needed


class FunctionalCheck:
    """Runs rows' definitions against candidate benchmark tasks' tests; `decide` says which passes count."""

    def __init__(self, tasks: tuple[Task, ...] | None = None):
        self.tasks = {t.key: t for t in (tasks or benchmark())}
        self.words = WordIndex({k: t.text for k, t in self.tasks.items()})
        self.by_token: dict[str, set[str]] = {}
        for key, t in self.tasks.items():
            for tok in name_tokens(t.entry):
                self.by_token.setdefault(tok, set()).add(key)

    @lru_cache(maxsize=8192)
    def named_like(self, name: str) -> tuple[str, ...]:
        """Tasks whose tests call a function named like `name` (`names_agree`), found through shared tokens."""
        found: set[str] = set()
        for x in set(name_tokens(name)):
            for y, keys in self.by_token.items():
                if x == y or (min(len(x), len(y)) >= 3 and (x.startswith(y) or y.startswith(x))):
                    found |= keys
        return tuple(k for k in sorted(found) if names_agree(name, self.tasks[k].entry))

    def candidates(self, instruction: str, code: str, k: int = TOP_K, floor: float = FLOOR) -> list[tuple[str, str, float]]:
        """(task, row function bound to it, word score), cheapest filters first: arity, then names or words."""
        fns = functions(definitions(code) or "")
        if not fns:
            return []
        out, seen = [], set()
        for f in reversed(fns):  # the last function first: a row's helpers come before its answer
            for key in self.named_like(f.name):
                fn = f.binding(self.tasks[key].n_args, key.startswith("mbpp/"))
                if key not in seen and fn:
                    out.append((key, fn, self.words.score(instruction, key)))
                    seen.add(key)
        n_words = 0
        for key, score in self.words.top(instruction, 4 * k, floor):
            if n_words >= k:
                break
            if key in seen:
                continue
            fit = [b for f in reversed(fns) if (b := f.binding(self.tasks[key].n_args, key.startswith("mbpp/")))]
            if fit:
                out.append((key, fit[0], score))
                seen.add(key)
                n_words += 1
        return out

    def program(self, code: str, entry: str, fn: str) -> str:
        """The row's definitions with `entry` (the name a task's tests call) bound to its function `fn`."""
        return definitions(code) + _call(entry, fn)

    def plus_passes(self, pairs: list[tuple[str, str, str]], progress: bool = False) -> list[bool | None]:
        """For each (code, row function, task): does the program pass the MBPP+ version of the task (base and plus
        inputs, each output compared with the canonical solution's as MBPP+ compares them, EvalPlus' oracles
        included)? None where MBPP+ has no such task."""
        plus = [f"Mbpp/{key.split('/')[1]}" if key.lower().startswith("mbpp/") else None for _, _, key in pairs]
        tasks = _plus_tasks()
        todo: dict[str, list[int]] = {}
        for i, task in enumerate(plus):
            if task in tasks:
                todo.setdefault(task, []).append(i)
        out: list[bool | None] = [None] * len(pairs)
        if not todo:
            return out
        order = list(todo)
        expected = _plus_expected(tuple(order), progress)
        jobs, where = [], []
        for t in order:
            task = tasks[t]
            if expected[t] is None:  # the canonical solution did not run here: decide nothing on it
                continue
            tests = [Test(entry_point=task["entry_point"], args=args, expected=exp, atol=task["atol"], oracle="mbpp")
                     for args, exp in zip(task["inputs"], expected[t])]
            for i in todo[t]:
                jobs.append({"program": self.program(pairs[i][0], task["entry_point"], pairs[i][1]), "tests": tests,
                             "limits": PLUS_LIMITS})
                where.append(i)
        for i, res in zip(where, run_many(jobs, progress=progress, desc="MBPP+ inputs") if jobs else []):
            out[i] = res.passed
        return out

    def jobs(self, code: str, cands: list[tuple[str, str, float]]) -> list[tuple[dict, list[tuple[int, int, str]]]]:
        """Sandbox jobs for one row: each binds every task's entry name to the chosen row function (a name bound
        two ways goes to another job); with the tests' span of each task."""
        program = definitions(code)
        groups: list[dict[str, str]] = []
        members: list[list[str]] = []
        for key, fn, _ in cands:
            entry = self.tasks[key].entry
            for g, m in zip(groups, members):
                if g.get(entry, fn) == fn:
                    g[entry] = fn
                    m.append(key)
                    break
            else:
                groups.append({entry: fn})
                members.append([key])
        out = []
        for binding, keys in zip(groups, members):
            code_ = program + "".join(_call(entry, fn) for entry, fn in binding.items())
            tests, spans = [], []
            for key in keys:
                t = self.tasks[key]
                spans.append((len(tests), len(tests) + len(t.tests), key))
                tests += [Test(code=c) for c in t.tests]
            setup = "\n".join(dict.fromkeys(self.tasks[k].setup for k in keys if self.tasks[k].setup))
            limits = replace(LIMITS, max_task_time=LIMITS.max_task_time + len(keys))
            out.append(({"program": code_, "setup": setup, "tests": tests, "limits": limits, "fail_fast": False}, spans))
        return out

    def passes(self, rows: list[tuple[str, str]], progress: bool = False) -> list[list[tuple[str, float]]]:
        """For each (instruction, code): every candidate task whose tests all pass, with its word score."""
        cands = [self.candidates(ins, code) for ins, code in rows]
        jobs, owner = [], []
        for i, ((ins, code), c) in enumerate(zip(rows, cands)):
            for job, spans in (self.jobs(code, c) if c else []):
                jobs.append(job)
                owner.append((i, spans))
        results = run_many(jobs, progress=progress, desc="decontaminate: run benchmark tests on definitions")
        score = [{key: s for key, _, s in c} for c in cands]
        out: list[list[tuple[str, float]]] = [[] for _ in rows]
        retry = []
        for (i, spans), job, res in zip(owner, jobs, results):
            for n, (a, b, key) in enumerate(spans):
                done = res.tests[a:b]
                if res.module_ok and len(done) == b - a and all(t.status == PASS for t in done):
                    out[i].append((key, score[i][key]))
                elif res.module_ok and (len(done) < b - a or any(t.status not in (PASS, FAIL, ERROR) for t in done)):
                    retry += [(i, k) for _, _, k in spans[n + 1:]]  # a timeout ended the process: run the rest alone
                    break
        again = []
        for i, key in retry:
            fn = next(f for k, f, _ in cands[i] if k == key)
            again.append(self.jobs(rows[i][1], [(key, fn, 0.0)])[0][0])
        for (i, key), res in zip(retry, run_many(again, desc="decontaminate: rerun after a timeout")):
            if res.passed:
                out[i].append((key, score[i][key]))
        return out

    def decide(self, rows: list[tuple[str, str]], passed: list[list[tuple[str, float]]],
               progress: bool = False) -> list[list[dict]]:
        """For each (instruction, code) and its passes, those that count as contamination, best first; each
        {benchmark, score, rule, names?}. A pass of an MBPP task that MBPP+ extends counts when the row's program also
        passes MBPP+'s base and plus inputs (rule "plus"); a pass of any other task (HumanEval, MBPP tasks MBPP+ lacks)
        counts when the row's function is named like the task's (`names_agree`) or the words are at least
        PASS_WORDS similar (rule "names" / "words")."""
        fn_of = [{k: f for k, f, _ in self.candidates(ins, code)} for ins, code in rows]
        flat = [(i, key, s) for i, p in enumerate(passed) for key, s in p]
        plus = self.plus_passes([(rows[i][1], fn_of[i][key], key) for i, key, _ in flat], progress)
        out: list[list[dict]] = [[] for _ in rows]
        for (i, key, s), strict in zip(flat, plus):
            fn = base_name(fn_of[i][key])
            named = names_agree(fn, self.tasks[key].entry)
            extra = {"names": [fn, self.tasks[key].entry]} if named else {}
            if strict is True:
                out[i].append({"benchmark": key, "score": round(s, 3), "rule": "plus", **extra})
            elif strict is None and (named or s >= PASS_WORDS):
                out[i].append({"benchmark": key, "score": round(s, 3), "rule": "names" if named else "words", **extra})
        for found in out:
            found.sort(key=lambda m: (m["rule"] != "plus", "names" not in m, -m["score"], m["benchmark"]))
        return out
