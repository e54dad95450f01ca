"""The defects an audit of the prepared data found, each checked on the real CodeAlpaca rows it named."""
import ast
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest

from codealpaca_prep.__main__ import main
from codealpaca_prep.decontaminate import Decontaminator
from codealpaca_prep.claims import check
from codealpaca_prep.explain import explain_code, explain_sentences, own_nodes, sentences_of, text_stats
from codealpaca_prep.language import answer_code, rejection_reason, unfence
from codealpaca_prep.load import read_source, validate
from common.pysource import CleanError, clean_code

FULL_DATA = Path(os.environ.get("CODEALPACA", "code_alpaca_20k.json"))
needs_data = pytest.mark.skipif(not FULL_DATA.is_file(), reason="CODEALPACA names no local copy of CodeAlpaca-20k")


@lru_cache(maxsize=1)
def _rows() -> dict:
    rows, _ = validate(read_source(str(FULL_DATA)))
    return {r.id: r for r in rows}


def _reason(row_id: str) -> str | None:
    r = _rows()[row_id]
    return rejection_reason(r.instruction, r.input, r.output)


@needs_data
@pytest.mark.parametrize("row_id,what", [
    ("ca-33bc86cebb14", "output indented with non-breaking spaces"),
    ("ca-9fd8c31a1e59", "output indented with non-breaking spaces"),
    ("ca-06ff7903fa76", "Python inside a ``` fence"),
    ("ca-49aba7ae07ad", "Python inside a ``` fence"),
    ("ca-875b35f18320", "HTML instruction and input, BeautifulSoup answer"),
    ("ca-15221f29354b", "XML instruction, ElementTree answer"),
    ("ca-b56a56150099", "SQLite instruction, sqlite3 answer"),
    ("ca-fcc8c1ac5959", "JavaScript translated into Python"),
    ("ca-281ba5ef05b3", "a class that sets self.length"),
    ("ca-39a88c865705", "'Create a tuple `numbers`': a literal assignment is the answer"),
    ("ca-8338301f5e50", "'Create a list of strings': a literal assignment is the answer"),
    ("ca-6c8131b28aad", "`let xs = [...]` data in the input, a Python function"),
    ("ca-3705d2c03893", "`var number = 5` in the input, a Python function"),
    ("ca-3a3a2ba19268", "BeautifulSoup answer followed by `# Output:` lines"),
    ("ca-7747c54dbc4d", "BeautifulSoup answer followed by `# Output:` lines"),
    ("ca-720f24994bbd", "a function followed by `Input: ... Output: 15`"),
    ("ca-d2fa9d01c259", "prints followed by the lines they print"),
])
def test_python_rows_the_audit_found_rejected_are_kept(row_id, what):
    assert _reason(row_id) is None, what


@needs_data
@pytest.mark.parametrize("row_id,reason", [
    ("ca-c7b3e66300a9", "(O)"),  # O(n)
    ("ca-b50552b14f0f", "(Print)"),
    ("ca-971455d8fb05", "(String.fromCharCode)"),
    ("ca-2ff98e444fcc", "(Number)"),
    ("ca-5041f9360126", "(fetch)"),
    ("ca-586bcd5daf20", "output is shell code"),  # a Bash heredoc around Python
    ("ca-14cc74eacd23", "labelled values (Adverb: slowly)"),  # prose that parses as annotations
    ("ca-80eef1849c82", "labelled values (Max: 9)"),
    ("ca-869201ce0d41", "literal answer"),  # "Compute the minimum": `4`
    ("ca-e88b32605a8e", "literal answer"),  # the whole program inside a string, `Output: True` below it
])
def test_non_python_rows_the_audit_found_kept_are_rejected(row_id, reason):
    got = _reason(row_id)
    assert got is not None and reason in got


