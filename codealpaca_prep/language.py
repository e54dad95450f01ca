"""Is a CodeAlpaca row a Python programming task with a Python answer?

`ast.parse` alone is not a test: "Hello", "30", `console.log(x);` and `ls -la`
all parse. A row is kept only when its output parses *and* computes something,
uses no other language's API, its instruction asks for no other language, and
its input is not another language's code. Every rejection carries a reason.
"""
from __future__ import annotations

import ast
import builtins
import re
import textwrap

from common.pysource import normalize_newlines, parse, parses

# Instruction mentions of other languages. "C", "R" and "Go" only in phrases that mean the language.
_OTHER_LANGS = [
    ("Java", r"\bjava\b(?!\s*script)"),
    ("JavaScript", r"\b(java\s*script|js|node\.?js|jquery|react(?:\.js)?|angular(?:js)?|vue(?:\.js)?|typescript)\b"),
    ("C++", r"c\+\+|\bcpp\b"),
    ("C#", r"\bc#|\.net\b"),
    ("C", r"\b(?:in|using|an?)\s+c\b(?![+#])|\bc\s+(?:program|code|function|language|snippet|library)\b|\bansi c\b"),
    ("SQL", r"\b(sql|mysql|postgres(?:ql)?|sqlite|oracle|t-sql|pl/sql|mongodb|nosql)\b"),
    ("HTML/CSS", r"\b(html5?|css3?|svg|bootstrap|stylesheet)\b"),
    ("shell", r"\b(bash|shell|zsh|powershell|linux command|unix command)\b"),
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
    ("PHP", r"<\?php|\$\w+\s*(?:=|->)|\bforeach\s*\(\s*\$|\becho\s[^\n]*;\s*$"),
    ("shell", r"^#!\s*/(?:usr/)?bin/(?:env\s+)?(?:ba|z)?sh\b|^\s*(?:echo\s|sudo\s|ls\s|cd\s|grep\s|apt(?:-get)?\s|chmod\s|mkdir\s|export\s+\w+=)"),
    ("C/C++", r"#include\s*[<\"]|\bint\s+main\s*\(|\bstd::|\bprintf\s*\(.*\);|\bcout\s*<<|^\s*struct\s+\w+\s*\{?\s*$"
              r"|^\s*(?:unsigned\s+)?(?:int|void|char|float|double|bool|long)\s*\*?\s+\w+\s*\([^)]*\)\s*\{"),
    ("Java", r"\b(?:public|private|protected)\s+(?:static\s+)?(?:final\s+)?(?:class|void|int|double|boolean|String|[A-Z]\w*(?:<[^>]*>)?)\b"
             r"|\bSystem\.out\.|\bString\[\]|@interface\b|\bclass\s+\w+\s+(?:extends|implements)\s+\w+\s*\{"),
    ("C#", r"\bConsole\.Write|\busing\s+System\b|\bnamespace\s+\w+\s*\{"),
    ("Go", r"^\s*package\s+main\b|\bfunc\s+main\s*\(\)|\bfmt\.\w+\("),
    ("JavaScript", r"\bconsole\.log\b|\bfunction\s*\w*\s*\(|\b(?:let|const|var)\s+\w+\s*=|=>|\bdocument\.|\$\(|\balert\(|\bconstructor\s*\("),
    ("SQL", r"^\s*(?:SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|DATABASE|INDEX|VIEW)|ALTER\s+TABLE|DROP\s+TABLE)\b"),
    ("HTML/CSS", r"<\s*(?:html|div|p|span|body|head|table|form|input|ul|li|h[1-6]|a|script|style|button)\b|^\s*[.#]?[\w-]+\s*\{\s*[\w-]+\s*:"
                 r"|^\s*[a-z]+(?:-[a-z]+)+\s*:\s*[^;\n]+;\s*$"),
    ("Ruby", r"^\s*(?:puts|require)\s|\bend\s*$|\.each\s+(?:do\b|\{\s*\|)"),
]
# Weaker signs, used to name the language of an output that does not parse (never to reject an input: "int x = 15;"
# describes data for a language-neutral task).
_WEAK_MARKERS = [
    ("Swift", r"\bfunc\s+\w+\s*\([^)]*\)\s*(?:->\s*[\w\[\]?]+\s*)?\{"),
    ("Java", r"(?-i:\bnew\s+[A-Z]\w*\s*[(\[<]|^\s*(?:int|double|float|char|boolean|long|String)(?:\[\])*\s+\w+\s*(?:=|;|\[))"),
]
_CODE_MARKER_RES = [(name, re.compile(rx, re.I | re.M)) for name, rx in _CODE_MARKERS]
_WEAK_MARKER_RES = [(name, re.compile(rx, re.I | re.M)) for name, rx in _WEAK_MARKERS]

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


def guess_language(text: str, weak: bool = False) -> str | None:
    for name, rx in _CODE_MARKER_RES + (_WEAK_MARKER_RES if weak else []):
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


