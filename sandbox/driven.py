"""Tests that run in the grader, calling into the graded process only for the program's functions.

HumanEval's `check(candidate)` binds its own values to names (HumanEval/38 draws a string, encodes it with the
prompt's `encode_cyclic`, and asserts `candidate(encoded) == str`). Run in the graded process, those names and the
prompt's helpers are the program's to read or rebind (a program that walks up to its caller's frame returns
`f_locals["str"]`). Here the test code runs in the grader's own interpreter instead: its loops, its random draws,
the prompt's helper definitions and every builtin it calls are the grader's; each call of the program's function
sends only the call's arguments to the graded process and gets back only its return value, as data. A value that
cannot leave as data (an instance of a class the program defines) fails any use the test makes of it, flagged.

Not protected: the test code is trusted benchmark code, run as it is: an answer can make it compute as long as the
answer's size allows (bounded by `verdict.MAX_NODES` and `MAX_EVENT_BYTES`), and it cannot be interrupted.
"""
from __future__ import annotations

import builtins
import os
import random as _random
import secrets
import types
from functools import lru_cache
from pathlib import Path


from .verdict import Drained, Opaque, safe_repr


class Stop(BaseException):
    """Ends a driven test whatever the test code catches (a BaseException: `except Exception:` in a test must not
    swallow the grader's own reasons to stop)."""


class Expired(Stop):
    """The test's deadline passed, here or in the graded process."""


class NotData(Stop):
    """The test used a value that stayed in the graded process."""


class BadReply(Stop):
    """The graded process answered a call with something that is not a well-formed answer."""


class Foreign:
    """A value that stayed in the graded process: every use the test makes of it fails the test, flagged."""

    __slots__ = ("_what",)

    def __init__(self, what: str):
        object.__setattr__(self, "_what", what)

    def _refuse(self, *_, **__):
        raise NotData(f"{self._what} is not data: the test cannot use it")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __hash__ = __getitem__ = __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __float__ = _refuse
    __int__ = __index__ = __abs__ = __neg__ = __call__ = __getattr__ = __setattr__ = __truediv__ = _refuse
    __str__ = __format__ = __mod__ = __round__ = _refuse

    def __repr__(self) -> str:
        return f"<{self._what}>"


class Iterated:
    """What a generator or iterator the program returned yielded: iterable once, as the original was, and equal to
    no list or tuple (HumanEval's `candidate(x) == (1, 2)` fails for a generator there too)."""

    def __init__(self, items):
        self._items = iter(list(items))

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._items)

    def __repr__(self) -> str:
        return "<iterator the program returned>"


def foreign_free(x):
    """A decoded value with the program's objects (and iterators cut short) replaced by Foreign."""
    if isinstance(x, Opaque):
        return Foreign(f"{x.type_name} object")
    if isinstance(x, Drained):
        if x.cut:
            return Foreign(f"{x.type_name} cut short")
        return Iterated(foreign_free(v) for v in x)
    if type(x) is list:
        return [foreign_free(v) for v in x]
    if type(x) is tuple:
        return tuple(foreign_free(v) for v in x)
    if type(x) is dict:
        return {k: foreign_free(v) for k, v in x.items()}
    return x


_exc_classes: dict[str, type] = {}


def remote_exception(etype: str, msg: str, mro: list[str]) -> Exception:
    """What the program raised, as an exception of the grader's that `except ValueError:` in test code catches:
    a subclass of the nearest builtin Exception class in its MRO (never a BaseException that is not an Exception:
    a SystemExit must not end a grader thread)."""
    base = Exception
    for name in mro:
        if name.startswith("builtins."):
            cls = getattr(builtins, name[len("builtins."):], None)
            if isinstance(cls, type) and issubclass(cls, Exception):
                base = cls
                break
    key = f"{base.__name__}:{etype}"
    cls = _exc_classes.get(key)
    if cls is None:
        cls = type(etype if etype.isidentifier() else "ProgramError", (base,), {"__module__": "program"})
        _exc_classes[key] = cls
    try:
        exc = cls(msg)
    except Exception:  # noqa: BLE001 - a base whose constructor wants more (UnicodeDecodeError)
        exc = _exc_classes.setdefault(f"Exception:{etype}", type("ProgramError", (Exception,), {"__module__": "program"}))(msg)
    exc.remote = (etype, msg, mro)
    return exc


@lru_cache(maxsize=None)
def secret_seed() -> str:
    """The seed tests draw their inputs from (HumanEval/38's strings, /53's numbers). A program must not be able to
    replay the draws (a lookup table of /38's 100 strings passes without decoding), so it is secret: kept in the
    user's cache folder, which no graded program can see, and made once per installation, so that verdicts repeat
    from run to run here. CODEEVAL_TEST_SEED sets it (to reproduce another machine's run)."""
    if os.environ.get("CODEEVAL_TEST_SEED"):
        return os.environ["CODEEVAL_TEST_SEED"]
    # the user's cache folder (common.cache's, spelled out: the sandbox imports nothing of the project's)
    path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codelora" / "test_seed"
    try:
        return path.read_text().strip()
    except OSError:
        pass
    seed = secrets.token_hex(16)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(seed)
    except FileExistsError:
        return path.read_text().strip()
    except OSError:
        pass  # no cache folder: secret for this process only
    return seed


def _private_random(seed: int) -> types.ModuleType:
    """A `random` module of the test's own, seeded from the secret: tests that draw inputs draw the same ones for
    every candidate, whatever other grader threads draw meanwhile, and no program can know them in advance."""
    mod = types.ModuleType("random")
    rng = _random.Random(f"{secret_seed()}:{seed}")
    for name in dir(_random):
        if not name.startswith("_"):
            setattr(mod, name, getattr(_random, name))
    for name in dir(rng):
        attr = getattr(rng, name)
        if not name.startswith("_") and callable(attr):
            setattr(mod, name, attr)
    mod.Random = _SecretRandom  # HumanEval/32's random.Random(42) too
    return mod


class _SecretRandom(_random.Random):
    """random.Random whose seed (the test's own, e.g. 42) is mixed with the secret one."""

    def seed(self, a=None, version=2):
        super().seed(f"{secret_seed()}:{a!r}", version)


def namespace(seed: int) -> dict:
    """Fresh globals for one driven test: the grader's builtins, with `import random` giving a private one."""
    rand = _private_random(seed)
    real_import = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "random" and level == 0:
            return rand
        return real_import(name, globals, locals, fromlist, level)

    own = dict(vars(builtins))
    own["__import__"] = _import
    return {"__name__": "__test__", "__builtins__": own}


class Remote:
    """The program's function, as the test code sees it: a call sends the arguments and returns the answer."""

    def __init__(self, name: str, call):
        self._name, self._call = name, call

    def __call__(self, *args, **kwargs):
        return self._call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<the program's {self._name}>"


def run_driver(driver: str, prelude: str, entry_point: str, seed: int, call) -> None:
    """Run `driver` (test code) in the grader: `prelude` (the prompt's own definitions, trusted) first, then the
    program's `entry_point` bound to a Remote that sends each call through `call(name, args, kwargs)`.
    Raises what the test raises (AssertionError for a failed check)."""
    ns = namespace(seed)
    if prelude:
        exec(compile(prelude, "<prompt>", "exec"), ns)  # noqa: S102 - benchmark text, not the program's
    ns[entry_point] = Remote(entry_point, call)
    exec(compile(driver, "<test>", "exec"), ns)  # noqa: S102 - the benchmark's test code


def describe(exc: BaseException) -> str:
    return safe_repr(str(exc), 300) if str(exc) else type(exc).__name__