@needs_data
@pytest.mark.parametrize("row_id,reason", [
    ("ca-bf75b4a633b8", "output is PHP code"),  # was "shell"
    ("ca-ca11383d50ca", "output is Java code"),  # was "not valid Python 3"
    ("ca-b5c87491b13d", "output is C# code"),  # was "not valid Python 3"
])
def test_rejections_give_the_right_language(row_id, reason):
    assert _reason(row_id) == reason


def test_a_shown_output_block_is_cut_only_when_the_code_above_it_is_python():
    assert answer_code("def f(a, b):\n    return a + b\n\nInput: a = 5, b = 10\nOutput: 15") == "def f(a, b):\n    return a + b"
    assert answer_code("print(f(3))\n\nResult: [4, 5, 8]") == "print(f(3))"
    assert answer_code("x = [1]\nprint(x)\n# Output:\n[1]\napple 3") == "x = [1]\nprint(x)"
    assert answer_code("print(1)\n# Output: 1") == "print(1)\n# Output: 1"  # a comment that parses stays
    assert answer_code("int x = 5;\nOutput: 5") == "int x = 5;\nOutput: 5"  # no Python above the block
    assert answer_code('print("Max:", 9)\nMax: 9') == 'print("Max:", 9)'
    assert answer_code("x: int\ny: list[str] = []") == "x: int\ny: list[str] = []"  # annotations are kept
    assert rejection_reason("Declare", "", "x: int\nx = 5\nprint(x)") is None


@needs_data
def test_rows_kept_by_cutting_their_output_block_keep_the_cut_code(tmp_path):
    rows = _rows()
    src = tmp_path / "src.jsonl"
    src.write_text("".join(json.dumps({"instruction": rows[i].instruction, "input": rows[i].input, "output": rows[i].output}) + "\n"
                           for i in ("ca-720f24994bbd", "ca-3a3a2ba19268")))
    assert main(["--input", str(src), "--out", str(tmp_path / "out"), "--no-progress", "--no-test-decontamination"]) == 0
    kept = [json.loads(line)["output"] for split in (tmp_path / "out" / "code").glob("*.jsonl") for line in split.read_text().splitlines()]
    assert len(kept) == 2 and not any("Output:" in k or "Tag: html" in k for k in kept)
    assert all(ast.parse(k) for k in kept)


def test_kept_output_is_the_unfenced_code():
    assert unfence("```python\ndef f():\n    return 1\n```") == "def f():\n    return 1"
    assert unfence("Here:\n```\nx = 1\n```") == "Here:\n```\nx = 1\n```"  # prose around a fence: not an answer
    rows, _ = validate([{"instruction": "x", "output": "def f():\n\u00a0\u00a0\u00a0\u00a0return 1"}])
    assert rows[0].output == "def f():\n    return 1"


@pytest.mark.parametrize("rows", [[], [{"instruction": "Say hi", "output": "Hello"}]])
def test_a_mostly_malformed_input_is_refused_naming_the_bad_row_and_writes_nothing(tmp_path, capsys, rows):
    src = tmp_path / "src.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    assert main(["--input", str(src), "--out", str(tmp_path / "out"), "--no-progress", "--no-test-decontamination"]) == 2
    err = capsys.readouterr().err
    assert f"line {len(rows) + 1} is not JSON" in err and "nothing was written" in err, err
    assert not (tmp_path / "out").exists()


@needs_data
@pytest.mark.parametrize("row_id,tasks", [
    ("ca-01199b6f0f49", {"mbpp/181"}),  # longest common prefix
    ("ca-62d489edf8df", {"mbpp/145"}),  # maximum difference between two elements
    ("ca-820285e6de0c", {"mbpp/395"}),  # first non-repeated character
    ("ca-2efc4d266487", {"mbpp/451", "mbpp/800"}),  # remove all whitespace: MBPP asks it twice
    ("ca-99ecf0100416", {"mbpp/24"}),  # binary to decimal
    ("ca-daf96c09028f", {"mbpp/257"}),  # swap two numbers
    ("ca-ac2df1f72992", {"mbpp/263"}),  # merge two dictionaries
    ("ca-823d21dc9874", {"mbpp/377"}),  # remove all occurrences of a character
    ("ca-853071d62f31", {"mbpp/477"}),  # lower case
    ("ca-d8513a527d77", {"mbpp/485"}),  # largest palindromic number
    ("ca-52ef7ce4c3b2", {"mbpp/500"}),  # concatenate the elements of a list
])
def test_same_task_paraphrases_of_benchmark_tasks_are_removed(row_id, tasks):
    kept, removed = Decontaminator().split([_rows()[row_id]])
    assert not kept and removed[0]["benchmark"] in tasks, removed


