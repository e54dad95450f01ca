"""The trusted side of grading: values the graded process sent back are decoded here, as data, and every
comparison that decides a verdict runs here, in the grader's own interpreter, out of the program's reach.

The wire format (written by `child.py`) is JSON with typed wrappers, so that no value is ever unpickled or
evaluated: null/true/false/strings as themselves; {"i": hex} int; {"f": float.hex} float; {"c": [re, im]};
{"b": hex} bytes; {"l": [...]} list; {"t": [...]} tuple; {"s": [...]} set; {"fs": [...]} frozenset;
{"d": [[k, v], ...]} dict; {"it": [...], "type": name, "cut": bool} an iterator the child drained;
{"o": name, "truth": bool} any other object (not data: it stays in the graded process).
"""
from __future__ import annotations

import ast
import builtins
import json
import math
import operator
import reprlib
from collections import Counter
from dataclasses import dataclass

MAX_DEPTH = 200
_PLAIN_NUM = (bool, int, float, complex)


class Malformed(ValueError):
    """An answer from the graded process that is not well-formed data: a failure of the test, never a pass."""


@dataclass(frozen=True)
class Opaque:
    """An object that cannot leave the graded process as data (an instance of a class the program defines)."""
    type_name: str
    truth: bool | None = None

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class Drained(tuple):
    """The items of an iterator or generator the graded process returned, drained there (up to a cap)."""
    type_name = "iterator"
    cut = False

    def __repr__(self) -> str:
        return f"<{self.type_name} yielding {list(self)!r}{' …' if self.cut else ''}>"


MAX_NODES = 500_000  # typed values in one event: bounds the grader's memory per answer (see MAX_EVENT_BYTES)
MAX_INT_BITS = 1 << 22  # an int the program sends (4 Mbit, 1.26 M decimal digits)
MAX_BUCKET = 64  # items of one set or dict that may share a hash: more is hash flooding, not an answer


