"""Grading faithful to plain CPython and to EvalPlus: what a program may do under the interpreter's defaults."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import FAIL, PASS, Limits, Test, run_program

ADD = [Test(code="assert add(2, 3) == 5"), Test(entry_point="add", args=[1, 1], expected=2)]


def test_the_scientific_stack_imports():
    program = "import numpy as np\nimport scipy.special\nimport pandas as pd\ndef add(a, b): return int(np.add(a, b))"
    result = run_program(program, ADD)
    assert result.passed, (result.etype, result.msg, result.stderr[-500:])


def test_numpy_values_come_back_as_data():
    result = run_program("import numpy as np\ndef add(a, b): return np.array([a, b]).sum()", ADD)
    assert result.passed, (result.etype, result.msg)


def test_recursion_under_the_interpreters_default_limit():
    deep = "def add(a, b, n=1500):\n    return a + b if n == 0 else add(a, b, n - 1)"
    result = run_program(deep, ADD)
    assert result.status != PASS and result.etype == "RecursionError"  # as CPython's 1,000 frames and EvalPlus
    assert run_program(deep.replace("1500", "500"), ADD).passed


def test_a_few_seconds_of_work_at_import_is_the_programs_right():
    result = run_program("import time\ntime.sleep(3)\ndef add(a, b): return a + b", ADD,
                         test_times=[0.001, 0.001], limits=Limits())
    assert result.passed and result.module_seconds > 3


def test_floats_follow_evalplus_tolerance_and_types_are_strict():
    near = [Test(entry_point="f", args=[], expected=0.3)]
    assert run_program("def f(): return 0.1 + 0.2", near).passed
    assert run_program("def f(): return '0.3'", near).status == FAIL
    assert run_program("def f(): return (1, 2)", [Test(entry_point="f", args=[], expected=[1, 2])]).status == FAIL


def test_the_tasks_function_may_have_a_builtins_name_and_no_other_name_is_the_programs():
    program = "def sum(a, b):\n    return a + b"  # MBPP/126 names its function `sum`: the test calls the program's
    assert run_program(program, [Test(code="assert sum(2, 3) == 5", entry_point="sum")]).passed
    rigged = "def sum(a, b):\n    return 5\ndef add(a, b):\n    return [a]"  # any other builtin is the grader's own
    assert not run_program(rigged, [Test(code="assert sum(add(2, 3)) == 5", entry_point="add")]).passed


@pytest.mark.parametrize("code,ok", [("assert add(2, 3) == 5 and add(1, 1) == 2", True),
                                     ("assert abs(add(0.1, 0.2) - 0.3) < 1e-9", True),
                                     ("assert set(add([1], [2])) == {1, 2}", True),
                                     ("assert add(2, 3) in [4, 5, 6]", True),
                                     ("assert not add(1, -1)", True),
                                     ("assert add(2, 3) > 6", False)])
def test_assertion_shapes_split_between_program_and_grader(code, ok):
    assert run_program("def add(a, b): return a + b", [Test(code=code)]).passed is ok


def test_string_hashing_is_seeded_so_set_order_repeats():
    import subprocess
    import sys
    words = "apple pear fig kiwi lime plum date sloe".split()
    order = f"def order(): return list({set(words)!r})"
    expected = subprocess.run([sys.executable, "-c", order + "\nprint(order())"], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": "0"}, check=True).stdout
    test = Test(entry_point="order", args=[], expected=eval(expected))
    assert all(run_program(order, [test]).passed for _ in range(2))


def test_a_copy_of_the_package_under_tmp_still_grades(tmp_path):
    """The sandbox's private /tmp hides the host's: the graded process must not need a file from there (a checkout
    or a site under /tmp graded every program as failed)."""
    assert str(tmp_path).startswith("/tmp/")
    shutil.copytree(Path(__file__).resolve().parents[1] / "sandbox", tmp_path / "sandbox")
    code = ("from sandbox import Test, run_program, run_many\n"
            "print(run_program('def one(): return 1', [Test(code='assert one() == 1')]).passed)\n"
            "print(run_many([{'program': 'def one(): return 2', 'tests': [Test(code='assert one() == 1')]}])[0].status)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["True", FAIL], proc.stdout


def test_a_sandbox_that_cannot_run_a_correct_program_refuses_to_grade(tmp_path):
    """run_many (the graders' entry) first runs a correct program; when even that fails (here the interpreter is
    one the sandbox cannot see, under the host's /tmp) it raises instead of failing every program."""
    python = tmp_path / "python3"
    shutil.copy(sys.executable, python)  # runs on the host; hidden inside the sandbox by its private /tmp
    code = ("import sys; sys.executable = sys.argv[1]\n"
            "from sandbox import Test, run_many\n"
            "run_many([{'program': 'def one(): return 1', 'tests': [Test(code='assert one() == 1')]}])")
    proc = subprocess.run([sys.executable, "-c", code, str(python)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert proc.returncode == 1 and "IsolationError: the sandbox" in proc.stderr, proc.stderr[-2000:]
    assert "cannot run a correct program" in proc.stderr and str(python) in proc.stderr
