"""Explanations for the `code_explained` variant.

`explain_code` is the default: offline and deterministic. Every sentence states a fact read off the code's AST
and says what it can of what the code computes: the parameters and what is returned, the functions called, a
returned name's start value and how a loop changes it, base cases in the order they are checked, loops and what
their bodies update, a caught or raised exception, and at the top level which prints run once, in a loop or under
a condition. Running time is not guessed; where nothing safe can be said, it says less. `codealpaca_prep.claims`
checks every sentence against the code. Phrasing varies with the code (a hash picks among equivalent wordings).
`HFExplainer` asks any local causal LM instead (`--explainer hf:PATH`); its sentences are not checked.
"""
from __future__ import annotations

import ast
import re
import zlib
from collections import Counter

from common.pysource import parse

EXPLANATION_HEADER = "Explanation:"
_MAX = 48  # longest code excerpt quoted in a sentence


def _q(node: ast.AST | str) -> str | None:
    """`code` of a short expression, None when too long to quote."""
    text = node if isinstance(node, str) else ast.unparse(node)
    text = " ".join(text.split())
    return f"`{text}`" if len(text) <= _MAX and "`" not in text and not _SENTENCE_END.search(text) else None


def _names(items: list[str]) -> str:
    items = [f"`{i}`" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Pick:
    """Deterministic choice among equivalent wordings, seeded by the code."""

    def __init__(self, code: str):
        self.seed = zlib.crc32(code.encode())

    def __call__(self, *options: str) -> str:
        self.seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
        return options[self.seed % len(options)]


def own_nodes(fn: ast.AST) -> list[ast.AST]:
    """Nodes of a function's body, not descending into nested functions, classes or lambdas."""
    out, stack = [], list(ast.iter_child_nodes(fn))
    while stack:
        n = stack.pop()
        out.append(n)
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return sorted(out, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _loop_sentence(loop: ast.For | ast.While, pick: _Pick) -> str:
    body = [n for stmt in loop.body for n in ast.walk(stmt)]
    if isinstance(loop, ast.For):
        target, it = _q(loop.target), _q(loop.iter)
        head = (pick("It loops over {it} with {t}", "A `for` loop walks through {it}, one {t} at a time",
                     "It iterates {t} over {it}").format(it=it, t=target) if it and target else "It has a `for` loop")
    else:
        test = _q(loop.test)
        head = pick("A `while` loop repeats as long as {c}", "It keeps looping while {c}").format(c=test) if test else "It has a `while` loop"
    what = []
    for n in body:
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            op = {ast.Add: "adding to", ast.Sub: "subtracting from", ast.Mult: "multiplying"}.get(type(n.op), "updating")
            what.append(f"{op} `{n.target.id}`")
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "add", "extend") \
                and isinstance(n.func.value, ast.Name):
            what.append(f"collecting items into `{n.func.value.id}`")
        elif isinstance(n, ast.Return) and n.value is not None and _q(n.value):
            what.append(f"returning {_q(n.value)} early")
        elif isinstance(n, ast.Break):
            what.append("stopping at `break`")
    what = list(dict.fromkeys(what))[:2]
    return head + (", " + " and ".join(what) if what else "") + "."


def _passes_over(fn: ast.FunctionDef, params: list[str]) -> tuple[str, bool] | None:
    """(parameter, exits early) when the function's only loop walks over one of its parameters (directly,
    `enumerate(p)` or `range(len(p))`) and nothing else in it loops; else None."""
    nodes = own_nodes(fn)
    loops = [n for n in nodes if isinstance(n, (ast.For, ast.While, ast.comprehension))]
    if len(loops) != 1 or not isinstance(loops[0], ast.For) or loops[0] not in fn.body or _calls_itself(fn, None):
        return None
    it = loops[0].iter
    over = None
    if isinstance(it, ast.Name):
        over = it.id
    elif isinstance(it, ast.Call) and len(it.args) == 1 and not it.keywords:
        a = it.args[0]
        if _call_name(it) == "enumerate" and isinstance(a, ast.Name):
            over = a.id
        elif _call_name(it) == "range" and isinstance(a, ast.Call) and _call_name(a) == "len" and len(a.args) == 1 \
                and isinstance(a.args[0], ast.Name):
            over = a.args[0].id
    if over not in params or any(isinstance(n, (ast.Assign, ast.AugAssign)) and any(
            isinstance(t, ast.Name) and t.id == over for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
            for n in nodes):
        return None
    body = [n for stmt in loops[0].body for n in ast.walk(stmt)]
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
           and n.func.value.id == over and n.func.attr in _MUTATORS for n in body):
        return None  # the loop changes what it walks over
    early = any(isinstance(n, (ast.Return, ast.Break, ast.Raise)) for n in body)
    return over, early


_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "add", "discard", "update", "popitem", "setdefault"}


