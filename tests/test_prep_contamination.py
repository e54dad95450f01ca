"""Issue 45's decontamination defects, each checked on the real CodeAlpaca rows and benchmark tasks it named: rows
whose definitions solve a benchmark task, paraphrases, renamed near-duplicates across splits, and bad input."""
import json
import os
from functools import lru_cache
from pathlib import Path

import pytest

from codealpaca_prep.__main__ import main
from codealpaca_prep.contamination import main as contamination_main
from codealpaca_prep.decontaminate import Decontaminator
from codealpaca_prep.dedup import deduplicate, same_task_groups
from codealpaca_prep.functional import FunctionalCheck, definitions
from codealpaca_prep.load import read_source, validate
from codealpaca_prep.split import split_of
from common.pysource import clean_code, parses

FULL_DATA = Path(os.environ.get("CODEALPACA", "code_alpaca_20k.json"))
needs_data = pytest.mark.skipif(not FULL_DATA.is_file(), reason="CODEALPACA names no local copy of CodeAlpaca-20k")


@lru_cache(maxsize=1)
def _all_rows() -> dict:
    rows, _ = validate(read_source(str(FULL_DATA)))
    return {r.id: r for r in rows}


def _row(row_id: str):
    r = _all_rows()[row_id]
    r.output = clean_code(r.output)
    return r


@lru_cache(maxsize=1)
def _check() -> FunctionalCheck:
    return FunctionalCheck()


@needs_data
def test_definitions_keep_functions_and_drop_demo_code():
    code = _row("ca-c14bfb5bdaf6").output  # `number = 9`, def is_prime, then an if/print on `number`
    kept = definitions(code)
    assert "def is_prime(number):" in kept and parses(kept)
    assert "number = 9" not in kept and "print" not in kept
    assert definitions("x = [1, 2]\nprint(sum(x))") is None  # nothing defined: nothing to run


@needs_data
@pytest.mark.parametrize("row_id,task,rule", [
    ("ca-c14bfb5bdaf6", "HumanEval/31", "names"),  # is_prime, demo code after it
    ("ca-df2bf44dfed3", "HumanEval/13", "words"),  # gcd (cal_gcd), demo code before and after it
    ("ca-3ec8edc8d491", "mbpp/28", "names"),  # binomial coefficient, MBPP's test split
    ("ca-6d999cddbb9e", "HumanEval/35", "words"),  # maximum element of a list
])
def test_rows_whose_definitions_solve_a_benchmark_task_are_caught(row_id, task, rule):
    row = _row(row_id)
    items = [(row.instruction, row.output)]
    passed = _check().passes(items)
    decided = _check().decide(items, passed)[0]
    assert any(m["benchmark"] == task and m["rule"] == rule for m in decided), decided


@needs_data
def test_a_pass_on_weak_tests_alone_is_not_contamination():
    """Any is_prime passes MBPP 20's three tests for Woodall numbers; MBPP+'s inputs tell them apart."""
    row = _row("ca-5441694d074f")
    items = [(row.instruction, row.output)]
    passed = _check().passes(items)
    assert "mbpp/20" in {k for k, _ in passed[0]}  # the coincidence is real ...
    decided = {m["benchmark"] for m in _check().decide(items, passed)[0]}
    assert not decided & {"mbpp/20", "Mbpp/20"}  # ... and the rule keeps it out


@needs_data
def test_the_prep_removes_a_solver_through_the_functional_check():
    kept, removed = Decontaminator().split([_row("ca-c14bfb5bdaf6"), _row("ca-15221f29354b")])
    assert [r.id for r in kept] == ["ca-15221f29354b"]  # ElementTree: no benchmark task
    assert removed[0]["field"] == "tests" and removed[0]["benchmark"] == "HumanEval/31"