def decode(text: str | bytes):
    """One event line -> JSON; Malformed for anything that is not JSON or holds more than MAX_NODES values."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if text.count(b"{") + text.count(b"[") > 2 * MAX_NODES:
        raise Malformed(f"more than {MAX_NODES} values in one answer")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise Malformed(f"not JSON: {str(exc)[:100]}") from None
    return raw


def value(raw, depth: int = 0):
    """A typed-JSON node -> the Python value it stands for; Malformed for anything else. Total: whatever the
    graded process sent, this returns a value or raises Malformed, never anything else."""
    try:
        return _value(raw, depth)
    except Malformed:
        raise
    except (RecursionError, MemoryError) as exc:
        raise Malformed(f"value too large or deep: {type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 - a forged node of a shape no branch expects
        raise Malformed(f"bad value: {type(exc).__name__}: {str(exc)[:80]}") from None


def _hex_int(text) -> int:
    if not isinstance(text, str) or len(text) > MAX_INT_BITS // 4 + 4:
        raise Malformed("an int too large to decode")
    return int(text, 16)


def _unflooded(items: list, what: str) -> list:
    """Refuse distinct items whose hashes collide (hash flooding: building a set of them, as the program's own set
    or as a test's `set(answer)` in the grader, would take quadratic time). Equal items may repeat: they are told
    apart by repr, a str, whose hash is seeded and cannot be flooded. Unhashable items cannot be set members."""
    if len(items) <= MAX_BUCKET:
        return items
    keyed = [(h, x) for x in items if (h := _hash(x)) is not None]
    crowded = {h for h, n in Counter(h for h, _ in keyed).items() if n > MAX_BUCKET}
    if crowded:
        distinct = Counter(h for h, _ in {(h, repr(x)) for h, x in keyed if h in crowded})
        if max(distinct.values()) > MAX_BUCKET:
            raise Malformed(f"a {what} whose items share hashes (hash flooding)")
    return items


def _hash(x) -> int | None:
    """hash(x), None where x is unhashable."""
    try:
        return hash(x)
    except TypeError:
        return None


def _value(raw, depth: int):
    if depth > MAX_DEPTH:
        raise Malformed("nested too deeply")
    if raw is None or isinstance(raw, (bool, str)):
        return raw
    if not isinstance(raw, dict) or len(raw) < 1:
        raise Malformed(f"not a typed value: {_short(raw)}")
    if "i" in raw:
        return _hex_int(raw["i"])
    if "f" in raw:
        return float.fromhex(raw["f"])
    if "c" in raw:
        return complex(float.fromhex(raw["c"][0]), float.fromhex(raw["c"][1]))
    if "b" in raw:
        return bytes.fromhex(raw["b"])
    if "l" in raw:
        return _unflooded([_value(x, depth + 1) for x in _items(raw["l"])], "list")
    if "t" in raw:
        return tuple(_unflooded([_value(x, depth + 1) for x in _items(raw["t"])], "tuple"))
    if "s" in raw:
        return set(_unflooded([_value(x, depth + 1) for x in _items(raw["s"])], "set"))
    if "fs" in raw:
        return frozenset(_unflooded([_value(x, depth + 1) for x in _items(raw["fs"])], "frozenset"))
    if "d" in raw:
        pairs = [(_value(_pair(kv)[0], depth + 1), _value(_pair(kv)[1], depth + 1)) for kv in _items(raw["d"])]
        _unflooded([k for k, _ in pairs], "dict")
        return dict(pairs)
    if "it" in raw:
        d = Drained(_value(x, depth + 1) for x in _items(raw["it"]))
        d.type_name, d.cut = str(raw.get("type", "iterator"))[:100], bool(raw.get("cut"))
        return d
    if "o" in raw:
        truth = raw.get("truth")
        return Opaque(str(raw["o"])[:100], truth if isinstance(truth, bool) else None)
    raise Malformed(f"unknown type tag in {_short(raw)}")


def _short(x) -> str:
    try:
        return safe_repr(x, 80)
    except Exception:  # noqa: BLE001
        return "<value>"


def _pair(kv) -> list:
    if not isinstance(kv, list) or len(kv) != 2:
        raise Malformed("a dict item must be a [key, value] pair")
    return kv


def _items(x) -> list:
    if not isinstance(x, list):
        raise Malformed("a container's items must be a list")
    return x


def is_data(x) -> bool:
    return not isinstance(x, (Opaque, Drained)) or (isinstance(x, Drained) and not x.cut)


# ------------------------------------------------------------------------------------- type-strict equality

def same(a, b) -> bool:
    """Type-strict structural equality of data (numbers compare across int/float/bool); objects that are not
    data are never equal to anything here."""
    ta, tb = type(a), type(b)
    if ta in _PLAIN_NUM or tb in _PLAIN_NUM:
        return ta in _PLAIN_NUM and tb in _PLAIN_NUM and a == b
    if ta in (str, bytes, type(None)) or tb in (str, bytes, type(None)):
        return ta is tb and a == b
    if ta in (list, tuple) or tb in (list, tuple):
        return ta is tb and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if ta in (set, frozenset) or tb in (set, frozenset):
        if ta not in (set, frozenset) or tb not in (set, frozenset) or len(a) != len(b):
            return False
        return {_strict_key(x) for x in a} == {_strict_key(y) for y in b}
    if ta is dict or tb is dict:
        return ta is tb and len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if ta is type or tb is type:  # type(f(x)) == int
        return a is b
    return False


def _strict_key(x):
    """A hashable key under which two items of sets are equal exactly when `same` says so (linear set equality)."""
    t = type(x)
    if t in _PLAIN_NUM:
        return ("num", x)
    if t in (str, bytes, type(None)):
        return (t.__name__, x)
    if t is tuple:
        return ("tuple", tuple(_strict_key(v) for v in x))
    if t is frozenset:
        return ("frozenset", frozenset(_strict_key(v) for v in x))
    return ("object", id(x))  # not data: equal to nothing else


def _floats(x) -> bool:
    return isinstance(x, float) or (isinstance(x, (list, tuple)) and bool(x) and all(isinstance(i, float) for i in x))


def _close(out, exp, atol: float) -> bool:
    """EvalPlus' float rule: same type and length, then |out - exp| <= atol + 1e-7 * |exp| element-wise."""
    if type(out) is not type(exp):
        return False
    outs, exps = (out, exp) if isinstance(exp, (list, tuple)) else ([out], [exp])
    if len(outs) != len(exps):
        return False
    try:
        return all(abs(o - e) <= atol + 1e-7 * abs(e) for o, e in zip(outs, exps))
    except (TypeError, ArithmeticError, ValueError):  # 10**400 against a float overflows
        return False


_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
           "intersection_array", "find_dissimilar", "Diff"}
