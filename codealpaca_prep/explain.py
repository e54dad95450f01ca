"""Explanations for the `code_explained` variant.

`explain_code` is the default: offline and deterministic, derived from the code's AST — what each function
takes and returns, its loops, branches and recursion, the library it leans on, an estimate of its running
time, and why the chosen constructs fit. `HFExplainer` asks any local causal LM instead (`--explainer hf:PATH`).
"""
from __future__ import annotations

import ast

EXPLANATION_HEADER = "Explanation:"
_walked: dict[int, list[ast.AST]] = {}  # per-call cache of ast.walk, cleared by explain_code


def _walk(node: ast.AST) -> list[ast.AST]:
    key = id(node)
    if key not in _walked:
        _walked[key] = list(ast.walk(node))
    return _walked[key]


def _names(items: list[str]) -> str:
    items = [f"`{i}`" for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _loop_depth(node: ast.AST) -> int:
    best = 0
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        inner = _loop_depth(child)
        if isinstance(child, (ast.For, ast.While, ast.comprehension)):
            inner += 1
        best = max(best, inner)
    return best


def _calls(node: ast.AST) -> set[str]:
    out = set()
    for n in _walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return out


def _complexity(node: ast.AST, recursive: bool) -> str:
    depth = _loop_depth(node)
    calls = _calls(node)
    if recursive:
        return "Its running time depends on how many recursive calls are made before the base case is reached."
    if "sort" in calls or "sorted" in calls:
        return "Sorting dominates the cost, so it runs in O(n log n) time for n input elements."
    if depth == 0:
        return "It does a fixed amount of work apart from the built-in calls it makes."
    if depth == 1:
        return "It makes a single pass, so the running time grows linearly with the size of the input (O(n))."
    return f"The loops are nested {depth} deep, so the running time grows as O(n^{depth}) in the worst case."


def _returns(fn: ast.FunctionDef) -> str:
    rets = [n for n in _walk(fn) if isinstance(n, ast.Return)]
    values = [r.value for r in rets if r.value is not None]
    if not values:
        yields = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _walk(fn))
        return "yields its results one at a time as a generator" if yields else "returns nothing and works through side effects such as printing"
    shown = []
    for v in values:
        text = ast.unparse(v)
        if len(text) <= 40 and text not in shown:
            shown.append(text)
    if len(values) == 1:
        return f"returns `{shown[0]}`" if shown else "returns the computed result"
    if len(shown) >= 2:
        return f"has {len(values)} return points (for example `{shown[0]}` and `{shown[1]}`)"
    return f"has {len(values)} return points"


def _idioms(node: ast.AST) -> list[str]:
    notes = []
    kinds = {type(n) for n in _walk(node)}
    calls = _calls(node)
    if kinds & {ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp}:
        notes.append("A comprehension builds the result in one expression, which is shorter and usually faster than appending inside a loop.")
    if ast.Try in kinds:
        handlers = [h for n in _walk(node) if isinstance(n, ast.Try) for h in n.handlers]
        caught = sorted({ast.unparse(h.type) for h in handlers if h.type is not None}) or ["any exception"]
        notes.append(f"The try/except block catches {_names(caught) if caught != ['any exception'] else 'any exception'} so that bad input is handled instead of crashing the program.")
    if ast.With in kinds:
        notes.append("The `with` statement releases the resource (for example closes the file) even if an error occurs.")
    if ast.Dict in kinds or ast.DictComp in kinds or "dict" in calls or "Counter" in calls or "defaultdict" in calls:
        notes.append("Keeping the data in a dictionary gives constant-time access by key.")
    elif ast.Set in kinds or "set" in calls:
        notes.append("A set makes membership tests constant-time and removes duplicates automatically.")
    if ast.Raise in kinds:
        notes.append("It raises an exception for invalid input rather than returning a misleading value.")
    return notes


