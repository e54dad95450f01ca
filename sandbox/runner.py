"""Run an untrusted program against tests, one fresh sandboxed process per program, and decide the verdict here.

The graded process (`child.py`, inside the OS sandbox of `isolation.py`) receives the program, the call tests'
arguments and the test code with every assertion replaced by probes (`split.py`); it never receives an expected
value. It sends back values as typed JSON; this process compares them type-strictly (`verdict.py`). A value
that is missing, malformed or oversized fails its test. Deadlines, EvalPlus-style: each test max(1 s, 4 x the
reference's time); the module the whole program's budget (EvalPlus bounds it only by its task timeout); on expiry
the whole process group (and cgroup) is SIGKILLed.
"""
from __future__ import annotations

import ast
import builtins
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
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import isolation as iso
from .decide import (ERROR, FAIL, MEMORY, NOT_RUN, PASS, TIMEOUT, Decider, TaskResult, Test, TestResult,  # noqa: F401
                     classify_exception, raised_fields)
from .driven import BadReply, Expired, Stop
from .split import SplitTest, bound_names, imported_modules, parse_program, split_test
from .verdict import SAFE_NAMES, Malformed, decode

# run from its source (-c), not its path: the sandbox's private /tmp (and /run, /var/tmp, /dev/shm) hides any
# file below them, and the package may be installed there
CHILD_SOURCE = Path(__file__).with_name("child.py").read_text()

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


@lru_cache(maxsize=4096)
def _split(code: str, helpers: bool, shadowed: frozenset[str]) -> SplitTest:
    return split_test(code, helpers, shadowed)


@lru_cache(maxsize=4096)
def _trusted(code: str, own_names: frozenset[str]) -> list[str]:
    """The builtins test code names (open, type, next, setattr ...) that are not the task's own function: in the
    graded process they are bound to the builtins as they were before the program ran, not to what it defined."""
    tree = ast.parse(code)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted((used & _BUILTIN_NAMES) - bound_names(tree) - own_names)


_BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("__"))


@lru_cache(maxsize=256)
def _bound(source: str) -> frozenset[str]:
    try:
        return frozenset(bound_names(parse_program(source)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()


# ------------------------------------------------------------------------------------------- the runner

_idle_cgroups: queue.SimpleQueue = queue.SimpleQueue()


@contextmanager
def _slot_cgroup(limits: Limits):
    """A pids cgroup for one program at a time, handed on to the next program when this one has ended: as many exist
    as programs ever ran at once in this process, not one per thread of every run_many call."""
    try:
        cgroup = _idle_cgroups.get_nowait()
    except queue.Empty:
        cgroup = iso.ProgramCgroup(limits.processes)
    cgroup.limit_memory(limits.memory_bytes)  # all the program's processes together
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
                references: list[TestResult] | None = None, budget: float | None = None,
                files: dict[str, bytes] | None = None) -> TaskResult:
    """Run `program` then each test in one fresh sandboxed process; decide every verdict here.

    `test_times` are the reference's measured seconds per test (deadlines max(limits.min_time, limits.time_factor
    * t)); `references` its TestResults from a `record=True` run, whose assertion traces a candidate must repeat
    (loops, test-bound names). `record` returns call tests' outputs and assert tests' traces (trusted code only).
    The module's deadline is the program's whole budget, as in EvalPlus. `budget` (s) cuts the run short: the test
    under way then ends as TIMEOUT and the rest are NOT_RUN (for spreading a long trusted run over workers).
    `files` (name -> bytes): the task's own data, read-only in the program's working directory.
    Never raises for anything the program does: a failure of the grader itself ends as an error verdict."""
    level = iso.isolation_level()

    def deadline(t: float | None) -> float:
        return limits.default_test_time if t is None else max(limits.min_time, limits.time_factor * t)

    per_test = [deadline(test_times[i] if test_times else None) for i in range(len(tests))]
    # the names the benchmark's setup binds and the function a test calls by name because the task says so (mbpp/126
    # `sum`) are the program's; any other trusted name a program rebinds does not change what the test calls
    own_names = _bound(setup) | frozenset(t.entry_point for t in tests if t.entry_point)
    shadowed = frozenset(own_names & SAFE_NAMES.keys())
    splits = [_split(t.code, t.helpers, shadowed) if t.code is not None else None for t in tests]
    payload_tests = [{"kind": "code", "code": s.child_code, "trusted": _trusted(t.code, own_names)} if s is not None else
                     {"kind": "rpc"} if t.driver is not None else
                     {"kind": "call", "entry_point": t.entry_point, "args": t.args} for t, s in zip(tests, splits)]
    # the child times each test itself; the grader's deadline also covers a program that blocks SIGALRM
    parent_per_test = [2 * t + 1.0 for t in per_test]
    total = limits.max_task_time + sum(parent_per_test) if record else limits.max_task_time
    total = total if budget is None else min(total, budget)
    started = time.monotonic()
    with _slot_cgroup(limits) as cgroup:
        cgroup.admit(limits.processes)
        r, w = os.pipe()
        req_r, req_w = os.pipe()
        rlimits = {"memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes, "cpu_seconds": int(total) + 2,
                   # as root the program's pids cgroup bounds processes; RLIMIT_NPROC counts the whole uid, every worker
                   "processes": 4 * limits.processes if cgroup.path else limits.processes}
        job = {"limits": rlimits, "program": program, "setup": setup, "tests": payload_tests, "test_limits": per_test,
               "sys_path": _SITE,
               "test_modules": sorted(set().union(*(imported_modules(t.code) for t in tests if t.code)))}
        decider = Decider(tests, splits, references or [None] * len(tests), record)
        argv = iso.command(level, [sys.executable, *PYTHON_FLAGS, "-c", CHILD_SOURCE, str(w), str(req_r)],
                           limits.tmp_bytes, cgroup.paths, files=files)
        proc = None
        with tempfile.TemporaryFile(prefix="sandbox-out-") as out:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=out, env=_env(),
                                        pass_fds=(w, req_r), cwd="/", start_new_session=True, close_fds=True)
                os.close(w)
                os.close(req_r)
                w = req_r = None
                writer = threading.Thread(target=_feed, args=(proc, _pack(job)), daemon=True)
                writer.start()
                run = _Run(proc, _Channel(r), req_w, decider, parent_per_test, per_test, total, started,
                           fail_fast and not record)
                result = run.collect()
            except Exception as exc:  # noqa: BLE001 - the grader's own failure: never a pass, never lost
                result = TaskResult(status=ERROR, module_ok=False, etype="GraderError", msg=f"{type(exc).__name__}: {exc}"[:300],
                                    tests=[TestResult(NOT_RUN) for _ in tests])
            finally:
                if proc is not None:
                    _kill(proc, cgroup)
                for fd in (r, w, req_r, req_w):
                    if fd is not None:
                        os.close(fd)
            if not result.passed and result.status != MEMORY and cgroup.oom_kills() > 0:
                # the memory cgroup killed one of its processes: whatever that made the program do next
                result.status, result.etype = MEMORY, "memory cgroup (all the program's processes together)"
            if proc is not None:
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


