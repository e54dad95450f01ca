"""Sections that tabulate each run: the leaderboard, rank and data-variant tables, categories, errors, quality, pass@k."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from evaluation.grading import MEASURES
from evaluation.verdicts import WRITTEN

from .runs import (FORMATS, PASSK, Run, _fmt, _format_of, _natural, _table, _tasks, main_runs, part_of,
                   sample_verdicts)


def task_version(r: Run, t: str) -> str | None:
    """The version the run graded task `t` at: its subtasks' where it is a group (the group keeps its own)."""
    subs = sorted({str(v) for k, v in r.versions.items() if k != t and part_of(k, t)})
    return "/".join(subs) if subs else (str(r.versions[t]) if t in r.versions else None)


def leaderboard(runs: list[Run]) -> list[str]:
    """pass@1 per benchmark, one table per prompt format; a task run at two versions (other tests or scoring)
    names each cell's version, since such rows do not compare."""
    tasks = _tasks(runs)
    out = []
    mixed = {t for t in tasks
             if len({task_version(r, t) for r in runs if r.metric(t, "pass@1")[0] is not None} - {None}) > 1}

    def cell(r: Run, t: str) -> str:
        v, e = r.metric(t, "pass@1")
        n = r.n_samples.get(t) or sum(r.n_samples.get(s) or 0 for s in r.results if s != t and part_of(s, t))
        greedy = [x.get("pass@1") for k, ss in r.samples.items() if part_of(k, t) for x in ss]
        if v is None:
            return "–"
        version = f" v{task_version(r, t)}" if t in mixed else ""
        if len(greedy) == n and all(x in (0.0, 1.0) for x in greedy):  # the logged samples: how many passed
            return f"{_fmt(v, e)} ({int(sum(greedy))}/{n}){version}"
        return f"{_fmt(v, e)} ({n}){version}"

    for title, suffix in FORMATS:
        cols = [t for t in tasks if _format_of(t) == suffix]
        rows = _table(runs, cols, cell) if cols else []
        if rows:
            out += [f"**{title}**", "", "| model / adapter | " + " | ".join(f"{t} pass@1 %" for t in cols) + " |",
                    "| --- |" + " ---: |" * len(cols), *rows, ""]
    if out and mixed:
        out += [f"vN: the version of the task the run graded, where these runs graded {', '.join(sorted(mixed))} at "
                "more than one (a new version changed its tests or scoring: those rows do not compare).", ""]
    return out[:-1] if out else ["No benchmark results among these runs."]


