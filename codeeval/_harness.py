"""Child side of the sandbox: run as `python -I _harness.py` in a fresh temporary directory.

Reads one pickled job from stdin (from the trusted parent), applies OS limits, guards the interpreter, runs the
untrusted program, then each test, and reports JSON lines tagged with a nonce on a private pipe. Nothing from the
program is trusted: comparisons use references captured before the program runs, tests run against a private
copy of the builtins, and equality is type-strict so that objects with a rigged __eq__ do not pass.
"""
import ast
import builtins
import copy
import io
import json
import math
import os
import pickle
import resource
import signal
import sys
import time

__builtins__ = dict(vars(builtins))  # functions below resolve builtins here, out of the program's reach
_write, _perf, _type, _len, _isinstance, _zip, _abs = os.write, time.perf_counter, type, len, isinstance, zip, abs
_dumps, _deepcopy, _pickle_dumps = json.dumps, copy.deepcopy, pickle.dumps
_PLAIN_NUM = (bool, int, float, complex)


def _report(fd, nonce, **event):
    data = (_dumps({"nonce": nonce, **event}, default=repr) + "\n").encode()
    while data:
        data = data[_write(fd, data):]


def _apply_limits(job):
    lim = job["limits"]
    mem = lim["memory_bytes"]
    for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_DATA, mem),
                       (resource.RLIMIT_CPU, lim["cpu_seconds"]), (resource.RLIMIT_FSIZE, lim["file_bytes"]),
                       (resource.RLIMIT_NPROC, lim["processes"]), (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_NOFILE, 64)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with EFBIG instead of killing us
    if job.get("cgroup"):
        try:
            with open(os.path.join(job["cgroup"], "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        except OSError:
            pass
    if job.get("isolate_network"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).unshare(0x40000000)  # CLONE_NEWNET: no interfaces, no route out
        except Exception:
            pass


def _denied(*_a, **_k):
    raise PermissionError("blocked by the codeeval sandbox")


def _guard(root):
    """Close the doors a program has no business opening (defence in depth on top of the OS limits)."""
    import _io
    import shutil
    import socket
    import _socket
    import subprocess
    import posix

    real_open = _io.open
    root = os.path.realpath(root)

    def inside(path):
        if _isinstance(path, int):
            return path > 2
        try:
            p = os.path.realpath(os.fspath(path))
        except (TypeError, ValueError):
            return False
        return p == root or p.startswith(root + os.sep)

    def guarded_open(file, mode="r", *args, **kwargs):
        if not inside(file):
            raise PermissionError(f"sandbox: {file!r} is outside the working directory")
        return real_open(file, mode, *args, **kwargs)

    real_os_open = os.open

    def guarded_os_open(path, flags, *args, **kwargs):
        if not inside(path):
            raise PermissionError(f"sandbox: {path!r} is outside the working directory")
        return real_os_open(path, flags, *args, **kwargs)

    builtins.open = io.open = guarded_open  # _io.open stays: the import system opens source files through it
    os.open = guarded_os_open
    for name in ("kill", "killpg", "fork", "forkpty", "system", "popen", "setsid", "setpgid", "execv", "execve",
                 "execl", "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp",
                 "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp", "remove",
                 "unlink", "rmdir", "removedirs", "rename", "renames", "replace", "chmod", "chown", "lchown",
                 "link", "symlink", "truncate", "chroot", "putenv", "unsetenv", "setuid", "setgid", "nice",
                 "register_at_fork", "chdir", "fchdir"):
        if hasattr(os, name):
            setattr(os, name, _denied)
    for name in dir(posix):
        if getattr(os, name, None) is _denied:
            setattr(posix, name, _denied)
    signal.pthread_kill = _denied
    subprocess.Popen = _denied
    for name in ("rmtree", "move", "chown", "copy", "copy2", "copyfile", "copytree"):
        setattr(shutil, name, _denied)
    try:
        import _posixsubprocess
        _posixsubprocess.fork_exec = _denied
    except ImportError:
        pass
    for mod in (socket, _socket):
        for name in ("socket", "socketpair", "create_connection", "create_server", "fromfd"):
            if hasattr(mod, name):
                setattr(mod, name, _denied)
    for name in ("ctypes", "_ctypes", "cffi", "_cffi_backend", "resource", "multiprocessing", "_multiprocessing",
                 "pty", "faulthandler"):
        sys.modules[name] = None  # `import ctypes` now raises ImportError
    sys.setrecursionlimit(10_000)


# ---------------------------------------------------------------- equality that a program cannot rig

def _numpy_plain(x):
    np = sys.modules.get("numpy")
    if np is not None and _isinstance(x, (np.generic, np.ndarray)):
        return x.tolist()
    return x


def same(a, b):
    """Type-strict structural equality of plain Python data (numbers compare across int/float/bool)."""
    a, b = _numpy_plain(a), _numpy_plain(b)
    ta, tb = _type(a), _type(b)
    if ta in _PLAIN_NUM or tb in _PLAIN_NUM:
        return ta in _PLAIN_NUM and tb in _PLAIN_NUM and a == b
    if ta in (str, bytes, _type(None)) or tb in (str, bytes, _type(None)):
        return ta is tb and a == b
    if ta in (list, tuple) or tb in (list, tuple):
        return ta is tb and _len(a) == _len(b) and all(same(x, y) for x, y in _zip(a, b))
    if ta in (set, frozenset) or tb in (set, frozenset):
        if ta not in (set, frozenset) or tb not in (set, frozenset) or _len(a) != _len(b):
            return False
        rest = list(b)
        for x in a:  # quadratic but type-strict; sets in tests are small
            for i, y in enumerate(rest):
                if same(x, y):
                    del rest[i]
                    break
            else:
                return False
        return True
    if _isinstance(a, dict) or _isinstance(b, dict):
        if not (_isinstance(a, dict) and _isinstance(b, dict)) or _type(a).__module__ not in ("builtins", "collections") \
                or _type(b).__module__ not in ("builtins", "collections") or _len(a) != _len(b):
            return False
        return all(k in b and same(v, b[k]) for k, v in dict.items(a))
    return ta is tb and b == a  # neither side is plain data (e.g. a class the task defines)


def _floats(x):
    return _isinstance(x, float) or (_isinstance(x, (list, tuple)) and x and all(_isinstance(i, float) for i in x))


def _close(out, exp, atol):
    """EvalPlus' float rule: same type and length, then |out - exp| <= atol + 1e-7 * |exp| element-wise."""
    if _type(out) is not _type(exp):
        return False
    outs, exps = (out, exp) if _isinstance(exp, (list, tuple)) else ([out], [exp])
    if _len(outs) != _len(exps):
        return False
    try:
        return all(_abs(o - e) <= atol + 1e-7 * _abs(e) for o, e in _zip(outs, exps))
    except TypeError:
        return False


_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
           "intersection_array", "find_dissimilar", "Diff"}
_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}


