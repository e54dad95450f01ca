"""Text and code n-grams, MinHash near-duplicate search, and containment matching."""
from __future__ import annotations

import hashlib
import io
import re
import tokenize
from collections import Counter, defaultdict

import numpy as np

_WORD = re.compile(r"[a-z0-9_]+")
_BOILERPLATE = re.compile(
    r"^(?:please\s+)?(?:write|create|design|implement|develop|generate|construct|code|make|build|define)"
    r"(?:\s+(?:a|an|the))?(?:\s+python(?:\s*3)?)?(?:\s+(?:function|program|code|script|method|class|snippet|lambda))?"
    r"(?:\s+(?:that|which|to|in python|for))?\s+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def task_words(text: str) -> list[str]:
    """Words of an instruction without its leading "Write a Python function to" boilerplate."""
    return words(_BOILERPLATE.sub("", " ".join(words(text)) + " "))


def code_tokens(code: str) -> list[str]:
    """Python tokens without comments and layout; falls back to a regex split for untokenizable text."""
    try:
        toks = [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        toks = re.findall(r"\w+|[^\w\s]", code)
    return toks


def ngrams(seq: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)}


def _h64(item: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(item).encode(), digest_size=8).digest(), "little")


class MinHashLSH:
    """Deterministic MinHash with banded LSH; candidate pairs are verified with exact Jaccard."""

    _PRIME = (1 << 61) - 1

    def __init__(self, num_perm: int = 64, bands: int = 16, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, self._PRIME, num_perm, dtype=np.uint64)
        self.b = rng.integers(0, self._PRIME, num_perm, dtype=np.uint64)
        self.bands, self.rows = bands, num_perm // bands

    def signature(self, shingles: set) -> np.ndarray:
        if not shingles:
            return np.full(len(self.a), np.iinfo(np.uint64).max, dtype=np.uint64)
        h = np.array([_h64(s) for s in shingles], dtype=np.uint64)[:, None]
        return ((h * self.a + self.b) % np.uint64(self._PRIME)).min(axis=0)  # uint64 wrap-around is fine for hashing

    def near_duplicates(self, sets: list[set], threshold: float) -> list[tuple[int, int, float]]:
        """Pairs (i, j, jaccard) with i < j and Jaccard >= threshold."""
        buckets: dict[tuple, list[int]] = defaultdict(list)
        for i, s in enumerate(sets):
            if not s:
                continue
            sig = self.signature(s)
            for band in range(self.bands):
                buckets[(band, sig[band * self.rows:(band + 1) * self.rows].tobytes())].append(i)
        seen, pairs = set(), []
        for members in buckets.values():
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    i, j = members[x], members[y]
                    if (i, j) in seen:
                        continue
                    seen.add((i, j))
                    jac = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                    if jac >= threshold:
                        pairs.append((i, j, jac))
        return pairs


class ContainmentIndex:
    """Which reference documents have a large share of their n-grams inside a query?"""

    def __init__(self, docs: dict[str, set]):
        self.sizes = {key: len(grams) for key, grams in docs.items()}
        self.index: dict[tuple, list[str]] = defaultdict(list)
        for key, grams in docs.items():
            for g in grams:
                self.index[g].append(key)

    def best(self, query: set, min_shared: int = 1) -> tuple[str, float] | None:
        hits: Counter = Counter()
        for g in query:
            for key in self.index.get(g, ()):
                hits[key] += 1
        best = None
        for key, shared in hits.items():
            if shared < min_shared:
                continue
            score = shared / self.sizes[key]
            if best is None or score > best[1]:
                best = (key, score)
        return best
