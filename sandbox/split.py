"""Split test code by its AST into what the graded process runs and what the grader decides.

Every `assert TEST` (anywhere in the test code: top level, loops, HumanEval's `def check`) becomes a call that
evaluates TEST's *probes* in the graded process and sends their values back: a probe is a maximal part of TEST
that calls into the program (`f(x)`, `Stack().pop()`, `open("out.txt").read()`) or reads a name the test code
bound (a loop variable). The rest of TEST (its literals, comparisons, `abs`, `set`, `math.isclose`, ...) is the
*skeleton*; it never reaches the graded process and is evaluated by `verdict.Evaluator` over the values.
`raises(E, fn, *args)` and `error_message(E, fn, *args)` (the custom suite's helpers) become outcome probes:
the call runs in the graded process, which says what it returned or raised; the grader decides if that is E.
"""
from __future__ import annotations

import ast
import builtins
import re
import warnings
from dataclasses import dataclass, field

from .verdict import SAFE_FUNCS, SAFE_NAMES

HELPERS = ("raises", "error_message")
_BUILTINS = frozenset(vars(builtins))
_PROGRAM = "<program>"  # the file name a program is parsed under on the host
# Its "invalid decimal literal" and kin are the program's: not the user's to see, nor to turn into errors (-W error).
warnings.filterwarnings("ignore", category=SyntaxWarning, module=re.escape(_PROGRAM) + "$")


def parse_program(code: str) -> ast.Module:
    """`ast.parse`, the same whatever the warning settings."""
    return ast.parse(code, _PROGRAM)


@dataclass
class AssertSpec:
    skeleton: ast.expr
    kinds: list[str] = field(default_factory=list)  # per probe: "v" (a value) or "o" (a call's outcome)
    state: set[int] = field(default_factory=set)  # probes that read a name the test bound, not the program
    eq_probe: int | None = None  # `probe == expected`: the message says what came out
    source: str = ""


@dataclass
class SplitTest:
    child_code: str
    asserts: list[AssertSpec]
    # the test computes in the graded process with names or modules of its own (a loop's expected values, a lambda's
    # argument read after the call, an iterator it built): there a program aimed at this harness can rewrite what
    # is sent, so a pass rests on more than what the program returned (child.py)
    test_state: bool = False