def _calls_itself(fn: ast.FunctionDef, owner: str | None) -> bool:
    """`f(...)` inside function `f`; `self.m(...)` (or `cls.m`, `Owner.m`) inside method `m`."""
    for n in own_nodes(fn):
        if isinstance(n, ast.Call):
            f = n.func
            if owner is None and isinstance(f, ast.Name) and f.id == fn.name:
                return True
            if owner is not None and isinstance(f, ast.Attribute) and f.attr == fn.name and isinstance(f.value, ast.Name) \
                    and f.value.id in ("self", "cls", owner):
                return True
    return False


def _straight(fn: ast.FunctionDef) -> bool:
    return not any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in own_nodes(fn))


def base_cases(fn: ast.FunctionDef, owner: str | None = None) -> list[tuple[ast.expr, ast.expr | None]]:
    """(test, returned value) of the checks a recursive function makes before anything else: the leading run of
    `if TEST: return VALUE` statements (and `elif` chains of them) whose VALUE does not call the function."""
    out: list[tuple[ast.expr, ast.expr | None]] = []
    stmts = list(fn.body)
    if stmts and isinstance(stmts[0], ast.Expr) and isinstance(stmts[0].value, ast.Constant):
        stmts = stmts[1:]  # the docstring
    for stmt in stmts:
        node = stmt
        while isinstance(node, ast.If) and len(node.body) == 1 and isinstance(node.body[0], ast.Return) \
                and not _calls_self_in(node.body[0], fn.name, owner) and not _calls_self_in(node.test, fn.name, owner):
            out.append((node.test, node.body[0].value))
            if len(node.orelse) > 1:
                return out  # an `else` of several statements: what it does next is not a plain check
            node = node.orelse[0] if node.orelse else None
        if node is not None:
            break
    return out


def _calls_self_in(node: ast.AST | None, name: str, owner: str | None) -> bool:
    for n in ast.walk(node) if node is not None else ():
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name) and f.id == name or isinstance(f, ast.Attribute) and f.attr == name:
                return True
    return False


def _base_sentence(fn: ast.FunctionDef, owner: str | None) -> str | None:
    parts = []
    for test, value in base_cases(fn, owner)[:3]:
        c, v = _q(test), _q(value) if value is not None else "`None`"
        if not (c and v):
            break
        parts.append(f"{c}, returning {v}")
    if not parts:
        return None
    return "it first checks " + ", then ".join(parts) + ","


def _returns(fn: ast.FunctionDef, pick: _Pick) -> str:
    nodes = own_nodes(fn)
    values = [n.value for n in nodes if isinstance(n, ast.Return) and n.value is not None]
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes):
        return pick("is a generator: it yields its values one at a time", "yields its results lazily, as a generator")
    if not values:
        prints = [n for n in nodes if isinstance(n, ast.Call) and _call_name(n) == "print" and isinstance(n.func, ast.Name)]
        if prints:
            return pick("prints its result instead of returning it", "reports by printing and returns `None`",
                        "shows its result with `print` rather than returning it")
        return pick("returns `None`", "has no return value")
    quoted = list(dict.fromkeys(q for q in (_q(v) for v in values) if q))
    if len(values) == 1:
        return f"returns {quoted[0]}" if quoted else pick("returns the value it computes", "hands back what it computes")
    if len(quoted) >= 2:
        return f"has {len(values)} `return` statements, for example {quoted[0]} and {quoted[1]}"
    return f"has {len(values)} `return` statements"