@needs_data
def test_a_row_whose_code_passes_a_benchmark_tasks_tests_is_removed_and_others_are_not():
    rows = _rows()
    solver = rows["ca-e87300873000"]  # "remove everything but alphanumerics", MBPP 173 in other words
    other = rows["ca-15221f29354b"]  # ElementTree: no benchmark task
    decon = Decontaminator()
    assert decon.match(solver) is None  # no text or word evidence strong enough ...
    kept, removed = decon.split([solver, other])
    assert [r.id for r in kept] == [other.id]
    assert removed[0]["field"] == "tests" and removed[0]["benchmark"] == "mbpp/173"  # ... its code passes the tests


def _kept_code() -> list[str]:
    out = []
    for r in _rows().values():
        if rejection_reason(r.instruction, r.input, r.output) is None:
            try:
                out.append(clean_code(unfence(r.output)))
            except CleanError:
                pass
    return out


def _functions(tree: ast.Module) -> dict:
    """Functions and methods by name; a name defined twice is left out (which one a sentence means is unknown)."""
    found = [(n.name, n) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for c in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        found += [(f"{c.name}.{m.name}", m) for m in c.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    names = [name for name, _ in found]
    return {name: fn for name, fn in found if names.count(name) == 1}


def _claims_hold(code: str) -> list[str]:
    """What is false in the explanation of `code`, checked against the AST independently of how it was written."""
    tree = ast.parse(code)
    fns = _functions(tree)
    idents = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} \
        | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)} | {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))} \
        | {a.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in [*(x.name for x in n.names), n.__dict__.get("module") or ""]}
    idents |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg}
    allowed = idents | {"del", "pass", "len", "None", "True", "False", "print", "for", "while", "try", "with", "except", "return", "yield", "break", "__init__", "if", "in", "not",
               "and", "or", "is", "lambda", "else", "from", "await", "async"}
    bad = []
    for scope, sentence in explain_sentences(code):
        for span in re.findall(r"`([^`]+)`", sentence):
            span = re.sub(r"""[rbfuRBFU]*(?:"[^"]*"|'[^']*')""", "", span)  # string literals say what they say
            for word in re.findall(r"[A-Za-z_]\w*", span):
                if word not in allowed and not word.isdigit() and not any(word in str(c.value) for c in ast.walk(tree) if isinstance(c, ast.Constant)):
                    bad.append(f"{word!r} quoted but not in the code: {sentence}")
        quoted, sentence = sentence, re.sub(r"`[^`]*`|\"[^\"]*\"", "", sentence)  # claims are in the prose around quotes
        fn = fns.get(scope)
        if fn is None:
            if "prints" in sentence and not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print" for n in ast.walk(tree)):
                bad.append(f"claims printing: {sentence}")
            continue
        nodes = own_nodes(fn)
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
        params += ["*" + fn.args.vararg.arg] if fn.args.vararg else []
        params += ["**" + fn.args.kwarg.arg] if fn.args.kwarg else []
        m = re.match(r"`[\w.]+` (?:takes|accepts|is called with) (.+?) and (?:returns|has|is|yields|prints|reports|shows|hands)", quoted)
        if m:
            named = re.findall(r"`([^`]+)`", m.group(1))
            if named != params:
                bad.append(f"parameters {named} != {params}: {sentence}")
        if re.search(r"(takes|needs) no arguments", sentence) and params:
            bad.append(f"claims no arguments: {sentence}")
        returns = [n for n in nodes if isinstance(n, ast.Return) and n.value is not None]
        if re.search(r"returns `None`|has no return value|instead of returning|rather than returning", quoted) and returns \
                and "directly" not in quoted:
            bad.append(f"claims no return value: {sentence}")
        if re.search(r"\bprint", sentence) and not any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print" for n in nodes):
            bad.append(f"claims printing: {sentence}")
        one = re.search(r"(?:returns|and returns) (`[^`]+`)\.$", quoted)
        if one and not any(f"`{' '.join(ast.unparse(r.value).split())}`" == one.group(1) for r in returns) \
                and not (one.group(1) == "`None`" and not returns):
            bad.append(f"no such return: {sentence}")
        if (re.search(r"generator(?! expression)", sentence) or "yields" in sentence) and not any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes):
            bad.append(f"claims a generator: {sentence}")
        self_call = [n for n in nodes if isinstance(n, ast.Call) and (getattr(n.func, "id", None) == fn.name or (
            isinstance(n.func, ast.Attribute) and n.func.attr == fn.name and getattr(n.func.value, "id", None) in ("self", "cls")))]
        if re.search(r"recursive|calls itself", sentence) and not self_call:
            bad.append(f"claims recursion: {sentence}")
        if re.search(r"no loop", sentence) and any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in nodes):
            bad.append(f"claims no loop: {sentence}")
        once = re.search(r"once per item of `(\w+)`|runs `len\((\w+)\)` times", quoted)
        if once:
            p = once.group(1) or once.group(2)
            loops = [n for n in nodes if isinstance(n, (ast.For, ast.While, ast.comprehension))]
            it = loops[0].iter if len(loops) == 1 and isinstance(loops[0], ast.For) else None
            over = ast.unparse(it) if it is not None else None
            if p not in params or over not in (p, f"range(len({p}))", f"enumerate({p})") or loops[0] not in fn.body:
                bad.append(f"loop count not derivable: {quoted}")
            early = any(isinstance(n, (ast.Return, ast.Break, ast.Raise)) for s in loops[0].body for n in ast.walk(s)) if it is not None else True
            if "exactly once" in sentence and early:
                bad.append(f"claims exactly once but the loop can stop early: {sentence}")
        if re.search(r"O\(n|linear|quadratic|log n", sentence):
            bad.append(f"a running-time claim: {sentence}")
    return bad


