"""Static code-quality measures of a program: PEP 8 violations per line, docstrings, comments, complexity."""
from __future__ import annotations

import ast
import io
import math
import tokenize

import pycodestyle
from radon.complexity import cc_visit_ast

from common.pysource import parse

_NAN = math.nan


class _Count(pycodestyle.BaseReport):
    def __init__(self, options):
        super().__init__(options)
        self.n = 0

    def error(self, line_number, offset, text, check):
        code = text[:4]
        if self._ignore_code(code):
            return None
        self.n += 1
        return code


_STYLE = pycodestyle.StyleGuide(quiet=True, max_line_length=100, ignore=["W292", "W391", "E501"])


def pep8_violations(code: str) -> int:
    lines = [line + "\n" for line in code.split("\n")]
    report = _Count(_STYLE.options)
    checker = pycodestyle.Checker(lines=lines, options=_STYLE.options, report=report)
    checker.check_all()
    return report.n


def written_part(code: str, prefix: str) -> tuple[str, int]:
    """What the model wrote in the graded program, and the line it starts on: the program less a prompt it
    continues (HumanEval's signature and docstring)."""
    if prefix and code.startswith(prefix.rstrip("\n")):
        head = prefix.rstrip("\n")
        return code[len(head):].lstrip("\n"), head.count("\n") + 2
    return code, 1


def quality(code: str, prefix: str = "") -> dict:
    """Measures of the lines the model wrote (see `written_part`); NaN everywhere when the program does not parse
    or the model wrote nothing in it (aggregated with nanmean)."""
    nan = {"pep8_per_line": _NAN, "has_docstring": _NAN, "has_comment": _NAN, "complexity": _NAN, "loc": _NAN}
    written, first = written_part(code, prefix)
    if not written.strip():
        return nan
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return nan
    mine = range(first, 1 << 30)
    loc = sum(1 for line in written.split("\n") if line.strip())
    docstrings = [n for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
                  and isinstance(n.value.value, str) and n.lineno in mine and _is_docstring(tree, n)]
    try:
        comments = any(t.type == tokenize.COMMENT and t.start[0] in mine
                       for t in tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        comments = False
    try:
        blocks = cc_visit_ast(tree)
        complexity = max((b.complexity for b in blocks), default=1)
    except Exception:  # radon raises on some valid-but-odd code
        complexity = _NAN
    lines = code.split("\n")
    violations = pep8_violations(code) if first == 1 else _pep8_in(lines, first)
    return {"pep8_per_line": violations / max(loc, 1), "has_docstring": float(bool(docstrings)),
            "has_comment": float(comments), "complexity": float(complexity), "loc": float(loc)}


def _is_docstring(tree: ast.Module, node: ast.Expr) -> bool:
    for owner in ast.walk(tree):
        if isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and owner.body \
                and owner.body[0] is node:
            return True
    return False


def _pep8_in(lines: list[str], first: int) -> int:
    """PEP 8 violations on lines >= first of the whole program (checked whole, so that indentation is known)."""
    report = _Lines(_STYLE.options, first)
    pycodestyle.Checker(lines=[line + "\n" for line in lines], options=_STYLE.options, report=report).check_all()
    return report.n


class _Lines(_Count):
    def __init__(self, options, first):
        super().__init__(options)
        self.first = first

    def error(self, line_number, offset, text, check):
        return super().error(line_number, offset, text, check) if line_number >= self.first else None
