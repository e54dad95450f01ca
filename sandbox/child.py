"""The graded process: `python -s -P -S -c <this source> FD REQUESTS`, started by runner.py inside the OS sandbox.

Reads one marshalled (or pickled) job from stdin (the grader's, so loading it here is safe), runs the untrusted
program, then each test, and writes what came out as typed JSON lines on FD (format in verdict.py). A test the
grader runs itself ("rpc", driven.py) sends the calls of the program's function on REQUESTS, one marshalled
("call", name, args, kwargs, seconds) each, and this process answers each with its return value. It imports only
C modules before the program runs (no json, re, enum: 20 ms less per program), and the modules test code names.
Everything in this process is the program's to read and rewrite, this file included: its functions, the events it
sends, the fd they go to. It decides nothing, and the benchmarks' expected values never come here, so the worst a
program can do to a test that compares what it returned is send a value it could have returned honestly. Test code
that computes something here after calling the program (a name the test bound, "is the argument unchanged", how far
an iterator the test made was read) is another matter: a program written against this harness can rewrite that
value before it is sent. The audit hook and the module reset below stop a program that changes such state without
aiming at this file (a trace function, a patched itertools), not one that does.
"""
import _signal as signal
import builtins
import marshal
import os
import sys
import time
from _json import encode_basestring_ascii as _quote

_BUILTIN_TYPES = (bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict, type(None))
MAX_ITEMS = 10_000  # drained from an iterator the program returns
MAX_DEPTH = 150


class Timeout(BaseException):
    pass


def _name(t) -> str:
    return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', '?')}"


