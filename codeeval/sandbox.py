"""Run untrusted Python programs against tests, one fresh process per program.

Isolation, all in this module and `_harness.py`:
- a new process session (process group) in a fresh temporary directory, removed afterwards; stdin closed;
  a clean environment (no host variables), PYTHONHASHSEED fixed so verdicts are deterministic;
- limits: address space (default 4 GiB), CPU seconds, file size, open files, processes (RLIMIT_NPROC, and as
  root, where RLIMIT_NPROC does not bind, a `pids` cgroup that also catches processes that leave the group);
- wall-clock deadlines per test and for the module itself, EvalPlus-style: max(floor, factor x the reference's
  time); on expiry the whole process group (and cgroup) is SIGKILLed;
- network: a new network namespace with no interfaces when the sandbox has the privilege, and sockets disabled
  in-process always;
- in-process guards: no kill/fork/exec/subprocess/ctypes, no file access outside the working directory;
- stdout/stderr go to size-capped files; results come back on a private pipe as JSON lines tagged with a
  random nonce, so printing fake results does nothing.
"""
from __future__ import annotations

import atexit
import json
import os
import pickle
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HARNESS = Path(__file__).with_name("_harness.py")

PASS, FAIL, ERROR, TIMEOUT, MEMORY, NOT_RUN = "pass", "fail", "error", "timeout", "memory", "not_run"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 << 30
    file_bytes: int = 16 << 20
    processes: int = 64
    min_time: float = 1.0  # per-test floor (s), as EvalPlus
    time_factor: float = 4.0  # x the reference's time, as EvalPlus
    default_test_time: float = 3.0  # per-test limit when no reference time is known
    max_task_time: float = 60.0  # the whole program, all tests together
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

    def payload(self) -> dict:
        if self.code is not None:
            return {"kind": "assert", "code": self.code}
        return {"kind": "call", "entry_point": self.entry_point, "args": self.args, "expected": self.expected,
                "atol": self.atol, "oracle": self.oracle}


@dataclass
class TestResult:
    status: str
    etype: str | None = None
    msg: str | None = None
    seconds: float | None = None
    output: object = None  # recorded return value (reference runs only)


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

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def to_dict(self) -> dict:
        return {"status": self.status, "passed": self.passed, "module_ok": self.module_ok, "etype": self.etype,
                "msg": self.msg, "stderr": self.stderr[-500:], "module_seconds": self.module_seconds,
                "tests": [{"status": t.status, "etype": t.etype, "seconds": t.seconds} for t in self.tests]}


# ------------------------------------------------------------------------------------------- process limits

class _PidsCgroup:
    """A cgroup-v1/v2 `pids` group per worker slot, used when running as root (RLIMIT_NPROC does not bind root)."""

    _roots = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")

    def __init__(self, max_pids: int):
        self.path = None
        if os.geteuid() != 0:
            return
        for root in self._roots:
            if not os.path.isfile(os.path.join(root, "cgroup.procs")) or not os.access(root, os.W_OK):
                continue
            path = os.path.join(root, f"codeeval-{os.getpid()}-{secrets.token_hex(4)}")
            try:
                os.mkdir(path)
                with open(os.path.join(path, "pids.max"), "w") as fh:
                    fh.write(str(max_pids))
            except OSError:
                try:
                    os.rmdir(path)  # a cgroup folder is removed with rmdir, its control files go with it
                except OSError:
                    pass
                continue
            self.path = path
            atexit.register(self.remove)
            return

    def kill_all(self) -> None:
        if not self.path:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in open(os.path.join(self.path, "cgroup.procs")).read().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        if self.path:
            self.kill_all()
            try:
                os.rmdir(self.path)
            except OSError:
                pass
            self.path = None


def _can_isolate_network() -> bool:
    return os.geteuid() == 0 and sys.platform.startswith("linux")


def isolation_report() -> dict:
    """What this machine's sandbox can enforce (printed by the benchmark and stored with results)."""
    cg = _PidsCgroup(8)
    out = {"process_limit": "pids cgroup" if cg.path else ("RLIMIT_NPROC" if os.geteuid() != 0 else "none (root without cgroup)"),
           "network": "network namespace + in-process" if _can_isolate_network() else "in-process only",
           "memory": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "files": "RLIMIT_FSIZE + working-directory guard"}
    cg.remove()
    return out


# -------------------------------------------------------------------------------------------- the runner

_slots = threading.local()


def _slot_cgroup(limits: Limits) -> _PidsCgroup:
    if getattr(_slots, "cgroup", None) is None:
        _slots.cgroup = _PidsCgroup(limits.processes)
    return _slots.cgroup


def _kill_group(proc: subprocess.Popen, cgroup: _PidsCgroup) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    cgroup.kill_all()