_NOT_WORK = {"print", "len", "range", "enumerate", "str", "int", "float", "list", "dict", "set", "tuple", "super",
             "isinstance", "type", "bool"}


def called_names(fn: ast.FunctionDef, owner: str | None = None) -> list[str]:
    """The functions `fn` calls by a plain or dotted name (`sorted`, `math.sqrt`, `self.items.append`), in order,
    leaving out itself and the everyday builtins (`len`, `range`, `print`, conversions)."""
    out = []
    for n in own_nodes(fn):
        if isinstance(n, ast.Call):
            name = _dotted(n.func)
            if name and name.split(".")[-1] != fn.name and name not in _NOT_WORK:
                out.append(name)
    return list(dict.fromkeys(out))


def _dotted(f: ast.expr) -> str | None:
    parts = []
    while isinstance(f, ast.Attribute):
        parts.append(f.attr)
        f = f.value
    if not isinstance(f, ast.Name):
        return None
    return ".".join([f.id, *reversed(parts)])


_ACC_OPS = {ast.Add: "adds {e} to it", ast.Sub: "subtracts {e} from it", ast.Mult: "multiplies it by {e}"}


def accumulators(fn: ast.FunctionDef) -> list[tuple[str, ast.expr, str, ast.expr]]:
    """(name, start value, how, item) for a name the function returns, sets once at its top level to a constant
    literal, and otherwise changes only once, inside a loop (`total += x` or `out.append(x)`)."""
    nodes = own_nodes(fn)
    returned = {n.value.id for n in nodes if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    found = []
    for name in sorted(returned):
        starts = [st for st in fn.body if isinstance(st, ast.Assign) and len(st.targets) == 1
                  and isinstance(st.targets[0], ast.Name) and st.targets[0].id == name
                  and isinstance(st.value, (ast.Constant, ast.List, ast.Dict, ast.Set, ast.Tuple))
                  and not any(isinstance(x, ast.Name) for x in ast.walk(st.value))]
        updates = [n for loop in nodes if isinstance(loop, (ast.For, ast.While)) for st in loop.body for n in ast.walk(st)
                   if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name
                   and type(n.op) in _ACC_OPS
                   or isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append"
                   and isinstance(n.func.value, ast.Name) and n.func.value.id == name and len(n.args) == 1]
        if len(starts) != 1 or len({id(u) for u in updates}) != 1:
            continue
        u = updates[0]
        stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
        uses = [n for n in nodes if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.value, ast.Name)
                and n.value.id == name and (not isinstance(n.ctx, ast.Load) or isinstance(n, ast.Attribute))]
        if len(stores) != 1 + isinstance(u, ast.AugAssign) or len(uses) != (0 if isinstance(u, ast.AugAssign) else 1):
            continue  # written elsewhere too, or a method of it (`out.sort()`) is called
        how = _ACC_OPS[type(u.op)] if isinstance(u, ast.AugAssign) else "appends {e} to it"
        found.append((name, starts[0].value, how, u.value if isinstance(u, ast.AugAssign) else u.args[0]))
    return found


def _accumulator(fn: ast.FunctionDef) -> str | None:
    for name, start, how, item in accumulators(fn):
        s, e = _q(start), _q(item)
        if s and e:
            return f"`{name}` starts as {s}, and a loop {how.format(e=e)}."
    return None


