"""The claims again on the benchmark tasks that no training row is contaminated with.

The contamination file lists, per benchmark task id, the training rows found to hold it (by text or behaviour):
{"tasks": {"mbpp/11": [row ids], ...}, ...}. Each comparison of claims.family is recomputed without those tasks,
and the section says whether each conclusion (its verdict) is the same there.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import claims
from .runs import Run


def contaminated(path: str | Path) -> set[str]:
    data = json.loads(Path(path).read_text())
    if not isinstance(data.get("tasks"), dict):
        raise SystemExit(f"{path}: expected {{\"tasks\": {{task_id: [row ids]}}}}, got keys {sorted(data)}")
    return {task for task, rows in data["tasks"].items() if rows}


def clean_section(runs: list[Run], rows: list[claims.Comparison], path: str | Path | None) -> list[str]:
    if not path:
        return []
    drop = contaminated(path)
    claims.DROP.update(drop)
    try:
        clean = claims.family(runs)
    finally:
        claims.DROP.clear()
    before = {(c.kind, c.title, c.bench): c for c in rows}
    lines = [f"Left out: {len(drop)} benchmark tasks that at least one training row holds (`{path}`).", "",
             "| comparison | benchmark | documents (all → clean) | Δ points all | Δ points clean | p clean | Holm p clean "
             "| verdict all | verdict clean | same conclusion |", "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for c in clean:
        old = before.get((c.kind, c.title, c.bench))
        if old is None:
            continue
        v_old, v_new = claims.verdict(old), claims.verdict(c)
        lines.append(f"| {c.title}{' **(primary)**' if c.primary else ''} | {c.bench} | {old.n} → {c.n} | "
                     f"{100 * old.docs['diff']:+.1f} | {100 * c.docs['diff']:+.1f} | {c.p:.3g} | "
                     f"{'–' if c.primary else f'{c.p_holm:.3g}'} | {v_old} | {v_new} | {'yes' if v_old == v_new else '**no**'} |")
    return lines
