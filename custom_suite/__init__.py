"""The project's own Python tasks: one YAML file per category in tasks/, one record per task."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

TASKS_DIR = Path(__file__).parent / "tasks"
CATEGORIES = ("strings", "lists", "dicts_sets", "math", "recursion_dp", "sorting_searching", "parsing_regex",
              "classes", "file_io", "iterators_generators", "errors_validation", "dates_times")
REQUIRED = ("id", "difficulty", "instruction", "signature", "reference", "tests")  # tests: one assert per line
# Available to every test: raises(ExceptionType, fn, *args) is True when the call raises that exception;
# error_message(ExceptionType, fn, *args) is the exception's first argument (None when nothing is raised).
# A task asks only for what its tests decide from what the program returns or raises: how it gets there ("without
# sorting", "using a heap") is nothing the graded process could be trusted to report on itself, so a task that means
# it asks for behaviour that needs it (sort-13: a lazy merge of endless iterators).
TEST_SETUP = '''
def raises(exc, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc:
        return True
    except BaseException:
        return False
    return False


def error_message(exc, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc as e:
        return e.args[0] if e.args else ""
    return None
'''


class SuiteError(ValueError):
    pass


def entry_point(signature: str) -> str:
    m = re.match(r"\s*(?:def|class)\s+([A-Za-z_]\w*)", signature)
    if not m:
        raise SuiteError(f"signature {signature!r} names no function or class")
    return m.group(1)


@lru_cache(maxsize=None)
def load_tasks(tasks_dir: str = str(TASKS_DIR)) -> tuple[dict, ...]:
    """Every task, with `category` from its file name; raises SuiteError naming the file and task on bad records."""
    out = []
    for path in sorted(Path(tasks_dir).glob("*.yaml")):
        try:
            records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise SuiteError(f"{path.name}: not valid YAML: {exc}") from exc
        if not isinstance(records, list):
            raise SuiteError(f"{path.name}: expected a list of task records")
        for n, rec in enumerate(records, start=1):
            where = f"{path.name} record {n} ({rec.get('id', '?') if isinstance(rec, dict) else '?'})"
            if not isinstance(rec, dict):
                raise SuiteError(f"{where}: not a mapping")
            missing = [k for k in REQUIRED if k not in rec]
            if missing:
                raise SuiteError(f"{where}: missing {', '.join(missing)}")
            if not isinstance(rec["tests"], str):
                raise SuiteError(f"{where}: tests must be a block of assert lines (tests: |)")
            tests = [line.strip() for line in rec["tests"].splitlines() if line.strip()]
            out.append({**rec, "tests": tests, "category": path.stem, "entry_point": entry_point(rec["signature"])})
    return tuple(out)


def as_docs(tasks=None) -> tuple[dict, ...]:
    """The tasks in the evaluation-document schema of evaluation.documents."""
    tasks = load_tasks() if tasks is None else tasks
    return tuple({"task_id": f"custom/{t['id']}", "text": t["instruction"].strip(), "prompt_hint": t["signature"],
                  "entry_point": t["entry_point"], "reference": t["reference"].strip("\n"), "prefix": "",
                  "setup": TEST_SETUP, "tests": list(t["tests"]), "inputs_json": "", "n_base": 0, "atol": 0.0,
                  "category": t["category"], "difficulty": t["difficulty"], "test_helpers": True} for t in tasks)
