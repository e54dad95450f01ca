"""Run an untrusted program against tests, one fresh sandboxed process per program, and decide the verdict here.

The graded process (`child.py`, inside the OS sandbox of `isolation.py`) receives the program, the call tests'
arguments and the test code with every assertion replaced by probes (`split.py`); it never receives an expected
value. It sends back values as typed JSON; this process compares them type-strictly (`verdict.py`). A value
that is missing, malformed or oversized fails its test. Deadlines, EvalPlus-style: each test max(1 s, 4 x the
reference's time); the module the whole program's budget (EvalPlus bounds it only by its task timeout); on expiry
the whole process group (and cgroup) is SIGKILLed.
"""
from __future__ import annotations

import marshal
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import isolation as iso
from .split import SplitTest, bound_names, parse_program, split_test
from .verdict import (SAFE_NAMES, Drained, Evaluator, InProcess, Malformed, Opaque, ProbeRaised, check_output, decode,
                      describe_mismatch, recorded, same, value)

# run from its source (-c), not its path: the sandbox's private /tmp (and /run, /var/tmp, /dev/shm) hides any
# file below them, and the package may be installed there
CHILD_SOURCE = Path(__file__).with_name("child.py").read_text()

PASS, FAIL, ERROR, TIMEOUT, MEMORY, NOT_RUN = "pass", "fail", "error", "timeout", "memory", "not_run"
MAX_EVENT_BYTES = 16 << 20
MAX_CHANNEL_BYTES = 64 << 20


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 << 30
    file_bytes: int = 16 << 20
    tmp_bytes: int = 64 << 20  # the program's writable /tmp (its working directory)
    processes: int = 64
    min_time: float = 1.0  # per-test floor (s), as EvalPlus
    time_factor: float = 4.0  # x the reference's time, as EvalPlus
    default_test_time: float = 3.0  # per-test limit when no reference time is known
    max_task_time: float = 60.0  # the whole program, module and tests together; also the module's own deadline
    output_bytes: int = 4096  # stderr excerpt kept in the verdict


@dataclass
class Test:
    """An assert statement (`code`), or a call of `entry_point(*args)` compared with `expected`."""
    __test__ = False  # not a pytest class
    code: str | None = None
    entry_point: str | None = None
    args: list | None = None
    expected: object = None
    atol: float = 0.0
    oracle: str | None = None  # "mbpp" enables EvalPlus' special oracles for MBPP+
    helpers: bool = False  # raises(...) / error_message(...) are the custom suite's helpers


@dataclass
class TestResult:
    status: str
    etype: str | None = None
    msg: str | None = None
    seconds: float | None = None
    output: object = None  # a call test's recorded return value (with record=True)
    trace: list | None = None  # an assert test's probe events (with record=True): what a candidate must repeat
    in_process: bool = False  # decided on a result the graded process computed (objects that are not data)


@dataclass
class TaskResult:
    status: str  # PASS, or the status of the first test that did not pass (or of the module itself)
    tests: list[TestResult] = field(default_factory=list)
    module_ok: bool = True
    etype: str | None = None
    msg: str | None = None
    stderr: str = ""
    module_seconds: float | None = None
    seconds: float = 0.0
    isolation: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def in_process_tests(self) -> int:
        return sum(t.in_process for t in self.tests)

    def to_dict(self) -> dict:
        return {"status": self.status, "passed": self.passed, "module_ok": self.module_ok, "etype": self.etype,
                "msg": self.msg, "stderr": self.stderr[-500:], "module_seconds": self.module_seconds,
                "isolation": self.isolation, "in_process_tests": self.in_process_tests,
                "tests": [{"status": t.status, "etype": t.etype, "seconds": t.seconds} for t in self.tests]}


def classify_exception(etype: str, mro: list[str] | None = None) -> str:
    mro = mro or []
    if etype == "Timeout" and (not mro or mro[0] == "__main__.Timeout"):  # the graded process's time limit
        return TIMEOUT
    if "builtins.AssertionError" in mro or etype == "AssertionError":
        return FAIL
    if "builtins.MemoryError" in mro or etype == "MemoryError":
        return MEMORY
    return ERROR


@lru_cache(maxsize=4096)
def _split(code: str, helpers: bool, shadowed: frozenset[str]) -> SplitTest:
    return split_test(code, helpers, shadowed)