def _describe_function(fn: ast.FunctionDef, owner: str | None = None) -> list[str]:
    args = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    if fn.args.vararg:
        args.append("*" + fn.args.vararg.arg)
    what = f"The method `{owner}.{fn.name}`" if owner else f"The function `{fn.name}`"
    takes = f"takes {_names(args)}" if args else "takes no arguments"
    sentences = [f"{what} {takes} and {_returns(fn)}."]
    doc = ast.get_docstring(fn)
    if doc:
        sentences.append(f"Its docstring states the intent: \"{doc.strip().splitlines()[0].rstrip('.')}\".")
    loops = [n for n in _walk(fn) if isinstance(n, (ast.For, ast.While))]
    ifs = [n for n in _walk(fn) if isinstance(n, ast.If)]
    recursive = fn.name in _calls(fn)
    parts = []
    for loop in loops[:2]:
        if isinstance(loop, ast.For):
            parts.append(f"a `for` loop over `{ast.unparse(loop.iter)[:40]}`")
        else:
            parts.append(f"a `while` loop that runs while `{ast.unparse(loop.test)[:40]}` holds")
    if len(loops) > 2:
        parts.append(f"{len(loops) - 2} more loop{'s' if len(loops) > 3 else ''}")
    if ifs:
        parts.append(f"{_plural(len(ifs), 'conditional branch')}".replace("branchs", "branches") + f" (the first tests `{ast.unparse(ifs[0].test)[:40]}`)")
    if parts:
        sentences.append("It works with " + "; ".join(parts) + ".")
    if recursive:
        sentences.append(f"It calls `{fn.name}` recursively on a smaller problem until a base case stops the recursion.")
    sentences.append(_complexity(fn, recursive))
    return sentences


def explain_code(code: str) -> str:
    """A few sentences of prose that explain `code`. Deterministic; never raises on parseable code."""
    tree = ast.parse(code)
    _walked.clear()
    sentences: list[str] = []
    imports = sorted({a.name.split(".")[0] for n in _walk(tree) if isinstance(n, ast.Import) for a in n.names}
                     | {n.module.split(".")[0] for n in _walk(tree) if isinstance(n, ast.ImportFrom) and n.module})
    if imports:
        sentences.append(f"The code relies on the {_names(imports)} module{'s' if len(imports) > 1 else ''}.")
    top_level = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                 and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            methods = [m for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            bases = [ast.unparse(b) for b in stmt.bases]
            line = f"The class `{stmt.name}`" + (f" extends {_names(bases)} and" if bases else "")
            line += f" defines {_plural(len(methods), 'method')}" + (f": {_names([m.name for m in methods])}." if methods else ".")
            sentences.append(line)
            init = next((m for m in methods if m.name == "__init__"), None)
            if init:
                attrs = sorted({t.attr for n in _walk(init) if isinstance(n, ast.Assign) for t in n.targets
                                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"})
                if attrs:
                    sentences.append(f"Its constructor stores {_names(attrs)} on the instance so the other methods can use them.")
            for m in methods:
                if m.name != "__init__" and len(sentences) < 12:
                    sentences.extend(_describe_function(m, stmt.name)[:2])
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            sentences.extend(_describe_function(stmt))
    if top_level:
        module = ast.Module(body=top_level, type_ignores=[])
        assigned = [t.id for s in top_level if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)]
        prints = "print" in _calls(module)
        line = "At the top level the script "
        bits = []
        if assigned:
            bits.append(f"sets up {_names(list(dict.fromkeys(assigned))[:4])}")
        loops = [s for s in _walk(module) if isinstance(s, (ast.For, ast.While))]
        if loops:
            bits.append(f"runs {_plural(len(loops), 'loop')}")
        if any(isinstance(s, ast.If) for s in top_level):
            bits.append("branches on a condition")
        if prints:
            bits.append("prints the result")
        if not bits:
            bits.append("calls the code above")
        sentences.append(line + ", ".join(bits[:-1]) + (" and " if len(bits) > 1 else "") + bits[-1] + ".")
        if not any(isinstance(s, (ast.FunctionDef, ast.ClassDef)) for s in tree.body):
            sentences.append(_complexity(module, False))
    sentences.extend(_idioms(tree)[:2])
    return " ".join(sentences)


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
