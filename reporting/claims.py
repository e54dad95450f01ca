"""The claims a reviewer signs: each adapter configuration against the base model on the base's best prompt (the
primary comparison is one of these), the format effect (the base on the adapters' Alpaca prompt), configuration
against configuration, and the training noise of every configuration trained more than once.

Every comparison pairs the same documents (by lm-eval's doc_hash, the same across prompt formats) and carries two
tests: over documents (each document's pass rate averaged over the configuration's trainings; McNemar's exact test
for two single runs, else a paired sign-flip permutation test) and over trainings (a t-interval of the per-training
difference against the base, Welch's test between two configurations). A claim needs both: its p is the larger of
the two (an intersection-union test). The primary comparison is fixed by the grid's --best-by rule (MBPP, the
configuration whose recipe-seed run passes most); Holm's correction is applied to all the others together.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .paired import adapter_pairs
from .runs import Run, _natural, main_runs, part_of, trainings
from .stats import holm, paired_difference, sign_flip, t_interval, welch

BENCHES = ("mbpp_custom", "mbppplus_custom", "humaneval_custom", "custom_suite")
PRIMARY_BENCH = "mbpp_custom"
PROMPTS = {"": "zero-shot", "_3shot": "3-shot", "_alpaca": "Alpaca"}  # a task's suffix -> the prompt it names


DROP: set[str] = set()  # task ids left out of every comparison (contamination.clean_section sets it, then clears it)


def samples_of(run: Run, task: str) -> list[dict]:
    """RUN's logged samples of TASK, or of its subtasks for a group (custom_suite_lists for custom_suite), not those
    of another prompt format (custom_suite_alpaca) or of sampling."""
    return [x for t, samples in run.samples.items() for x in samples if part_of(t, task)]


def passes(run: Run, task: str) -> dict[str, float] | None:
    """doc_hash -> greedy pass@1 (0 or 1) of TASK's documents (its subtasks' for a group), but those in DROP; None
    where the run did not log TASK or sampled."""
    out = {x["doc_hash"]: x.get("pass@1") for x in samples_of(run, task) if x["doc"].get("task_id") not in DROP}
    if not out or any(v not in (0.0, 1.0) for v in out.values()):
        return None
    return out


def base_prompt(runs: list[Run], bench: str, docs: set[str], alpaca: bool = False) -> tuple[Run, str, dict] | None:
    """The base model's run on BENCH that passes the largest share of DOCS among those that answered nearly all of
    them (95 %; a benchmark document edited between sessions has another hash): zero-shot or 3-shot (ties:
    zero-shot), or with alpaca=True its run on the adapters' Alpaca prompt."""
    suffixes = ("_alpaca",) if alpaca else ("", "_3shot")
    found = [(r, bench + s, p) for s in suffixes for r in sorted(runs, key=_natural) if not r.adapter
             if (p := passes(r, bench + s)) is not None and len(docs & p.keys()) >= 0.95 * len(docs)]
    return max(found, key=lambda f: sum(f[2][d] for d in docs & f[2].keys()) / len(docs & f[2].keys()), default=None)


@dataclass
class Comparison:
    kind: str  # "base" (best prompt), "format" (Alpaca prompt) or "adapters"
    title: str
    bench: str
    first: str
    second: str
    n: int
    first_rate: float
    second_rate: float
    docs: dict  # paired_difference over documents (trainings averaged): diff, lo, hi
    p_docs: float
    k: tuple[int, int]  # trainings on each side
    per_training: list[float]
    trained: dict | None  # t_interval or welch over trainings
    primary: bool = False
    p_holm: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def p(self) -> float:
        return max(self.p_docs, self.trained["p"]) if self.trained else self.p_docs


def _mean_over(runs: list[Run], task: str, docs: list[str]) -> tuple[list[float], list[float]]:
    """(each document's pass rate averaged over RUNS, each run's pass rate over DOCS)."""
    tables = [passes(r, task) for r in runs]
    per_doc = [sum(t[d] for t in tables) / len(tables) for d in docs]
    per_run = [sum(t[d] for d in docs) / len(docs) for t in tables]
    return per_doc, per_run


def _with_task(runs: list[Run], task: str) -> list[Run]:
    return [r for r in runs if passes(r, task) is not None]