def overrun(limit: float) -> float:
    """How long the grader lets a test take by its own clock before it is a TIMEOUT, whatever the graded process
    did to its own timer (cancelled its SIGALRM): the limit, and room for the events' trip under load."""
    return 1.2 * limit + 0.25


class _Closed(Stop):
    """The graded process closed its channel: it exited or was killed."""


class _Oversized(Stop):
    """The graded process sent more than an answer may hold."""


class _Channel:
    """The graded process's event lines, read against deadlines and bounded in size."""

    def __init__(self, fd: int):
        self.fd, self.buf, self.received, self.lines = fd, bytearray(), 0, deque()

    def next(self, deadline: float) -> dict:
        while not self.lines:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise Expired()
            if not select.select([self.fd], [], [], wait)[0]:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise _Closed()
            self.received += len(chunk)
            if self.received > MAX_CHANNEL_BYTES:
                raise _Oversized()
            self.buf += chunk
            if b"\n" not in chunk:
                if len(self.buf) > MAX_EVENT_BYTES:
                    raise _Oversized()
                continue
            *lines, rest = bytes(self.buf).split(b"\n")
            self.buf = bytearray(rest)
            if any(len(line) > MAX_EVENT_BYTES for line in lines):
                raise _Oversized()
            self.lines.extend(lines)
        event = decode(self.lines.popleft())
        if not isinstance(event, dict):
            raise Malformed("not an event")
        return event


def _send(fd: int, payload: tuple, deadline: float) -> None:
    """One request to the graded process: a length-prefixed marshal frame, written against the deadline."""
    try:
        data = marshal.dumps(payload)
    except ValueError as exc:  # an argument the test built that is not data (a value that stayed in the program)
        raise BadReply(f"cannot send the call's arguments: {exc}") from None
    data = len(data).to_bytes(4, "big") + data
    os.set_blocking(fd, False)
    while data:
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise Expired()
        if not select.select([], [fd], [], wait)[1]:
            continue
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:
            continue
        except (BrokenPipeError, OSError):
            raise _Closed() from None


