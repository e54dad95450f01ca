import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codealpaca_prep.__main__ import main
from codealpaca_prep.decontaminate import Decontaminator
from codealpaca_prep.dedup import deduplicate
from codealpaca_prep.explain import explain_code
from codealpaca_prep.language import rejection_reason
from codealpaca_prep.load import validate
from codealpaca_prep.pipeline import Config, run
from codealpaca_prep.split import split_of
from common.benchmark_sets import load_mbpp
from common.pysource import _string_lines, ast_equal, clean_code, indentation_ok

ROOT = Path(__file__).resolve().parents[1]
FULL_DATA = Path(os.environ.get("CODEALPACA", "code_alpaca_20k.json"))  # a local copy of the full data set

PY_FUNC = "def add(a, b):\n    return a + b"


def test_placeholders_and_whitespace_are_normalised():
    rows, rejects = validate([
        {"instruction": "  Add two\r\nnumbers ", "input": "< noinput >", "output": PY_FUNC},
        {"instruction": "x", "input": "<noinput>", "output": PY_FUNC},
        {"instruction": "y", "input": "N/A", "output": PY_FUNC},
        {"instruction": "z", "input": "a = 1\r\nb = 2  ", "output": PY_FUNC},
    ])
    assert not rejects
    assert rows[0].instruction == "Add two numbers"
    assert [r.input for r in rows] == ["", "", "", "a = 1\nb = 2"]


def test_malformed_rows_are_counted_with_reasons_not_dropped_or_crashing():
    rows, rejects = validate([
        "just a string",
        {"instruction": "no output"},
        {"instruction": "bad type", "input": "", "output": 42},
        {"instruction": "", "input": "", "output": PY_FUNC},
        {"instruction": "ok", "output": PY_FUNC},  # input may be missing
    ])
    assert len(rows) == 1 and rows[0].input == ""
    reasons = {r["index"]: r["reason"] for r in rejects}
    assert reasons[0].startswith("malformed: row is str")
    assert "missing field output" in reasons[1]
    assert "field output is int" in reasons[2]
    assert "empty instruction" in reasons[3]


@pytest.mark.parametrize("instruction,input_,output,reason", [
    ("Say hi", "", "Hello", "literal answer"),
    ("Compute 2+3", "", "5", "literal answer"),
    ("What does this do?", "", "It prints the numbers from one to ten.", "prose"),
    ("Write a Java method", "", "public static int add(int a, int b) {\n  return a + b;\n}", "Java"),
    ("Get all users", "", "SELECT * FROM users WHERE age > 25;", "SQL"),
    ("Log a message", "", "console.log('hi');", "console"),
    ("Make a page", "", "<div><p>Hello</p></div>", "HTML"),
    ("List files", "", "ls -la", "literal answer"),
    ("Write a Swift program to print hello", "", 'print("Hello")', "Swift"),
    ("Translate this to Python", "", "", "empty output"),
    ("Rewrite this code", '#include <iostream>\nint main() {\n  std::cout << "hi";\n}', 'print("hi")', "input is C/C++ code"),
    ("Print a greeting", "", 'print "hello"', "not valid Python 3"),
])
def test_non_python_rows_are_rejected_with_a_reason(instruction, input_, output, reason):
    got = rejection_reason(instruction, input_, output)
    assert got is not None and reason in got


@pytest.mark.parametrize("instruction,input_,output", [
    ("Write a function to add two numbers", "", PY_FUNC),
    ("Swap two variables", "a = 5\nb = 10", "a, b = b, a"),
    ("Reverse a string in Python", "", "s = 'abc'\nprint(s[::-1])"),
    ("Write a Python program to query a SQLite table", "", "import sqlite3\nconn = sqlite3.connect('x.db')\nrows = conn.execute('SELECT 1').fetchall()"),
    ("Create a class with a length method", "", "class Box:\n    def length(self):\n        return 1\nb = Box()\nprint(b.length())"),
    ("What is the Python equivalent of this C++ code?", '#include <iostream>\nint main() {\n  std::cout << "hi";\n}', 'print("hi")'),
])
def test_python_rows_are_kept(instruction, input_, output):
    assert rejection_reason(instruction, input_, output) is None


