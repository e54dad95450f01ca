"""Exact and near-duplicate removal on instructions (with input) and on code; the first row of a cluster stays.

Code is compared with its identifiers normalised (`normalised_tokens`: every name the code binds or reads becomes
one placeholder, attributes and keywords stay), so renaming variables does not make a new row. Rows whose
instructions share most content words (`same_task_groups`) are not removed, since "sort a list ascending" and
"... descending" are different rows, but each such group is given one split (`pipeline`), so that no task is
both trained on and validated against.
"""
from __future__ import annotations

import builtins
import io
import keyword
import tokenize

from .load import Row
from .ngrams import MinHashLSH, code_tokens, ngrams, words
from .paraphrase import content_words

INSTRUCTION_JACCARD = 0.8  # word 3-gram Jaccard of instruction + input
CODE_JACCARD = 0.9  # 5-gram Jaccard of the cleaned output's tokens (as written, and identifiers normalised)
RENAMED_MIN_TOKENS = 20  # shorter code (`a + b`) is too generic to call two rows one when names differ
GROUP_JACCARD = 0.8  # content-word Jaccard of two instructions: the rows go to one split
_KEEP_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


def normalised_tokens(code: str) -> list[str]:
    """Code tokens with every identifier but keywords, builtins and attributes (after a dot) replaced by `_`."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return code_tokens(code)
    out, prev = [], None
    for t in toks:
        out.append("_" if t.type == tokenize.NAME and t.string not in _KEEP_NAMES and prev != "." else t.string)
        prev = t.string
    return out


def same_task_groups(rows: list[Row]) -> list[int]:
    """For each row, the index of the first row of its group: rows linked by instruction content-word Jaccard
    >= GROUP_JACCARD (transitively)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sets = [set(content_words(r.instruction)) for r in rows]
    for i, j, _ in MinHashLSH(num_perm=64, bands=32).near_duplicates(sets, GROUP_JACCARD):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(len(rows))]


def deduplicate(rows: list[Row]) -> tuple[list[Row], list[dict]]:
    parent = list(range(len(rows)))
    why: dict[int, str] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int, reason: str) -> None:
        ri, rj = find(i), find(j)
        if ri == rj:
            return
        keep, drop = min(ri, rj), max(ri, rj)
        parent[drop] = keep
        why.setdefault(drop, reason)

    instruction_words = [words(r.instruction + " " + r.input) for r in rows]
    output_tokens = [code_tokens(r.output) for r in rows]  # comments and layout do not count
    renamed = [normalised_tokens(r.output) for r in rows]  # ... nor names, in code long enough to be specific
    renamed = [t if len(t) >= RENAMED_MIN_TOKENS else [] for t in renamed]
    first: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        keys = [("instruction", " ".join(instruction_words[i])), ("output", " ".join(output_tokens[i]))]
        keys += [("renamed output", " ".join(renamed[i]))] if renamed[i] else []
        for kind, key in keys:
            j = first.setdefault((kind, key), i)
            if j != i:
                union(j, i, f"exact duplicate {kind} of {rows[j].id}")
    lsh = MinHashLSH()
    for kind, sets, threshold in (
        ("instruction", [ngrams(w, 3) for w in instruction_words], INSTRUCTION_JACCARD),
        ("output", [ngrams(t, 5) for t in output_tokens], CODE_JACCARD),
        ("renamed output", [ngrams(t, 5) for t in renamed], CODE_JACCARD),
    ):
        for i, j, jac in lsh.near_duplicates(sets, threshold):
            union(i, j, f"near-duplicate {kind} of {rows[i].id} (Jaccard {jac:.2f})")
    kept, removed = [], []
    for i, row in enumerate(rows):
        root = find(i)
        if root == i:
            kept.append(row)
        else:
            reason = why.get(i) or f"near-duplicate of {rows[root].id} (same cluster)"
            removed.append({"index": row.index, "id": row.id, "reason": reason, "duplicate_of": rows[root].id})
    return kept, removed