class _Run:
    """Reads one program's events, test by test, and turns them into its TaskResult."""

    def __init__(self, proc, chan: _Channel, requests: int, decider: Decider, parent_per_test, per_test, total,
                 started, fail_fast):
        self.proc, self.chan, self.requests, self.decider = proc, chan, requests, decider
        self.parent_per_test, self.per_test, self.fail_fast = parent_per_test, per_test, fail_fast
        self.hard_deadline = started + total + 1.0
        self.started = started
        self.n = len(decider.tests)

    def collect(self) -> TaskResult:
        result = TaskResult(status=ERROR)
        tests: list[TestResult] = []
        got_ready = False
        failure: TestResult | None = None  # the first failed assertion of the test under way
        stage_started = time.monotonic()
        try:
            event = self.chan.next(self.hard_deadline)  # the module may use the whole budget, as in EvalPlus
            if event.get("ev") != "ready":
                raise Malformed("event before the module ran")
            got_ready = True
            result.module_seconds = time.monotonic() - self.started
            if not event.get("ok"):
                etype, msg, mro = raised_fields(event.get("raised"))
                status = classify_exception(etype, mro)
                return self._module_failed(result, MEMORY if status == MEMORY else (TIMEOUT if status == TIMEOUT else ERROR),
                                           etype, msg)
            for i in range(self.n):
                stage_started = time.monotonic()
                deadline = min(self.hard_deadline, stage_started + self.parent_per_test[i])
                failure = None
                if self.decider.tests[i].driver is not None:
                    verdict = self.decider.drive(i, self._caller(i, deadline), deadline)
                    _send(self.requests, ("next",), deadline)
                else:
                    verdict = None
                    while verdict is None:
                        event = self.chan.next(deadline)
                        kind = event.get("ev")
                        if kind == "unsendable":
                            raise Malformed(f"unsendable: {str(event.get('msg'))[:200]}")
                        if event.get("test") != i:
                            raise Malformed("an event for a test not under way")
                        if kind == "assert":
                            failure = failure or self.decider.on_assert(i, event)
                            if failure is not None and self.fail_fast:
                                verdict = failure
                        elif kind == "end":
                            verdict = failure or self.decider.on_end(i, event)
                        elif kind == "call":
                            verdict = self.decider.on_call(i, event)
                        else:
                            raise Malformed(f"unknown event {str(kind)[:40]!r}")
                verdict.seconds = time.monotonic() - stage_started
                if verdict.status == PASS and verdict.seconds > overrun(self.per_test[i]):
                    verdict = TestResult(TIMEOUT, "Timeout", f"exceeded {self.per_test[i]:.2f} s (by the grader's clock: "
                                         f"{verdict.seconds:.2f} s)", verdict.seconds)
                tests.append(verdict)
                if self.fail_fast and verdict.status != PASS:
                    break
        except Expired:
            end = failure or TestResult(TIMEOUT, "Timeout")
        except _Closed:
            end = failure or self._exit_verdict()
        except _Oversized:
            end = failure or TestResult(FAIL, "Oversized", "the program's answers exceeded the size limit")
        except (Malformed, BadReply) as exc:
            end = failure or TestResult(FAIL, "Malformed", str(exc)[:300])
        else:
            return self._finish(result, tests)
        if not got_ready:
            return self._module_failed(result, end.status if end.status != FAIL else ERROR, end.etype, end.msg)
        end.seconds = time.monotonic() - stage_started
        tests.append(end)
        return self._finish(result, tests)

    def _caller(self, i: int, deadline: float):
        def call_program(name, args, kwargs, left):
            _send(self.requests, ("call", name, tuple(args), dict(kwargs), min(left, self.per_test[i])), deadline)
            reply = self.chan.next(deadline)
            if reply.get("ev") == "unsendable":
                raise BadReply(f"unsendable: {str(reply.get('msg'))[:200]}")
            if reply.get("ev") != "reply" or reply.get("test") != i:
                raise BadReply("an answer that is not the call's")
            return reply
        return call_program

    def _exit_verdict(self) -> TestResult:
        """The channel closed before the tests finished: what the program's exit says."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code > 128:  # bwrap passes a child's death by signal on as 128 + the signal
            code = -(code - 128)
        if code == -signal.SIGXCPU:
            return TestResult(TIMEOUT, "CPU time limit")
        if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            return TestResult(ERROR, f"killed by signal {-code}")
        if code == -signal.SIGKILL:
            return TestResult(MEMORY, "killed (SIGKILL)")
        return TestResult(ERROR, "EarlyExit", f"the program exited with code {code} before its tests finished")

    def _module_failed(self, result: TaskResult, status: str, etype, msg) -> TaskResult:
        result.module_ok, result.status, result.etype, result.msg = False, status, etype, msg
        result.tests = [TestResult(NOT_RUN) for _ in range(self.n)]
        return result

    def _finish(self, result: TaskResult, tests: list[TestResult]) -> TaskResult:
        tests += [TestResult(NOT_RUN) for _ in range(self.n - len(tests))]
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