def encode(x, depth=0):
    t = type(x)
    if depth > MAX_DEPTH:
        return {"o": "<nested too deeply>"}
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return {"i": hex(x)}
    if t is float:
        return {"f": x.hex()}
    if t is complex:
        return {"c": [x.real.hex(), x.imag.hex()]}
    if t is bytes:
        return {"b": x.hex()}
    if t is list:
        return {"l": [encode(v, depth + 1) for v in x]}
    if t is tuple:
        return {"t": [encode(v, depth + 1) for v in x]}
    if t is set:
        return {"s": [encode(v, depth + 1) for v in x]}
    if t is frozenset:
        return {"fs": [encode(v, depth + 1) for v in x]}
    if t is dict or (isinstance(x, dict) and t.__module__ == "collections"):
        return {"d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in dict.items(x)]}
    if t.__module__ == "numpy" and hasattr(x, "tolist"):
        return encode(x.tolist(), depth)
    if isinstance(x, type):
        return {"o": _name(x), "truth": True}
    if hasattr(t, "__next__") and hasattr(t, "__iter__") and t not in _BUILTIN_TYPES:
        items, cut = [], False
        for v in x:
            if len(items) == MAX_ITEMS:
                cut = True
                break
            items.append(encode(v, depth + 1))
        return {"it": items, "type": t.__qualname__, "cut": cut}
    try:
        truth = bool(x)
    except BaseException:  # noqa: BLE001 - a rigged __bool__
        truth = None
    return {"o": t.__qualname__, "truth": truth}


def _text(exc) -> str:
    try:
        return str(exc)[:300]
    except BaseException:  # noqa: BLE001 - a rigged __str__
        return "<unprintable>"


def _raised(exc) -> dict:
    return {"etype": type(exc).__name__, "msg": _text(exc), "mro": [_name(c) for c in type(exc).__mro__]}


def _json(x) -> str:
    """JSON text of the events this file builds (dicts with str keys, lists, str, int, float, bool, None)."""
    t = type(x)
    if x is None:
        return "null"
    if t is bool:
        return "true" if x else "false"
    if t is int:
        return str(x)
    if t is float:
        return repr(x) if x == x and x not in (float("inf"), float("-inf")) else "null"
    if t is str:
        return _quote(x)
    if t is list or t is tuple:
        return "[" + ",".join(_json(v) for v in x) + "]"
    if t is dict:
        return "{" + ",".join(_quote(str(k)) + ":" + _json(v) for k, v in x.items()) + "}"
    raise TypeError(f"cannot send {t.__name__}")


class Reporter:
    def __init__(self, fd):
        self.fd, self.test = fd, None

    def send(self, **event):
        try:
            data = (_json(event) + "\n").encode("utf-8", "surrogatepass")
        except (ValueError, TypeError, RecursionError) as exc:
            data = (_json({"ev": "unsendable", "test": self.test, "msg": _text(exc)}) + "\n").encode()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # a time limit must not cut a line in two
        try:
            while data:
                data = data[os.write(self.fd, data):]
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


class time_limit:
    """SIGALRM after `seconds`; a program that blocks it is stopped by the grader's own deadline instead."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def fire(signum, frame):
            raise Timeout(f"exceeded {self.seconds:.2f} s")
        signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def make_probe(reporter):
    raw = []

    def raw_value(k):  # `__raw__`: a value an earlier probe of the same assertion computed
        return raw[k]

    def probe(aid, thunks, kinds):
        results = []
        raw.clear()
        for thunk, kind in zip(thunks, kinds):
            try:
                if kind == "o":
                    fn, args, kwargs = thunk()
                    try:
                        out = fn(*args, **kwargs)
                        outcome = {"returned": encode(out)}
                    except Timeout:
                        raise
                    except BaseException as exc:  # noqa: BLE001 - what the program raised is the answer
                        outcome = {"raised": {**_raised(exc), "arg0": encode(exc.args[0]) if exc.args else ""}}
                    results.append(["outcome", outcome])
                    raw.append(None)
                else:
                    v = thunk()
                    results.append(["value", encode(v)])
                    raw.append(v)
            except Timeout:
                raise
            except BaseException as exc:  # noqa: BLE001
                results.append(["raised", *_raised(exc).values()])
                raw.append(None)
        reporter.send(ev="assert", test=reporter.test, aid=aid, probes=results)
    probe.raw_value = raw_value
    return probe


def _read_exact(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_calls(fd, program_globals, reporter):
    """A test the grader runs itself (HumanEval's check): answer each call it sends until it says "next"."""
    while True:
        head = _read_exact(fd, 4)
        if head is None:
            return
        request = marshal.loads(_read_exact(fd, int.from_bytes(head, "big")) or b"N")
        if not request or request[0] != "call":
            return
        _, name, args, kwargs, seconds = request
        t0 = time.perf_counter()
        try:
            with time_limit(seconds):
                fn = program_globals.get(name)
                if fn is None:
                    raise NameError(f"name {name!r} is not defined")
                event = {"value": encode(fn(*args, **kwargs))}
        except BaseException as exc:  # noqa: BLE001 - a Timeout too: the grader decides what it means
            event = {"raised": _raised(exc)}
        reporter.send(ev="reply", test=reporter.test, t=time.perf_counter() - t0, **event)


def apply_limits(limits):
    """Before any of the program runs: hard limits it cannot raise again."""
    import resource

    for res, value in ((resource.RLIMIT_AS, limits["memory_bytes"]), (resource.RLIMIT_CPU, limits["cpu_seconds"]),
                       (resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_NPROC, limits["processes"])):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with EFBIG instead of killing


# What would let a program reach into the test code's running frames or objects and change them: a trace or profile
# function (in 3.11 and 3.12 its frame.f_locals edits are written back into the test's locals: a lambda's `a`
# rebound to an untouched copy after the program sorted `a` in place), other threads' frames, the garbage
# collector's object lists. Refused with RuntimeError; frame.f_back and f_locals reads cannot be (isolation.py).
DENIED_EVENTS = frozenset({"sys.settrace", "sys.setprofile", "sys._current_frames", "sys._current_exceptions",
                           "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                           "sys.monitoring.register_callback"})


def _deny_introspection(event, args):
    if event in DENIED_EVENTS:
        raise RuntimeError(f"{event} is not available to a graded program")


def _snapshot(names) -> dict:
    """The modules test code imports, imported now, before the program: each with its names as they are."""
    out = {}
    for name in names:
        try:
            __import__(name)
            out[name] = (sys.modules[name], dict(vars(sys.modules[name])))
        except BaseException:  # noqa: BLE001 - a module missing here: the test's own import fails as it would
            pass
    return out


def _restore(modules: dict) -> None:
    """Each such module back in sys.modules, with its names bound as before the program ran."""
    for name, (module, saved) in modules.items():
        sys.modules[name] = module
        names = vars(module)
        for key in [k for k in names if k not in saved]:
            del names[key]
        names.update(saved)


def main():
    fd, requests = int(sys.argv[1]), int(sys.argv[2])
    raw = sys.stdin.buffer.read()
    if raw[:1] == b"M":
        job = marshal.loads(raw[1:])
    else:  # arguments marshal cannot carry (objects of the caller's own classes)
        import pickle

        job = pickle.loads(raw[1:])
    sys.stdin.close()
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    apply_limits(job["limits"])
    sys.path.extend(p for p in job["sys_path"] if p not in sys.path)
    reporter = Reporter(fd)
    program_globals = {"__name__": "__main__", "__builtins__": builtins}
    pristine = tuple(vars(builtins).items())  # before the program runs: what test code's builtins are (a tuple)
    modules = _snapshot(job.get("test_modules", ()))
    sys.addaudithook(_deny_introspection)  # not removable, though a program aimed at this file can empty its list
    start = time.perf_counter()
    try:
        exec(compile(job["program"], "<program>", "exec"), program_globals)
        if job["setup"]:  # MBPP's test_setup_code builds fixtures from the program's own classes
            exec(compile(job["setup"], "<setup>", "exec"), program_globals)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are program errors too
        reporter.send(ev="ready", ok=False, raised=_raised(exc), t=time.perf_counter() - start)
        return
    reporter.send(ev="ready", ok=True, t=time.perf_counter() - start)
    probe = make_probe(reporter)
    for i, test in enumerate(job["tests"]):
        reporter.test = i
        _restore(modules)
        if "random" in sys.modules or (test["kind"] == "code" and "random" in test["code"]):
            import random

            random.seed(i)  # tests that draw random inputs (HumanEval/53) draw the same ones as the reference run
        t0 = time.perf_counter()
        if test["kind"] == "rpc":
            serve_calls(requests, program_globals, reporter)
            continue
        try:
            with time_limit(job["test_limits"][i]):
                if test["kind"] == "code":
                    scope = dict(program_globals)
                    own = dict(pristine)
                    scope["__builtins__"] = own
                    for name in test["trusted"]:  # open, type, next ...: the test's, whatever the program bound
                        scope[name] = own[name]
                    scope["__probe__"] = probe
                    scope["__raw__"] = probe.raw_value
                    exec(compile(test["code"], f"<test {i}>", "exec"), scope)
                    event = {"ev": "end"}
                else:
                    fn = program_globals.get(test["entry_point"])
                    if fn is None:
                        raise NameError(f"name {test['entry_point']!r} is not defined")
                    event = {"ev": "call", "value": encode(fn(*test["args"]))}  # as EvalPlus, only the call is timed
        except BaseException as exc:  # noqa: BLE001
            event = {"ev": "end", "raised": _raised(exc)}
        reporter.send(test=i, t=time.perf_counter() - t0, **event)
    reporter.send(ev="done")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: the program may have left threads or atexit hooks