def _env(tmp: str) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_program(program: str, tests: list[Test], *, setup: str = "", limits: Limits = Limits(),
                test_times: list[float] | None = None, module_time: float | None = None,
                record: bool = False, fail_fast: bool = True) -> TaskResult:
    """Run `program` then each test in one fresh sandboxed process.

    `test_times` / `module_time` are the reference's measured seconds; the deadlines are
    max(limits.min_time, limits.time_factor * t). `record` returns the outputs of call tests (trusted code only).
    """
    def deadline(t: float | None) -> float:
        return limits.default_test_time if t is None else max(limits.min_time, limits.time_factor * t)

    per_test = [deadline(test_times[i] if test_times else None) for i in range(len(tests))]
    module_deadline = deadline(module_time) + 1.0  # interpreter start-up is not the program's fault
    # the harness times each call itself; the parent's per-test deadline also covers comparing the output
    # and catches a program that blocks SIGALRM
    parent_per_test = [2 * t + 1.0 for t in per_test]
    total = min(limits.max_task_time, module_deadline + sum(parent_per_test))
    cgroup = _slot_cgroup(limits)
    nonce = secrets.token_hex(16)
    job = {"nonce": nonce, "program": program, "setup": setup, "tests": [t.payload() for t in tests],
           "record": record, "fail_fast": fail_fast and not record, "test_limits": per_test, "cgroup": cgroup.path, "isolate_network": _can_isolate_network(),
           "limits": {"memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes,
                      "processes": limits.processes, "cpu_seconds": int(total) + 2}}
    tmp = tempfile.mkdtemp(prefix="codeeval-")
    started = time.monotonic()
    result = TaskResult(status=ERROR)
    r, w = os.pipe()
    job["fd"] = w
    payload = pickle.dumps(job)
    try:
        with open(os.path.join(tmp, ".stdout"), "wb") as out:
            proc = subprocess.Popen([sys.executable, "-I", str(HARNESS)], stdin=subprocess.PIPE, stdout=out,
                                    stderr=out, cwd=tmp, env=_env(tmp), pass_fds=(w,), start_new_session=True,
                                    close_fds=True)
        os.close(w)
        w = -1
        writer = threading.Thread(target=_feed, args=(proc, payload), daemon=True)
        writer.start()
        result = _collect(proc, r, nonce, len(tests), module_deadline, parent_per_test, total, started, cgroup, record)
        writer.join(timeout=1)
        try:
            with open(os.path.join(tmp, ".stdout"), "rb") as fh:
                fh.seek(max(0, os.path.getsize(fh.name) - limits.output_bytes))
                result.stderr = fh.read().decode("utf-8", "replace")
        except OSError:
            pass
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def _feed(proc: subprocess.Popen, payload: bytes) -> None:
    try:
        proc.stdin.write(payload)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _collect(proc, fd, nonce, n_tests, module_deadline, per_test, total, started, cgroup, record) -> TaskResult:
    buf = b""
    tests: list[TestResult] = []
    result = TaskResult(status=ERROR)
    stage_deadline = time.monotonic() + module_deadline
    hard_deadline = started + total + 1.0
    got_ready = done = False
    timed_out = False
    while not done:
        now = time.monotonic()
        wait = min(stage_deadline, hard_deadline) - now
        if wait <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break  # the child closed the channel: it exited (or was killed)
        buf += chunk
        if len(buf) > (64 << 20):
            break  # a flood on the result channel is not a result
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or event.get("nonce") != nonce:
                continue  # forged or garbled
            kind = event.get("event")
            if kind == "ready" and not got_ready:
                got_ready = True
                result.module_seconds = event.get("t")
                if not event.get("ok"):
                    result.module_ok = False
                    result.status, result.etype, result.msg = event.get("status", ERROR), event.get("etype"), event.get("msg")
                    done = True
                    break
            elif kind == "test" and got_ready and event.get("i") == len(tests):
                output = None
                if record and "output" in event:
                    output = pickle.loads(bytes.fromhex(event["output"]))  # reference runs are trusted code
                tests.append(TestResult(event.get("status", ERROR), event.get("etype"), event.get("msg"),
                                        event.get("t"), output))
            elif kind == "done" and got_ready and (len(tests) == n_tests or (tests and tests[-1].status != PASS)):
                tests += [TestResult(NOT_RUN) for _ in range(n_tests - len(tests))]
                done = True
                break
            if got_ready and len(tests) < n_tests:
                stage_deadline = time.monotonic() + per_test[len(tests)]
    _kill_group(proc, cgroup)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not result.module_ok:
        result.tests = [TestResult(NOT_RUN) for _ in range(n_tests)]
        return result
    code = proc.returncode
    if not done:
        if timed_out:
            failure = TestResult(TIMEOUT, "Timeout")
        elif code == -signal.SIGXCPU:
            failure = TestResult(TIMEOUT, "CPU time limit")
        elif code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            failure = TestResult(ERROR, f"killed by signal {-code}")
        elif code == -signal.SIGKILL:
            failure = TestResult(MEMORY, "killed (SIGKILL)")
        else:
            failure = TestResult(ERROR, "EarlyExit", f"the program exited with code {code} before its tests finished")
        if not got_ready:
            result.module_ok = False
            result.status, result.etype, result.msg = failure.status, failure.etype, failure.msg
            result.tests = [TestResult(NOT_RUN) for _ in range(n_tests)]
            return result
        tests.append(failure)
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
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc=desc, file=sys.stderr, leave=False)
    else:
        bar = None
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