def test_code_cleaning_tabs_two_spaces_crlf_and_trailing_spaces():
    tabbed = "def f(x):\r\n\tif x:  \r\n\t\treturn [1,\r\n\t\t        2]\r\n\treturn 0\r\n"
    two = "class A:\n  def m(self):\n    s = '''keep  \n  this'''\n    return s\n"
    for src in (tabbed, two):
        out = clean_code(src)
        assert ast_equal(src.replace("\r\n", "\n").expandtabs(8), out)
        assert indentation_ok(out) and "\t" not in out.split("'''")[0]
        assert all(line == line.rstrip() for line in out.split("\n") if "keep" not in line)
    assert "    if x:" in clean_code(tabbed) and "        return [1," in clean_code(tabbed)
    assert "keep  \n  this" in clean_code(two)  # string content is untouched


def test_exact_and_near_duplicates_keep_the_first():
    rows, _ = validate([
        {"instruction": "Write a function that returns the sum of a list", "output": "def s(l):\n    return sum(l)"},
        {"instruction": "Write a function that returns the sum of a list.", "output": "def total(xs):\n    return sum(xs)"},
        {"instruction": "Write a function that returns the product of a list of numbers", "output": "def p(l):\n    r = 1\n    for x in l:\n        r *= x\n    return r"},
        {"instruction": "Multiply all numbers of a list", "output": "def p(l):\n    r = 1\n    for x in l:\n        r *= x\n    return r  # same code"},
    ])
    kept, removed = deduplicate(rows)
    assert [r.index for r in kept] == [0, 2]
    assert {r["index"] for r in removed} == {1, 3}
    assert all(r["duplicate_of"] in (rows[0].id, rows[2].id) for r in removed)


def test_mbpp_contaminated_instruction_and_code_are_removed_with_task_id():
    mbpp = {t["task_id"]: t for t in load_mbpp()}
    rows, _ = validate([
        {"instruction": "Write a python function to remove first and last occurrence of a given character from the string.",
         "output": "def f(s, c):\n    return s"},
        {"instruction": "Clean up a matrix", "output": mbpp[12]["code"]},
        {"instruction": "Write a function that greets a user by name", "output": "def greet(name):\n    return 'Hi ' + name"},
    ])
    kept, removed = Decontaminator().split(rows)
    assert [r.index for r in kept] == [2]
    assert [r["benchmark"] for r in removed] == ["mbpp/11", "mbpp/12"]


