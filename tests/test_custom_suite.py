from collections import Counter
from pathlib import Path

import pytest
import yaml

from custom_suite import CATEGORIES, TEST_SETUP, SuiteError, as_docs, load_tasks
from custom_suite.lm_eval_tasks import main as lm_eval_tasks_main
from custom_suite.mutate import mutants
from custom_suite.validate import ambiguity_problems, main as validate_main, originality_problems, schema_problems
from codealpaca_prep.decontaminate import Decontaminator
from codealpaca_prep.load import Row
from sandbox import Test, run_many, run_program

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_validation_command_passes_with_the_mutation_table(tmp_path, capsys):
    assert validate_main(["--no-progress", "--markdown", str(tmp_path / "v.md")]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out
    for cat in CATEGORIES:
        assert f"| {cat} |" in out
    assert "mutation score" in (tmp_path / "v.md").read_text()


def test_suite_size_and_shape():
    tasks = load_tasks()
    assert len(tasks) >= 150
    assert all(sum(t["category"] == c for t in tasks) >= 10 for c in CATEGORIES)
    assert all(len(t["tests"]) >= 5 for t in tasks)
    docs = as_docs()
    assert {d["category"] for d in docs} == set(CATEGORIES) and all(d["setup"] for d in docs)


def test_validator_catches_bad_tasks():
    good = dict(load_tasks()[0])
    few_tests = {**good, "id": "x", "tests": good["tests"][:2]}
    wrong_name = {**good, "id": "y", "signature": "def not_defined(x)", "entry_point": "not_defined"}
    problems = schema_problems([good, few_tests, wrong_name])
    assert any("x: 2 tests" in p for p in problems)
    assert any("does not define not_defined" in p for p in problems)
    unstated = {**good, "id": "z", "tests": [f"assert raises(KeyError, {good['entry_point']}, 1)"]}
    assert any("expects KeyError" in p for p in ambiguity_problems([unstated]))


def test_a_broken_record_is_named(tmp_path):
    (tmp_path / "strings.yaml").write_text("- id: bad-1\n  difficulty: easy\n")
    with pytest.raises(SuiteError, match="strings.yaml record 1 \\(bad-1\\): missing"):
        load_tasks.__wrapped__(str(tmp_path))


def test_lm_eval_task_files_are_in_sync():
    assert lm_eval_tasks_main(["--check"]) == 0


def test_both_copies_of_the_group_come_from_one_generator_and_name_every_subtask():
    """custom_suite.lm_eval_tasks: the group in lm_eval_tasks/ and its copy in custom_suite/ (for a lone
    `--tasks custom_suite`) are one definition; every subtask a group names is a generated task of one category."""
    from custom_suite.lm_eval_tasks import files, group_yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))
    read = lambda text: yaml.load(text, Loader)  # noqa: E731
    out = files()
    group = read(out["lm_eval_tasks/custom_suite_tasks/custom_suite.yaml"])
    assert read(out["custom_suite/custom_suite.yaml"]) == group == read(group_yaml(""))
    assert out["custom_suite/custom_suite.yaml"].startswith("# the custom_suite group again")
    assert group["aggregate_metric_list"] == [{"metric": "pass@1", "aggregation": "mean", "weight_by_size": True,
                                               "filter_list": ["sandbox"]}]
    for suffix, template in (("", "_codeeval_template_yaml"), ("_alpaca", "_alpaca_yaml")):
        names = read(out[f"lm_eval_tasks/custom_suite_tasks/custom_suite{suffix}.yaml"])["task"]
        assert len(names) == len(CATEGORIES) == len(set(names))
        for name, category in zip(names, CATEGORIES):
            task = read(out[f"lm_eval_tasks/custom_suite_tasks/{name}.yaml"])
            assert task["task"] == name and task["dataset_kwargs"] == {"category": category}
            assert task["include"] == f"../{template}" and (ROOT / "lm_eval_tasks" / template).is_file()


def _task(task_id: str) -> dict:
    return next(t for t in load_tasks() if t["id"] == task_id)


def _passes(task_id: str, program: str) -> bool:
    t = _task(task_id)
    return run_program(program, [Test(code=c, helpers=True) for c in t["tests"]], setup=TEST_SETUP).passed