def _shadowed(*sources: str) -> frozenset[str]:
    """The trusted names (builtins such as `sum`) that the program or its setup rebinds."""
    names: set[str] = set()
    for src in sources:
        try:
            names |= bound_names(parse_program(src))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return frozenset(names & SAFE_NAMES.keys())


def _state_equal(a: list, b: list) -> bool:
    """A test-bound name seen by a candidate and by the reference at the same assertion."""
    if a[0] != b[0]:
        return False
    if a[0] != "value":
        return a[1:] == b[1:]
    x, y = a[1], b[1]
    if isinstance(x, Opaque) or isinstance(y, Opaque):
        return x == y
    if isinstance(x, Drained) or isinstance(y, Drained):
        return type(x) is type(y) and same(tuple(x), tuple(y))
    return same(x, y)


class _Grader:
    """Decides each test from the events the graded process sends, as they come."""

    def __init__(self, tests: list[Test], splits: list[SplitTest | None], references: list[TestResult | None],
                 record: bool):
        self.tests, self.splits, self.refs, self.record = tests, splits, references, record
        self.events: list[list] = [[] for _ in tests]
        self.in_process = [False] * len(tests)  # a test that passed on a result the graded process computed

    def decode_probes(self, raw_probes) -> list:
        out = []
        for p in raw_probes:
            if not isinstance(p, list) or not p or p[0] not in ("value", "raised", "outcome"):
                raise Malformed("bad probe")
            if p[0] == "value":
                out.append(["value", value(p[1])])
            elif p[0] == "raised":
                etype, msg, mro = p[1:4]
                if not (isinstance(etype, str) and isinstance(msg, str) and isinstance(mro, list)):
                    raise Malformed("bad exception")
                out.append(["raised", etype[:100], msg[:300], [str(m)[:200] for m in mro[:50]]])
            else:
                o = p[1]
                if not isinstance(o, dict):
                    raise Malformed("bad outcome")
                if "raised" in o:
                    r = o["raised"]
                    out.append(["outcome", {"raised": {"etype": str(r.get("etype"))[:100], "msg": str(r.get("msg"))[:300],
                                                       "mro": [str(m)[:200] for m in list(r.get("mro") or [])[:50]],
                                                       "arg0": value(r.get("arg0", ""))}}])
                else:
                    out.append(["outcome", {"returned": True}])
        return out

    def on_assert(self, i: int, event: dict) -> TestResult | None:
        """A failed assertion decides test i; None while it still holds."""
        split = self.splits[i]
        aid = event.get("aid")
        if split is None or not isinstance(aid, int) or not 0 <= aid < len(split.asserts):
            return TestResult(FAIL, "Malformed", "an assertion the test does not have")
        spec = split.asserts[aid]
        probes = self.decode_probes(event.get("probes"))
        if len(probes) != len(spec.kinds):
            raise Malformed("wrong number of probes")
        n = len(self.events[i])
        self.events[i].append([aid, probes])
        ref = self.refs[i].trace if self.refs[i] is not None else None
        in_process = False
        if ref is not None:
            if n >= len(ref) or ref[n][0] != aid:
                return TestResult(FAIL, "TestFlow", f"assertion `{spec.source}` ran out of the reference's order")
            for k in spec.state:
                if not _state_equal(probes[k], ref[n][1][k]):
                    return TestResult(FAIL, "TestState", f"a name the test bound differs from the reference run ({spec.source})")
        elif spec.state:
            in_process = True
        fallbacks = event.get("fallbacks") or {}
        ev = Evaluator(probes, {int(k): bool(v) for k, v in fallbacks.items() if str(k).isdigit()})
        try:
            ok = ev.truth(ev.eval(spec.skeleton.body))
        except ProbeRaised as exc:
            return TestResult(classify_exception(exc.etype, exc.mro), exc.etype, exc.msg)
        except InProcess as exc:
            return TestResult(FAIL, "NotData", f"`{spec.source}`: {exc}", in_process=True)
        except Malformed:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. '<' between a str and an int, as CPython would raise
            return TestResult(ERROR, type(exc).__name__, str(exc)[:300])
        if ok:
            if in_process or ev.used_fallback:
                self.in_process[i] = True
            return None
        msg = f"assert {spec.source}"
        if spec.eq_probe is not None and probes[spec.eq_probe][0] == "value":
            try:
                right = Evaluator(probes, {}).eval(spec.skeleton.body.args[3])
                msg = describe_mismatch(probes[spec.eq_probe][1], right)
            except Exception:  # noqa: BLE001
                pass
        return TestResult(FAIL, "AssertionError", msg, in_process=in_process or ev.used_fallback)

    def on_end(self, i: int, event: dict) -> TestResult:
        raised = event.get("raised")
        if raised is not None:
            if not isinstance(raised, dict):
                raise Malformed("bad exception")
            etype, mro = str(raised.get("etype"))[:100], [str(m) for m in list(raised.get("mro") or [])[:50]]
            return TestResult(classify_exception(etype, mro), etype, str(raised.get("msg"))[:300])
        split, ref = self.splits[i], self.refs[i]
        seen = self.events[i]
        if ref is not None and ref.trace is not None and len(seen) != len(ref.trace):
            return TestResult(FAIL, "TestIncomplete", f"{len(seen)} of the reference's {len(ref.trace)} assertions ran")
        if ref is None and split is not None and {a for a, _ in seen} != set(range(len(split.asserts))):
            return TestResult(FAIL, "TestIncomplete", "not every assertion ran")
        result = TestResult(PASS, in_process=self.in_process[i])
        if self.record:
            result.trace = seen
        return result

    def on_call(self, i: int, event: dict) -> TestResult:
        test = self.tests[i]
        out = value(event.get("value"))
        if self.record:
            return TestResult(PASS, output=recorded(test.entry_point, out, test.oracle))
        if check_output(test.entry_point, test.args, out, test.expected, test.atol, test.oracle):
            return TestResult(PASS)
        return TestResult(FAIL, "WrongAnswer", describe_mismatch(out, test.expected))