def _describe_function(fn: ast.FunctionDef, pick: _Pick, owner: str | None = None) -> list[str]:
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
    if fn.args.vararg:
        params.append("*" + fn.args.vararg.arg)
    if fn.args.kwarg:
        params.append("**" + fn.args.kwarg.arg)
    subject = f"`{owner}.{fn.name}`" if owner else f"`{fn.name}`"
    takes = (pick("takes {p}", "accepts {p}", "is called with {p}").format(p=_names(params)) if params
             else pick("takes no arguments", "needs no arguments"))
    out = [f"{subject} {takes} and {_returns(fn, pick)}."]
    doc = ast.get_docstring(fn)
    if doc and doc.strip():
        first = doc.strip().splitlines()[0].strip().rstrip(".")
        if 0 < len(first) <= 100 and not _SENTENCE_END.search(first) and '"' not in first:
            out.append(pick("Its docstring: \"{d}\".", "The docstring sums it up as \"{d}\".").format(d=first))
    nodes = own_nodes(fn)
    called = called_names(fn, owner)
    if called:
        out.append(pick("It calls {c}.", "Inside, it calls {c}.", "Along the way it calls {c}.").format(c=_names(called[:4])))
    recursive = _calls_itself(fn, owner)
    if recursive:
        base = _base_sentence(fn, owner)
        out.append(pick("It is recursive", "It calls itself") + (f": {base} before calling `{fn.name}` again." if base
                                                               else f", calling `{fn.name}` again."))
    loops = sorted((n for n in nodes if isinstance(n, (ast.For, ast.While))), key=lambda n: (n.lineno, n.col_offset))
    for loop in loops[:2]:
        out.append(_loop_sentence(loop, pick))
    if len(loops) > 2:
        out.append(f"It has {len(loops) - 2} more loop{'s' if len(loops) > 3 else ''}.")
    acc = _accumulator(fn)
    if acc:
        out.append(acc)
    comps = [n for n in nodes if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))]
    if comps and _q(comps[0]):
        kind = {ast.ListComp: "list", ast.SetComp: "set", ast.DictComp: "dictionary", ast.GeneratorExp: "generator-expression"}[type(comps[0])]
        out.append(pick("It builds {c}, a {k} comprehension.", "It uses the {k} comprehension {c}.")
                   .format(k=kind, c=_q(comps[0])).replace("generator-expression comprehension", "generator expression").replace("a generator-expression", "a generator expression"))
    for n in nodes:
        if isinstance(n, ast.If) and any(isinstance(b, ast.Raise) for b in n.body):
            r = next(b for b in n.body if isinstance(b, ast.Raise))
            exc = r.exc.func.id if isinstance(r.exc, ast.Call) and isinstance(r.exc.func, ast.Name) else None
            if exc and _q(n.test):
                out.append(f"It raises `{exc}` when {_q(n.test)}.")
                break
    handlers = [h for n in nodes if isinstance(n, ast.Try) for h in n.handlers]
    if handlers:
        caught = sorted({ast.unparse(h.type) for h in handlers if h.type is not None})
        out.append(f"A `try` block catches {_names(caught)}." if caught else "A bare `except` catches every exception.")
    if not recursive:
        if _straight(fn):
            if len(fn.body) >= 3:
                out.append(pick("{f} has no loop and no recursion: each call runs straight through.",
                                "With no loop and no recursion, {f} runs top to bottom once per call.",
                                "{f} contains no loop and does not call itself.").format(f=subject))
        else:
            passes = _passes_over(fn, params)
            if passes:
                out.append((pick("The loop body runs at most once per item of `{p}`: it can stop early.",
                                 "It can stop early, so the loop runs at most `len({p})` times.") if passes[1] else
                            pick("The loop body runs exactly once per item of `{p}`.",
                                 "So the loop runs `len({p})` times, once per item.")).format(p=passes[0]))
    return out


