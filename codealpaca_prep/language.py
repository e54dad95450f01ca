"""Is a CodeAlpaca row a Python programming task with a Python answer?

`ast.parse` alone is not a test: "Hello", "30", `console.log(x);` and `ls -la`
all parse. A row is kept only when its output parses *and* computes something,
uses no other language's API, its instruction asks for no other language, and
its input is not another language's code. Every rejection carries a reason.
"""
from __future__ import annotations

import ast
import re

from common.pysource import normalize_newlines

# Instruction mentions of other languages. "C", "R" and "Go" only in phrases that mean the language.
_OTHER_LANGS = [
    ("Java", r"\bjava\b(?!\s*script)"),
    ("JavaScript", r"\b(java\s*script|js|node\.?js|jquery|react(?:\.js)?|angular(?:js)?|vue(?:\.js)?|typescript)\b"),
    ("C++", r"c\+\+|\bcpp\b"),
    ("C#", r"\bc#|\.net\b"),
    ("C", r"\b(?:in|using|an?)\s+c\b(?![+#])|\bc\s+(?:program|code|function|language|snippet|library)\b|\bansi c\b"),
    ("SQL", r"\b(sql|mysql|postgres(?:ql)?|sqlite|oracle|t-sql|pl/sql|mongodb|nosql)\b|\bquer(?:y|ies)\b"),
    ("HTML/CSS", r"\b(html5?|css3?|xml|svg|bootstrap|web ?page|stylesheet)\b"),
    ("shell", r"\b(bash|shell|zsh|powershell|command line|terminal|linux command|unix command)\b"),
    ("Ruby", r"\bruby\b|\brails\b"),
    ("PHP", r"\bphp\b"),
    ("Swift", r"\bswift\b|\bobjective-c\b|\bios\b"),
    ("Go", r"\bgolang\b|\b(?:in|using)\s+go\b|\bgo\s+(?:program|code|function)\b"),
    ("Rust", r"\brust\b"),
    ("R", r"\b(?:in|using|an?)\s+r\b(?!')|\br\s+(?:program|code|function|script|language)\b"),
    ("Kotlin/Scala", r"\b(kotlin|scala)\b"),
    ("other", r"\b(perl|haskell|matlab|lua|julia|dart|fortran|cobol|assembly|visual basic|vba|excel|tensorflow\.js)\b"),
]
_OTHER_LANG_RES = [(name, re.compile(rx, re.I)) for name, rx in _OTHER_LANGS]
_PYTHON_RE = re.compile(r"\bpython\b|\bpandas\b|\bnumpy\b|\bdjango\b|\bflask\b", re.I)

# Code markers of other languages, for reasons and for inputs.
_CODE_MARKERS = [
    ("C/C++", r"#include\s*[<\"]|\bint\s+main\s*\(|\bstd::|\bprintf\s*\(.*\);|\bcout\s*<<"),
    ("Java", r"\bpublic\s+(?:static\s+)?(?:class|void|int|String)\b|\bSystem\.out\.|\bString\[\]|\bprivate\s+\w+\s+\w+\s*[;=]"),
    ("C#", r"\bConsole\.Write|\busing\s+System\b|\bnamespace\s+\w+\s*\{"),
    ("JavaScript", r"\bconsole\.log\b|\bfunction\s*\w*\s*\(|\b(?:let|const|var)\s+\w+\s*=|=>|\bdocument\.|\$\(|\balert\("),
    ("SQL", r"^\s*(?:SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|DATABASE|INDEX|VIEW)|ALTER\s+TABLE|DROP\s+TABLE)\b"),
    ("HTML/CSS", r"<\s*(?:html|div|p|span|body|head|table|form|input|ul|li|h[1-6]|a|script|style|button)\b|^\s*[.#]?[\w-]+\s*\{\s*[\w-]+\s*:"),
    ("shell", r"^\s*(?:#!/bin/|echo\s|sudo\s|ls\s|cd\s|grep\s|apt(?:-get)?\s|chmod\s|mkdir\s|export\s+\w+=)"),
    ("Ruby", r"^\s*(?:puts|require)\s|\bend\s*$|\.each\s+do\b"),
    ("PHP", r"<\?php|\$\w+\s*=.*;"),
]
_CODE_MARKER_RES = [(name, re.compile(rx, re.I | re.M)) for name, rx in _CODE_MARKERS]