def against_base(runs: list[Run], alpaca: bool = False) -> list[Comparison]:
    out = []
    for name, trained in sorted(trainings(runs).items(), key=lambda kv: _natural(kv[0])):
        for bench in BENCHES:
            ts = _with_task(trained, bench + "_alpaca")
            if not ts:
                continue
            docs = set.intersection(*(set(passes(r, bench + "_alpaca")) for r in ts))
            if not (base := base_prompt(runs, bench, docs, alpaca)):
                continue
            base_run, base_task, b = base
            order = sorted(docs & b.keys())
            per_doc, per_run = _mean_over(ts, bench + "_alpaca", order)
            first = [b[d] for d in order]
            d = paired_difference(first, per_doc)
            base_rate = sum(first) / len(first)
            prompt = PROMPTS[base_task[len(bench):]]
            out.append(Comparison("format" if alpaca else "base", f"base ({prompt}) → {name}", bench,
                                  f"{base_run.label} {base_task}", name, len(order), base_rate, sum(per_run) / len(per_run),
                                  d, sign_flip([a - c for a, c in zip(per_doc, first)]), (1, len(ts)),
                                  [x - base_rate for x in per_run], t_interval([x - base_rate for x in per_run])))
    return out


def between_adapters(runs: list[Run]) -> list[Comparison]:
    out = []
    every = trainings(runs)
    for title, first, second in adapter_pairs(runs):
        for bench in BENCHES:
            task = bench + "_alpaca"
            a, b = _with_task(every[first], task), _with_task(every[second], task)
            if not a or not b:
                continue
            docs = sorted(set.intersection(*(set(passes(r, task)) for r in a + b)))
            da, ra = _mean_over(a, task, docs)
            db, rb = _mean_over(b, task, docs)
            out.append(Comparison("adapters", title, bench, first, second, len(docs), sum(ra) / len(ra),
                                  sum(rb) / len(rb), paired_difference(da, db),
                                  sign_flip([y - x for x, y in zip(da, db)]), (len(a), len(b)), [], welch(ra, rb),
                                  notes=[f"{len(a)} / {len(b)} trainings"]))
    return out


def family(runs: list[Run]) -> list[Comparison]:
    """Every comparison of the report, the primary one marked, Holm's correction over all the others."""
    rows = against_base(runs) + against_base(runs, alpaca=True) + between_adapters(runs)
    main = main_runs(runs)
    scored = [(r.metric(PRIMARY_BENCH + "_alpaca", "pass@1")[0], name) for name, r in main.items()
              if r.metric(PRIMARY_BENCH + "_alpaca", "pass@1")[0] is not None]
    best = max(scored)[1] if scored else None
    for c in rows:
        c.primary = c.kind == "base" and c.bench == PRIMARY_BENCH and c.second == best
    rest = [c for c in rows if not c.primary]
    for c, adj in zip(rest, holm([c.p for c in rest])):
        c.p_holm = adj
    return rows


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def verdict(c: Comparison) -> str:
    p = c.p if c.primary else c.p_holm
    if p >= 0.05:
        return "not shown"
    if c.trained is None:
        return "shown on one training (training noise not measured)"
    return "**holds**"


def _row(c: Comparison) -> str:
    t = c.trained
    tcell = "–" if t is None else (f"{_pts(t['mean' if 'mean' in t else 'diff'])} [{_pts(t['lo'])}, {_pts(t['hi'])}], "
                                   f"p {t['p']:.3g}")
    mark = " **(primary)**" if c.primary else ""
    return (f"| {c.title}{mark} | {c.bench} | {c.n} | {100 * c.first_rate:.1f} | {100 * c.second_rate:.1f} | "
            f"{_pts(c.docs['diff'])} | [{_pts(c.docs['lo'])}, {_pts(c.docs['hi'])}] | {c.p_docs:.3g} | "
            f"{c.k[0]} / {c.k[1]} | {tcell} | {c.p:.3g} | {'–' if c.primary else f'{c.p_holm:.3g}'} | {verdict(c)} |")


HEADER = ["| comparison | benchmark | documents | first % | second % | Δ points | 95 % interval (documents) | "
          "p (documents) | trainings | Δ over trainings, 95 % t-interval, p | p | Holm p | verdict |",
          "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | --- |"]


