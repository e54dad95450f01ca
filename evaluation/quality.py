"""Static code-quality measures of a program: PEP 8 violations per line, docstrings, comments, complexity."""
from __future__ import annotations

import ast
import io
import math
import tokenize

import pycodestyle
from radon.complexity import cc_visit

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


def quality(code: str) -> dict:
    """NaN everywhere when the code does not parse (aggregated with nanmean)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return {"pep8_per_line": _NAN, "has_docstring": _NAN, "has_comment": _NAN, "complexity": _NAN, "loc": _NAN}
    loc = sum(1 for line in code.split("\n") if line.strip())
    defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    try:
        comments = any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        comments = False
    try:
        blocks = cc_visit(code)
        complexity = max((b.complexity for b in blocks), default=1)
    except Exception:  # radon raises on some valid-but-odd code
        complexity = _NAN
    return {"pep8_per_line": pep8_violations(code) / max(loc, 1),
            "has_docstring": float(any(ast.get_docstring(d) for d in defs) or ast.get_docstring(tree) is not None),
            "has_comment": float(comments), "complexity": float(complexity), "loc": float(loc)}