def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    x, y = str(a), str(b)
    n = max(_len(x), _len(y))
    return sum(_abs(int(p) - int(q)) for p, q in _zip(x.zfill(n), y.zfill(n)))


def check_output(entry_point, args, out, exp, atol, oracle):
    """MBPP+/HumanEval+ grading of one call, with EvalPlus' special oracles."""
    if oracle == "mbpp":
        if entry_point == "are_equivalent":
            return True
        if entry_point == "sum_div" and same(out, 0):
            return True
        if entry_point == "surface_Area":
            try:
                if same(out, exp) or _abs(out - _surface_area(*args)) <= atol:
                    return True
            except TypeError:
                return False
        if entry_point == "digit_distance_nums" and same(out, _digit_distance(*args)):
            return True
        if entry_point in _SET_EQ:
            try:
                return same(set(out), set(exp))
            except TypeError:
                return False
        if entry_point in _NOT_NONE:
            return same(out, exp) if _isinstance(out, bool) else exp == (out is not None)
    if same(out, exp):
        return True
    if atol == 0 and _floats(exp):
        atol = 1e-6
    return atol != 0 and _close(out, exp, atol)


def _safe_repr(x):
    try:
        text = repr(x)
    except BaseException:  # noqa: BLE001 - a rigged __repr__
        text = "<unprintable>"
    return text if _len(text) <= 120 else text[:117] + "..."


def off_by_one(got, expected):
    """The near misses reports call off-by-one: numbers 1 apart, or sequences one element apart."""
    num = (int, float)
    if _type(got) in num and _type(expected) in num:
        return _abs(got - expected) == 1
    if _type(got) is _type(expected) and _type(got) in (list, tuple, str):
        if _len(got) == _len(expected):
            return sum(1 for a, b in _zip(got, expected) if not same(a, b)) == 1
        return _abs(_len(got) - _len(expected)) == 1
    return False


def describe_mismatch(got, expected):
    try:
        near = " [off-by-one]" if off_by_one(got, expected) else ""
    except BaseException:  # noqa: BLE001
        near = ""
    return f"got {_safe_repr(got)}, expected {_safe_repr(expected)}{near}"


