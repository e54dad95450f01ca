"""Mechanical mutants of a reference solution, one change each: flipped comparisons, off-by-one constants in
ranges and indices, swapped operands, dropped returns, removed branches, and/or swaps. Used to measure test
strength (mutation score) and to build graded samples for checking the grader against a peer."""
from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_SWAPPABLE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)


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
