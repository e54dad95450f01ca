"""Paired statistics for two evaluations of the same documents, and the spread over training seeds.

Greedy pass@1 is one pass/fail per document, so two models on the same prompts form pairs: McNemar's exact test
on the discordant pairs, and a paired bootstrap over documents for the difference's 95 % interval.
"""
from __future__ import annotations

import math

import numpy as np


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b documents only the first model passes, c only the second."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_difference(first: list[float], second: list[float], n_boot: int = 5000, seed: int = 0) -> dict:
    """second − first mean over the same documents (in the same order): pass/fail, a rate or any per-document
    measure, with its paired-bootstrap 95 % interval, and McNemar's exact test (meaningful for pass/fail)."""
    if len(first) != len(second) or not first:
        raise ValueError(f"paired_difference needs two equally long, non-empty lists ({len(first)} vs {len(second)})")
    a, b_ = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    d = b_ - a
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    only_first, only_second = int(((a == 1) & (b_ == 0)).sum()), int(((a == 0) & (b_ == 1)).sum())
    return {"n": len(d), "first": float(a.mean()), "second": float(b_.mean()), "diff": float(d.mean()),
            "lo": float(np.quantile(means, 0.025)), "hi": float(np.quantile(means, 0.975)),
            "only_first": only_first, "only_second": only_second, "p": mcnemar_exact(only_first, only_second)}


def mean_sd(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for a single value)."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), (float(v.std(ddof=1)) if len(v) > 1 else None)