_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}


# EvalPlus' oracles that accept answers other than the reference's output, kept to stay faithful to MBPP+ and
# flagged in every verdict (`lenient_oracle`): a program can pass these without solving the task.
LENIENT_ORACLES = {"are_equivalent": "any answer passes (Mbpp/164)", "sum_div": "0 passes for any input (Mbpp/295)",
                   **{n: "any non-None answer passes where True is expected, None where False is" for n in _NOT_NONE}}


def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    x, y = str(a), str(b)
    n = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(n), y.zfill(n)))


def recorded(entry_point: str, out, oracle: str | None):
    """What a reference run records as the expected output (EvalPlus records only whether some outputs exist)."""
    if oracle == "mbpp" and entry_point in _NOT_NONE and not isinstance(out, bool):
        return out is not None
    return out


def check_output(entry_point: str, args, out, exp, atol: float, oracle: str | None) -> bool:
    """MBPP+/HumanEval+ grading of one call, with EvalPlus' special oracles. Total: an answer no rule can compare
    (a huge int against a float, a set of unhashable things) is wrong, never an exception."""
    try:
        return _check_output(entry_point, args, out, exp, atol, oracle)
    except (TypeError, ValueError, ArithmeticError, RecursionError, MemoryError):
        return False


def _check_output(entry_point: str, args, out, exp, atol: float, oracle: str | None) -> bool:
    """MBPP+/HumanEval+ grading of one call, with EvalPlus' special oracles."""
    if oracle == "mbpp":
        if entry_point == "are_equivalent":
            return True
        if entry_point == "sum_div" and same(out, 0):
            return True
        if entry_point == "surface_Area":
            try:
                if same(out, exp) or abs(out - _surface_area(*args)) <= atol:
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
            return same(out, exp) if isinstance(out, bool) else exp == (out is not None)
    if same(out, exp):
        return True
    if atol == 0 and _floats(exp):
        atol = 1e-6
    return atol != 0 and _close(out, exp, atol)


class _Repr(reprlib.Repr):
    """reprlib with ints of any size (repr of an int over 4,300 digits raises) and a bound on everything."""

    def repr_int(self, x, level):
        if x.bit_length() > 4000:
            return f"<int of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_REPR = _Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset, _REPR.maxdict = 4, 12, 12, 12, 8
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 100, 100, 60


def safe_repr(x, width: int = 120) -> str:
    """A bounded repr of a decoded value that never raises."""
    try:
        text = _REPR.repr(x)
    except Exception:  # noqa: BLE001
        text = f"<{type(x).__name__}>"
    return text if len(text) <= width else text[:width - 3] + "..."


def off_by_one(got, expected) -> bool:
    """The near misses reports call off-by-one: numbers 1 apart, or sequences one element apart."""
    num = (int, float)
    try:
        if type(got) in num and type(expected) in num:
            return abs(got - expected) == 1
        if type(got) is type(expected) and type(got) in (list, tuple, str):
            if len(got) == len(expected):
                return sum(1 for a, b in zip(got, expected) if not same(a, b)) == 1
            return abs(len(got) - len(expected)) == 1
    except (TypeError, ArithmeticError, ValueError, RecursionError):
        pass
    return False


def describe_mismatch(got, expected) -> str:
    near = " [off-by-one]" if off_by_one(got, expected) else ""
    return f"got {safe_repr(got)}, expected {safe_repr(expected)}{near}"