def print_calls(stmts: list[ast.stmt]) -> tuple[list[ast.Call], list[ast.Call], list[tuple[ast.If, ast.Call]]]:
    """The `print(...)` calls of top-level statements: (all of them, those that are statements of their own at the
    top level, so run once each, and (the `if`, the call) for those inside an `if` that is not inside a loop)."""
    stmts = [st for top in stmts for st in (top.body if _main_guard(top) else [top])]
    mod = ast.Module(body=stmts, type_ignores=[])
    every = [c for c in ast.walk(mod) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "print"]
    straight = [st.value for st in stmts if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call)
                and isinstance(st.value.func, ast.Name) and st.value.func.id == "print"]
    branched = []

    def visit(node: ast.AST, in_loop: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(child, ast.If) and not in_loop:
                branched.extend((child, c) for c in ast.walk(child) if c in every)
            visit(child, in_loop or isinstance(child, (ast.For, ast.While, ast.comprehension)))

    visit(mod, False)
    return every, straight, branched


def _main_guard(st: ast.stmt) -> bool:
    """`if __name__ == "__main__":` without an `else`."""
    return isinstance(st, ast.If) and not st.orelse and isinstance(st.test, ast.Compare) and _q(st.test) in (
        "`__name__ == '__main__'`", "`'__main__' == __name__`")


def _module_sentences(stmts: list[ast.stmt], pick: _Pick, defined: set[str]) -> list[str]:
    out = []
    mod = ast.Module(body=stmts, type_ignores=[])
    calls = [n for n in ast.walk(mod) if isinstance(n, ast.Call)]
    used = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id in defined]
    if used and _q(used[0]):
        out.append(pick("The script then calls {c}.", "Below the definitions it runs {c}.", "It is exercised with {c}.").format(c=_q(used[0])))
    assigned = list(dict.fromkeys(t.id for s in stmts if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)))
    first = next((st for st in stmts if isinstance(st, ast.Assign)), None)
    if assigned and not used:
        out.append(pick("It first sets {a}.", "Top-level code starts by setting {a}.").format(a=_q(first)) if _q(first)
                   else pick("It sets up {v} at the top level.", "Top-level code assigns {v}.").format(v=_names(assigned[:3])))
    loops = [n for n in ast.walk(mod) if isinstance(n, (ast.For, ast.While))]
    for loop in loops[:1]:
        text = _loop_sentence(loop, pick)
        out.append("At the top level, " + text[0].lower() + text[1:] if text.startswith(("It ", "A ")) else text)
    every, straight, branched = print_calls(stmts)
    if every:
        if len(straight) == len(every):
            last = _q(every[-1])
            if len(every) == 1:
                out.append(pick("It prints with {c}.", "Its output comes from {c}.").format(c=last) if last
                           else "One `print` call, run once, gives its output.")
            else:
                out.append(f"Its {len(every)} `print` calls each run once" + (f", the last being {last}." if last else "."))
        elif any(c in every for loop in loops for c in ast.walk(loop)):
            out.append(pick("It prints from inside a loop.", "Its printing happens inside a loop."))
        elif branched and _q(branched[0][0].test):
            out.append(pick("What it prints depends on {c}.", "Which `print` runs depends on {c}.").format(c=_q(branched[0][0].test)))
    if not out:
        first = _q(stmts[0])
        if len(stmts) == 1 and first:
            out.append(pick("It is a single step: {s}.", "All it does is {s}.", "It runs {s}.").format(s=first))
        else:
            out.append(f"It starts with {first or _KINDS.get(type(stmts[0]), 'a statement')}.")
    return out


_KINDS = {ast.If: "an `if` statement", ast.With: "a `with` block", ast.Try: "a `try` block", ast.Expr: "an expression",
          ast.Assign: "an assignment", ast.AugAssign: "an in-place update", ast.Delete: "a `del` statement"}


def explain_code(code: str) -> str:
    """A few sentences of prose, each true of `code`. Deterministic; never raises on parseable code."""
    return " ".join(text for _, text in explain_sentences(code))