def rank_comparison(runs: list[Run], out_dir: Path, plot_name: str) -> list[str]:
    rows = [(r.variant, r.rank, r) for name, r in main_runs(runs).items() if r.rank and name == r.recipe["name"]]
    if len({rank for _, rank, _ in rows}) < 2:
        return []
    tasks = [t for t in _tasks(runs) if any(r.metric(t, "pass@1")[0] is not None for _, _, r in rows)]
    lines = ["| variant | rank | " + " | ".join(f"{t} pass@1 %" for t in tasks) + " |", "| --- | ---: |" + " ---: |" * len(tasks)]
    for variant, rank, r in sorted(rows, key=lambda x: (x[0], x[1])):
        lines.append(f"| {variant} | {rank} | " + " | ".join(_fmt(*r.metric(t, "pass@1")) for t in tasks) + " |")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plotted = [t for t in tasks if _format_of(t) == "_alpaca"] or tasks  # the adapters' own prompt format
    variants = sorted({v for v, _, _ in rows})
    fig, axes = plt.subplots(1, len(plotted), figsize=(3.1 * len(plotted), 3.4), sharey=False, squeeze=False)
    for ax, t in zip(axes[0], plotted):
        for i, variant in enumerate(variants):
            pts = sorted((rank, *r.metric(t, "pass@1")) for v, rank, r in rows if v == variant and r.metric(t, "pass@1")[0] is not None)
            if not pts:
                continue
            x = [p[0] * (0.93 if i == 0 else 1.07) for p in pts]  # side by side, not on top of each other
            y = [100 * p[1] for p in pts]
            err = [196 * p[2] if p[2] is not None else 0 for p in pts]  # 95 % interval from lm-eval's standard error
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=variant)
        base = next((r for r in runs if not r.adapter and r.metric(t, "pass@1")[0] is not None), None)
        if base is not None:
            ax.axhline(100 * base.metric(t, "pass@1")[0], color="grey", ls="--", lw=1, label="base model")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({rank for _, rank, _ in rows}), [str(k) for k in sorted({rank for _, rank, _ in rows})])
        ax.set_title(t.replace("_custom", "").replace("_alpaca", ""), fontsize=9)
        ax.set_xlabel("LoRA rank")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("pass@1 (%), 95 % interval")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle("pass@1 by LoRA rank (Alpaca prompt): overlapping intervals cannot be told apart", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    fig.savefig(out_dir / plot_name, dpi=110)
    plt.close(fig)
    return lines + ["", f"![rank comparison]({plot_name})"]


def variant_comparison(runs: list[Run]) -> list[str]:
    by = defaultdict(dict)
    for name, r in main_runs(runs).items():
        if r.rank and name == r.recipe["name"]:
            by[r.rank][r.variant] = r
    pairs = [(rank, v["code"], v["code_explained"]) for rank, v in sorted(by.items()) if {"code", "code_explained"} <= set(v)]
    if not pairs:
        return []
    tasks = _tasks(runs)
    lines = ["| rank | task | pass@1 % code | pass@1 % code_explained | lines of code: code | lines: explained |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for rank, a, b in pairs:
        for t in tasks:
            if a.metric(t, "pass@1")[0] is None and b.metric(t, "pass@1")[0] is None:
                continue
            lines.append(f"| {rank} | {t} | {_fmt(a.metric(t, 'pass@1')[0])} | {_fmt(b.metric(t, 'pass@1')[0])} | "
                         f"{_fmt(a.metric(t, 'quality_loc')[0], pct=False)} | "
                         f"{_fmt(b.metric(t, 'quality_loc')[0], pct=False)} |")
    return lines


def categories(runs: list[Run], out_dir: Path, plot_name: str) -> list[str]:
    """Custom-suite categories (from subtask results) and MBPP topics (from logged samples)."""
    table = defaultdict(dict)
    for r in runs:
        for task in r.results:
            m = re.fullmatch(r"custom_suite(_alpaca)?_(\w+)", task)
            if m and m.group(2) != "alpaca":
                table[r.label][f"suite{m.group(1) or ''}: {m.group(2)}"] = r.metric(task, "pass@1")[0]
        for task, samples in r.samples.items():
            if task.startswith("mbpp"):
                topic = defaultdict(list)
                for s in samples:
                    topic[s["doc"].get("category", "other")].extend(v["passed"] for v in sample_verdicts(s))
                for name, vals in topic.items():
                    table[r.label][f"{task}: {name}"] = sum(vals) / len(vals) if vals else None
    if not table:
        return []
    lines = []
    groups = [(f"Custom suite, {title}", lambda c, sfx=suffix: c.startswith(f"suite{sfx}: ")) for title, suffix in FORMATS]
    groups += [(f"MBPP topics ({task})", lambda c, task=task: c.startswith(f"{task}: "))
               for task in sorted({c.split(":")[0] for row in table.values() for c in row if not c.startswith("suite")})
               if "passk" not in task]
    for title, member in groups:
        cols = sorted({c for row in table.values() for c in row if member(c)})
        rows = [f"| {label} | " + " | ".join(_fmt(table[label].get(c)) for c in cols) + " |"
                for label in sorted(table, key=_natural) if any(table[label].get(c) is not None for c in cols)]
        if cols and rows:
            lines += [f"**{title}**", "", "| model / adapter | " + " | ".join(c.split(": ", 1)[1] for c in cols) + " |",
                      "| --- |" + " ---: |" * len(cols), *rows, ""]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    suite = [c for c in sorted({c for row in table.values() for c in row}) if c.startswith("suite_alpaca: ")] \
        or [c for c in sorted({c for row in table.values() for c in row}) if c.startswith("suite: ")]
    labels = [l for l in sorted(table, key=_natural) if any(table[l].get(c) is not None for c in suite)]
    if not suite or not labels:
        return lines
    data = np.array([[np.nan if table[l].get(c) is None else 100 * table[l][c] for c in suite] for l in labels], dtype=float)
    top = max(5.0, float(np.ceil(np.nanmax(data) / 5) * 5)) if np.isfinite(data).any() else 5.0  # the scale fits the data
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(suite), 1.6 + 0.42 * len(labels)))
    ax.set_facecolor("#d9d9d9")  # not run
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", vmin=0, vmax=top, cmap="viridis")
    for i in range(len(labels)):
        for j in range(len(suite)):
            v = data[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 * top else "black")
    ax.set_xticks(range(len(suite)), [c.split(": ", 1)[1].replace("_", " ") for c in suite], rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    fig.colorbar(im, ax=ax, label=f"pass@1 (%), scale 0–{top:.0f}")
    ax.legend(handles=[Patch(facecolor="#d9d9d9", label="not run")], loc="upper left", bbox_to_anchor=(1.25, 1.0), fontsize=7, frameon=False)
    ax.set_title("Custom-suite pass@1 by category" + (" (Alpaca prompt)" if suite[0].startswith("suite_alpaca") else ""), fontsize=10)
    fig.savefig(out_dir / plot_name, dpi=110, bbox_inches="tight")  # room for the rotated labels
    plt.close(fig)
    return lines + [f"![categories]({plot_name})"]


def error_analysis(runs: list[Run]) -> list[str]:
    kinds = {"syntax error": lambda v, s: v.get("error") == "syntax",
             "wrong name / signature": lambda v, s: v.get("error") == "name_signature",
             "off-by-one (±1 or one element)": lambda v, s: "[off-by-one]" in ((v.get("first_failure") or {}).get("msg") or ""),
             "missing edge case (MBPP+ base passes, plus fails)": lambda v, s: v.get("passed_base") is True and not v.get("passed"),
             "malformed loop (timeout)": lambda v, s: v.get("error") == "timeout",
             "other wrong answer": lambda v, s: v.get("error") == "wrong_answer" and "[off-by-one]" not in ((v.get("first_failure") or {}).get("msg") or ""),
             "exception": lambda v, s: v.get("error") == "exception",
             "memory": lambda v, s: v.get("error") == "memory"}
    lines = ["| model / adapter | samples | " + " | ".join(kinds) + " |", "| --- | ---: |" + " ---: |" * len(kinds)]
    examples = {}
    for r in sorted(runs, key=_natural):
        counts, n = Counter(), 0
        for task, samples in r.samples.items():
            for s in samples:
                for v in sample_verdicts(s):
                    n += 1
                    for name, pred in kinds.items():
                        if pred(v, s):
                            counts[name] += 1
                            examples.setdefault(name, (r.label, task, s["doc"].get("task_id"), v))
        lines.append(f"| {r.label} | {n} | " + " | ".join(str(counts[k]) for k in kinds) + " |")
    lines += ["", "Counts are over logged samples (all tasks of the run). One example of each kind:", ""]
    for name, (label, task, task_id, v) in examples.items():
        ff = v.get("first_failure") or {}
        lines += [f"**{name}** — {label}, {task} {task_id}: `{ff.get('status')} {ff.get('etype')}: {(ff.get('msg') or '')[:150]}`",
                  "", "```python", (v.get("code") or "")[:800], "```", ""]
    return lines


def written_quality(run: Run, task: str) -> dict | None:
    """Syntax and quality of what the model wrote, over the run's samples (evaluation.verdicts: a prompt's own
    signature and docstring do not count); None without samples."""
    values: dict[str, list[float]] = defaultdict(list)
    for s in run.samples.get(task, []):
        for v in sample_verdicts(s):
            for k in WRITTEN:
                if v.get(k) is not None and not (isinstance(v[k], float) and math.isnan(v[k])):
                    values[k].append(float(v[k]))
    if not values:
        return None
    return {k: sum(values[k]) / len(values[k]) if values[k] else math.nan for k in WRITTEN}


def quality_table(runs: list[Run]) -> list[str]:
    lines = ["Syntax and quality of the lines the model wrote (re-derived from the samples; a prompt's own signature "
             "and docstring do not count). Raw = the completion as generated, cut only at the stop sequences.", "",
             "| model / adapter | task | syntax-valid % | raw syntax-valid % | runs clean % | PEP 8 issues / line | "
             "docstring % | comment % | complexity | runtime × ref | lines |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in sorted(runs, key=_natural):
        for t in _tasks([r]):
            w = written_quality(r, t)
            # a verdict's measure, else the run's metric of it (named otherwise: grading.MEASURES)
            g = (lambda k: w[k]) if w else (lambda k: r.metric(t, MEASURES.get(k, k))[0])  # noqa: E731
            lines.append(f"| {r.label} | {t} | {_fmt(g('syntax_valid'))} | "
                         f"{_fmt(w['syntax_valid_raw']) if w else '–'} | {_fmt(g('runs_clean'))} | "
                         f"{_fmt(g('pep8_per_line'), pct=False)} | {_fmt(g('has_docstring'))} | {_fmt(g('has_comment'))} | "
                         f"{_fmt(g('complexity'), pct=False)} | {_fmt(r.metric(t, 'runtime_ratio')[0], pct=False)} | "
                         f"{_fmt(g('loc'), pct=False)} |")
    return lines


def _passk_rows(runs: list[Run]) -> list[tuple[Run, str]]:
    return [(r, t) for r in sorted(runs, key=_natural) for t in PASSK if t in r.results]


def passk_table(runs: list[Run]) -> list[str]:
    rows = _passk_rows(runs)
    if not rows:
        return []
    lines = ["| model / adapter | task | samples per task | pass@1 % (sampled) | pass@5 % | pass@10 % | tasks |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r, t in rows:
        k = r.config.get("repeats") or next((len(sample_verdicts(s)) for s in r.samples.get(t, [])[:1]), "–")
        lines.append(f"| {r.label} | {t} | {k} | {_fmt(r.metric(t, 'pass@1')[0])} | {_fmt(r.metric(t, 'pass@5')[0])} | "
                     f"{_fmt(r.metric(t, 'pass@10')[0])} | {r.n_samples.get(t)} |")
    return lines + ["", "Temperature 0.8, top-p 0.95; pass@k by the unbiased estimator over the samples of each task.",
                    *passk_pairs(runs)]


def passk_pairs(runs: list[Run]) -> list[str]:
    """Each two pass@k runs over the same tasks, paired task by task on pass@10 (with exactly 10 samples a task's
    pass@10 is 1 when one of them passed, else 0): McNemar's exact test and a paired-bootstrap interval. Each model
    answers in its own prompt format, so a pair compares model and prompt together."""
    from .stats import paired_difference

    def solved(r: Run, t: str) -> dict[int, float]:
        return {x["doc_id"]: x["pass@10"] for x in r.samples.get(t, []) if len(sample_verdicts(x)) == 10}

    rows = [(r, t, solved(r, t)) for r, t in _passk_rows(runs)]
    lines = []
    for i, (first, t1, a) in enumerate(rows):
        for second, t2, b in rows[i + 1:]:
            if docs := sorted(a.keys() & b.keys()):
                d = paired_difference([a[doc] for doc in docs], [b[doc] for doc in docs])
                lines.append(f"| {first.label} ({t1}) → {second.label} ({t2}) | {d['n']} | {100 * d['first']:.1f} | "
                             f"{100 * d['second']:.1f} | {100 * d['diff']:+.1f} | [{100 * d['lo']:+.1f}, "
                             f"{100 * d['hi']:+.1f}] | {d['only_first']} / {d['only_second']} | {d['p']:.3g} |")
    if not lines:
        return []
    return ["", "Paired over tasks (a task counts as solved when one of its 10 samples passes; each model in its own "
            "prompt format):", "", "| first → second | tasks | first pass@10 % | second pass@10 % | Δ points | "
            "95 % interval | solved only by first / only by second | McNemar p |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |", *lines]
