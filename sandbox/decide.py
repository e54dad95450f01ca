"""The grader's side of one program's run: each event the graded process sends becomes part of a verdict here.

Every method is total over what a program can send: a forged, truncated, wrongly typed or oversized event ends as
a failed test with a reason (`Malformed`), never as an exception out of the grader.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .driven import BadReply, Expired, NotData, Stop, foreign_free, remote_exception, run_driver
from .split import SplitTest
from .verdict import (Drained, Evaluator, InProcess, Malformed, Opaque, ProbeRaised, check_output, describe_mismatch,
                      recorded, safe_repr, same, value)

PASS, FAIL, ERROR, TIMEOUT, MEMORY, NOT_RUN = "pass", "fail", "error", "timeout", "memory", "not_run"


@dataclass
class Test:
    """An assert statement (`code`); a call of `entry_point(*args)` compared with `expected`; or test code the
    grader runs itself (`driver`, with the prompt's trusted definitions in `prelude`), calling the program's
    `entry_point` in the graded process."""
    __test__ = False  # not a pytest class
    code: str | None = None
    entry_point: str | None = None
    args: list | None = None
    expected: object = None
    atol: float = 0.0
    oracle: str | None = None  # "mbpp" enables EvalPlus' special oracles for MBPP+
    helpers: bool = False  # raises(...) / error_message(...) are the custom suite's helpers
    driver: str | None = None
    prelude: str = ""


@dataclass
class TestResult:
    status: str
    etype: str | None = None
    msg: str | None = None
    seconds: float | None = None
    output: object = None  # a call test's recorded return value (with record=True)
    trace: list | None = None  # an assert test's probe events (with record=True): what a candidate must repeat
    in_process: bool = False  # failed because the test needed an object that is not data (not decided by it)


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


def raised_fields(r) -> tuple[str, str, list[str]]:
    """(etype, msg, mro) of a `raised` record the graded process sent; Malformed unless it has that shape."""
    if not isinstance(r, dict):
        raise Malformed("bad exception record")
    etype, msg, mro = r.get("etype"), r.get("msg"), r.get("mro")
    if not isinstance(etype, str) or not isinstance(msg, str) or not isinstance(mro, list) \
            or not all(isinstance(m, str) for m in mro):
        raise Malformed("bad exception record")
    return _clean(etype[:100]), _clean(msg[:300]), [_clean(m[:200]) for m in mro[:50]]


def _clean(text: str) -> str:
    """Text a program sent, safe to write anywhere as UTF-8 (a lone surrogate becomes its escape)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


REFERENCE_FAILED = "the reference did not pass this test here, so no answer can be judged against it"


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


class Decider:
    """Decides each test from the events the graded process sends, as they come."""

    def __init__(self, tests: list[Test], splits: list[SplitTest | None], references: list[TestResult | None],
                 record: bool):
        self.tests, self.splits, self.refs, self.record = tests, splits, references, record
        self.events: list[list] = [[] for _ in tests]

    @staticmethod
    def decode_probes(raw_probes) -> list:
        if not isinstance(raw_probes, list):
            raise Malformed("bad probes")
        out = []
        for p in raw_probes:
            if not isinstance(p, list) or not p or p[0] not in ("value", "raised", "outcome"):
                raise Malformed("bad probe")
            if p[0] == "value":
                if len(p) != 2:
                    raise Malformed("bad probe")
                out.append(["value", value(p[1])])
            elif p[0] == "raised":
                if len(p) != 4:
                    raise Malformed("bad exception")
                out.append(["raised", *raised_fields({"etype": p[1], "msg": p[2], "mro": p[3]})])
            else:
                o = p[1] if len(p) == 2 else None
                if not isinstance(o, dict) or len(o) != 1 or not ({"raised", "returned"} & o.keys()):
                    raise Malformed("bad outcome")
                if "raised" in o:
                    etype, msg, mro = raised_fields(o["raised"])
                    arg0 = value(o["raised"].get("arg0", ""))
                    out.append(["outcome", {"raised": {"etype": etype, "msg": msg, "mro": mro, "arg0": arg0}}])
                else:
                    value(o["returned"])  # must be well-formed, though a returned outcome is all the test reads
                    out.append(["outcome", {"returned": True}])
        return out

    def reference_failed(self, i: int) -> TestResult | None:
        """A test whose reference did not pass (it timed out under load, say) decides nothing: its trace and
        expected output are missing, and without them a forged end or a None would pass."""
        ref = self.refs[i]
        if ref is not None and ref.status != PASS:
            return TestResult(FAIL, "ReferenceFailed", REFERENCE_FAILED)
        return None

    def on_assert(self, i: int, event: dict) -> TestResult | None:
        """A failed assertion decides test i; None while it still holds."""
        if (failed := self.reference_failed(i)) is not None:
            return failed
        split = self.splits[i]
        aid = event.get("aid")
        if split is None or type(aid) is not int or not 0 <= aid < len(split.asserts):
            return TestResult(FAIL, "Malformed", "an assertion the test does not have")
        spec = split.asserts[aid]
        probes = self.decode_probes(event.get("probes"))
        if len(probes) != len(spec.kinds) or any((k == "o") != (p[0] == "outcome") for k, p in zip(spec.kinds, probes)
                                                 if p[0] != "raised"):
            raise Malformed("probes of the wrong number or kind")
        n = len(self.events[i])
        self.events[i].append([aid, probes])
        ref = self.refs[i].trace if self.refs[i] is not None else None
        if ref is not None:
            if n >= len(ref) or ref[n][0] != aid:
                return TestResult(FAIL, "TestFlow", f"assertion `{spec.source}` ran out of the reference's order")
            for k in spec.state:
                if not _state_equal(probes[k], ref[n][1][k]):
                    return TestResult(FAIL, "TestState", f"a name the test bound differs from the reference run ({spec.source})")
        ev = Evaluator(probes)
        try:
            ok = ev.truth(ev.eval(spec.skeleton.body))
        except ProbeRaised as exc:
            return TestResult(classify_exception(exc.etype, exc.mro), exc.etype, exc.msg)
        except InProcess as exc:
            return TestResult(FAIL, "NotData", f"`{spec.source}`: {exc}", in_process=True)
        except Malformed:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. '<' between a str and an int, as CPython would raise
            return TestResult(ERROR, type(exc).__name__, _text(exc))
        if ok:
            return None
        msg = f"assert {spec.source}"
        if spec.eq_probe is not None and probes[spec.eq_probe][0] == "value":
            try:
                right = Evaluator(probes).eval(spec.skeleton.body.args[2])
                msg = describe_mismatch(probes[spec.eq_probe][1], right)
            except Exception:  # noqa: BLE001
                pass
        return TestResult(FAIL, "AssertionError", msg)

    def on_end(self, i: int, event: dict) -> TestResult:
        if (failed := self.reference_failed(i)) is not None:
            return failed
        if "raised" in event:
            etype, msg, mro = raised_fields(event["raised"])
            return TestResult(classify_exception(etype, mro), etype, msg)
        split, ref = self.splits[i], self.refs[i]
        if split is None:
            raise Malformed("an end event for a call test")
        seen = self.events[i]
        if ref is not None and ref.trace is not None and len(seen) != len(ref.trace):
            return TestResult(FAIL, "TestIncomplete", f"{len(seen)} of the reference's {len(ref.trace)} assertions ran")
        if ref is None and {a for a, _ in seen} != set(range(len(split.asserts))):
            return TestResult(FAIL, "TestIncomplete", "not every assertion ran")
        result = TestResult(PASS)
        if self.record:
            result.trace = seen
        return result

    def on_call(self, i: int, event: dict) -> TestResult:
        test = self.tests[i]
        if test.entry_point is None or test.code is not None or test.driver is not None:
            raise Malformed("a call event for a test that makes no call")
        out = value(event.get("value"))
        if (failed := self.reference_failed(i)) is not None:
            return failed
        if self.record:
            return TestResult(PASS, output=recorded(test.entry_point, out, test.oracle))
        if check_output(test.entry_point, test.args, out, test.expected, test.atol, test.oracle):
            return TestResult(PASS)
        return TestResult(FAIL, "WrongAnswer", describe_mismatch(out, test.expected))

    def drive(self, i: int, call_program, deadline: float) -> TestResult:
        """Run test i's driver here; `call_program(name, args, kwargs, seconds)` returns a reply event."""
        test = self.tests[i]
        if (failed := self.reference_failed(i)) is not None:
            return failed

        def call(name, args, kwargs):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Expired()
            reply = call_program(name, args, kwargs, left)
            try:
                if "raised" in reply:
                    etype, msg, mro = raised_fields(reply["raised"])
                else:
                    return foreign_free(value(reply.get("value")))
            except Malformed as exc:
                raise BadReply(str(exc)) from None
            if classify_exception(etype, mro) == TIMEOUT:
                raise Expired()
            raise remote_exception(etype, msg, mro)

        try:
            run_driver(test.driver, test.prelude, test.entry_point, i, call)
        except NotData as exc:
            return TestResult(FAIL, "NotData", str(exc)[:300], in_process=True)
        except Stop:
            raise
        except AssertionError as exc:
            return TestResult(FAIL, "AssertionError", _text(exc) or "a check of the test failed")
        except Exception as exc:  # noqa: BLE001 - what the program raised, or what its answer made the test raise
            etype, msg, mro = getattr(exc, "remote", None) or (type(exc).__name__, _text(exc), [])
            return TestResult(classify_exception(etype, mro), etype, msg)
        return TestResult(PASS)


def _text(exc: BaseException) -> str:
    try:
        return _clean(str(exc)[:300])
    except Exception:  # noqa: BLE001 - a message built from a value that is not data
        return type(exc).__name__