def claims_section(runs: list[Run], rows: list[Comparison] | None = None) -> list[str]:
    rows = family(runs) if rows is None else rows
    if not rows:
        return []
    primary = next((c for c in rows if c.primary), None)
    lines = []
    if primary:
        t = primary.trained
        lines += [f"**Primary comparison** (fixed by the grid's `--best-by mbpp_custom_alpaca` rule: the configuration "
                  f"whose recipe-seed run passes most MBPP documents): {primary.title} on {primary.bench}, "
                  f"{100 * primary.first_rate:.1f} % → {100 * primary.second_rate:.1f} % over {primary.n} documents, "
                  f"Δ {_pts(primary.docs['diff'])} points, 95 % interval over documents [{_pts(primary.docs['lo'])}, "
                  f"{_pts(primary.docs['hi'])}], p {primary.p_docs:.3g}"
                  + (f"; over its {primary.k[1]} trainings {_pts(t['mean'])} [{_pts(t['lo'])}, {_pts(t['hi'])}], "
                     f"p {t['p']:.3g}" if t else "") + f": p {primary.p:.3g}, {verdict(primary).strip('*')}. "
                  f"The other {len(rows) - 1} comparisons are Holm-corrected together ({len(rows)} made in all).", ""]
    for kind, title in (("base", "Each configuration against the base model on the base's best prompt (zero-shot or "
                                 "3-shot, whichever passes more of the documents)"),
                        ("format", "The format effect: the base model on the adapters' Alpaca prompt, which it "
                                   "cannot use, against each configuration"),
                        ("adapters", "Configuration against configuration")):
        part = [c for c in rows if c.kind == kind]
        if part:
            lines += [f"**{title}**", "", *HEADER, *map(_row, part), ""]
    return lines + [
        "Δ = second − first, each side's pass rate averaged over all its trainings; *95 % interval (documents)*: "
        "paired bootstrap over documents; *p (documents)*: McNemar's exact test where both sides are single runs, "
        "else a paired sign-flip permutation test of the per-document differences (20,000 draws, seed 0); *Δ over "
        "trainings*: against the base, the mean per-training difference with its Student-t interval; between "
        "configurations, Welch's test on the trainings' pass rates (– where a side was trained once; trainings that "
        "pass alike give a zero-width interval and p 0, and the documents' test decides). *p* is the "
        "larger of the two (a claim must survive both the documents' and the trainings' noise); *Holm p*: corrected "
        f"over the {len(rows) - (1 if primary else 0)} comparisons other than the primary one; *holds*: below 0.05 "
        "after that."]


def training_noise(runs: list[Run]) -> list[str]:
    """Every training of each configuration trained more than once: pass@1 per training, mean, sd, t-interval."""
    from .stats import mean_sd

    lines = []
    for name, ts in sorted(trainings(runs).items(), key=lambda kv: _natural(kv[0])):
        if len(ts) < 2:
            continue
        for bench in BENCHES:
            task = bench + "_alpaca"
            with_task = [r for r in ts if r.metric(task, "pass@1")[0] is not None]
            if len(with_task) < 2:
                continue
            values = [r.metric(task, "pass@1")[0] for r in with_task]
            mean, sd = mean_sd(values)
            t = t_interval(values)
            cells = ", ".join(f"{r.training} (seed {r.recipe.get('seed')}"
                              + (f", step {r.step}" if r.step else "") + f"): {100 * v:.1f}"
                              for r, v in zip(with_task, values))
            lines.append(f"| {name} | {task} | {len(values)} | {cells} | {100 * mean:.2f} | {100 * sd:.2f} | "
                         f"[{100 * t['lo']:.1f}, {100 * t['hi']:.1f}] |")
    if not lines:
        return []
    return ["| configuration | task | trainings | pass@1 % of each training | mean % | sd, points | 95 % t-interval |",
            "| --- | --- | ---: | --- | ---: | ---: | --- |", *lines, "",
            "Every training of the configuration that the runs recorded (run.json: recipe, seed, training), a "
            "retraining with the same seed included; a checkpoint counts where it is the training's last step."]
