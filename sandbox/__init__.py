"""Run untrusted Python programs against tests and decide the verdicts out of their reach.

    from sandbox import Test, run_program
    run_program("def add(a, b): return a + b", [Test(code="assert add(2, 3) == 5")]).passed  # True

`runner` (the entry: one process per program, its event channel), `child` (the graded process), `decide` (each
event -> a test's verdict), `split` (assertions -> probes + trusted skeletons), `driven` (test code that runs in the
grader and calls the program: HumanEval's check), `verdict` (total decoding, type-strict comparison), `isolation`
(the OS sandbox: bubblewrap, unshare, or refusal) with `view` (what a program can read), `seccomp_filter` and
`cgroup` (what it can reach and use)."""
from .isolation import IsolationError, isolation_level  # noqa: F401
from .runner import (ERROR, FAIL, MEMORY, NOT_RUN, PASS, TIMEOUT, Limits, TaskResult, Test,  # noqa: F401
                     TestResult, isolation_report, run_many, run_program)