def explain_sentences(code: str) -> list[tuple[str | None, str]]:
    """(scope, sentence) pairs: scope is the function a sentence describes (`name` or `Class.name`), None for the
    module, its imports and classes."""
    tree = parse(code)
    pick = _Pick(code)
    sentences: list[tuple[str | None, str]] = []
    modules = sorted({a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
                     | {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module})
    if modules:
        attrs = sorted({f"{n.value.id}.{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                        and isinstance(n.value, ast.Name) and n.value.id in modules})
        sentences.append((None, pick("It imports {m}", "It relies on {m}", "It brings in {m}").format(m=_names(modules))
                          + (f" and uses {_names(attrs[:3])}." if attrs else ".")))
    defined = set()
    top_names = [st.name for st in tree.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))]
    rest = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            defined.add(stmt.name)
            methods = [m for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            bases = [b for b in (_q(b) for b in stmt.bases) if b]
            line = f"The class `{stmt.name}`" + (f" subclasses {', '.join(bases)} and" if bases else "")
            line += (f" defines {_names([m.name for m in methods])}." if methods else " defines no methods.")
            sentences.append((None, line))
            init = next((m for m in methods if m.name == "__init__"), None)
            if init:
                attrs = list(dict.fromkeys(t.attr for n in ast.walk(init) if isinstance(n, ast.Assign) for t in n.targets
                                           if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"))
                if attrs:
                    sentences.append((f"{stmt.name}.__init__", pick("Its constructor stores {a} on the instance.",
                                                                    "Each instance keeps {a}, set in `__init__`.").format(a=_names(attrs[:5]))))
            for m in methods:
                if m.name != "__init__" and len(sentences) < 10 and [x.name for x in methods].count(m.name) == 1:
                    sentences.extend((f"{stmt.name}.{m.name}", t) for t in _describe_function(m, pick, stmt.name)[:2])
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(stmt.name)
            if top_names.count(stmt.name) == 1:  # a name defined twice: which one a sentence means is unclear
                sentences.extend((stmt.name, t) for t in _describe_function(stmt, pick))
        elif not isinstance(stmt, (ast.Import, ast.ImportFrom)) and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            rest.append(stmt)
    if rest:
        sentences.extend((None, t) for t in _module_sentences(rest, pick, defined))
    if not sentences:
        sentences.append((None, f"It defines {_names(sorted(defined)[:4])}." if defined
                          else "The code only imports modules and defines constants."))
    return sentences


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")


def sentences_of(text: str) -> list[str]:
    return [t for t in _SENTENCE_END.split(text.strip()) if t]


def text_stats(explanations: list[str], top: int = 5) -> dict:
    """How varied the explanations are: distinct texts, and the sentences found in the most rows."""
    per_sentence = Counter(s for e in explanations for s in set(sentences_of(e)))
    n = len(explanations)
    return {"rows": n, "distinct": len(set(explanations)), "distinct_share": round(len(set(explanations)) / n, 4) if n else None,
            "top_sentences": [{"sentence": s, "rows": k, "share": round(k / n, 4)} for s, k in per_sentence.most_common(top)]}


def with_explanation(code: str, explanation: str) -> str:
    return f"{code}\n\n{EXPLANATION_HEADER} {explanation.strip()}"


class HFExplainer:
    """Explanations from a local Hugging Face causal LM (`--explainer hf:PATH`), greedy, batched."""

    PROMPT = ("Explain in a short paragraph what the following Python code does and why it is written this way.\n\n"
              "```python\n{code}\n```\n\nExplanation:")

    def __init__(self, path: str, max_new_tokens: int = 160, batch_size: int = 8, device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(path)
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.tok.padding_side = "left"
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = AutoModelForCausalLM.from_pretrained(path).to(self.device).eval()
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size

    def explain_many(self, codes: list[str]) -> list[str]:
        out = []
        for i in range(0, len(codes), self.batch_size):
            prompts = [self.PROMPT.format(code=c) for c in codes[i:i + self.batch_size]]
            enc = self.tok(prompts, return_tensors="pt", padding=True).to(self.device)
            with self.torch.no_grad():
                gen = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          pad_token_id=self.tok.pad_token_id)
            for row in gen[:, enc["input_ids"].shape[1]:]:
                text = self.tok.decode(row, skip_special_tokens=True).strip().split("\n\n")[0]
                out.append(" ".join(text.split()) or "(no explanation generated)")
        return out