_TYPE_NAMES = {"int", "float", "str", "bool", "bytes", "list", "dict", "set", "tuple", "complex", "object", "type",
               "frozenset", "bytearray", "None", "Any", "Optional", "Union", "List", "Dict", "Set", "Tuple", "Callable"}


def _type_like(ann: ast.expr, defined: set[str]) -> bool:
    """An annotation that can be a type: a builtin or typing name, a name the program binds or imports, `mod.T`,
    `T[...]`, `A | B`, a string (forward reference)."""
    if isinstance(ann, ast.Name):
        return ann.id in _TYPE_NAMES or ann.id in defined
    if isinstance(ann, ast.Attribute):  # `typing.List`, `np.ndarray`: the module is imported
        while isinstance(ann, ast.Attribute):
            ann = ann.value
        return isinstance(ann, ast.Name) and ann.id in defined
    if isinstance(ann, ast.Subscript):
        return _type_like(ann.value, defined)
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return _type_like(ann.left, defined) and _type_like(ann.right, defined)
    return isinstance(ann, ast.Constant) and (ann.value is None or isinstance(ann.value, str))


def _labelled_value(tree: ast.Module) -> str | None:
    """A top-level bare annotation that is prose shaped like one ("Adverb: slowly", "Max: 9"): its source."""
    defined = _defined(tree)
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None and not _type_like(stmt.annotation, defined):
            return ast.unparse(stmt)
    return None


# "Create a tuple `numbers` with ...", "Define a dictionary ...": a program of literal assignments answers these
_CREATE = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:create|make|initiali[sz]e|declare|define|construct|build|set up|generate|write)\b"
                     r"(?:\W+\w+){0,5}?\W+(?:variables?|lists?|arrays?|dictionar(?:y|ies)|dicts?|tuples?|sets?|strings?|"
                     r"objects?|matri(?:x|ces)|constants?|regex(?:es)?|regular expressions?)\b", re.I)


def _literal_assignments(tree: ast.Module) -> bool:
    return bool(tree.body) and all(isinstance(s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets)
                                   for s in tree.body)


def _declarations_only(input_: str) -> bool:
    """Another language shows in the input only as `var x = ...` / `let` / `const` declarations of data."""
    stripped = re.sub(r"^(\s*)(?:var|let|const)\s+", r"\1", input_, flags=re.M)
    return guess_language(stripped) is None


def _defined(tree: ast.AST) -> set[str]:
    """Names a program binds (assignments, definitions, parameters, imports) and attributes it sets."""
    defined: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            defined.add(n.id)
        elif isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Load):
            defined.add(n.attr)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(n.name)
        elif isinstance(n, ast.arg):
            defined.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in n.names)
    return defined


def _foreign_api(tree: ast.Module) -> str | None:
    defined = _defined(tree)
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in _FOREIGN_NAMES and n.id not in defined:
            return n.id
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr in _FOREIGN_ATTRS and n.attr not in defined:
            return "." + n.attr
    return None


def _undefined_call(tree: ast.Module, input_: str) -> str | None:
    """In a program of bare expressions (`O(n)`, `Number("3.145")`, `String.fromCharCode(...)`, `fetch(...)`), the
    first call of a name that is neither defined (here or in the row's input), imported, nor a builtin: called
    directly, or a capitalised name's method. snake_case names are taken as the user's own functions
    (`my_function(my_var)`), lower-case objects' methods as Python with its context left out."""
    body = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not all(isinstance(s, ast.Expr) for s in body):
        return None
    defined = _defined(tree)
    try:
        defined |= _defined(parse(input_))
    except (SyntaxError, ValueError):
        pass
    for n in ast.walk(tree):
        if isinstance(n, ast.Dict):  # `{city: "LA"}`: a JavaScript object literal
            bare = [k.id for k in n.keys if isinstance(k, ast.Name) and k.id not in defined]
            if bare:
                return f"{{{bare[0]}: ...}}"
        if not isinstance(n, ast.Call):
            continue
        root = n.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in defined or root.id in _BUILTINS or "_" in root.id:
            continue
        if root is n.func or root.id[:1].isupper():  # `re.findall(...)`, `df.dropna()`: Python with context left out
            return ast.unparse(n.func)
    return None


_BUILTINS = set(dir(builtins))
_FENCE = re.compile(r"\A\s*```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)\n[ \t]*```\s*\Z", re.S | re.I)
_HEREDOC_SHELL = re.compile(r"\A#!\s*/(?:usr/)?bin/(?:env\s+)?(?:ba|z)?sh\b.*^\s*\w+\s*<<\s*['\"]?\w+", re.S | re.M)
# Languages an instruction may name as the data a Python program handles ("parse the HTML", "query a SQLite
# table", "run a shell command"): a row asking for them keeps a substantial Python answer.
_DATA_LANGUAGES = {"HTML/CSS", "SQL", "shell"}
_C_FAMILY = {"Java", "C#", "C/C++", "C++", "C"}


def unfence(output: str) -> str:
    """The code inside a ```python (or bare ```) fence that is the whole answer; other outputs unchanged."""
    m = _FENCE.match(output)
    return m.group(1) if m else output