def test_split_is_a_pure_function_of_the_id():
    ids = [f"ca-{i:012x}" for i in range(2000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    share = splits.count("train") / len(splits)
    assert 0.75 < share < 0.85
    assert {split_of(i, seed=1) for i in ids[:50]} != {None} and [split_of(i, seed=1) for i in ids] != splits


def test_explanation_is_derived_from_the_code():
    code = "def count_vowels(text):\n    n = 0\n    for ch in text:\n        if ch in 'aeiou':\n            n += 1\n    return n"
    text = explain_code(code)
    assert "`count_vowels`" in text and "`text`" in text and "`n`" in text
    assert "over `text`" in text or "through `text`" in text
    assert "len(text)` times" in text or "once per item of `text`" in text
    assert explain_code(code) == text
    nested = explain_code("def pairs(xs):\n    for a in xs:\n        for b in xs:\n            print(a, b)")
    assert "O(" not in nested and "print" in nested  # no running-time guess for nested loops over unknown types
    fact = explain_code("def fact(n):\n    if n < 2:\n        return 1\n    return n * fact(n - 1)")
    assert "recursive" in fact or "calls itself" in fact


def _write(tmp_path, rows):
    path = tmp_path / "src.json"
    path.write_text(json.dumps(rows))
    return path


def test_pipeline_on_crafted_rows(tmp_path):
    good = [{"instruction": f"Write a function number {i} that multiplies a value by {i} and adds {i * 7}",
             "input": "", "output": f"def times_{i}(x):\n\treturn x * {i} + {i * 7}"} for i in range(40)]
    rows = good + ["bad", {"instruction": "SQL", "output": "SELECT 1;"}, dict(good[0])]
    m = run(Config(source=str(_write(tmp_path, rows)), out_dir=tmp_path / "out", report_dir=tmp_path / "rep", progress=False))
    funnel = {s["stage"]: s for s in m["stages"]}
    assert funnel["schema"]["removed"] == 1 and funnel["python-only"]["removed"] == 1
    assert funnel["deduplication"]["removed"] == 1
    assert m["kept"] == 40 and sum(m["splits"].values()) == 40
    code = [json.loads(l) for s in ("train", "validation", "test") for l in open(tmp_path / "out" / "code" / f"{s}.jsonl")]
    assert all("\t" not in r["output"] and r["output"].startswith("def ") for r in code)
    assert set(code[0]) == {"id", "instruction", "input", "output"}
    rejected = [json.loads(l) for l in open(tmp_path / "out" / "rejected.jsonl")]
    assert len(rejected) == 3 and all(r["reason"] for r in rejected)
    assert (tmp_path / "rep" / "data.md").read_text().count("|") > 20 and (tmp_path / "rep" / "data_lengths.png").stat().st_size > 1000


def test_cli_reports_a_missing_file_clearly(tmp_path, capsys):
    assert main(["--input", str(tmp_path / "nope.json"), "--out", str(tmp_path), "--no-progress"]) == 2
    assert "input file not found" in capsys.readouterr().err


def test_cli_help_explains():
    out = subprocess.run([sys.executable, "-m", "codealpaca_prep", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    assert "--explainer" in out and "hf:PATH" in out and "hub dataset id" in out


@pytest.mark.slow
@pytest.mark.skipif(not FULL_DATA.is_file(), reason="CODEALPACA names no local copy of CodeAlpaca-20k")
def test_full_run_invariants(tmp_path):
    m = run(Config(source=str(FULL_DATA), out_dir=tmp_path / "out", report_dir=None, progress=False))
    assert m["input"]["rows"] == 20022
    for s in m["stages"]:
        assert s["in"] - s["removed"] == s["out"] and sum(s["reasons"].values()) == s["removed"]
    for a, b in zip(m["stages"], m["stages"][1:]):
        assert a["out"] == b["in"]
    assert 3000 < m["kept"] < 9000
    decon = Decontaminator()
    ids = {}
    for variant in ("code", "code_explained"):
        ids[variant] = {}
        for split in ("train", "validation", "test"):
            rows = [json.loads(l) for l in open(tmp_path / "out" / variant / f"{split}.jsonl")]
            ids[variant][split] = {r["id"] for r in rows}
            if variant == "code":
                for r in rows:
                    ast.parse(r["output"])
                    assert indentation_ok(r["output"]), r["id"]
                    inside, opens = _string_lines(r["output"])
                    for n, line in enumerate(r["output"].split("\n"), start=1):
                        if n not in inside:
                            assert "\t" not in line[:len(line) - len(line.lstrip())], r["id"]
                            assert n in opens or line == line.rstrip(), r["id"]
                for r in rows[::25]:
                    from codealpaca_prep.load import Row
                    assert decon.match(Row(r["id"], 0, r["instruction"], r["input"], r["output"])) is None
    assert ids["code"] == ids["code_explained"]
    s = ids["code"]
    assert not (s["train"] & s["validation"]) and not (s["train"] & s["test"]) and not (s["validation"] & s["test"])
    assert sum(len(v) for v in s.values()) == m["kept"]


def test_hf_explainer_runs_a_local_causal_lm(tmp_path):
    """`--explainer hf:PATH` end to end with a tiny random Mistral (real tokenizer): the text is noise, the path is real."""
    from model_builders.random_mistral import build

    model = build(tmp_path / "tiny")
    rows = [{"instruction": f"Write a function that doubles number {i}", "input": "",
             "output": f"def double_{i}(x):\n    return 2 * x"} for i in range(3)]
    m = run(Config(source=str(_write(tmp_path, rows)), out_dir=tmp_path / "out", report_dir=None, progress=False,
                   explainer=f"hf:{model}"))
    assert m["explainer"].startswith("hf:") and m["kept"] == 3
    explained = [json.loads(l) for s in ("train", "validation", "test")
                 for l in open(tmp_path / "out" / "code_explained" / f"{s}.jsonl")]
    assert all("\n\nExplanation: " in r["output"] and r["output"].startswith("def double_") for r in explained)
