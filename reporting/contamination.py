"""The claims again on the benchmark tasks that no training row is contaminated with.

The contamination file lists, per benchmark task id, the training rows found to hold it (by text or behaviour):
{"tasks": {"mbpp/11": [row ids], ...}, ...}. Each comparison of claims.family is recomputed without those tasks,
and the section says whether each conclusion (its verdict) is the same there.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import claims
from .runs import Run, _natural, trainings


def _load(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text())
    if not isinstance(data.get("tasks"), dict):
        raise SystemExit(f"{path}: expected {{\"tasks\": {{task_id: [row ids]}}}}, got keys {sorted(data)}")
    return data


def _held(data: dict) -> set[str]:
    """The task ids at least one training row holds."""
    return {task for task, rows in data["tasks"].items() if rows}


def clean_section(runs: list[Run], rows: list[claims.Comparison], path: str | Path | None) -> list[str]:
    if not path:
        return []
    data = _load(path)
    drop = _held(data)
    claims.DROP.update(drop)
    try:
        clean = claims.family(runs)
    finally:
        claims.DROP.clear()
    before = {(c.kind, c.title, c.bench): c for c in rows}
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
                    f"the same family; {changed} of {len(clean)} conclusions change.", "", *held_rates(runs, drop)]


def held_rates(runs: list[Run], held: set[str]) -> list[str]:
    """Pass rates on the HELD tasks against the other tasks of each benchmark: each configuration with its trainings
    pooled, and the base model on each prompt it ran. A gap the base model shows too is the tasks' ease, not what
    the training rows taught."""
    configurations = sorted(trainings(runs).items(), key=lambda kv: _natural(kv[0]))
    bases = [r for r in sorted(runs, key=_natural) if not r.adapter]
    rows = []
    for bench in claims.BENCHES:
        groups = [(name, ts, bench + "_alpaca") for name, ts in configurations]
        groups += [(f"{r.label} ({prompt})", [r], bench + suffix) for r in bases for suffix, prompt in claims.PROMPTS.items()]
        for label, group, task in groups:
            tables = [t for r in group if (t := _by_task(r, task))]  # the trainings evaluated on TASK
            if not tables:
                continue
            if group[0].adapter:
                label += f" ({len(tables)} training{'s' * (len(tables) > 1)})"
            held_v = [v for t in tables for tid, vs in t.items() if tid in held for v in vs]
            rest_v = [v for t in tables for tid, vs in t.items() if tid not in held for v in vs]
            if not held_v:
                continue
            rows.append(f"| {label} | {bench} | {_rate(held_v)} | {_rate(rest_v)} |")
    if not rows:
        return []
    return ["**Passes on the tasks that training rows held and on the rest** (passed / documents × trainings)", "",
            "| model / configuration | benchmark | the tasks held | the other tasks |", "| --- | --- | ---: | ---: |",
            *rows, "", "Held tasks can simply be easier than the rest: the base model's gap measures that. Adapters "
            "trained on data that no longer holds them (an earlier set's tasks) show how much of their gap stays "
            "without the rows."]


def _by_task(run: Run, task: str) -> dict[str, list[float]] | None:
    """task id -> greedy verdicts (0/1) of RUN's logged documents of TASK; None where it did not log TASK or sampled."""
    out: dict[str, list[float]] = {}
    for x in claims.samples_of(run, task):
        out.setdefault(x["doc"].get("task_id"), []).append(x.get("pass@1"))
    if not out or any(v not in (0.0, 1.0) for vs in out.values() for v in vs):
        return None
    return out


def _rate(verdicts: list[float]) -> str:
    return f"{int(sum(verdicts))} / {len(verdicts)} ({100 * sum(verdicts) / len(verdicts):.1f} %)" if verdicts else "–"


def earlier_section(runs: list[Run], path: str | Path | None) -> list[str]:
    """The held-versus-rest pass rates on the tasks an earlier training set held (its contamination file), for runs
    trained on data that no longer holds them: do the passes on those tasks stay without the rows?"""
    if not path:
        return []
    data = _load(path)
    held = _held(data)
    return [f"The tasks of `{path}` (made by `{data.get('made_by', '?')}`): {len(held)} benchmark tasks "
            f"that {data.get('rows_contaminated', '?')} of {data.get('rows_checked', '?')} rows of that data held.", "",
            *held_rates(runs, held)]