# Names and attributes that exist in other languages' runtimes but not in Python's.
_FOREIGN_NAMES = {"console", "document", "window", "System", "Math", "printf", "puts", "echo", "alert",
                  "cout", "cin", "println", "Integer", "Arrays", "require", "JSON", "Console", "fmt",
                  "navigator", "localStorage", "setTimeout", "parseInt", "parseFloat", "undefined", "null"}
_FOREIGN_ATTRS = {"length", "push", "forEach", "toUpperCase", "toLowerCase", "substring", "indexOf",
                  "charAt", "innerHTML", "getElementById", "querySelector", "addEventListener", "toString",
                  "println", "equals", "splice", "includes", "trim", "unshift", "toFixed", "charCodeAt"}

# Nodes that show a program computes something rather than states an answer.
_COMPUTING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.For,
              ast.While, ast.If, ast.With, ast.Try, ast.Return, ast.Raise, ast.Assert, ast.Call, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Name, ast.Subscript, ast.Delete,
              ast.AugAssign, ast.Global, ast.Nonlocal)
_CALLING = (ast.Call, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await, ast.Yield)


def guess_language(text: str) -> str | None:
    for name, rx in _CODE_MARKER_RES:
        if rx.search(text):
            return name
    return None


def _looks_like_code(text: str) -> bool:
    return guess_language(text) is not None or bool(re.search(r"[;{}]\s*$", text, re.M))


def _is_literal_answer(tree: ast.Module) -> bool:
    """No statement computes anything: "30", "[1, 2]", "Sum = 47", a bare name ("Hello") or
    an expression without a call ("ls -la", "x > 5")."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr):
            computing = _CALLING
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            computing = _COMPUTING
        else:
            return False
        if any(isinstance(n, computing) for n in ast.walk(stmt.value)):
            return False
    return True


def _foreign_api(tree: ast.Module) -> str | None:
    defined: set[str] = set()
    loads: list[str] = []
    attrs: list[str] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (defined.add(n.id) if isinstance(n.ctx, ast.Store) else loads.append(n.id))
        elif isinstance(n, ast.Attribute):
            attrs.append(n.attr)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(n.name)
        elif isinstance(n, ast.arg):
            defined.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in n.names)
    for name in loads:
        if name in _FOREIGN_NAMES and name not in defined:
            return name
    for attr in attrs:
        if attr in _FOREIGN_ATTRS and attr not in defined:
            return "." + attr
    return None


def rejection_reason(instruction: str, input_: str, output: str) -> str | None:
    """None when the row is a Python task with a Python answer, else why not."""
    output = normalize_newlines(output).strip("\n")
    if not output.strip():
        return "empty output"
    try:
        tree = ast.parse(output)
    except (SyntaxError, ValueError):
        try:  # uniformly indented snippets parse once dedented; tabs mixed with spaces once expanded
            import textwrap
            tree = ast.parse(textwrap.dedent(output.expandtabs(8)))
        except (SyntaxError, ValueError):
            if re.search(r"^\s*(?:print\s+[^\s(=]|exec\s+[\"'])|^\s*except\s+\w+\s*,\s*\w+\s*:", output, re.M):
                return "output is Python 2, not valid Python 3"
            lang = guess_language(output)
            if lang:
                return f"output is {lang} code"
            if _looks_like_code(output):
                return "output is not valid Python 3"
            return "output is prose, not code"
    if _is_literal_answer(tree):
        return "output is a literal answer, not code"
    api = _foreign_api(tree)
    if api:
        return f"output uses another language's API ({api})"
    asked = [name for name, rx in _OTHER_LANG_RES if rx.search(instruction)]
    if asked and not _PYTHON_RE.search(instruction):
        return f"instruction asks for {asked[0]}"
    if input_.strip():
        try:
            ast.parse(normalize_newlines(input_))
        except (SyntaxError, ValueError):
            lang = guess_language(input_)
            if lang:
                return f"input is {lang} code"
    return None