# A line that starts the output a program shows ("Output: 15", "# Output:" followed by uncommented lines,
# "Input: a = 5" before it): the code above it is the answer.
_SHOWN = re.compile(r"^(#[ \t]*)?(?:(?:sample|example|expected)[ \t]+)?(?:input|output|result)s?[ \t]*:", re.I | re.M)


def cut_shown_output(code: str) -> str:
    """`code` without a trailing block that shows what it prints ("Output: 15", "Result: [4, 5, 8]"), when the
    code above the block is valid Python on its own. An uncommented header is cut even where it parses (`Output: True`
    is an annotation that raises NameError); a commented one only where the whole does not parse."""
    whole = None
    for m in _SHOWN.finditer(code):
        head = code[:m.start()].rstrip()
        if not head.strip() or not parses(head):
            continue
        if m.group(1):
            whole = parses(code) if whole is None else whole
            if whole:
                continue
        return head
    return code


def _cut_labelled_tail(code: str) -> str:
    """Code followed by what it prints, with no header ("Maximum: 7" after `print("Maximum:", ...)`): the code
    above the first line shaped like a labelled value, when every statement from there on is one."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return code
    defined = _defined(tree)
    labelled = [isinstance(st, ast.AnnAssign) and st.value is None and not _type_like(st.annotation, defined)
                for st in tree.body]
    k = len(labelled)
    while k and labelled[k - 1]:
        k -= 1
    if k == len(labelled) or k == 0 or not any(isinstance(n, _CALLING + (ast.FunctionDef, ast.ClassDef)) for st in tree.body[:k]
                                                for n in ast.walk(st)):
        return code
    return "\n".join(code.splitlines()[:tree.body[k].lineno - 1]).rstrip()


def answer_code(output: str) -> str:
    """The Python answer of an output: unfenced, a trailing block showing what it prints cut."""
    code = unfence(normalize_newlines(output).strip("\n"))
    cut = _cut_labelled_tail(cut_shown_output(code))
    return unfence(output) if cut == code else _TRAILING_OUTPUT_COMMENT.sub("", cut)


_TRAILING_OUTPUT_COMMENT = re.compile(r"(?:\n[ \t]*#[ \t]*(?:(?:sample|example|expected)[ \t]+)?(?:output|result)s?\b[^\n]*)+\s*\Z", re.I)


def _substantial(tree: ast.Module) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
               for n in ast.walk(tree))


def rejection_reason(instruction: str, input_: str, output: str) -> str | None:
    """None when the row is a Python task with a Python answer (`answer_code(output)`, the code kept), else why not."""
    output = answer_code(output)
    if not output.strip():
        return "empty output"
    asked = [name for name, rx in _OTHER_LANG_RES if rx.search(instruction)]
    mentions_python = bool(_PYTHON_RE.search(instruction))
    try:
        tree = parse(output)
    except (SyntaxError, ValueError):
        try:  # uniformly indented snippets parse once dedented; tabs mixed with spaces once expanded
            tree = parse(textwrap.dedent(output.expandtabs(8)))
        except (SyntaxError, ValueError):
            if re.search(r"^\s*(?:print\s+[^\s(=]|exec\s+[\"'])|^\s*except\s+\w+\s*,\s*\w+\s*:", output, re.M):
                return "output is Python 2, not valid Python 3"
            lang = guess_language(output, weak=True)
            if lang in _C_FAMILY and asked and asked[0] in _C_FAMILY:
                lang = asked[0]  # `public class` is Java and C# alike: the instruction tells them apart
            if lang:
                return f"output is {lang} code"
            if _looks_like_code(output):
                return f"output is {asked[0]} code" if asked else "output is not valid Python 3"
            if re.search(r"^[ \t]*(?:def|class|for|while|if|import|from|return)\b[^\n]*:?[ \t]*$", output, re.M):
                return "output is not valid Python 3"  # Python whose indentation was lost, a missing colon
            return "output is prose, not code"
    if _HEREDOC_SHELL.search(output):
        return "output is shell code"
    if _is_literal_answer(tree) and not (_literal_assignments(tree) and not input_.strip() and _CREATE.search(instruction)):
        return "output is a literal answer, not code"
    label = _labelled_value(tree)
    if label:
        return f"output is labelled values ({label}), not code"
    api = _foreign_api(tree)
    if api:
        return f"output uses another language's API ({api})"
    call = _undefined_call(tree, input_)
    if call:
        return f"output uses names it never defines or imports ({call})"
    if asked and not mentions_python and not (set(asked) <= _DATA_LANGUAGES and _substantial(tree)):
        return f"instruction asks for {asked[0]}"
    if input_.strip() and not mentions_python:
        try:
            parse(normalize_newlines(input_))
        except (SyntaxError, ValueError):
            lang = guess_language(input_)
            data = lang in _DATA_LANGUAGES or lang == "JavaScript" and _declarations_only(input_)
            if lang and not (data and _substantial(tree)):  # the HTML a parser is given, `let xs = [...]` data
                return f"input is {lang} code"
    return None
