"""Same task in other words: word-set similarity, and a row's code run against a benchmark task's own tests.

n-gram containment (`decontaminate.py`) catches copies; it lets "find the longest common prefix among a given
set of strings" past MBPP 181's "find the longest common prefix in the given set of strings". Two checks close
that gap:

* words: Jaccard similarity of the two instructions' content words (stop words dropped, plurals folded), alone
  when it is high, or beside function names that agree (`first_non_repeating_char` ~ `first_non_repeating_character`);
* tests: a row whose code passes a benchmark task's tests *is* that task. The row's function is bound to the
  name the tests call; arguments beyond its arity are dropped (MBPP often passes a length it does not need).
  Runs in the sandbox, for the few benchmark tasks whose words are close enough to be candidates.
"""
from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from functools import lru_cache

from common.pysource import parse

from .ngrams import words

STOP_WORDS = frozenset("""
a an the to of in on for and or with from by into as at is are be been it its this that these those which who
whose than then there their them they we you your our i me my write writing create design implement develop
generate construct code program script function method snippet python python3 given following provided
specified certain some any all each every using use used can could would should will shall must please also
only just such like other another new make build define return returns returning take takes taking get gets
""".split())


def content_words(text: str) -> frozenset[str]:
    out = set()
    for w in words(text):
        if w in STOP_WORDS or w.isdigit():
            continue
        if len(w) > 4 and w.endswith("es") and w[:-2].endswith(("ss", "sh", "ch", "x")):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class WordIndex:
    """Benchmark tasks by content words; `top` returns the most similar ones to a query."""

    def __init__(self, texts: dict[str, str]):
        self.sets = {key: content_words(t) for key, t in texts.items()}
        self.index: dict[str, list[str]] = defaultdict(list)
        for key, ws in self.sets.items():
            for w in ws:
                self.index[w].append(key)

    def top(self, text: str, k: int = 3, floor: float = 0.0, containment: bool = False) -> list[tuple[str, float]]:
        """Jaccard by default; `containment`: the share of the benchmark task's words found in `text` (for long
        texts, such as the custom suite's instructions, that say more than a benchmark's one line)."""
        q = content_words(text)
        shared = Counter(key for w in q for key in self.index.get(w, ()))
        scored = [(key, n / (len(self.sets[key]) if containment else len(self.sets[key] | q))) for key, n in shared.items()]
        scored = [(key, s) for key, s in scored if s >= floor]
        return sorted(scored, key=lambda ks: (-ks[1], ks[0]))[:k]

    def score(self, text: str, key: str) -> float:
        return jaccard(content_words(text), self.sets[key])


@lru_cache(maxsize=4096)  # match, candidates and the sandbox job each ask for the same row's function
def entry_function(code: str) -> tuple[str, int | None] | None:
    """The row's last top-level function and its positional arity (None with *args); None without one."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return None
    fns = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    if not fns:
        return None
    fn = fns[-1]
    return fn.name, (None if fn.args.vararg else len(fn.args.posonlyargs) + len(fn.args.args))


def aliased_program(code: str, called: str | list[str]) -> str | None:
    """The row's code with each name in `called` bound to its function; None when it has no function."""
    entry = entry_function(code)
    if entry is None:
        return None
    name, arity = entry
    cut = "" if arity is None else f"[:{arity}]"
    for alias in ([called] if isinstance(called, str) else called):
        if alias != name:
            code += f"\n\n\ndef {alias}(*args):\n    return {name}(*args{cut})\n"
    return code


def name_tokens(name: str) -> list[str]:
    """`max_Abs_Diff` -> ["max", "abs", "diff"]."""
    return [t.lower() for t in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def names_agree(a: str, b: str, shared: int = 2) -> bool:
    """At least `shared` tokens in common, a token matching another it begins (`diff` ~ `difference`)."""
    ta, tb = name_tokens(a), set(name_tokens(b))
    hits = sum(any(x == y or (min(len(x), len(y)) >= 3 and (x.startswith(y) or y.startswith(x))) for y in tb) for x in set(ta))
    return hits >= shared or a.lower() == b.lower()


# Paraphrase by core words: the content words above, less the verbs every task uses to ask ("find", "check",
# "return") and with synonyms folded ("array" ~ "list", "integer" ~ "number"), so that "find the missing number in
# the given array" meets MBPP 34's "find the missing number in a sorted array" at 3 of 4 words.
ASKING_WORDS = frozenset("""
find check detect determine decide verify test tell see whether if not or return print display show output input
compute calculate calculating computing finding checking value values equivalent result
""".split())
SYNONYMS = {"array": "list", "arr": "list", "lst": "list", "integer": "number", "int": "number", "num": "number",
            "numeric": "number", "str": "string", "char": "character", "letter": "character", "whitespace": "space",
            "palindromic": "palindrome", "dictionary": "dict", "largest": "maximum", "max": "maximum",
            "biggest": "maximum", "smallest": "minimum", "min": "minimum", "fib": "fibonacci", "nth": "n",
            "th": "n", "elements": "element", "item": "element", "unique": "distinct", "duplicate": "repeated"}
PARAPHRASE_JACCARD = 0.75  # core-word Jaccard of row instruction and task text ...
PARAPHRASE_SHARED = 2  # ... sharing at least this many core words


def core_words(text: str) -> frozenset[str]:
    return frozenset(SYNONYMS.get(w, w) for w in content_words(text) if w not in ASKING_WORDS)


class CoreIndex:
    """Benchmark tasks by core words; `best` is the most similar task to an instruction, with its score."""

    def __init__(self, texts: dict[str, str]):
        self.sets = {key: core_words(t) for key, t in texts.items()}
        self.index: dict[str, list[str]] = defaultdict(list)
        for key, ws in self.sets.items():
            for w in ws:
                self.index[w].append(key)

    def matches(self, text: str, threshold: float = PARAPHRASE_JACCARD,
                shared: int = PARAPHRASE_SHARED) -> list[tuple[str, float]]:
        q = core_words(text)
        hits = Counter(key for w in q for key in self.index.get(w, ()))
        out = [(key, n / len(self.sets[key] | q)) for key, n in hits.items() if n >= shared]
        return sorted([(k, s) for k, s in out if s >= threshold], key=lambda ks: (-ks[1], ks[0]))