@needs_data
def test_every_explanation_sentence_is_true_of_its_code_and_the_texts_vary():
    codes = _kept_code()
    assert len(codes) > 7000
    problems = [p for code in codes for p in _claims_hold(code)]
    assert not problems, problems[:10]
    stats = text_stats([" ".join(s for _, s in explain_sentences(c)) for c in codes])
    assert stats["distinct_share"] >= 0.95
    assert stats["top_sentences"][0]["share"] <= 0.10


@needs_data
@pytest.mark.parametrize("row_id,false_before", [
    ("ca-7ff81fb6dd61", "works through side effects such as printing"),  # ... when it has no `print`
    ("ca-2b959d75d21a", "works through side effects such as printing"),
    ("ca-8693bd7ef13d", "calls `remove` recursively"),  # ... when it calls `self.observers.remove`
])
def test_explanations_the_audit_found_false_are_no_longer_said(row_id, false_before):
    code = clean_code(unfence(_rows()[row_id].output))
    text = " ".join(s for _, s in explain_sentences(code))
    assert false_before not in text and not _claims_hold(code)


def test_explanations_name_the_key_step():
    sentences = [s for _, s in explain_sentences("def fact(n):\n    if n < 2:\n        return 1\n    return n * fact(n - 1)")]
    assert any("it first checks `n < 2`, returning `1`, before calling `fact` again" in s for s in sentences)
    text = " ".join(s for _, s in explain_sentences("def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t"))
    assert "adding to `t`" in text and ("once per item of `xs`" in text or "`len(xs)` times" in text) and "returns `t`" in text
    assert sentences_of("It is one. `f` is two.") == ["It is one.", "`f` is two."]


