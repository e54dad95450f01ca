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


def decode(text: str | bytes):
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"not JSON: {exc}") from None
    return raw


def value(raw, depth: int = 0):
    """A typed-JSON node -> the Python value it stands for; Malformed for anything else."""
    if depth > MAX_DEPTH:
        raise Malformed("nested too deeply")
    if raw is None or isinstance(raw, (bool, str)):
        return raw
    if not isinstance(raw, dict) or len(raw) < 1:
        raise Malformed(f"not a typed value: {str(raw)[:80]}")
    try:
        if "i" in raw:
            return int(raw["i"], 16)
        if "f" in raw:
            return float.fromhex(raw["f"])
        if "c" in raw:
            return complex(float.fromhex(raw["c"][0]), float.fromhex(raw["c"][1]))
        if "b" in raw:
            return bytes.fromhex(raw["b"])
        if "l" in raw:
            return [value(x, depth + 1) for x in _items(raw["l"])]
        if "t" in raw:
            return tuple(value(x, depth + 1) for x in _items(raw["t"]))
        if "s" in raw:
            return {value(x, depth + 1) for x in _items(raw["s"])}
        if "fs" in raw:
            return frozenset(value(x, depth + 1) for x in _items(raw["fs"]))
        if "d" in raw:
            return {value(k, depth + 1): value(v, depth + 1) for k, v in _items(raw["d"])}
        if "it" in raw:
            d = Drained(value(x, depth + 1) for x in _items(raw["it"]))
            d.type_name, d.cut = str(raw.get("type", "iterator"))[:100], bool(raw.get("cut"))
            return d
        if "o" in raw:
            truth = raw.get("truth")
            return Opaque(str(raw["o"])[:100], truth if isinstance(truth, bool) else None)
    except (TypeError, ValueError, OverflowError, KeyError, IndexError) as exc:
        raise Malformed(f"bad value: {exc}") from None
    raise Malformed(f"unknown type tag in {str(raw)[:80]}")


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
        rest = list(b)
        for x in a:  # quadratic but type-strict; sets in tests are small
            for i, y in enumerate(rest):
                if same(x, y):
                    del rest[i]
                    break
            else:
                return False
        return True
    if ta is dict or tb is dict:
        return ta is tb and len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if ta is type or tb is type:  # type(f(x)) == int
        return a is b
    return False


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
    n = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(n), y.zfill(n)))


def recorded(entry_point: str, out, oracle: str | None):
    """What a reference run records as the expected output (EvalPlus records only whether some outputs exist)."""
    if oracle == "mbpp" and entry_point in _NOT_NONE and not isinstance(out, bool):
        return out is not None
    return out


def check_output(entry_point: str, args, out, exp, atol: float, oracle: str | None) -> bool:
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


def _safe_repr(x) -> str:
    text = repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


def off_by_one(got, expected) -> bool:
    """The near misses reports call off-by-one: numbers 1 apart, or sequences one element apart."""
    num = (int, float)
    if type(got) in num and type(expected) in num:
        return abs(got - expected) == 1
    if type(got) is type(expected) and type(got) in (list, tuple, str):
        if len(got) == len(expected):
            return sum(1 for a, b in zip(got, expected) if not same(a, b)) == 1
        return abs(len(got) - len(expected)) == 1
    return False


def describe_mismatch(got, expected) -> str:
    return f"got {_safe_repr(got)}, expected {_safe_repr(expected)}{' [off-by-one]' if off_by_one(got, expected) else ''}"


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


def _no_opaque(*xs) -> None:
    for x in xs:
        if not is_data(x):
            raise InProcess(f"{x!r} is not data")


class Evaluator:
    """Evaluates the trusted skeleton of one assertion over the values its probes returned.

    `probes[k]` is ("value", v) / ("raised", etype, msg, mro) / ("outcome", outcome dict), `fallbacks` the results
    the graded process computed for operations on objects that are not data (used only then; counted)."""

    def __init__(self, probes: list, fallbacks: dict):
        self.probes, self.fallbacks, self.used_fallback = probes, fallbacks, False

    def probe(self, k: int):
        if k >= len(self.probes):
            raise Malformed(f"probe {k} missing")
        p = self.probes[k]
        if p[0] == "raised":
            raise ProbeRaised(p[1], p[2], p[3])
        return p[1]

    def truth(self, x) -> bool:
        if isinstance(x, Opaque):
            if x.truth is None:
                raise InProcess(f"truth of {x!r}")
            self.used_fallback = True
            return x.truth
        _no_opaque(x)
        return bool(x)

    def compare(self, op, a, b, fallback: int | None) -> bool:
        if not (is_data(a) and is_data(b)) and not isinstance(op, (ast.Is, ast.IsNot)):
            if fallback is not None and fallback in self.fallbacks:
                self.used_fallback = True
                return bool(self.fallbacks[fallback])
            raise InProcess(f"comparing {a!r} and {b!r}")
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
        if name == "__cmp__":  # __cmp__(fallback, left, op-name, right)
            a, b = self.eval(args[1]), self.eval(args[3])
            op = getattr(ast, args[2].value)()
            return self.compare(op, a, b, args[0].value)
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