@pytest.mark.parametrize("task_id,wrong", [
    ("math-05", "def integer_nth_root(n, k):\n    if n < 0 or k < 1:\n        raise ValueError('x')\n"
                "    r = int(round(n ** (1 / k)))\n    return r if r ** k <= n else r - 1"),  # floating point
    ("sort-01", "def first_true(lo, hi, pred):\n    for x in range(lo, hi):\n        if pred(x):\n            return x\n"
                "    return hi"),  # linear
    ("sort-08", "def count_between(sorted_nums, lo, hi):\n    return sum(1 for x in sorted_nums if lo <= x <= hi)"),
    ("file-11", "def file_stats(path):\n    text = open(path, encoding='utf-8').read()\n"
                "    return {'lines': text.count('\\n'), 'words': len(text.split()), 'chars': len(text)}"),
    ("lists-11", "def merge_sorted(a, b):\n    return sorted(set(a + b))"),  # "duplicates kept"
    ("lists-11", "def merge_sorted(a, b):\n    a.extend(b)\n    a.sort()\n    return a"),  # "a and b unchanged"
    ("sort-10", "def three_way_sort(colors):\n    rank = {'red': 0, 'white': 1, 'blue': 2}\n"
                "    return sorted(colors, key=rank.get)"),  # other values: TypeError, not ValueError
    ("sort-10", "def three_way_sort(colors):\n    rank = {'red': 0, 'white': 1, 'blue': 2}\n    for c in colors:\n"
                "        if c not in rank:\n            raise ValueError(c)\n    colors.sort(key=rank.get)\n"
                "    return colors"),  # "leaving colors unchanged"
    # sort-13 "lazy": sorting everything never ends on endless inputs; nor does an eager heap merge; reading a
    # thousand values of each input, then sorting, reads too far ahead
    ("sort-13", "def merge_many(iterables):\n    return iter(sorted(x for it in iterables for x in it))"),
    ("sort-13", "import heapq\n\ndef merge_many(iterables):\n    its = [iter(i) for i in iterables]\n"
                "    heap = [(next(it), n) for n, it in enumerate(its)]\n    heapq.heapify(heap)\n    out = []\n"
                "    while heap:\n        v, n = heapq.heappop(heap)\n        out.append(v)\n"
                "        for w in its[n]:\n            heapq.heappush(heap, (w, n))\n            break\n"
                "    return iter(out)"),
    ("sort-13", "import itertools\n\ndef merge_many(iterables):\n"
                "    return iter(sorted(x for it in iterables for x in itertools.islice(it, 1000)))"),
    ("lists-03", "def rotate_right(items, k):\n    if not items:\n        return []\n    k %= len(items)\n"
                 "    return items[-k:] + items[:-k] if k else items"),  # "a new list": the input itself for k = 0
])
def test_tests_reject_solutions_the_instruction_rules_out(task_id, wrong):
    assert _passes(task_id, _task(task_id)["reference"])
    assert not _passes(task_id, wrong)


def test_an_eagerly_validating_generator_the_wording_allows_passes():
    eager = ("def batches(iterable, n):\n    if n < 1:\n        raise ValueError('n must be at least 1')\n"
             "    def gen():\n        batch = []\n        for item in iterable:\n            batch.append(item)\n"
             "            if len(batch) == n:\n                yield tuple(batch)\n                batch = []\n"
             "        if batch:\n            yield tuple(batch)\n    return gen()")
    assert _passes("iter-02", eager)


def test_mutants_reach_generators_files_and_loops():
    kinds = {t["id"]: {m.kind for m in mutants(t["reference"])} for t in load_tasks()}
    assert all(kinds.values()), [k for k, v in kinds.items() if not v]  # every task has a mutant
    assert "yield from -> yield" in kinds["iter-05"]
    assert "file mode" in kinds["file-04"] and "drop statement" in kinds["iter-02"]
    per_cat = Counter()
    for t in load_tasks():
        per_cat[t["category"]] += len(mutants(t["reference"]))
    assert per_cat["iterators_generators"] >= 40 and per_cat["file_io"] >= 40
    assert "yield None" in {m.kind for m in mutants("def g(xs):\n    for x in xs:\n        yield x * 2")}