class _RewriteEq(ast.NodeTransformer):
    """`assert a == b` -> `assert __codeeval_same__(a, b), <mismatch>` (and `!=` likewise), so a rigged __eq__
    cannot pass and a failure says what came out."""

    def visit_Assert(self, node):
        t = node.test
        if _isinstance(t, ast.Compare) and _len(t.ops) == 1 and _isinstance(t.ops[0], (ast.Eq, ast.NotEq)):
            call = ast.Call(ast.Name("__codeeval_same__", ast.Load()), [t.left, t.comparators[0]], [])
            node.test = call if _isinstance(t.ops[0], ast.Eq) else ast.UnaryOp(ast.Not(), call)
            if _isinstance(t.ops[0], ast.Eq) and node.msg is None:
                node.msg = ast.Call(ast.Name("__codeeval_describe__", ast.Load()), [t.left, t.comparators[0]], [])
            ast.fix_missing_locations(node)
        return node


class _Timeout(BaseException):
    pass


class _time_limit:
    """SIGALRM after `seconds`; a program that blocks the signal is caught by the parent's deadline instead."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def fire(signum, frame):
            raise _Timeout(f"exceeded {self.seconds:.2f} s")
        signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def _classify(exc):
    if _isinstance(exc, _Timeout):
        return "timeout", "Timeout"
    if _isinstance(exc, AssertionError):
        return "fail", "AssertionError"
    if _isinstance(exc, MemoryError):
        return "memory", "MemoryError"
    return "error", _type(exc).__name__


def _restore(snapshot):
    """Undo whatever the program did to the builtins module (the harness and stdlib use it too)."""
    live = vars(builtins)
    for key in [k for k in live if k not in snapshot]:
        del live[key]
    live.update(snapshot)


def _short(exc):
    try:
        return str(exc)[:300]
    except BaseException:  # noqa: BLE001 - a rigged __str__
        return "<unprintable>"


def _program_line(exc):
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<program>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def main():
    job = pickle.loads(sys.stdin.buffer.read())
    fd = job["fd"]
    sys.stdin.close()
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    nonce = job["nonce"]
    _apply_limits(job)
    _guard(os.getcwd())
    snapshot_guarded = dict(vars(builtins))  # tests see the guarded builtins, frozen before the program runs
    program_globals = {"__name__": "__main__", "__builtins__": builtins}
    start = _perf()
    try:
        exec(compile(job["program"], "<program>", "exec"), program_globals)
        if job.get("setup"):  # MBPP's test_setup_code builds fixtures from the program's own classes
            exec(compile(job["setup"], "<setup>", "exec"), program_globals)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are program errors too
        _restore(snapshot_guarded)
        status, etype = _classify(exc)
        _report(fd, nonce, event="ready", ok=False, status="memory" if status == "memory" else "error", etype=etype,
                msg=_short(exc), t=_perf() - start)
        return
    _restore(snapshot_guarded)
    _report(fd, nonce, event="ready", ok=True, t=_perf() - start)
    record = job.get("record", False)
    for i, test in enumerate(job["tests"]):
        test_globals = dict(program_globals)
        test_globals["__builtins__"] = dict(snapshot_guarded)
        test_globals["__codeeval_same__"] = same
        test_globals["__codeeval_describe__"] = describe_mismatch
        limit = job["test_limits"][i]
        t0 = _perf()
        try:
            if test["kind"] == "assert":
                tree = _RewriteEq().visit(ast.parse(test["code"]))
                with _time_limit(limit):
                    exec(compile(tree, f"<test {i}>", "exec"), test_globals)
                result = {"status": "pass"}
            else:
                fn = program_globals.get(test["entry_point"])
                if fn is None:
                    raise NameError(f"name {test['entry_point']!r} is not defined")
                args = _deepcopy(test["args"])
                with _time_limit(limit):
                    out = fn(*args)  # as EvalPlus, only the call is timed; the comparison is not
                if record:
                    if test.get("oracle") == "mbpp" and test["entry_point"] in _NOT_NONE and not _isinstance(out, bool):
                        out = out is not None  # EvalPlus records only whether these outputs exist
                    result = {"status": "pass", "output": _pickle_dumps(out).hex()}
                elif check_output(test["entry_point"], test["args"], out, test["expected"], test.get("atol", 0.0),
                                  test.get("oracle")):
                    result = {"status": "pass"}
                else:
                    result = {"status": "fail", "etype": "WrongAnswer", "msg": describe_mismatch(out, test["expected"])}
        except BaseException as exc:  # noqa: BLE001
            _restore(snapshot_guarded)
            status, etype = _classify(exc)
            result = {"status": status, "etype": etype, "msg": _short(exc), "line": _program_line(exc)}
        _restore(snapshot_guarded)
        _report(fd, nonce, event="test", i=i, t=_perf() - t0, **result)
        if job.get("fail_fast") and result["status"] != "pass":
            break  # as EvalPlus' fast check: the first failure decides the verdict
    _report(fd, nonce, event="done")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: the program may have left threads or rigged atexit hooks