# ------------------------------------------------------------------------------------------- the runner

_idle_cgroups: queue.SimpleQueue = queue.SimpleQueue()


@contextmanager
def _slot_cgroup(limits: Limits):
    """A pids cgroup for one program at a time, handed on to the next program when this one has ended: as many exist
    as programs ever ran at once in this process, not one per thread of every run_many call."""
    try:
        cgroup = _idle_cgroups.get_nowait()
    except queue.Empty:
        cgroup = iso.PidsCgroup(limits.processes)
    try:
        yield cgroup
    finally:
        _idle_cgroups.put(cgroup)


# the interpreter's package folders: the graded process starts with -S (no site: 45 ms less per program, and no
# .pth file of the host runs there), so numpy, scipy and pandas are found through these
_SITE = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


# Not -I: it implies -E, which would drop PYTHONHASHSEED below and make set/dict order of strings (and so some
# programs' output) differ between runs. -s -P -S give -I's isolation of sys.path; the environment is ours.
PYTHON_FLAGS = ("-s", "-P", "-S")


def _env() -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def run_program(program: str, tests: list[Test], *, setup: str = "", limits: Limits = Limits(),
                test_times: list[float] | None = None,
                record: bool = False, fail_fast: bool = True,
                references: list[TestResult] | None = None, budget: float | None = None) -> TaskResult:
    """Run `program` then each test in one fresh sandboxed process; decide every verdict here.

    `test_times` are the reference's measured seconds per test (deadlines max(limits.min_time, limits.time_factor
    * t)); `references` its TestResults from a `record=True` run, whose assertion traces a candidate must repeat
    (loops, test-bound names). `record` returns call tests' outputs and assert tests' traces (trusted code only).
    The module's deadline is the program's whole budget, as in EvalPlus. `budget` (s) cuts the run short: the test
    under way then ends as TIMEOUT and the rest are NOT_RUN (for spreading a long trusted run over workers)."""
    level = iso.isolation_level()

    def deadline(t: float | None) -> float:
        return limits.default_test_time if t is None else max(limits.min_time, limits.time_factor * t)

    per_test = [deadline(test_times[i] if test_times else None) for i in range(len(tests))]
    shadowed = _shadowed(program, setup)
    splits = [_split(t.code, t.helpers, shadowed) if t.code is not None else None for t in tests]
    payload_tests = [{"kind": "code", "code": s.child_code} if s is not None else
                     {"kind": "call", "entry_point": t.entry_point, "args": t.args} for t, s in zip(tests, splits)]
    # the child times each test itself; the grader's deadline also covers a program that blocks SIGALRM
    parent_per_test = [2 * t + 1.0 for t in per_test]
    total = limits.max_task_time + sum(parent_per_test) if record else limits.max_task_time
    total = total if budget is None else min(total, budget)
    with _slot_cgroup(limits) as cgroup:
        cgroup.admit(limits.processes)
        r, w = os.pipe()
        rlimits = {"memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes, "cpu_seconds": int(total) + 2,
                   # as root the program's pids cgroup bounds processes; RLIMIT_NPROC counts the whole uid, every worker
                   "processes": 4 * limits.processes if cgroup.path else limits.processes}
        job = {"limits": rlimits, "program": program, "setup": setup, "tests": payload_tests, "test_limits": per_test,
               "sys_path": _SITE}
        grader = _Grader(tests, splits, references or [None] * len(tests), record)
        started = time.monotonic()
        argv = iso.command(level, [sys.executable, *PYTHON_FLAGS, "-c", CHILD_SOURCE, str(w)], limits.tmp_bytes,
                           cgroup.path)
        with tempfile.TemporaryFile(prefix="sandbox-out-") as out:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=out, env=_env(), pass_fds=(w,),
                                        cwd="/", start_new_session=True, close_fds=True)
            finally:
                os.close(w)
            writer = threading.Thread(target=_feed, args=(proc, _pack(job)), daemon=True)
            writer.start()
            try:
                result = _collect(proc, r, grader, parent_per_test, total, started, cgroup, fail_fast and not record)
            finally:
                os.close(r)
            writer.join(timeout=1)
            out.seek(max(0, out.seek(0, os.SEEK_END) - limits.output_bytes))
            result.stderr = out.read().decode("utf-8", "replace")
    result.seconds = time.monotonic() - started
    result.isolation = level
    return result


