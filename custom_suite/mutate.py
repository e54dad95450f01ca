"""Mechanical mutants of a reference solution, one change each: flipped comparisons, off-by-one constants in
ranges, indices and counting calls (`islice`, `split`, `pop`, ...), swapped operands, dropped returns, removed
branches, and/or swaps; for generators, iterators and files: a `yield` that yields None, `yield from xs` turned into `yield xs`, a
statement dropped from a loop or `with` body (a reset, an append, a write), `next(it, default)` without its
default, another file mode ("w" <-> "a", "r" -> "rb"). (A `with` block run without its context manager is an
equivalent mutant under CPython's reference counting, which closes the file on return; it is not made.)
Used to measure test strength (mutation score) and to build graded samples for checking the grader against a
peer."""
from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_SWAPPABLE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)
_COUNTING_CALLS = {"islice", "repeat", "count", "combinations", "permutations", "split", "rsplit", "pop", "insert",
                   "zfill", "ljust", "rjust", "center", "nlargest", "nsmallest"}
_MODES = {"w": "a", "a": "w", "r": "rb", "rb": "r", "wb": "ab", "ab": "wb", "x": "w", "r+": "r", "w+": "a+", "a+": "w+"}


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _open_mode(node: ast.Call) -> ast.Constant | None:
    if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
        return node.args[1]
    return next((k.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)), None)


@dataclass
class Mutant:
    kind: str
    line: int
    code: str


def _sites(tree: ast.AST) -> list[tuple[str, ast.AST, object]]:
    sites = []
    index_consts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            index_consts.update(id(a) for a in node.args if isinstance(a, ast.Constant) or isinstance(a, ast.BinOp))
        if isinstance(node, ast.Subscript):
            for sub in ast.walk(node.slice):
                if isinstance(sub, ast.Constant):
                    index_consts.add(id(sub))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    sites.append(("flip comparison", node, i))
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, _SWAPPABLE):
                sites.append(("swap operands", node, None))
            if id(node) in index_consts and isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
                sites.append(("off-by-one", node.right, None))
        elif isinstance(node, ast.Constant) and id(node) in index_consts and isinstance(node.value, int) \
                and not isinstance(node.value, bool):
            sites.append(("off-by-one", node, None))
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):  # `return None` would be equivalent
            sites.append(("drop return", node, None))
        elif isinstance(node, ast.If):
            sites.append(("remove branch", node, None))
        elif isinstance(node, ast.BoolOp):
            sites.append(("and/or swap", node, None))
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _COUNTING_CALLS:
                for a in node.args:
                    if isinstance(a, ast.Constant) and isinstance(a.value, int) and not isinstance(a.value, bool) \
                            and id(a) not in index_consts:
                        sites.append(("off-by-one", a, None))
            if name == "next" and len(node.args) == 2:
                sites.append(("next without default", node, None))
            if name == "open" and isinstance(node.func, ast.Name):
                mode = _open_mode(node)
                if mode is None and len(node.args) == 1 and not any(k.arg == "mode" for k in node.keywords):
                    sites.append(("file mode", node, "rb"))
                elif mode is not None and mode.value in _MODES:
                    sites.append(("file mode", mode, _MODES[mode.value]))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield) and node.value.value is not None:
            sites.append(("yield None", node.value, None))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.YieldFrom):
            sites.append(("yield from -> yield", node, None))
        if isinstance(node, (ast.For, ast.While, ast.With)):
            body = node.body
            if len(body) > 1:
                for i, stmt in enumerate(body):
                    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)):
                        sites.append(("drop statement", node, i))
    return sites


def _apply(kind: str, node: ast.AST, arg) -> None:
    if kind == "flip comparison":
        node.ops[arg] = _FLIP[type(node.ops[arg])]()
    elif kind == "swap operands":
        node.left, node.right = node.right, node.left
    elif kind == "off-by-one":
        node.value = node.value + 1
    elif kind == "drop return":
        node.value = None
    elif kind == "remove branch":
        node.body = [ast.Pass()]
    elif kind == "and/or swap":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "next without default":
        node.args = node.args[:1]
    elif kind == "file mode":
        if isinstance(node, ast.Call):
            node.args.append(ast.Constant(arg))
        else:
            node.value = arg
    elif kind == "yield None":
        node.value = None
    elif kind == "yield from -> yield":
        node.value = ast.Yield(value=node.value.value)
    elif kind == "drop statement":
        node.body = node.body[:arg] + node.body[arg + 1:]


def mutants(code: str, limit: int | None = None, seed: int = 0) -> list[Mutant]:
    """Every single-change mutant that parses and differs from the original (a seeded sample if `limit`)."""
    original = ast.parse(code)
    base = ast.unparse(original)
    n_sites = len(_sites(original))
    out, seen = [], {base}
    for i in range(n_sites):
        tree = copy.deepcopy(original)
        kind, node, arg = _sites(tree)[i]
        _apply(kind, node, arg)
        ast.fix_missing_locations(tree)
        try:
            text = ast.unparse(tree)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text in seen:
            continue
        seen.add(text)
        out.append(Mutant(kind, getattr(node, "lineno", 0), text))
    if limit is not None and len(out) > limit:
        out = random.Random(seed).sample(out, limit)
    return out