# ------------------------------------------------------------------ evaluating an assertion's trusted part

class ProbeRaised(Exception):
    """A value the assertion needs raised in the graded process; carries that exception's name and text."""

    def __init__(self, etype: str, msg: str, mro: list[str]):
        super().__init__(msg)
        self.etype, self.msg, self.mro = etype, msg, mro


class InProcess(Exception):
    """The assertion needs an operation on objects that are not data and the graded process sent no result."""


SAFE_FUNCS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "bytes", "chr", "complex", "dict", "divmod", "enumerate", "float", "frozenset",
    "int", "isinstance", "len", "list", "max", "min", "ord", "pow", "range", "repr", "reversed", "round", "set",
    "sorted", "str", "sum", "tuple", "type", "zip")}
SAFE_NAMES = {"True": True, "False": False, "None": None, "math": math, **SAFE_FUNCS,
              **{n: v for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}}
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.BitAnd: operator.and_,
        ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift}
_LIMIT = 10 ** 6  # a value the program sent must not make the grader itself run out of time or memory


def _bounded(op, a, b):
    ints = isinstance(a, int) and isinstance(b, int)
    if op in (ast.Pow, "pow") and ints and abs(b) > 10_000 and abs(a) > 1:
        raise OverflowError("power too large to compute in the grader")
    if op is ast.LShift and ints and b > _LIMIT:
        raise OverflowError("shift too large to compute in the grader")
    if op is ast.Mult and any(isinstance(x, (str, bytes, list, tuple)) for x in (a, b)) \
            and any(isinstance(x, int) and x > _LIMIT for x in (a, b)):
        raise OverflowError("repetition too large to build in the grader")
    return a, b


def _range(*args):
    r = range(*args)
    if len(r) > _LIMIT:
        raise OverflowError("range too large to build in the grader")
    return r


def _pow(a, b, *mod):
    _bounded("pow" if not mod else None, a, b)
    return pow(a, b, *mod)


SAFE_NAMES.update(range=_range, pow=_pow)
_ORDER = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def _contains(container, item) -> bool:
    if isinstance(container, (str, bytes)):
        return item in container if type(item) is type(container) else False
    if isinstance(container, dict):
        container = list(container)
    return any(same(item, x) for x in container)


_SIZED = {bytes, bytearray, math.factorial, math.comb, math.perm, str.ljust, str.rjust, str.center, str.zfill,
          str.expandtabs, str.__mul__, bytes.ljust, bytes.rjust, bytes.center, bytes.zfill}


def _sized(fn, args, kwargs) -> None:
    """A trusted function that allocates or loops as much as an int argument says is not given a huge one."""
    target = getattr(fn, "__func__", None) or fn
    base = getattr(fn, "__self__", None)
    if base is not None and isinstance(base, (str, bytes)):
        target = getattr(type(base), fn.__name__, fn)
    if target in _SIZED and any(type(x) is int and abs(x) > _LIMIT for x in (*args, *kwargs.values())):
        raise OverflowError(f"{getattr(fn, '__name__', 'call')} of a size too large to compute in the grader")


def _no_opaque(*xs) -> None:
    for x in xs:
        if not is_data(x):
            raise InProcess(f"{safe_repr(x, 60)} is not data")


