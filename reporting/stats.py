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


def t_interval(values: list[float]) -> dict | None:
    """Mean of VALUES (one per training) with its 95 % Student-t interval and the two-sided p of mean = 0
    (None for fewer than two values; a zero spread gives a zero-width interval and p 0 or 1)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return None
    mean, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))
    se = 0.0 if se < 1e-12 else se  # equal values up to rounding: no spread
    half = float(stats.t.ppf(0.975, len(v) - 1)) * se
    p = float(2 * stats.t.sf(abs(mean) / se, len(v) - 1)) if se > 0 else float(mean == 0)
    return {"k": len(v), "mean": mean, "lo": mean - half, "hi": mean + half, "p": p}


def welch(first: list[float], second: list[float]) -> dict | None:
    """second − first mean over two configurations' trainings: Welch's t-test (unequal variances) and its 95 %
    interval (Welch–Satterthwaite degrees of freedom); None unless both have two or more trainings."""
    from scipy import stats

    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = (x.var(ddof=1) / len(x) if x.var(ddof=1) > 1e-24 else 0.0 for x in (a, b))
    diff, se = float(b.mean() - a.mean()), math.sqrt(va + vb)
    if se == 0:
        return {"diff": diff, "lo": diff, "hi": diff, "p": float(diff == 0), "df": None}
    df = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0) + (vb ** 2 / (len(b) - 1) if vb else 0))
    half = float(stats.t.ppf(0.975, df)) * se
    return {"diff": diff, "lo": diff - half, "hi": diff + half, "p": float(2 * stats.t.sf(abs(diff) / se, df)),
            "df": float(df)}


def sign_flip(differences: list[float], n_draws: int = 20000, seed: int = 0) -> float:
    """Two-sided paired permutation p of mean difference = 0 (each document's difference flips sign at random).
    For pass/fail differences of two single runs this is McNemar's exact test, which is used then."""
    d = np.asarray(differences, dtype=float)
    nz = d[d != 0]
    if not len(nz):
        return 1.0
    if set(np.unique(nz)) <= {-1.0, 1.0}:
        return mcnemar_exact(int((nz > 0).sum()), int((nz < 0).sum()))
    rng = np.random.default_rng(seed)
    observed = abs(nz.sum())
    signs = rng.choice((-1.0, 1.0), size=(n_draws, len(nz)))
    return float(((np.abs(signs @ nz) >= observed - 1e-12).sum() + 1) / (n_draws + 1))


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (family-wise error over all of them)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    out, running = [0.0] * len(pvalues), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        out[i] = running
    return out