def _pack(job: dict) -> bytes:
    try:
        return b"M" + marshal.dumps(job)
    except ValueError:  # an argument of a type marshal cannot carry
        return b"P" + pickle.dumps(job)


def _feed(proc: subprocess.Popen, payload: bytes) -> None:
    try:
        proc.stdin.write(payload)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _kill(proc: subprocess.Popen, cgroup: iso.PidsCgroup) -> None:
    """The whole group, then whatever left it but not the cgroup (a PID namespace dies with its first process)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    cgroup.kill_all()


def _collect(proc, fd, grader: _Grader, per_test, total, started, cgroup, fail_fast) -> TaskResult:
    n_tests = len(grader.tests)
    buf = b""
    received = 0
    tests: list[TestResult] = []
    result = TaskResult(status=ERROR)
    hard_deadline = started + total + 1.0
    stage_deadline = hard_deadline  # the module may use the whole budget, as in EvalPlus
    stage_started = time.monotonic()
    got_ready = done = timed_out = False
    failure: TestResult | None = None  # the first failed assertion of the test under way
    while not done:
        wait = min(stage_deadline, hard_deadline) - time.monotonic()
        if wait <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break  # the child closed the channel: it exited (or was killed)
        received += len(chunk)
        buf += chunk
        if received > MAX_CHANNEL_BYTES or (b"\n" not in buf and len(buf) > MAX_EVENT_BYTES):
            failure = failure or TestResult(FAIL, "Oversized", "the program's answers exceeded the size limit")
            break
        *lines, buf = buf.split(b"\n")
        for line in lines:
            now = time.monotonic()
            try:
                event = decode(line)
                if not isinstance(event, dict):
                    raise Malformed("not an event")
                kind = event.get("ev")
                if not got_ready:
                    if kind != "ready":
                        raise Malformed("event before the module ran")
                    got_ready = True
                    result.module_seconds = now - started
                    if not event.get("ok"):
                        raised = event.get("raised") or {}
                        status = classify_exception(str(raised.get("etype")), list(raised.get("mro") or []))
                        result.module_ok = False
                        result.status = MEMORY if status == MEMORY else (TIMEOUT if status == TIMEOUT else ERROR)
                        result.etype, result.msg = str(raised.get("etype"))[:100], str(raised.get("msg"))[:300]
                        done = True
                        break
                    stage_started, stage_deadline = now, now + (per_test[0] if n_tests else 1.0)
                    continue
                i = len(tests)
                if kind == "done":
                    done = True
                    break
                if kind == "unsendable":
                    raise Malformed(str(event.get("msg"))[:200])
                if i >= n_tests or event.get("test") != i:
                    raise Malformed("an event for a test not under way")
                if kind == "assert":
                    if failure is None:
                        failure = grader.on_assert(i, event)
                    if failure is None or not fail_fast:
                        continue
                    verdict = failure
                    failure = None
                    verdict.seconds = now - stage_started
                    tests.append(verdict)
                    done = True
                    break
                if kind == "end":
                    verdict = grader.on_end(i, event)
                elif kind == "call":
                    verdict = grader.on_call(i, event)
                else:
                    raise Malformed(f"unknown event {kind!r}")
            except Malformed as exc:
                if not got_ready:
                    result.module_ok, result.status, result.etype, result.msg = False, ERROR, "Malformed", str(exc)
                    done = True
                    break
                verdict = failure or TestResult(FAIL, "Malformed", str(exc)[:300])
                failure = None
                verdict.seconds = now - stage_started
                tests.append(verdict)
                done = True
                break
            if failure is not None:
                verdict, failure = failure, None
            verdict.seconds = now - stage_started
            tests.append(verdict)
            if fail_fast and verdict.status != PASS:
                done = True
                break
            if len(tests) < n_tests:
                stage_started, stage_deadline = now, now + per_test[len(tests)]
    code = None
    if not done and not timed_out:  # the channel closed: the program is exiting, let it say how
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
    _kill(proc, cgroup)
    if code is None or code > 128:  # bwrap passes a child's death by signal on as 128 + the signal
        code = proc.returncode if code is None else -(code - 128)
    killed_here = timed_out or done
    if not result.module_ok:
        result.tests = [TestResult(NOT_RUN) for _ in range(n_tests)]
        return result
    if len(tests) < n_tests and not (tests and tests[-1].status != PASS):
        if failure is not None:
            end = failure
        elif timed_out:
            end = TestResult(TIMEOUT, "Timeout")
        elif code == -signal.SIGXCPU:
            end = TestResult(TIMEOUT, "CPU time limit")
        elif code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            end = TestResult(ERROR, f"killed by signal {-code}")
        elif code == -signal.SIGKILL and not killed_here:
            end = TestResult(MEMORY, "killed (SIGKILL)")
        else:
            end = TestResult(ERROR, "EarlyExit", f"the program exited with code {code} before its tests finished")
        if not got_ready:
            result.module_ok = False
            result.status, result.etype, result.msg = end.status, end.etype, end.msg
            result.tests = [TestResult(NOT_RUN) for _ in range(n_tests)]
            return result
        end.seconds = time.monotonic() - stage_started
        tests.append(end)
    tests += [TestResult(NOT_RUN) for _ in range(n_tests - len(tests))]
    result.tests = tests
    first_bad = next((t for t in tests if t.status != PASS), None)
    if first_bad is None:
        result.status = PASS
    else:
        result.status, result.etype, result.msg = first_bad.status, first_bad.etype, first_bad.msg
    return result


def run_many(jobs: list[dict], workers: int | None = None, progress: bool = False, desc: str = "execute") -> list[TaskResult]:
    """Run `run_program(**job)` for every job in parallel threads (one sandbox process each), in order."""
    workers = workers or os.cpu_count() or 1
    self_test(iso.isolation_level())  # refuse before starting anything
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc=desc, file=sys.stderr, leave=True, dynamic_ncols=True)
    results: list[TaskResult | None] = [None] * len(jobs)

    def one(i: int) -> None:
        results[i] = run_program(**jobs[i])
        if bar is not None:
            bar.update()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(len(jobs))))
    if bar is not None:
        bar.close()
    return results  # type: ignore[return-value]


@lru_cache
def self_test(level: str) -> None:
    """A correct program must pass once in this process's sandbox before any verdict is given: a sandbox that
    cannot start the graded process (an interpreter or package it cannot see) would otherwise fail every program."""
    res = run_program("def one():\n    return 1\n", [Test(code="assert one() == 1")])
    if not res.passed:
        raise iso.IsolationError(f"the sandbox ({level}) cannot run a correct program: {res.status} "
                                 f"{res.etype or ''} {res.msg or ''}; its stderr: {res.stderr.strip()[-500:]}")


def isolation_report() -> dict:
    return iso.report()


