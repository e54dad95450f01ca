"""Exact and near-duplicate removal on instructions (with input) and on code; the first row of a cluster stays."""
from __future__ import annotations

from .load import Row
from .ngrams import MinHashLSH, code_tokens, ngrams, words

INSTRUCTION_JACCARD = 0.8  # word 3-gram Jaccard of instruction + input
CODE_JACCARD = 0.9  # code-token 5-gram Jaccard of the cleaned output


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
    first: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        for kind, key in (("instruction", " ".join(instruction_words[i])), ("output", " ".join(output_tokens[i]))):
            j = first.setdefault((kind, key), i)
            if j != i:
                union(j, i, f"exact duplicate {kind} of {rows[j].id}")
    lsh = MinHashLSH()
    for kind, sets, threshold in (
        ("instruction", [ngrams(w, 3) for w in instruction_words], INSTRUCTION_JACCARD),
        ("output", [ngrams(t, 5) for t in output_tokens], CODE_JACCARD),
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