class Evaluator:
    """Evaluates the trusted skeleton of one assertion over the values its probes returned.

    `probes[k]` is ("value", v) / ("raised", etype, msg, mro) / ("outcome", outcome dict). An operation that needs
    an object that is not data (an instance of a class the program defines) is never decided on the graded
    process's word: it raises InProcess, and the test fails, flagged."""

    def __init__(self, probes: list):
        self.probes = probes

    def probe(self, k: int):
        if not isinstance(k, int) or not 0 <= k < len(self.probes):
            raise Malformed(f"probe {k} missing")
        p = self.probes[k]
        if p[0] == "raised":
            raise ProbeRaised(p[1], p[2], p[3])
        return p[1]

    def truth(self, x) -> bool:
        _no_opaque(x)
        return bool(x)

    def compare(self, op, a, b) -> bool:
        if not (is_data(a) and is_data(b)) and not isinstance(op, (ast.Is, ast.IsNot)):
            raise InProcess(f"comparing {safe_repr(a, 60)} and {safe_repr(b, 60)}")
        if isinstance(op, ast.Eq):
            return same(a, b)
        if isinstance(op, ast.NotEq):
            return not same(a, b)
        if isinstance(op, (ast.Is, ast.IsNot)):
            singleton = (a is None or type(a) is bool) and (b is None or type(b) is bool)
            result = singleton and a is b
            return result if isinstance(op, ast.Is) else not result
        if isinstance(op, (ast.In, ast.NotIn)):
            result = _contains(b, a)
            return result if isinstance(op, ast.In) else not result
        return _ORDER[type(op)](a, b)

    def eval(self, node):  # noqa: C901 - one branch per node type the skeletons use
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in SAFE_NAMES:
                return SAFE_NAMES[node.id]
            raise Malformed(f"name {node.id!r} in a trusted skeleton")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("__"):
            return self.special(node)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if base is not math and not isinstance(base, (str, bytes)):
                raise Malformed("attribute of a value in a trusted skeleton")
            return getattr(base, node.attr)
        if isinstance(node, ast.Call):
            fn = self.eval(node.func)
            args = []
            for a in node.args:
                if isinstance(a, ast.Starred):
                    args.extend(self.eval(a.value))
                else:
                    args.append(self.eval(a))
            kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
            _no_opaque(*args, *kwargs.values())
            _sized(fn, args, kwargs)
            return fn(*args, **kwargs)
        if isinstance(node, ast.BoolOp):
            is_and = isinstance(node.op, ast.And)
            for v in node.values[:-1]:
                x = self.eval(v)
                if self.truth(x) != is_and:
                    return x
            return self.eval(node.values[-1])
        if isinstance(node, ast.UnaryOp):
            x = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not self.truth(x)
            _no_opaque(x)
            return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(node.op)](x)
        if isinstance(node, ast.BinOp):
            a, b = self.eval(node.left), self.eval(node.right)
            _no_opaque(a, b)
            return _BIN[type(node.op)](*_bounded(type(node.op), a, b))
        if isinstance(node, ast.IfExp):
            return self.eval(node.body) if self.truth(self.eval(node.test)) else self.eval(node.orelse)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = [self.eval(e) for e in node.elts]
            return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
        if isinstance(node, ast.Dict):
            return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}
        if isinstance(node, ast.Subscript):
            base, index = self.eval(node.value), self.eval(node.slice)
            _no_opaque(base, index)
            return base[index]
        if isinstance(node, ast.Slice):
            return slice(*(None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)))
        raise Malformed(f"{type(node).__name__} in a trusted skeleton")

    def special(self, node):
        name, args = node.func.id, node.args
        if name == "__probe__":
            return self.probe(args[0].value)
        if name == "__fold__":  # __fold__(k, call): the grader's own function over data, else the process's result
            call = args[1]
            values = [self.eval(a) for a in call.args] + [self.eval(k.value) for k in call.keywords]
            if all(is_data(v) for v in values):
                return self.eval(call)
            return self.probe(args[0].value)
        if name == "__cmp__":  # __cmp__(left, op-name, right)
            a, b = self.eval(args[0]), self.eval(args[2])
            return self.compare(getattr(ast, args[1].value)(), a, b)
        if name in ("__raises__", "__error_message__"):
            exc = self.eval(args[0])
            outcome = self.probe(args[1].value)
            wanted = f"builtins.{exc.__name__}" if isinstance(exc, type) else getattr(exc, "type_name", None)
            raised = outcome.get("raised")
            if raised is None:
                return False if name == "__raises__" else None
            if wanted in raised["mro"]:
                return True if name == "__raises__" else raised.get("arg0", "")
            if name == "__raises__":
                return False
            raise ProbeRaised(raised["etype"], raised["msg"], raised["mro"])
        raise Malformed(f"unknown skeleton call {name}")