def _is_math(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math"


def bound_names(tree: ast.AST) -> set[str]:
    """Names the code binds anywhere: assignment and loop targets, parameters, imports, defs, classes."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
    return out


def imports(tree: ast.AST) -> list[ast.AST]:
    """The nodes of test code that import: `import json`, `from x import y`, `__import__("itertools")`."""
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
            or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "__import__")]


def imported_modules(code: str) -> set[str]:
    """The modules test code names in those imports: the graded process imports them before the program and puts
    their names back as they were before each test, so that a program that rebinds `itertools.count` does not
    change what the test builds."""
    out = set()
    for node in imports(ast.parse(code)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module and not node.level:
                out.add(node.module)
        elif node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.add(node.args[0].value)
    return out


class _Skeleton:
    def __init__(self, helpers: bool, shadowed: frozenset[str], test_names: frozenset[str] = frozenset()):
        self.helpers, self.shadowed, self.test_names = helpers, shadowed, test_names
        self.probes: list[ast.expr] = []
        self.spec = AssertSpec(skeleton=ast.Constant(True))

    def reads_only_test_state(self, node: ast.expr) -> bool:
        """`want['z']`, `want.get('x')`, `len(cases)`: a probe of names the test bound (and builtins), calling
        nothing of the program's. Its value is the test's: a candidate must see what the reference saw, or it
        rebound the test's expected values from the graded process."""
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return bool(names & self.test_names) and all(n in self.test_names or n in _BUILTINS and n not in self.shadowed
                                                      for n in names)

    def probe(self, node: ast.expr, kind: str = "v", state: bool = False) -> ast.expr:
        k = len(self.probes)
        self.probes.append(node)
        self.spec.kinds.append(kind)
        if state or (kind == "v" and self.reads_only_test_state(node)):
            self.spec.state.add(k)
        return ast.Call(ast.Name("__probe__", ast.Load()), [ast.Constant(k)], [])

    def safe(self, name: str) -> bool:
        return name in SAFE_NAMES and name not in self.shadowed

    def all_probes(self, nodes: list[ast.expr]) -> bool:
        return bool(nodes) and all(self.probe_index(n) is not None for n in nodes)

    def fold(self, original: ast.expr, parts: list[ast.expr]) -> ast.expr | None:
        """An operation on probes only, with no literal of the test in it (str(Ratio(2, 4)), Vec2(1, 2) +
        Vec2(3, 4)), runs where its operands live: one probe instead of several."""
        if not self.all_probes(parts):
            return None
        self.rewind(min(self.probe_index(n) for n in parts))
        return self.probe(original)

    def fold_call(self, call: ast.Call) -> ast.expr:
        """A trusted function of probes only (len(f(x)), str(Ratio(2, 4))): the grader computes it from the values
        when they are data, with its own function, whatever the program rebound; only when a value is an object
        of the program's (whose __len__ or __str__ is the program's anyway) does it take the graded process's
        result, computed there from the same values (`__raw__`) without calling the program again."""
        def raw(n: ast.expr) -> ast.expr:
            return ast.Call(ast.Name("__raw__", ast.Load()), [ast.Constant(self.value_index(n))], [])

        there = ast.Call(call.func, [raw(a) for a in call.args], [ast.keyword(k.arg, raw(k.value)) for k in call.keywords])
        k = self.probe_index(self.probe(there))
        return ast.Call(ast.Name("__fold__", ast.Load()), [ast.Constant(k), call], [])

    def rewind(self, start: int) -> None:
        """Forget the probes from `start` on (their node is about to become one probe)."""
        del self.probes[start:], self.spec.kinds[start:]
        self.spec.state = {k for k in self.spec.state if k < start}

    def has_probe(self, node: ast.expr) -> bool:
        return any(self.probe_index(n) is not None for n in ast.walk(node))

    def value_index(self, node: ast.expr) -> int | None:
        """The probe whose value the graded process holds for `node`: a probe, or a fold (its own probe)."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__fold__":
            return node.args[0].value
        return self.probe_index(node)

    @staticmethod
    def probe_index(node: ast.expr) -> int | None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__probe__":
            return node.args[0].value
        return None

    def build(self, node: ast.expr) -> ast.expr:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, ast.Name):
            return node if self.safe(node.id) else self.probe(node, state=True)
        if isinstance(node, ast.Attribute):
            return node if _is_math(node) or isinstance(node.value, ast.Constant) else self.probe(node)
        if isinstance(node, ast.Call):
            f = node.func
            if self.helpers and isinstance(f, ast.Name) and f.id in HELPERS and len(node.args) >= 2 \
                    and not isinstance(node.args[0], ast.Starred):
                exc = self.build(node.args[0])
                call = ast.Tuple([node.args[1], ast.Tuple(node.args[2:], ast.Load()),
                                  ast.Dict([None if k.arg is None else ast.Constant(k.arg) for k in node.keywords],
                                           [k.value for k in node.keywords])], ast.Load())
                k = self.probe_index(self.probe(call, kind="o"))
                return ast.Call(ast.Name(f"__{f.id}__", ast.Load()), [exc, ast.Constant(k)], [])
            if (isinstance(f, ast.Name) and f.id in SAFE_FUNCS and self.safe(f.id)) or _is_math(f) or \
                    (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Constant)):
                if any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
                    return self.probe(node)
                args = [self.build(a) for a in node.args]
                kwargs = [self.build(k.value) for k in node.keywords]
                call = ast.Call(f, args, [ast.keyword(k.arg, v) for k, v in zip(node.keywords, kwargs)])
                if not _is_math(f) and args + kwargs and all(self.value_index(n) is not None for n in args + kwargs):
                    return self.fold_call(call)
                return call
            return self.probe(node)
        if isinstance(node, ast.Compare):
            nodes = [node.left, *node.comparators]
            start = len(self.probes)
            operands = [self.build(o) for o in nodes]
            pure = [self.probe_index(o) is not None for o in operands]
            # beside an operand the program alone produces, the comparison is the program's to decide anyway:
            # Vec2(1, -2) * 3 == Vec2(3, -6) runs where the objects live
            force = {i for i, o in enumerate(operands) if not pure[i] and self.has_probe(o)
                     and ((i > 0 and pure[i - 1]) or (i + 1 < len(pure) and pure[i + 1]))}
            if force:
                self.rewind(start)
                operands = [self.probe(o) if i in force else self.build(o) for i, o in enumerate(nodes)]
            parts = [ast.Call(ast.Name("__cmp__", ast.Load()),
                              [operands[i], ast.Constant(type(op).__name__), operands[i + 1]], [])
                     for i, op in enumerate(node.ops)]
            return parts[0] if len(parts) == 1 else ast.BoolOp(ast.And(), parts)
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [self.build(v) for v in node.values])
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            if not isinstance(node.op, ast.Not) and (folded := self.fold(node, [operand])) is not None:
                return folded
            return ast.UnaryOp(node.op, operand)
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            return self.fold(node, [left, right]) or ast.BinOp(left, node.op, right)
        if isinstance(node, ast.IfExp):
            return ast.IfExp(self.build(node.test), self.build(node.body), self.build(node.orelse))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return type(node)([self.build(e) for e in node.elts], *([ast.Load()] if not isinstance(node, ast.Set) else []))
        if isinstance(node, ast.Dict) and None not in node.keys:
            return ast.Dict([self.build(k) for k in node.keys], [self.build(v) for v in node.values])
        if isinstance(node, ast.Subscript):
            return ast.Subscript(self.build(node.value), self.build(node.slice), ast.Load())
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if p is None else self.build(p) for p in (node.lower, node.upper, node.step)))
        return self.probe(node)  # lambdas, comprehensions, f-strings, ...: evaluated where the program lives


class _Rewrite(ast.NodeTransformer):
    def __init__(self, helpers: bool, shadowed: frozenset[str], test_names: frozenset[str] = frozenset()):
        self.helpers, self.shadowed, self.test_names = helpers, shadowed, test_names
        self.specs: list[AssertSpec] = []

    def visit_Assert(self, node: ast.Assert):
        sk = _Skeleton(self.helpers, self.shadowed, self.test_names)
        skeleton = sk.build(node.test)
        spec = sk.spec
        spec.skeleton = ast.fix_missing_locations(ast.Expression(skeleton))
        spec.source = ast.unparse(node.test)
        if isinstance(skeleton, ast.Call) and isinstance(skeleton.func, ast.Name) and skeleton.func.id == "__cmp__" \
                and skeleton.args[1].value == "Eq":
            spec.eq_probe = sk.probe_index(skeleton.args[0])
        aid = len(self.specs)
        self.specs.append(spec)
        thunks = ast.Tuple([ast.Lambda(ast.arguments([], [], None, [], [], None, []), p) for p in sk.probes], ast.Load())
        call = ast.Call(ast.Name("__probe__", ast.Load()), [ast.Constant(aid), thunks, ast.Constant(tuple(spec.kinds))], [])
        return ast.copy_location(ast.Expr(call), node)


def split_test(code: str, helpers: bool = False, program_names: frozenset[str] = frozenset()) -> SplitTest:
    """`helpers`: treat `raises(...)` / `error_message(...)` as the custom suite's helpers. `program_names`: the
    names the program binds (a program's `sum` is what its tests call, not the builtin)."""
    tree = ast.parse(code)
    test_names = frozenset(bound_names(tree))
    own = test_names - program_names
    rw = _Rewrite(helpers, frozenset(program_names | test_names), own)
    test_state = bool(own or imports(tree))
    tree = ast.fix_missing_locations(rw.visit(tree))
    return SplitTest(ast.unparse(tree), rw.specs, test_state)
