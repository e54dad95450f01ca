"""Paired comparisons between adapter configurations, and the spread over their trainings."""
from __future__ import annotations

from .runs import ALPACA_TASKS, Run, _natural, configurations, main_runs, neighbour


def paired_samples(first: Run, second: Run) -> list[tuple[tuple[str, int], dict, dict]]:
    """((subtask, doc_id), first's sample, second's) for every Alpaca document both answered with the same prompt,
    in the order of first's samples (sort by the key for task order)."""
    docs: dict[tuple[str, int], dict] = {}
    for which, run in ((0, first), (1, second)):
        for t, samples in run.samples.items():
            if any(t == a or t.startswith(a + "_") for a in ALPACA_TASKS):
                for x in samples:
                    docs.setdefault((t, x["doc_id"]), {})[which] = x
    return [(k, d[0], d[1]) for k, d in docs.items()
            if len(d) == 2 and d[0].get("prompt_hash") == d[1].get("prompt_hash")]


def _in_order(first: Run, second: Run) -> list[tuple[tuple[str, int], dict, dict]]:
    return sorted(paired_samples(first, second), key=lambda kab: kab[0])


def _greedy_passes(both: list, task: str) -> list[tuple[float, float]]:
    """(first's pass@1, second's) of TASK's documents (or its subtasks') among paired samples."""
    return [(a.get("pass@1"), b.get("pass@1")) for (t, _), a, b in both if t == task or t.startswith(task + "_")]


def _greedy_difference(both: list, task: str) -> dict | None:
    """stats.paired_difference of TASK's verdicts among paired samples; None without documents or where either run
    sampled (greedy runs only)."""
    from .stats import paired_difference

    passes = _greedy_passes(both, task)
    if not passes or any(v not in (0.0, 1.0) for pair in passes for v in pair):
        return None
    return paired_difference([a == 1.0 for a, _ in passes], [b == 1.0 for _, b in passes])


def seed_table(runs: list[Run]) -> list[str]:
    """pass@1 mean over training seeds with its 95 % t-interval, per configuration and Alpaca task."""
    from .stats import t_interval

    configs = configurations(runs)
    tasks = [t for t in ALPACA_TASKS if any(t in r.results for c in configs.values() for r in c.values())]
    if not any(len(s) > 1 for s in configs.values()) or not tasks:
        return []
    lines = ["| configuration | seeds | " + " | ".join(f"{t} pass@1 %" for t in tasks) + " |",
             "| --- | --- |" + " ---: |" * len(tasks)]
    for name, by_seed in sorted(configs.items(), key=lambda kv: _natural(kv[0])):
        cells = []
        for t in tasks:
            values = [v for r in by_seed.values() if (v := r.metric(t, "pass@1")[0]) is not None]
            ti = t_interval(values)
            cells.append("–" if not values else f"{100 * sum(values) / len(values):.1f}"
                         + (f" [{100 * ti['lo']:.1f}, {100 * ti['hi']:.1f}]" if ti else ""))
        lines.append(f"| {name} | {', '.join(map(str, sorted(by_seed)))} | " + " | ".join(cells) + " |")
    return lines + ["", "Mean over the recipe's training seeds, [95 % Student-t interval] where there are two or more "
                    "(with three seeds the t quantile is 4.3: the interval is wide by design). Retrainings with the "
                    "same seed are in the training-noise table."]


def adapter_pairs(runs: list[Run]) -> list[tuple[str, str, str]]:
    """(comparison, first configuration, second): rank vs the next rank of a variant at the same LoRA dropout (and vs
    the next rank trained with several seeds too, when ranks trained once lie between them), code vs
    code_explained at a rank, one LoRA dropout vs another; all from the runs' records."""
    main = main_runs(runs)
    configs = configurations(runs)
    out = []
    groups: dict[tuple, list[tuple[int, str]]] = {}
    for name, r in main.items():
        if r.rank:
            key = tuple(sorted({**r.coordinates, "rank": None}.items(), key=str))
            groups.setdefault(key, []).append((r.rank, name))
    for key, ranked in sorted(groups.items(), key=str):
        ranked.sort()
        variant = dict(key)["variant"]
        dropout = dict(key)["lora_dropout"]
        seeded = [rn for rn in ranked if len(configs[rn[1]]) > 1]
        steps = list(zip(ranked, ranked[1:]))
        steps += [step for step in zip(seeded, seeded[1:]) if step not in steps]
        out += [(f"{variant}{'' if dropout == 0.05 else f' dropout {dropout:g}'}: r{a} → r{b}", na, nb)
                for (a, na), (b, nb) in steps]
    for name in sorted(main, key=_natural):
        r = main[name]
        if r.variant == "code" and (other := neighbour(main, name, variant="code_explained")):
            out.append((f"r{r.rank}: code → code_explained", name, other))
        for other in sorted(main, key=_natural):
            o = main[other]
            if other != name and o.coordinates == {**r.coordinates, "lora_dropout": o.recipe.get("lora_dropout")} \
                    and (o.recipe.get("lora_dropout") or 0) < (r.recipe.get("lora_dropout") or 0):
                out.append((f"r{r.rank} {r.variant}: dropout {r.recipe.get('lora_dropout'):g} → "
                            f"{o.recipe.get('lora_dropout'):g}", name, other))
    return out


def _pairs(runs: list[Run]) -> list[tuple[str, Run, Run, list[str]]]:
    """adapter_pairs with each configuration's recipe-seed run: (comparison, first, second, [first, second])."""
    main = main_runs(runs)
    return [(title, main[a], main[b], [a, b]) for title, a, b in adapter_pairs(runs)]


def _seed_pairs(configs: dict[str, dict[int, Run]], first: Run, second: Run,
                bound_by: list[str]) -> dict[int, tuple[Run, Run]]:
    """A pair of _pairs again for each training seed both configurations were trained with."""
    seeds = sorted(set(configs[bound_by[0]]) & set(configs[bound_by[1]]))
    return {s: (configs[bound_by[0]][s], configs[bound_by[1]][s]) for s in seeds}