def test_a_failing_reference_counts_no_mutants_and_a_task_without_mutants_is_flagged(tmp_path, capsys):
    good = _task("lists-06")
    broken = {"id": "bad-01", "difficulty": "easy", "instruction": "Write `f(x)`.", "signature": "def f(x)",
              "reference": "def f(x):\n    if x > 1:\n        return x - 1\n    return x + 1\n",
              "tests": "assert f(5) == 5\nassert f(0) == 1\nassert f(1) == 2\nassert f(2) == 1\nassert f(3) == 2\n"}
    plain = {"id": "bad-02", "difficulty": "easy", "instruction": "Write `g(x)`.", "signature": "def g(x)",
             "reference": "def g(x):\n    return None\n",  # nothing to mutate
             "tests": "".join(f"assert g({i}) is None\n" for i in range(5))}
    (tmp_path / "lists.yaml").write_text(yaml.safe_dump(
        [{k: good[k] for k in ("id", "difficulty", "instruction", "signature", "reference")} | {"tests": "\n".join(good["tests"])},
         broken, plain], sort_keys=False))
    assert validate_main(["--tasks-dir", str(tmp_path), "--no-progress"]) == 1
    out, err = capsys.readouterr()
    row = next(line for line in out.splitlines() if line.startswith("| lists |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4] == str(len(mutants(good["reference"])))  # bad-01's mutants are not counted
    assert cells[-1] == "bad-02"
    assert "bad-01: reference fails" in err


def test_the_originality_check_finds_what_the_old_tasks_copied():
    old = [{"id": "rec-09", "instruction": "Write a function `nested_total(data)` that returns the sum of all numbers in "
            "`data`, which is a number or a list whose elements are numbers or, recursively, such lists.",
            "reference": "def nested_total(data):\n    if isinstance(data, list):\n        return sum(nested_total(x) for x in data)\n    return data\n"},
           {"id": "parse-08", "instruction": "Write a function `camel_to_snake(name)` that converts a CamelCase or camelCase "
            "identifier to snake_case.",
            "reference": "import re\n\ndef camel_to_snake(name):\n    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\\1_\\2', name)\n"
                         "    s = re.sub(r'([a-z0-9])([A-Z])', r'\\1_\\2', s)\n    return s.lower()\n"},
           {"id": "math-05", "instruction": "Write a function `is_square(n)` that returns True if the integer `n` is the "
            "square of an integer.",
            "reference": "import math\n\ndef is_square(n):\n    if n < 0:\n        return False\n    r = math.isqrt(n)\n    return r * r == n\n"}]
    problems = originality_problems(old)
    for task in old:
        assert any(p.startswith(task["id"] + ":") for p in problems), problems


def test_a_heap_merge_from_heapq_and_a_sort_where_the_task_allows_one_pass():
    assert _passes("sort-13", "import heapq\n\ndef merge_many(iterables):\n    return heapq.merge(*iterables)")
    assert _passes("lists-11", "def merge_sorted(a, b):\n    return sorted(a + b)")
    assert _passes("sort-10", "def three_way_sort(colors):\n    rank = {'red': 0, 'white': 1, 'blue': 2}\n"
                              "    if any(c not in rank for c in colors):\n        raise ValueError(colors)\n"
                              "    return sorted(colors, key=rank.get)")


@pytest.mark.slow
def test_no_reference_passes_on_the_graded_processs_word():
    """No assertion compares objects of a class the program defines: each is decided on data."""
    docs = as_docs()
    results = run_many([{"program": d["reference"], "tests": [Test(code=c, helpers=True) for c in d["tests"]],
                         "setup": TEST_SETUP} for d in docs])
    assert all(r.passed for r in results)
    assert [d["task_id"] for d, r in zip(docs, results) if r.in_process_tests] == []


BENCHMARK_TWINS = {"math-09": "HumanEval/25", "math-02": "mbpp/45", "lists-10": "mbpp/559", "dicts-05": "mbpp/395",
                   "rec-07": "mbpp/548", "dicts-03": "mbpp/902", "math-11": "HumanEval/99"}


@pytest.mark.slow
def test_the_tasks_that_replaced_benchmark_twins_do_not_pass_those_benchmarks_tests():
    decon = Decontaminator()
    old = {"math-02": "def gcd_of(nums):\n    g = 0\n    for x in nums:\n        g = math.gcd(g, x)\n    return g\n",
           "rec-07": "import bisect\n\ndef longest_rising(nums):\n    tails = []\n    for x in nums:\n"
                     "        i = bisect.bisect_left(tails, x)\n        tails[i:i + 1] = [x]\n    return len(tails)\n"}
    old["math-02"] = "import math\n\n" + old["math-02"]
    rows = [Row(k, 0, "", "", old[k]) for k in old]  # the twins as they were: caught when run against their task
    assert [hit and hit[0] for hit in decon.solved(rows, [[(BENCHMARK_TWINS[r.id], 0.0)] for r in rows])] == \
        [BENCHMARK_TWINS[k] for k in old]
    tasks = {t["id"]: t for t in load_tasks()}
    rows = [Row(k, 0, tasks[k]["instruction"], "", tasks[k]["reference"]) for k in BENCHMARK_TWINS]
    assert decon.solved(rows, [[(BENCHMARK_TWINS[r.id], 0.0)] for r in rows]) == [None] * len(rows)