@needs_data
@pytest.mark.slow
def test_every_sentence_of_the_whole_code_explained_variant_is_true(tmp_path):
    """The real prep on the whole CodeAlpaca copy; each sentence of every row's explanation is checked on its code."""
    out = tmp_path / "out"
    assert main(["--input", str(FULL_DATA), "--out", str(out), "--report-dir", "", "--no-progress",
                 "--no-test-decontamination"]) == 0
    rows = [json.loads(line) for split in sorted((out / "code_explained").glob("*.jsonl")) for line in split.read_text().splitlines()]
    assert len(rows) > 6000  # the whole copy: 6,740 rows kept without the tests check
    checked, false = 0, []
    for row in rows:
        code, _, explanation = row["output"].rpartition("\n\nExplanation: ")
        assert code and explanation, row["id"]
        for sentence, problem in check(code, explanation):
            checked += 1
            if problem:
                false.append((row["id"], sentence, problem))
    assert checked > 3 * len(rows) and not false, (checked, false[:10])


TWO_BRANCHES = 'if (number % 2 == 0):\n    print("even")\nelse:\n    print("odd")'
FIB = "def fib(n):\n    if n == 1:\n        return 0\n    elif n == 2:\n        return 1\n    else:\n        return fib(n-1) + fib(n-2)"
LOOP_PRINT = "for i in range(3):\n    print(i)"
SUM = "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t"


@pytest.mark.parametrize("code,false", [
    (TWO_BRANCHES, "Its 2 `print` calls each run once, the last being `print('odd')`."),  # the issue's 114 rows
    (TWO_BRANCHES, "It prints 2 times, last `'odd'`."),  # the old wording: no rule reads it any more
    (LOOP_PRINT, "One `print` call, run once, gives its output."),  # a print in a loop
    (LOOP_PRINT, "It prints with `print(i)`."),
    (FIB, "`fib` takes `n` and has 3 `return` statements. It is recursive: it first checks `n == 2`, returning `1`, "
          "before calling `fib` again."),  # base cases out of order
    (FIB, "`fib` takes `n` and has 3 `return` statements. It has 1 more loop."),
    (SUM, "`total` takes `xs` and returns `t`. `t` starts as `1`, and a loop adds `x` to it."),
    (SUM, "`total` takes `xs` and returns `t`. `t` starts as `0`, and a loop multiplies it by `x`."),
    (SUM, "`total` takes `xs` and returns `t`. It is recursive, calling `total` again."),
    (SUM, "`total` takes `xs` and `ys` and returns `t`."),
    (SUM, "`total` takes `xs` and returns `t`. Its name reads \"total\"."),  # not a claim any rule checks
])
def test_the_checker_finds_false_sentences(code, false):
    assert any(problem for _, problem in check(code, false))


@pytest.mark.parametrize("code", [TWO_BRANCHES, FIB, LOOP_PRINT, SUM])
def test_the_checker_passes_the_explainer_on_the_issue_cases(code):
    text = explain_code(code)
    assert text and not [(s, p) for s, p in check(code, text) if p]


def test_explanations_say_what_the_issue_found_false_no_more():
    assert "depends on `number % 2 == 0`" in explain_code(TWO_BRANCHES)
    assert "first checks `n == 1`, returning `0`, then `n == 2`, returning `1`, before calling `fib` again" in explain_code(FIB)
    assert "prints from inside a loop" in explain_code(LOOP_PRINT) or "inside a loop" in explain_code(LOOP_PRINT)
    assert "`t` starts as `0`, and a loop adds `x` to it." in explain_code(SUM)
    three = "def f(a):\n    for x in a:\n        pass\n    for y in a:\n        pass\n    while a:\n        a = a[1:]\n    return a"
    assert "It has 1 more loop." in explain_code(three) and "follow" not in explain_code(three)
