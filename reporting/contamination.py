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


def _load(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text())
    if not isinstance(data.get("tasks"), dict):
        raise SystemExit(f"{path}: expected {{\"tasks\": {{task_id: [row ids]}}}}, got keys {sorted(data)}")
    return data


def contaminated(path: str | Path) -> set[str]:
    return {task for task, rows in _load(path)["tasks"].items() if rows}


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
    data = _load(path)
    trained_on = {r.record.get("data_manifest_sha256") for r in runs if r.trained} - {None}
    sha = data.get("data_sha256")
    which = ("the data every adapter here was trained on (its data manifest's sha256 is the one each run.json records)"
             if sha and trained_on == {sha} else f"data manifest sha256 {str(sha)[:12]}…, which is not the one the "
             f"runs record ({', '.join(s[:12] + '…' for s in sorted(trained_on)) or 'none'})")
    lines = [f"Left out: {len(drop)} benchmark tasks that at least one training row holds (`{path}`, made by "
             f"`{data.get('made_by', '?')}`; {data.get('rows_contaminated', '?')} of {data.get('rows_checked', '?')} "
             f"training rows, on {which}).", "",
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
    changed = sum(claims.verdict(c) != claims.verdict(before[(c.kind, c.title, c.bench)]) for c in clean
                  if (c.kind, c.title, c.bench) in before)
    return lines + ["", f"Each comparison recomputed on the documents of the tasks no training row holds, Holm over "
                    f"the same family; {changed} of {len(clean)} conclusions change."]
