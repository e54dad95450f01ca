"""Leave out of a run the measures that none of its samples has (lm-eval's table would print them as `NaN ± N/A`).

The tasks' filter chain grades (grading.grade_filter), then `drop_unmeasured` takes out of every verdict the
measures (grading.MEASURES: code quality, runtime ratio) that no sample of the task has a value of;
grading.doc_metrics reports no metric for a measure its verdicts lack, so lm-eval makes no row of it. A measure some
samples have stays, averaged over those (nanmean).

Under data parallelism each rank grades its own share of the documents, and lm-eval then gathers every metric to
rank 0 one collective call per metric name: the ranks must report the same metrics, in the same order. So the ranks
agree on what was measured (the union of what each found) before any measure is dropped.
"""
from __future__ import annotations

from .grading import MEASURES, has_value


def measured(resps: list[list[dict]]) -> set[str]:
    """The measures (verdict keys) with a value in some verdict of RESPS (per document, its samples' verdicts)."""
    return {key for verdicts in resps for v in verdicts for key in MEASURES if has_value(v.get(key))}


def across_ranks(found: set[str]) -> set[str]:
    """FOUND on every data-parallel rank together (each rank's own set where torch.distributed is not running)."""
    try:
        import torch.distributed as dist
    except ImportError:  # no torch: no process group
        return found
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return found
    every: list = [None] * dist.get_world_size()
    dist.all_gather_object(every, sorted(found))
    return set().union(*map(set, every))


def drop_unmeasured(resps, docs):
    """lm-eval `custom` filter after grade_filter: the verdicts less the measures no sample of the task has."""
    resps = [list(verdicts) for verdicts in resps]
    unmeasured = set(MEASURES) - across_ranks(measured(resps))
    return [[{k: v for k, v in verdict.items() if k not in unmeasured} for verdict in verdicts] for verdicts in resps]
