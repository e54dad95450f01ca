"""Check an explanation against its code: every sentence is matched to a claim it makes and that claim is verified
on the code's AST (prints: how many and under which condition; loops; recursion and its base cases; returns;
parameters; calls; raises; the class and its constructor). A sentence no rule recognises is reported too, so a
new kind of sentence cannot pass unchecked.

`check(code, explanation)` gives (sentence, problem) pairs, problem None for a sentence that holds. It reads the
explanation as text (the scope of a sentence is the function its paragraph names), not how it was generated.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable

from common.pysource import parse

from .explain import _calls_itself, own_nodes, sentences_of

Q = r"`([^`]+)`"  # a quoted code excerpt
LOOPS = (ast.For, ast.While)


def _src(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())


def _names(text: str) -> list[str]:
    return re.findall(Q, text)


class _Code:
    def __init__(self, code: str):
        self.tree = parse(code)
        self.functions: dict[str, tuple[ast.FunctionDef, str | None]] = {}
        seen: dict[str, int] = {}
        for n in self.tree.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                seen[n.name] = seen.get(n.name, 0) + 1
                self.functions[n.name] = (n, None)
            elif isinstance(n, ast.ClassDef):
                for m in n.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        key = f"{n.name}.{m.name}"
                        seen[key] = seen.get(key, 0) + 1
                        self.functions[key] = (m, n.name)
        self.twice = {k for k, v in seen.items() if v > 1}
        self.classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}
        self.rest = [st for st in self.tree.body if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                                         ast.Import, ast.ImportFrom))
                     and not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]


def _params(fn: ast.FunctionDef) -> list[str]:
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
    params += ["*" + fn.args.vararg.arg] if fn.args.vararg else []
    return params + (["**" + fn.args.kwarg.arg] if fn.args.kwarg else [])


# ------------------------------------------------------------------ claims about a function: (fn, owner, sentence)

def _first(fn, owner, s) -> str | None:
    m = re.match(r"`[\w.]+` (?:takes|accepts|is called with|needs|takes no|needs no) ?(.*?) and (returns|has|is a generator|yields"
                 r"|prints its result|reports by printing|shows its result|hands back)(.*)\.$", s)
    if not m:
        return "first sentence not understood"
    named = _names(m.group(1)) if "no arguments" not in m.group(1) else []
    if named != _params(fn):
        return f"parameters {named} != {_params(fn)}"
    nodes = own_nodes(fn)
    rets = [n for n in nodes if isinstance(n, ast.Return)]
    values = [n.value for n in rets if n.value is not None]
    gen = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes)
    verb, rest = m.group(2), m.group(3)
    prints = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print" for n in nodes)
    if verb in ("is a generator", "yields"):
        return None if gen else "claims a generator"
    if gen:
        return "a generator described as a function"
    if verb in ("prints its result", "reports by printing", "shows its result"):
        return None if prints and not values else "claims it prints instead of returning"
    if verb == "has":
        if rest.strip() == "no return value":
            return None if not values else "claims no return value"
        k = re.match(r" (\d+) `return` statements(?:, for example `([^`]+)` and `([^`]+)`)?$", rest)
        if not k or int(k.group(1)) != len(values):
            return f"claims {rest!r}, has {len(values)} returns with a value"
        srcs = {_src(v) for v in values}
        return None if not k.group(2) or {k.group(2), k.group(3)} <= srcs else "quoted returns not in the code"
    if verb == "hands back" or rest.strip() in ("the value it computes",):
        return None if len(values) == 1 else "claims one return value"
    if rest.strip() == "`None`":
        return None if not values else "claims it returns None"
    one = re.fullmatch(r" `([^`]+)`", rest)
    if one:
        return None if len(values) == 1 and _src(values[0]) == one.group(1) else f"no single return of {one.group(1)}"
    return "returns claim not understood"


def _docstring(fn, owner, s) -> str | None:
    m = re.search(r"\"(.+)\"\.$", s)
    doc = (ast.get_docstring(fn) or "").strip().splitlines()
    return None if m and doc and doc[0].strip().rstrip(".") == m.group(1) else "docstring not as quoted"


def _calls(fn, owner, s) -> str | None:
    calls = {_src(n.func) for n in own_nodes(fn) if isinstance(n, ast.Call)}
    missing = [c for c in _names(s) if c not in calls]
    return f"does not call {missing}" if missing or not _names(s) else None


def _recursion(fn, owner, s) -> str | None:
    if not _calls_itself(fn, owner):
        return "claims recursion"
    m = re.search(r"it first checks (.*) before calling", s)
    if not m:
        return None if re.search(r", calling `[\w.]+` again\.$", s) else "recursion sentence not understood"
    claimed = re.findall(r"`([^`]+)`, returning `([^`]+)`", m.group(1))
    actual, body = [], [st for st in fn.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
    node = body[0] if body else None
    while isinstance(node, ast.If) and len(node.body) == 1 and isinstance(node.body[0], ast.Return):
        value = node.body[0].value
        if any(isinstance(n, ast.Call) and _src(n.func).split(".")[-1] == fn.name for n in ast.walk(node.body[0])):
            break
        actual.append((_src(node.test), _src(value) if value is not None else "None"))
        if len(node.orelse) == 1:
            node = node.orelse[0]
        elif not node.orelse and len(body) > 1:
            body = body[1:]
            node = body[0]
        else:
            break
    return None if claimed and claimed == actual[:len(claimed)] else f"base cases {claimed} != {actual}"


def _loop(scope_nodes: list[ast.AST], s: str) -> str | None:
    loops = [n for n in scope_nodes if isinstance(n, LOOPS)]
    m = (re.search(r"(?:loops over|walks through|iterates `[^`]+` over) `([^`]+)`", s), re.search(r"(?:with|one) `([^`]+)`", s),
         re.search(r"iterates `([^`]+)` over", s), re.search(r"(?:as long as|while) `([^`]+)`", s))
    for loop in loops:
        if isinstance(loop, ast.For) and m[0]:
            target = (m[2] or m[1]).group(1) if (m[2] or m[1]) else None
            if _src(loop.iter) != m[0].group(1) or target != _src(loop.target):
                continue
        elif isinstance(loop, ast.While) and m[3]:
            if _src(loop.test) != m[3].group(1):
                continue
        elif not re.search(r"has a `(for|while)` loop", s) or type(loop).__name__.lower() not in s:
            continue
        body = [n for st in loop.body for n in ast.walk(st)]
        ok = True
        for verb, name in re.findall(r"(adding to|subtracting from|multiplying|updating|collecting items into) `(\w+)`", s):
            op = {"adding to": ast.Add, "subtracting from": ast.Sub, "multiplying": ast.Mult}.get(verb)
            if verb == "collecting items into":
                ok &= any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "add", "extend")
                          and isinstance(n.func.value, ast.Name) and n.func.value.id == name for n in body)
            else:
                ok &= any(isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name
                          and (op is None or isinstance(n.op, op)) for n in body)
        for value in re.findall(r"returning `([^`]+)` early", s):
            ok &= any(isinstance(n, ast.Return) and n.value is not None and _src(n.value) == value for n in body)
        if "stopping at `break`" in s:
            ok &= any(isinstance(n, ast.Break) for n in body)
        if ok:
            return None
    return "no such loop"


def _more_loops(fn, owner, s) -> str | None:
    n = int(re.search(r"(\d+) more loop", s).group(1))
    loops = [x for x in own_nodes(fn) if isinstance(x, LOOPS)]
    return None if len(loops) == 2 + n and (n == 1) == s.endswith("loop.") else f"{len(loops)} loops"


def _accumulator(fn, owner, s) -> str | None:
    m = re.match(r"`(\w+)` starts as `([^`]+)`, and a loop (adds|subtracts|multiplies it by|appends) `([^`]+)`", s)
    if not m:
        return "accumulator sentence not understood"
    how = {"adds": "adds {e} to it", "subtracts": "subtracts {e} from it", "multiplies it by": "multiplies it by {e}",
           "appends": "appends {e} to it"}[m.group(3)]
    name, start, item = m.group(1), m.group(2), m.group(4)
    # independent reading: one top-level assignment of `start`, one update inside a loop, returned
    nodes = own_nodes(fn)
    top = [st for st in fn.body if isinstance(st, ast.Assign) and [_src(t) for t in st.targets] == [name]]
    stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
    in_loops = {id(n) for loop in nodes if isinstance(loop, LOOPS) for st in loop.body for n in ast.walk(st)}
    if len(top) != 1 or _src(top[0].value) != start or not any(isinstance(r, ast.Return) and isinstance(r.value, ast.Name)
                                                                 and r.value.id == name for r in nodes):
        return "no such start or return"
    if how.startswith("appends"):
        ups = [n for n in nodes if isinstance(n, ast.Call) and _src(n.func) == f"{name}.append" and id(n) in in_loops]
        ok = len(stores) == 1 and len(ups) == 1 and _src(ups[0].args[0]) == item
    else:
        op = {"adds": ast.Add, "subtracts": ast.Sub, "multiplies it by": ast.Mult}[m.group(3)]
        ups = [n for n in nodes if isinstance(n, ast.AugAssign) and _src(n.target) == name]
        ok = len(stores) == 2 and len(ups) == 1 and isinstance(ups[0].op, op) and id(ups[0]) in in_loops \
            and _src(ups[0].value) == item
    other = [n for n in nodes if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.value, ast.Name)
             and n.value.id == name and (not isinstance(n.ctx, ast.Load) or isinstance(n, ast.Attribute))]
    ok &= len(other) == (1 if how.startswith("appends") else 0)
    return None if ok else "accumulator does not hold"


def _comprehension(scope_nodes, s) -> str | None:
    kind = re.search(r"(list|set|dictionary|generator)", re.sub(Q, "", s)).group(1)
    cls = {"list": ast.ListComp, "set": ast.SetComp, "dictionary": ast.DictComp, "generator": ast.GeneratorExp}[kind]
    q = _names(s)
    return None if any(isinstance(n, cls) and _src(n) == q[0] for n in scope_nodes) else "no such comprehension"


def _raises(scope_nodes, s) -> str | None:
    exc, cond = _names(s)[:2]
    for n in scope_nodes:
        if isinstance(n, ast.If) and _src(n.test) == cond and any(
                isinstance(b, ast.Raise) and isinstance(b.exc, ast.Call) and _src(b.exc.func) == exc for b in n.body):
            return None
    return "no such raise"


def _try(scope_nodes, s) -> str | None:
    handlers = [h for n in scope_nodes if isinstance(n, ast.Try) for h in n.handlers]
    if "bare `except`" in s:
        return None if any(h.type is None for h in handlers) else "no bare except"
    caught = {ast.unparse(h.type) for h in handlers if h.type is not None}
    return None if handlers and set(_names(s)) - {"try"} == caught else f"catches {sorted(caught)}"


def _straight(fn, owner, s) -> str | None:
    loops = any(isinstance(n, (*LOOPS, ast.comprehension)) for n in own_nodes(fn))
    return "has a loop or recursion" if loops or _calls_itself(fn, owner) else None


def _per_item(fn, owner, s) -> str | None:
    p = re.search(r"item of `(\w+)`|`len\((\w+)\)` times", s)
    p = p.group(1) or p.group(2)
    nodes = own_nodes(fn)
    loops = [n for n in nodes if isinstance(n, (*LOOPS, ast.comprehension))]
    if len(loops) != 1 or not isinstance(loops[0], ast.For) or loops[0] not in fn.body or p not in _params(fn) \
            or _src(loops[0].iter) not in (p, f"range(len({p}))", f"enumerate({p})") or _calls_itself(fn, owner):
        return "loop count not derivable"
    if any(isinstance(n, ast.Name) and n.id == p and not isinstance(n.ctx, ast.Load) for n in nodes):
        return "the parameter is reassigned"
    body = [n for st in loops[0].body for n in ast.walk(st)]
    mutators = ("append", "extend", "insert", "pop", "remove", "clear", "add", "discard", "update", "popitem", "setdefault")
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and _src(n.func.value) == p
           and n.func.attr in mutators for n in body):
        return "the loop changes what it walks over"
    early = any(isinstance(n, (ast.Return, ast.Break, ast.Raise)) for n in body)
    return "claims exactly once but the loop can stop early" if "exactly once" in s and early else None


# ------------------------------------------------------------------ claims about the module

def _is_print(n: ast.AST) -> bool:
    return isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"


def _prints(rest: list[ast.stmt]):
    """(every print call, those run exactly once: statements of the top level or of an `if __name__ == "__main__":`,
    (if, call) for calls under an `if` outside any loop)."""
    top = []
    for st in rest:
        guard = isinstance(st, ast.If) and not st.orelse and _src(st.test) in ("__name__ == '__main__'", "'__main__' == __name__")
        top += st.body if guard else [st]
    every = [n for st in top for n in ast.walk(st) if _is_print(n)]
    straight = [st.value for st in top if isinstance(st, ast.Expr) and _is_print(st.value)]
    in_loop = {id(n) for st in top for loop in ast.walk(st) if isinstance(loop, (*LOOPS, ast.comprehension))
               for n in ast.walk(loop)}
    branched = [(i, n) for st in top for i in ast.walk(st) if isinstance(i, ast.If) and id(i) not in in_loop
                for n in ast.walk(i) if _is_print(n)]
    return every, straight, branched



def _imports(c: _Code, s) -> str | None:
    m = re.match(r"It (?:imports|relies on|brings in) (.*?)(?: and uses (.*))?\.$", s)
    mods = {a.name.split(".")[0] for n in ast.walk(c.tree) if isinstance(n, ast.Import) for a in n.names} \
        | {n.module.split(".")[0] for n in ast.walk(c.tree) if isinstance(n, ast.ImportFrom) and n.module}
    if set(_names(m.group(1))) != mods:
        return f"imports {sorted(mods)}"
    attrs = {_src(n) for n in ast.walk(c.tree) if isinstance(n, ast.Attribute)}
    return None if set(_names(m.group(2) or "")) <= attrs else "uses attributes not in the code"


def _class(c: _Code, s) -> str | None:
    m = re.match(r"The class `(\w+)`(?: subclasses (.*?) and)? defines (.*)\.$", s)
    cls = c.classes.get(m.group(1)) if m else None
    if cls is None:
        return "no such class"
    methods = [n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if (m.group(3) == "no methods") != (not methods) or methods and _names(m.group(3)) != methods:
        return f"methods {methods}"
    claimed, bases = _names(m.group(2) or ""), [_src(b) for b in cls.bases]
    return None if set(claimed) <= set(bases) and bool(claimed) == bool(m.group(2)) else "bases differ"


def _constructor(c: _Code, owner: str, s) -> str | None:
    init = next((n for n in c.classes[owner].body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    stored = {t.attr for n in ast.walk(init) if isinstance(n, ast.Assign) for t in n.targets
              if isinstance(t, ast.Attribute) and _src(t.value) == "self"} if init else set()
    named = [n for n in _names(s) if n != "__init__"]
    return None if named and set(named) <= stored else "not stored in __init__"


def _module(c: _Code, s) -> str | None:
    mod = ast.Module(body=c.rest, type_ignores=[])
    nodes = list(ast.walk(mod))
    q = _names(s)
    if re.match(r"(The script then calls|Below the definitions it runs|It is exercised with) ", s):
        return None if any(isinstance(n, ast.Call) and _src(n) == q[0] for n in nodes) else "no such call"
    if re.match(r"(It first sets|Top-level code starts by setting) `", s):
        return None if any(isinstance(st, ast.Assign) and _src(st) == q[0] for st in c.rest) else "no such assignment"
    if re.match(r"(It sets up|Top-level code assigns) ", s):
        assigned = {t.id for st in c.rest if isinstance(st, ast.Assign) for t in st.targets if isinstance(t, ast.Name)}
        return None if set(q) <= assigned else "not assigned at the top level"
    if s.startswith("At the top level, "):
        return _loop(nodes, s)
    every, straight, branched = _prints(c.rest)
    if re.match(r"(It prints with|Its output comes from) ", s) or s == "One `print` call, run once, gives its output.":
        quoted = q[0] if q and q[0] != "print" else None
        return None if len(every) == 1 and straight and (not quoted or _src(straight[0]) == quoted) else "not one print, run once"
    m = re.match(r"Its (\d+) `print` calls each run once", s)
    if m:
        return None if int(m.group(1)) == len(every) == len(straight) and (len(q) < 2 or _src(every[-1]) == q[1]) \
            else f"{len(every)} prints, {len(straight)} at the top level"
    if s in ("It prints from inside a loop.", "Its printing happens inside a loop."):
        return None if any(c_ in every for loop in nodes if isinstance(loop, LOOPS) for c_ in ast.walk(loop)) else "no print in a loop"
    if re.match(r"(What it prints|Which `print` runs) depends on ", s):
        return None if any(_src(i.test) == q[-1] for i, _ in branched) else "no print under that condition"
    if re.match(r"(It is a single step:|All it does is|It runs) ", s):
        return None if len(c.rest) == 1 and _src(c.rest[0]) == q[0] else "not the single statement"
    m = re.match(r"It starts with (.*)\.$", s)
    if m:
        kinds = {"an `if` statement": ast.If, "a `with` block": ast.With, "a `try` block": ast.Try, "an expression": ast.Expr,
                 "an assignment": ast.Assign, "an in-place update": ast.AugAssign, "a `del` statement": ast.Delete}
        if q and m.group(1) not in kinds:
            return None if c.rest and _src(c.rest[0]) == q[0] else "starts otherwise"
        return None if c.rest and (kinds.get(m.group(1)) is type(c.rest[0]) or m.group(1) == "a statement"
                                   and type(c.rest[0]) not in kinds.values()) else "starts otherwise"
    if re.match(r"It defines `[^`]+`( and `[^`]+`|, `[^`]+`)*\.$", s):
        tops = {n.name for n in c.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        return None if set(q) <= tops else "not defined at the top level"
    if s == "The code only imports modules and defines constants.":
        return None if not c.rest and not c.functions and not c.classes else "it does more"
    return "sentence not recognised"


# ------------------------------------------------------------------ the dispatcher

_FN_RULES: list[tuple[str, Callable]] = [
    (r"^(Its docstring:|The docstring sums it up as) ", _docstring),
    (r"^(It calls|Inside, it calls|Along the way it calls) `", _calls),
    (r"^(It is recursive|It calls itself)", _recursion),
    (r"^It has \d+ more loops?\.$", _more_loops),
    (r"^`\w+` starts as `", _accumulator),
    (r"has no loop and no recursion|With no loop and no recursion|contains no loop and does not call itself", _straight),
    (r"once per item of `|`len\(\w+\)` times|at most once per item", _per_item),
]
_SCOPE_RULES: list[tuple[str, Callable]] = [
    (r"^(It loops over|A `for` loop walks|It iterates|A `while` loop repeats|It keeps looping while|It has a `(for|while)` loop)", _loop),
    (r"comprehension|generator expression", _comprehension),
    (r"^It raises `", _raises),
    (r"^(A `try` block catches|A bare `except` catches)", _try),
]


def check(code: str, explanation: str) -> list[tuple[str, str | None]]:
    """(sentence, what is false about it or None) for every sentence of `explanation`."""
    c = _Code(code)
    scope: str | None = None
    out = []
    for s in sentences_of(explanation):
        try:
            problem, scope = _one(c, s, scope)
        except Exception as exc:  # noqa: BLE001 - a sentence the rules misread is a problem, not a crash
            problem = f"not checkable ({type(exc).__name__}: {exc})"
        out.append((s, problem))
    return out


def _one(c: _Code, s: str, scope: str | None) -> tuple[str | None, str | None]:
    """(problem, the scope for the next sentence)."""
    problem = None
    head = re.match(r"`([\w.]+)` (?:takes|accepts|is called with|needs)", s)
    if head:
        scope = head.group(1)
        if scope not in c.functions or scope in c.twice:
            problem = f"no single function {scope}"
        else:
            problem = _first(*c.functions[scope], s)
    elif re.match(r"It (imports|relies on|brings in) `", s):
        problem, scope = _imports(c, s), None
    elif s.startswith("The class `"):
        problem = _class(c, s)
        scope = "class:" + re.match(r"The class `(\w+)`", s).group(1)
    elif re.match(r"(Its constructor stores|Each instance keeps) ", s):
        problem = _constructor(c, scope[6:], s) if scope and scope.startswith("class:") else "no class in scope"
    elif scope in c.functions and scope not in c.twice:
        fn, owner = c.functions[scope]
        rule = next((r for rx, r in _FN_RULES if re.search(rx, s)), None)
        if rule:
            problem = rule(fn, owner, s)
        else:
            rule = next((r for rx, r in _SCOPE_RULES if re.search(rx, s)), None)
            if rule:
                problem = rule(own_nodes(fn), s)
            else:
                scope, problem = None, _module(c, s)  # the paragraph about the top-level code has begun
    else:
        problem = _module(c, s) if not s.startswith(("It loops", "A `for`", "It iterates", "A `while`", "It keeps")) \
            else "a loop sentence outside any function"
        scope = None
    return problem, scope
