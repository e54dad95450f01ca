"""Python source normalisation: line ends, 4-space indentation, trailing spaces.

`reindent` rewrites only the indentation that Python's tokenizer says is block
structure; string literals and bracket continuations keep their content, so the
cleaned code is AST-equivalent to the original (checked by `clean_code`).
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

_SOURCE = "<source>"  # the file name code we only read (a model's answer, a dataset's) is parsed under
# Its "invalid decimal literal" and kin are the code's, not the user's: shown, they fill the terminal; under
# `-W error` (PYTHONWARNINGS=error) they would make valid code unparsable and so change extraction and verdicts.
warnings.filterwarnings("ignore", category=SyntaxWarning, module=re.escape(_SOURCE) + "$")


def parse(code: str) -> ast.Module:
    """`ast.parse`, the same whatever the warning settings."""
    return ast.parse(code, _SOURCE)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parses(code: str) -> bool:
    try:
        parse(code)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return False
    return True


def ast_equal(a: str, b: str) -> bool:
    try:
        return ast.dump(parse(a)) == ast.dump(parse(b))
    except (SyntaxError, ValueError):
        return False


def _string_lines(code: str) -> tuple[set[int], set[int]]:
    """1-based numbers of the lines that begin inside a multi-line string, and of the lines where one opens."""
    inside: set[int] = set()
    opens: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            if tok.end[0] > tok.start[0]:
                opens.add(tok.start[0])
            inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    return inside, opens


def reindent(code: str, width: int = 4) -> str:
    """Re-indent block structure to `width` spaces per level.

    Continuation lines (inside brackets or after a backslash) move by the same
    amount as the statement they belong to; lines inside multi-line strings are
    left untouched. Raises SyntaxError / tokenize.TokenError on untokenizable code.
    """
    lines = code.splitlines(keepends=True)
    depth = 0
    parens = 0
    line_start = True  # the previous significant token ended a line outside brackets
    new_indent: dict[int, int] = {}  # row -> block depth, for rows that start a statement or hold a comment
    pending_comments: list[int] = []
    inline_comments: dict[int, int] = {}  # row -> column of a comment that follows code
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.INDENT:
            depth += 1
            continue
        if tok.type == tokenize.DEDENT:
            depth -= 1
            continue
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            line_start = parens == 0
            continue
        if tok.type == tokenize.ENDMARKER:
            break
        if tok.type == tokenize.COMMENT and not line_start:
            inline_comments[tok.start[0]] = tok.start[1]
        if tok.type == tokenize.COMMENT and line_start and parens == 0:
            pending_comments.append(tok.start[0])  # a comment line takes the depth of the statement after it
            continue
        if line_start and parens == 0:
            new_indent[tok.start[0]] = depth
            new_indent.update((row, depth) for row in pending_comments)
            pending_comments.clear()
        line_start = False
        if tok.type == tokenize.OP:
            if tok.string in "([{":
                parens += 1
            elif tok.string in ")]}":
                parens = max(0, parens - 1)
    new_indent.update((row, depth) for row in pending_comments)
    in_string, string_opens = _string_lines(code)
    out = []
    shift = 0
    for row, line in enumerate(lines, start=1):
        if row in in_string:
            out.append(line)
            continue
        if row in inline_comments and row not in string_opens:  # PEP 8: two spaces before an inline comment
            col = inline_comments[row]
            line = line[:col].rstrip(" \t") + "  " + line[col:]
        body = line.lstrip(" \t")
        old = line[: len(line) - len(body)]
        old_cols = len(old.expandtabs(8))
        if not body.strip():
            out.append("\n" if line.endswith("\n") else "")
            continue
        if row in new_indent:
            target = new_indent[row] * width
            shift = target - old_cols
        else:  # continuation line: keep its alignment relative to the statement
            target = max(0, old_cols + shift)
        stripped = body.rstrip("\n") if row in string_opens else body.rstrip(" \t\n")
        out.append(" " * target + stripped + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


class CleanError(ValueError):
    pass


def clean_code(code: str, width: int = 4) -> str:
    """Normalise line ends, indentation and trailing spaces; raise CleanError if the
    result does not parse or is not AST-equivalent to the input."""
    src = normalize_newlines(code)
    if not parses(src):
        tabbed = src.expandtabs(8)
        if not parses(tabbed):
            raise CleanError("does not parse")
        src = tabbed
    try:
        out = reindent(src, width)
    except (SyntaxError, tokenize.TokenError) as exc:
        raise CleanError(f"cannot tokenize: {exc}") from exc
    out = out.strip("\n")
    if out != src.strip("\n") and not ast_equal(src, out):
        raise CleanError("re-indented code is not AST-equivalent to the original")
    return out


def indentation_ok(code: str, width: int = 4) -> bool:
    """True when every block indentation is a multiple of `width` spaces and no tab is used for it."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (SyntaxError, tokenize.TokenError):
        return False
    for tok in toks:
        if tok.type == tokenize.INDENT and ("\t" in tok.string or len(tok.string) % width):
            return False
    return True