@needs_data
@pytest.mark.parametrize("row_id,task", [
    ("ca-7122b785c67a", "HumanEval/48"),  # palindrome
    ("ca-f35c58d44db0", "mbpp/24"),  # binary to decimal
    ("ca-2b322746c9c1", "mbpp/34"),  # missing number in an array
    ("ca-e3c48521c6b7", "HumanEval/55"),  # n-th Fibonacci number (the row's answer is off by one)
    ("ca-e299e60da396", "mbpp/367"),  # balanced binary tree
])
def test_paraphrases_of_benchmark_tasks_are_caught(row_id, task):
    decon = Decontaminator(run_tests=False)
    row = _row(row_id)
    assert decon.match(row) is not None
    assert task in {m["benchmark"] for m in decon.findings([row])[0]}


@needs_data
def test_renamed_code_is_a_duplicate_and_same_task_rows_share_a_split():
    a, b, other = _row("ca-08de9587beaf"), _row("ca-6081680a2dca"), _row("ca-15221f29354b")
    kept, removed = deduplicate([a, b, other])
    assert [r.id for r in kept] == [a.id, other.id]
    assert removed[0]["duplicate_of"] == a.id and "renamed output" in removed[0]["reason"]
    groups = same_task_groups([a, b, other])  # the same instruction in other words: one split for both
    assert groups[0] == groups[1] != groups[2]


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier_output(tmp_path):
    rows = [{"instruction": f"Write a function number {i} that multiplies a value by {i} and adds {i * 7}",
             "input": "", "output": f"def times_{i}(x):\n    return x * {i} + {i * 7}"} for i in range(5)]
    src = tmp_path / "good.json"
    src.write_text(json.dumps(rows))
    out = tmp_path / "out"
    assert main(["--input", str(src), "--out", str(out), "--no-progress", "--no-test-decontamination"]) == 0
    return out


@pytest.mark.parametrize("rows,message", [
    ([], "holds no rows"),
    (["a string", {"instruction": "no output"}, {"instruction": "x", "output": 3}, {"instruction": "", "output": "x = 1"},
      {"instruction": "Add one", "output": "def inc(x):\n    return x + 1"}], "4 of 5 rows are malformed"),
])
def test_bad_input_is_refused_and_the_earlier_output_is_untouched(tmp_path, earlier_output, capsys, rows, message):
    before = _tree(earlier_output)
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(rows))
    assert main(["--input", str(src), "--out", str(earlier_output), "--no-progress", "--no-test-decontamination"]) == 2
    err = capsys.readouterr().err
    assert message in err
    if rows:
        assert "row 0" in err and "not an object" in err and "missing field output" in err  # the first bad rows, why
    assert _tree(earlier_output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["bad.json", "good.json", "out"])  # no temporary left


@needs_data
def test_contamination_cli_lists_tasks_and_checks_the_data_against_its_manifest(tmp_path):
    solver, clean = _all_rows()["ca-c14bfb5bdaf6"], _all_rows()["ca-15221f29354b"]
    src = tmp_path / "rows.json"
    src.write_text(json.dumps([{"instruction": r.instruction, "input": r.input, "output": r.output} for r in (solver, clean)]))
    data = tmp_path / "prepared"  # prepared without the functional check: the solver stays in
    assert main(["--input", str(src), "--out", str(data), "--no-progress", "--no-test-decontamination"]) == 0
    split = split_of(solver.id)
    out = tmp_path / "c.json"
    assert contamination_main([str(data), "--split", split, "--out", str(out), "--no-progress"]) == 0
    got = json.loads(out.read_text())
    assert solver.id in got["tasks"]["HumanEval/31"] and clean.id not in sum(got["tasks"].values(), [])
    assert got["data_sha256"] and got["rule"] and got["made_by"].startswith("python -m codealpaca_prep.contamination")
    path = data / "code" / f"{split}.jsonl"
    path.write_text(path.read_text() + "\n")  # not the data the manifest describes any more
    with pytest.raises(SystemExit, match="sha256 differs"):
        contamination_main([str(data), "--split", split, "--out", str(out), "--no-progress"])
