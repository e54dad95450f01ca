"""Markdown reports with plots from lm-eval result folders (run with --log_samples).

python -m reporting.results build RESULTS_DIR [RESULTS_DIR ...] --out reports/results.md [--manifest data/prepared/manifest.json]
python -m reporting.results rating-sheet RESULTS_DIR ... --out reports/rating_sheet.csv [--n 30 --seed 0]
python -m reporting.results aggregate-ratings FILLED.csv [...] --key reports/rating_sheet.key.json

A "run" is one lm-eval results_*.json (one model or adapter); its label is the adapter folder name, else the
model path. Every table names where its numbers came from.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import math
import random
import re
import shlex
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


QUALITY = ("pep8_per_line", "has_docstring", "has_comment", "complexity", "runtime_ratio", "loc")
PASSK = ("mbpp_custom_passk", "mbpp_custom_alpaca_passk")
BENCHMARKS = ("mbpp_custom", "mbpp_custom_3shot", "mbpp_custom_alpaca", "mbppplus_custom", "mbppplus_custom_3shot",
              "mbppplus_custom_alpaca", "humaneval_custom", "humaneval_custom_alpaca", "custom_suite",
              "custom_suite_alpaca")
_CHECKPOINT = re.compile(r"^(?P<name>.+)-checkpoint-(?P<step>\d+)$")


@dataclass
class Run:
    label: str
    path: Path
    config: dict
    results: dict
    n_samples: dict
    meta: dict
    samples: dict[str, list[dict]] = field(default_factory=dict)  # task -> logged samples

    @property
    def adapter(self) -> str | None:
        return self.config.get("model_args", {}).get("peft") if isinstance(self.config.get("model_args"), dict) else None

    def metric(self, task: str, name: str) -> tuple[float | None, float | None]:
        r = self.results.get(task, {})
        value = r.get(f"{name},sandbox")
        err = r.get(f"{name}_stderr,sandbox")
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
        err = err if isinstance(err, (int, float)) and not (isinstance(err, float) and math.isnan(err)) else None
        return value, err

    @property
    def folder(self) -> str:
        """The output folder the run was written to: RESULTS/FOLDER/<model>/results_*.json."""
        return self.path.parent.parent.name

    def command(self, launcher: str = "lm_eval") -> str:
        """The lm-eval command line that reruns this run: everything its results file records that changes the
        numbers (model arguments, tasks, limit, batch size, device, generation settings, seeds) and where it wrote."""
        c = self.config
        served = self.path.parent.parent / "served.json"  # assistant.grade: a llama.cpp server it started and stopped
        if c.get("model") == "local-completions" and served.exists():
            s = json.loads(served.read_text())
            return repo_relative(f"python -m assistant.grade --gguf {s['gguf']} --output_path {self.path.parent.parent} "
                                 f"--tasks {s['tasks']}" + (f" --limit {s['limit']}" if s.get("limit") else "")
                                 + (f" --threads {s['threads']}" if s.get("threads") else "")
                                 + (f" -- {' '.join(s['lm_eval_args'])}" if s.get("lm_eval_args") else ""))
        args = c.get("model_args")
        args = ",".join(f"{k}={v}" for k, v in args.items()) if isinstance(args, dict) else (args or "")
        parts = [f"{launcher} run --model {c.get('model')} --model_args {args} --include_path lm_eval_tasks",
                 f"--tasks {','.join(sorted(self.n_samples))}"]
        # the batch shapes change bfloat16 rounding, so the batch size is part of what reproduces a run
        if c.get("batch_size"):
            parts.append(f"--batch_size {c['batch_size']}")
        if c.get("device"):
            parts.append(f"--device {c['device']}")
        if c.get("limit"):
            parts.append(f"--limit {int(c['limit'])}")
        gen = c.get("gen_kwargs") or {}
        if isinstance(gen, str):
            gen = dict(kv.split("=", 1) for kv in gen.split(",") if "=" in kv)
        if gen:
            parts.append("--gen_kwargs " + " ".join(shlex.quote(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}")
                                                  for k, v in gen.items()))
        seeds = [c.get(k) for k in ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")]
        if any(s is not None for s in seeds):
            parts.append("--seed " + ",".join("None" if s is None else str(s) for s in seeds))
        parts.append(f"--output_path {self.path.parent.parent} --log_samples")
        return repo_relative(" ".join(parts))


_ABSOLUTE = re.compile(r"(?:/[^\s,=/]+)+/(?=(?:outputs|models|runs|data)/)")


def repo_relative(text: str) -> str:
    """Paths as a reader of the repo writes them: /somewhere/checkout/outputs/x -> outputs/x."""
    return _ABSOLUTE.sub("", text)


def _label(config: dict) -> str:
    args = config.get("model_args") or {}
    if isinstance(args, str):
        args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
    if args.get("peft"):
        peft = Path(str(args["peft"]).rstrip("/"))
        return f"{peft.parent.name}-{peft.name}" if peft.name.startswith("checkpoint-") else peft.name
    return Path(str(args.get("pretrained") or args.get("model") or config.get("model"))).name or str(config.get("model"))


def sample_verdicts(sample: dict) -> list[dict]:
    out = []
    for item in sample.get("filtered_resps", []):
        for v in item if isinstance(item, list) else [item]:
            if isinstance(v, str):
                try:
                    v = ast.literal_eval(re.sub(r"(?<=: )nan\b", "None", v))  # older logs wrote NaN
                except (ValueError, SyntaxError):
                    continue
            if isinstance(v, dict):
                out.append(v)
    return out


def _written_verdicts(sample: dict) -> list[dict]:
    """The sample's verdicts with syntax validity and the error class re-derived from what the model wrote."""
    from evaluation.grading import written_metrics

    gens = sample.get("resps", [[]])
    gens = gens[0] if gens and isinstance(gens[0], list) else gens
    out = []
    for gen, v in zip(gens, sample_verdicts(sample)):
        valid = written_metrics(gen, v.get("code") or "", sample["doc"].get("prefix", ""), True)["syntax_valid"]
        out.append({**v, "syntax_valid": valid, "error": v.get("error") if valid or v.get("passed") else "syntax"})
    return out


def load_runs(dirs: list[str | Path], samples_root: Path | None = None) -> list[Run]:
    """samples_root: where an unpacked samples archive mirrors the result folders (default: beside each result)."""
    runs = []
    for d in dirs:
        for res in sorted(Path(d).rglob("results_*.json")):
            j = json.loads(res.read_text())
            stamp = res.stem[len("results_"):]
            run = Run(label=_label(j.get("config", {})), path=res, config=j.get("config", {}), results=j.get("results", {}),
                      n_samples={t: v.get("effective") for t, v in j.get("n-samples", {}).items()},
                      meta={k: j.get(k) for k in ("git_hash", "date", "lm_eval_version", "transformers_version",
                                                  "total_evaluation_time_seconds")})
            where = res.parent
            if samples_root:  # the archive mirrors either the given folder or its parent
                rel = res.parent.relative_to(d)
                where = next((c for c in (samples_root / rel, samples_root / Path(d).name / rel)
                              if any(c.glob(f"samples_*_{stamp}.jsonl"))), samples_root / rel)
            for sf in where.glob(f"samples_*_{stamp}.jsonl"):
                task = sf.stem[len("samples_"):-(len(stamp) + 1)]
                run.samples[task] = [json.loads(line) for line in sf.open()]
            runs.append(run)
    for r in runs:  # a checkpoint's folder (LABEL-checkpoint-STEP) names its training, which the path may not
        if _CHECKPOINT.match(r.folder):
            r.label = r.folder
    seen = Counter(r.label for r in runs)
    folders = Counter(r.folder for r in runs)
    for r in runs:  # the same model evaluated twice: keep both, tell them apart by their output folder
        if seen[r.label] > 1:
            r.label = r.folder if folders[r.folder] == 1 else f"{r.label} ({r.path.parent.name}/{r.path.stem[-8:]})"
    return runs


def _fmt(value, err=None, pct=True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{100 * value:.1f}" if pct else f"{value:.2f}"
    if err is not None:
        text += f" ± {100 * err:.1f}" if pct else f" ± {err:.2f}"
    return text


def _tasks(runs: list[Run]) -> list[str]:
    present = {t for r in runs for t in r.results}
    return [t for t in BENCHMARKS if t in present]


FORMATS = (("zero-shot prompt", ""), ("3-shot prompt", "_3shot"), ("Alpaca prompt (the adapters' training format)", "_alpaca"))


def _format_of(task: str) -> str:
    return "_3shot" if task.endswith("_3shot") else "_alpaca" if task.endswith("_alpaca") else ""


def _natural(run_or_label: Run | str) -> str:
    """Sort key: labels with their numbers in numeric order (r8 before r16, checkpoint-44 before checkpoint-132)."""
    label = run_or_label if isinstance(run_or_label, str) else run_or_label.label
    return re.sub(r"\d+", lambda m: m[0].zfill(12), label)


def _table(runs: list[Run], cols: list[str], cell) -> list[str]:
    """One row per run that has a value in any column (no all-"–" rows)."""
    lines = []
    for r in sorted(runs, key=_natural):
        cells = [cell(r, c) for c in cols]
        if any(c != "–" for c in cells):
            lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    return lines


def leaderboard(runs: list[Run]) -> list[str]:
    """pass@1 per benchmark, one table per prompt format."""
    tasks = _tasks(runs)
    out = []

    def cell(r: Run, t: str) -> str:
        v, e = r.metric(t, "pass@1")
        n = r.n_samples.get(t) or sum(r.n_samples.get(s) or 0 for s in r.results if s.startswith(t + "_"))
        greedy = [x.get("pass@1") for k, ss in r.samples.items() if k == t or k.startswith(t + "_") for x in ss]
        if len(greedy) == n and all(x in (0.0, 1.0) for x in greedy):  # the logged samples: how many passed
            return f"{_fmt(v, e)} ({int(sum(greedy))}/{n})" if v is not None else "–"
        return f"{_fmt(v, e)} ({n})" if v is not None else "–"

    for title, suffix in FORMATS:
        cols = [t for t in tasks if _format_of(t) == suffix]
        rows = _table(runs, cols, cell) if cols else []
        if rows:
            out += [f"**{title}**", "", "| model / adapter | " + " | ".join(f"{t} pass@1 %" for t in cols) + " |",
                    "| --- |" + " ---: |" * len(cols), *rows, ""]
    return out[:-1] if out else ["No benchmark results among these runs."]


def _rank_variant(label: str) -> tuple[str | None, int | None]:
    m = re.search(r"-(code_explained|code)-r(\d+)$", label)  # not …-r8-float32, …-r32-passk: other setups
    return (m.group(1), int(m.group(2))) if m else (None, None)


def rank_comparison(runs: list[Run], out_dir: Path, plot_name: str) -> list[str]:
    rows = [(variant, rank, r) for r in runs for variant, rank in [_rank_variant(r.label)] if rank]
    if not rows:
        return ["No adapters with a rank in their name (…-code-r8, …-code_explained-r32) among these runs."]
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
        base = next((r for r in runs if not _rank_variant(r.label)[1] and r.metric(t, "pass@1")[0] is not None
                     and not r.adapter), None)
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
    for r in runs:
        variant, rank = _rank_variant(r.label)
        if rank:
            by[rank][variant] = r
    pairs = [(rank, v["code"], v["code_explained"]) for rank, v in sorted(by.items()) if {"code", "code_explained"} <= set(v)]
    if not pairs:
        return ["No rank has both a `code` and a `code_explained` adapter among these runs."]
    tasks = _tasks(runs)
    lines = ["| rank | task | pass@1 % code | pass@1 % code_explained | lines of code: code | lines: explained |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for rank, a, b in pairs:
        for t in tasks:
            if a.metric(t, "pass@1")[0] is None and b.metric(t, "pass@1")[0] is None:
                continue
            lines.append(f"| {rank} | {t} | {_fmt(a.metric(t, 'pass@1')[0])} | {_fmt(b.metric(t, 'pass@1')[0])} | "
                         f"{_fmt(a.metric(t, 'loc')[0], pct=False)} | {_fmt(b.metric(t, 'loc')[0], pct=False)} |")
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
        return ["No per-category results among these runs."]
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
                for v in _written_verdicts(s):
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


WRITTEN = ("syntax_valid", "syntax_valid_raw", "runs_clean", "pep8_per_line", "has_docstring", "has_comment",
           "complexity", "loc")


def written_quality(run: Run, task: str) -> dict | None:
    """Syntax and quality of what the model wrote, re-derived from the run's samples (the metrics logged before
    they were defined so counted the prompt's lines: a HumanEval completion of noise was graded on the prompt's
    signature and docstring); None without samples."""
    from evaluation.grading import written_metrics

    values: dict[str, list[float]] = defaultdict(list)
    for s in run.samples.get(task, []):
        gens = s.get("resps", [[]])
        gens = gens[0] if gens and isinstance(gens[0], list) else gens
        for gen, v in zip(gens, sample_verdicts(s)):
            m = written_metrics(gen, v.get("code") or "", s["doc"].get("prefix", ""), bool(v.get("runs_clean")))
            for k in WRITTEN:
                if m[k] is not None:
                    values[k].append(float(m[k]))
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
            g = (lambda k: w[k]) if w else (lambda k: r.metric(t, k)[0])  # noqa: E731
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
        return ["No pass@k run (`mbpp_custom_passk`, `mbpp_custom_alpaca_passk`) among these runs."]
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


ALPACA_TASKS = ("mbpp_custom_alpaca", "mbppplus_custom_alpaca", "humaneval_custom_alpaca", "custom_suite_alpaca")
_CONFIG = re.compile(r"^(?P<name>.+?-(?:code_explained|code)-r\d+(?:-dropout0)?)(?:-seed(?P<seed>\d+))?$")


def configurations(runs: list[Run]) -> dict[str, dict[int, Run]]:
    """Adapter configuration (NAME, NAME-dropout0) -> {training seed: its greedy run}; the recipe's own seed is 42."""
    out: dict[str, dict[int, Run]] = {}
    for r in runs:
        m = _CONFIG.match(r.folder)
        if m and r.adapter:
            out.setdefault(m["name"], {})[int(m["seed"] or 42)] = r
    return out


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


def over_seeds(by_seed: dict[int, Run], task: str) -> tuple[float, float | None] | None:
    """pass@1 mean and standard deviation over a configuration's seeds (None where no seed has the task)."""
    from .stats import mean_sd

    values = [v for r in by_seed.values() if (v := r.metric(task, "pass@1")[0]) is not None]
    return mean_sd(values) if values else None


def seed_table(runs: list[Run]) -> list[str]:
    """pass@1 mean ± standard deviation over training seeds, per configuration and Alpaca task."""
    configs = configurations(runs)
    tasks = [t for t in ALPACA_TASKS if any(t in r.results for c in configs.values() for r in c.values())]
    if not configs or not tasks:
        return ["No adapter runs among these."]
    lines = ["| configuration | seeds | " + " | ".join(f"{t} pass@1 %" for t in tasks) + " |",
             "| --- | --- |" + " ---: |" * len(tasks)]
    for name, by_seed in sorted(configs.items(), key=lambda kv: _natural(kv[0])):
        cells = []
        for t in tasks:
            mean, sd = over_seeds(by_seed, t) or (None, None)
            cells.append("–" if mean is None else f"{100 * mean:.1f}" + (f" ± {100 * sd:.1f}" if sd is not None else ""))
        lines.append(f"| {name} | {', '.join(map(str, sorted(by_seed)))} | " + " | ".join(cells) + " |")
    if all(len(s) == 1 for s in configs.values()):
        lines += ["", "One training per configuration: no spread over seeds yet."]
    return lines


def _pairs(runs: list[Run]) -> list[tuple[str, Run, Run, list[str]]]:
    """(comparison, first, second, configurations whose seed spread bounds it): the base with the Alpaca prompt vs each
    adapter, rank vs the next rank of a variant (and vs the next rank trained with several seeds too, when ranks
    trained once lie between them), code vs code_explained at a rank, LoRA dropout 0.05 vs 0."""
    configs = configurations(runs)
    main = {name: by_seed.get(42) or by_seed[min(by_seed)] for name, by_seed in configs.items()}
    base = next((r for r in runs if not r.adapter and any(t in r.results for t in ALPACA_TASKS)), None)
    out = [(f"base → {name}", base, main[name], [name]) for name in sorted(main, key=_natural) if base]
    by_variant: dict[str, list[tuple[int, str]]] = {}
    for name in main:
        variant, rank = _rank_variant(name)
        if rank:
            by_variant.setdefault(variant, []).append((rank, name))
    for variant, ranked in sorted(by_variant.items()):
        ranked.sort()
        seeded = [rn for rn in ranked if len(configs[rn[1]]) > 1]
        steps = list(zip(ranked, ranked[1:]))
        steps += [step for step in zip(seeded, seeded[1:]) if step not in steps]
        out += [(f"{variant}: r{a} → r{b}", main[na], main[nb], [na, nb]) for (a, na), (b, nb) in steps]
    for name in sorted(main, key=_natural):
        variant, rank = _rank_variant(name)
        other = name.replace("-code-", "-code_explained-")
        if variant == "code" and other in main:
            out.append((f"r{rank}: code → code_explained", main[name], main[other], [name, other]))
        if f"{name}-dropout0" in main:
            out.append((f"r{rank} {variant}: dropout 0.05 → 0", main[name], main[f"{name}-dropout0"],
                        [name, f"{name}-dropout0"]))
    return out


def _seed_pairs(configs: dict[str, dict[int, Run]], first: Run, second: Run,
                bound_by: list[str]) -> dict[int, tuple[Run, Run]]:
    """A pair of _pairs again for each training seed: both configurations' runs of each seed both were trained with,
    or the base against each training of the adapter."""
    if len(bound_by) == 2:
        seeds = sorted(set(configs[bound_by[0]]) & set(configs[bound_by[1]]))
        return {s: (configs[bound_by[0]][s], configs[bound_by[1]][s]) for s in seeds}
    return {s: (first, r) for s, r in sorted(configs[bound_by[0]].items())}


def paired_comparisons(runs: list[Run]) -> list[str]:
    """Each pair on the same documents with the same prompts: the difference in greedy pass@1 with its paired-bootstrap
    95 % interval, McNemar's exact test, and the spread over training seeds where a configuration has repeats."""
    configs = configurations(runs)
    lines = ["| comparison | task | documents | first % | second % | Δ points | 95 % interval | only first / only second "
             "| McNemar p | seed sd, points | Δ per training seed | verdict |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | --- |"]
    rows = 0
    for title, first, second, bound_by in _pairs(runs):
        both = _in_order(first, second)
        again = _seed_pairs(configs, first, second, bound_by)
        again_both = {s: both if a is first and b is second else _in_order(a, b)
                      for s, (a, b) in again.items()} if len(again) > 1 else {}
        for task in ALPACA_TASKS:
            if (d := _greedy_difference(both, task)) is None:
                continue
            sds = [over_seeds(configs[name], task) for name in bound_by if len(configs.get(name, {})) > 1]
            spread = max((x[1] for x in sds if x and x[1] is not None), default=None)
            deltas = {s: sum(b - a for a, b in p) / len(p)
                      for s, seed_both in again_both.items() if (p := _greedy_passes(seed_both, task))}
            centre = sum(deltas.values()) / len(deltas) if len(deltas) > 1 else d["diff"]
            one_sign = all(x * centre > 0 for x in deltas.values())
            significant = d["p"] < 0.05 and (d["lo"] > 0 or d["hi"] < 0)
            once = [re.sub(r"^.*?-(?=(?:code_explained|code)-r\d)", "", name)  # without the model's name
                    for name in bound_by if len(configs.get(name, {})) < 2]
            if spread is not None and (abs(centre) <= 2 * spread or not one_sign):
                verdict = "inside seed noise"
            elif significant:
                verdict = f"significant (one seed: {', '.join(once)})" if once else "**survives**"
            else:
                verdict = "not significant"
            lines.append(f"| {title} | {task} | {d['n']} | {100 * d['first']:.1f} | {100 * d['second']:.1f} | "
                         f"{100 * d['diff']:+.1f} | [{100 * d['lo']:+.1f}, {100 * d['hi']:+.1f}] | "
                         f"{d['only_first']} / {d['only_second']} | {d['p']:.3g} | "
                         f"{'–' if spread is None else f'{100 * spread:.1f}'} | "
                         f"{', '.join(f'{s}: {100 * x:+.1f}' for s, x in deltas.items()) or '–'} | {verdict} |")
            rows += 1
    if not rows:
        return ["No pairs of greedy runs on the same documents among these."]
    return lines + ["", "Δ = second − first, on the recipes' own seed (42); *Δ per training seed*: the same difference "
                    "for each seed both sides were trained with. *Survives*: McNemar p < 0.05, the interval excludes 0, "
                    "and the mean of Δ over training seeds has the same sign in every seed and is more than twice the "
                    "larger seed standard deviation of the two configurations, each trained with more than one seed; "
                    "*inside seed noise*: not so; *one seed*: significant, but the configurations "
                    "named were trained once, and only the documents' sampling noise is in the interval: a second "
                    "training of the same recipe can move pass@1 more than that."]


def _generation(x: dict) -> str:
    """A logged sample's first generation, as the model wrote it."""
    gens = x.get("resps", [[""]])
    gen = gens[0][0] if gens and isinstance(gens[0], list) else (gens[0] if gens else "")
    return gen if isinstance(gen, str) else ""


# per-document measures of what the model wrote, from its logged sample: (label, unit, function of the sample)
def _stripped(x: dict) -> float | None:
    """Characters of the answer the extractor left out (prose, an "Explanation:", test calls), 0 when none."""
    v = sample_verdicts(x)
    if not v or v[0].get("code") is None:
        return None
    return float(max(0, len(_generation(x).strip()) - len(v[0]["code"].strip())))


def _written_one(x: dict) -> dict:
    """What the model wrote in one greedy sample: its error class (syntax re-derived from the written part) and the
    quality measures of its own lines (as the quality table; logged values counted a prompt's lines)."""
    from evaluation.grading import written_metrics

    if "_written" not in x:
        v = _written_verdicts(x)
        m = written_metrics(_generation(x), v[0].get("code") or "", x["doc"].get("prefix", ""), True) if v else {}
        x["_written"] = {**{k: m.get(k) for k in ("loc", "has_docstring", "has_comment")},
                         "error": v[0].get("error") if v else None, "ok": bool(v)}
    return x["_written"]


def _measure(key: str):
    def f(x: dict) -> float | None:
        w = _written_one(x)
        if not w["ok"]:
            return None
        if key.startswith("err_"):
            return float(w["error"] == key[4:])
        v = w[key]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return f


WRITING = (("wrong name / signature", "%", _measure("err_name_signature")),
           ("syntax error", "%", _measure("err_syntax")),
           ("lines of code", "", _measure("loc")),
           ("docstring", "%", _measure("has_docstring")),
           ("comment", "%", _measure("has_comment")),
           ("text left out by the extractor", "%", lambda x: None if (c := _stripped(x)) is None else float(c > 0)),
           ("characters left out", "", _stripped))


def variant_question(runs: list[Run]) -> list[str]:
    """`code` against `code_explained` at each rank, on every Alpaca document both answered with the same prompt:
    instruction following and verbosity, each difference with its paired-bootstrap 95 % interval (recipes' own seed)
    and the difference for every training seed both variants have."""
    from .stats import mean_sd, paired_difference

    configs = configurations(runs)
    main = {name: by_seed.get(42) or by_seed[min(by_seed)] for name, by_seed in configs.items()}
    pairs = [(name, name.replace("-code-", "-code_explained-")) for name in sorted(main, key=_natural)
             if _rank_variant(name)[0] == "code" and name.replace("-code-", "-code_explained-") in main]
    if not pairs:
        return ["No rank with both a `code` and a `code_explained` adapter among these runs."]

    def measured(docs: list, measure) -> list[tuple[float, float]]:
        values = [(measure(a), measure(b)) for _, a, b in docs]
        return [(a, b) for a, b in values if a is not None and b is not None]

    lines = ["| rank | measure | documents | code | code_explained | Δ | 95 % interval | Δ per training seed |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for code, explained in pairs:
        main_docs = paired_samples(main[code], main[explained])
        seed_docs = {s: paired_samples(configs[code][s], configs[explained][s])
                     for s in sorted(set(configs[code]) & set(configs[explained]))}
        for label, unit, measure in WRITING:
            values = measured(main_docs, measure)
            if not values:
                continue
            per_seed = {s: measured(docs, measure) for s, docs in seed_docs.items()}
            r = paired_difference([a for a, _ in values], [b for _, b in values])
            k = 100 if unit == "%" else 1
            fmt = (lambda v: f"{k * v:.1f}") if unit == "%" else (lambda v: f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}")
            sign = lambda v: ("+" if v >= 0 else "") + fmt(v)  # noqa: E731
            deltas = {s: sum(b - a for a, b in v) / len(v) for s, v in per_seed.items() if v}
            mean, sd = mean_sd(list(deltas.values())) if len(deltas) > 1 else (None, None)
            spread = ", ".join(f"{s}: {sign(d)}" for s, d in deltas.items()) + \
                (f" (mean {sign(mean)} ± {fmt(sd)})" if mean is not None else "")
            lines.append(f"| r{_rank_variant(code)[1]} | {label}{' %' if unit else ''} | {r['n']} | {fmt(r['first'])} | "
                         f"{fmt(r['second'])} | {sign(r['diff'])} | [{fmt(r['lo'])}, {fmt(r['hi'])}] | "
                         f"{spread if len(deltas) > 1 else '–'} |")
    return lines + ["", "Over all Alpaca tasks' documents together; the first columns pair the recipes' own seed (42), the "
                    "last gives Δ for each training seed both variants were trained with. *Text left out by the "
                    "extractor*: the answer had more than the program graded (an explanation, prose, example calls); "
                    "*characters left out*: how much."]


def _state(x: dict) -> str:
    """A greedy sample's outcome in a few words: passes, or its error class and the first failure's message."""
    v = _written_verdicts(x)
    if not v or v[0].get("passed"):
        return "passes" if v else "no verdict"
    f = v[0].get("first_failure") or {}
    msg = re.sub(r"\s+", " ", f"{f.get('etype') or ''}: {f.get('msg') or ''}".strip(": "))[:60].replace("|", "/")
    return f"{v[0].get('error')}" + (f" (`{msg}`)" if msg else "")


def changes_by_type(runs: list[Run], p_max: float = 0.05) -> list[str]:
    """For each pair of the paired comparisons, over all Alpaca documents: the task types (MBPP topic, custom-suite
    category, benchmark) whose pass@1 changed, and the error types whose rate changed, with McNemar p < p_max; each
    with one document that shows the change."""
    from evaluation.grading import ERROR_KINDS

    from .stats import paired_difference

    def grouped(first: Run, second: Run) -> dict[str, list]:
        groups: dict[str, list] = defaultdict(list)
        for k, a, b in sorted(paired_samples(first, second), key=lambda kab: kab[0]):
            if a.get("pass@1") not in (0.0, 1.0) or b.get("pass@1") not in (0.0, 1.0):
                continue
            groups[f"pass@1, {a['doc'].get('category') or k[0]}"].append((a, b, a["pass@1"], b["pass@1"]))
            wa, wb = _written_one(a), _written_one(b)
            for kind in ERROR_KINDS:
                groups[f"error: {kind}"].append((a, b, float(wa["error"] == kind), float(wb["error"] == kind)))
        return groups

    configs = configurations(runs)
    lines = ["| comparison | what | documents | first % | second % | Δ points | 95 % interval | McNemar p | Δ per "
             "training seed | a document that changed |", "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"]
    rows = 0
    for title, first, second, bound_by in _pairs(runs):
        groups = grouped(first, second)
        again = _seed_pairs(configs, first, second, bound_by)
        again_groups = {s: groups if pair[0] is first and pair[1] is second else grouped(*pair)
                        for s, pair in again.items()} if len(again) > 1 else {}
        for what, items in sorted(groups.items()):
            r = paired_difference([x for *_, x, _ in items], [y for *_, y in items])
            if r["p"] >= p_max:
                continue
            up = r["diff"] > 0
            a, b, *_ = next(i for i in items if (i[3] > i[2]) == up and i[3] != i[2])
            deltas = [f"{s}: {100 * sum(y - x for *_, x, y in g[what]) / len(g[what]):+.1f}"
                      for s, g in again_groups.items() if g.get(what)]
            lines.append(f"| {title} | {what} | {r['n']} | {100 * r['first']:.1f} | {100 * r['second']:.1f} | "
                         f"{100 * r['diff']:+.1f} | [{100 * r['lo']:+.1f}, {100 * r['hi']:+.1f}] | {r['p']:.3g} | "
                         f"{', '.join(deltas) or '–'} | {a['doc'].get('task_id')}: {_state(a)} → {_state(b)} |")
            rows += 1
    if not rows:
        return [f"No task type or error type changed with McNemar p < {p_max} in any pair."]
    return lines + ["", f"Only changes with McNemar p < {p_max} on the recipes' own seed, many tested at once (expect "
                    "about one in twenty of the unchanged ones to pass by chance); *Δ per training seed*: the same "
                    "difference for each seed both sides were trained with — a change that holds in only one is "
                    "inside seed noise. The document is the first in task order that moved in the direction of the "
                    "change, with how each model's answer fared."]


def compare_samples(first: list[dict], again: list[dict]) -> tuple[int, int, int]:
    """Two evaluations of the same documents: (generations that differ, verdicts that differ, documents only in one)."""
    before, after = {s["doc_id"]: s for s in first}, {s["doc_id"]: s for s in again}
    both = before.keys() & after.keys()
    return (sum(before[d]["resps"] != after[d]["resps"] for d in both),
            sum(before[d].get("pass@1") != after[d].get("pass@1") for d in both), len(before.keys() ^ after.keys()))


def reproducibility(runs: list[Run], reruns: list[Run]) -> list[str]:
    """Each rerun (the same model or adapter evaluated again from its saved files) against the first run."""
    if not reruns:
        return ["No rerun among these results."]
    lines = ["| first run | task | pass@1 % first | pass@1 % rerun | generations that differ | verdicts that differ |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for again in reruns:
        same = [r for r in runs if set(again.samples) <= set(r.samples)]
        first = next((r for r in same if r.folder == again.folder.removesuffix("-rerun")), None) or next(
            (r for r in same if r.label.split(" (")[0] == again.label.split(" (")[0]), None)
        if first is None:
            lines.append(f"| {again.label} | – | – | – | no first run with the same tasks | |")
            continue
        for task, samples in sorted(again.samples.items()):
            gen, ver, _ = compare_samples(first.samples[task], samples)
            lines.append(f"| {first.folder} | {task} | {_fmt(first.metric(task, 'pass@1')[0])} | "
                         f"{_fmt(again.metric(task, 'pass@1')[0])} | {gen} of {len(samples)} | {ver} |")
    return lines


_REPEAT = re.compile(r"-(?:seed\d+|retrain\d*)$")  # another training of the same configuration


def training_table(training_dir: Path | None, out_dir: Path, plot_name: str) -> list[str]:
    """Loss curves from each adapter's trainer_state.json (Axolotl/HF Trainer log history); the plot gives each
    configuration one colour, its seeds and retrainings drawn in it."""
    states = sorted(training_dir.glob("*/trainer_state.json")) if training_dir else []
    if not states:
        return ["No training logs given (`--training DIR` with NAME/trainer_state.json)."]
    lines = ["| adapter | epochs | steps | first train loss | last train loss | validation loss per epoch | tokens/s/GPU |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    colours: dict[str, str] = {}
    counts = Counter(_REPEAT.sub("", p.parent.name) for p in states)
    for path in states:
        hist = json.loads(path.read_text())["log_history"]
        train = [(h["epoch"], h["loss"]) for h in hist if "loss" in h]
        val = [(h["epoch"], h["eval_loss"]) for h in hist if "eval_loss" in h]
        speed = [h["tokens/train_per_sec_per_gpu"] for h in hist if "tokens/train_per_sec_per_gpu" in h]
        name = path.parent.name
        lines.append(f"| {name} | {max(e for e, _ in train + val):.0f} | {max(h.get('step', 0) for h in hist)} | "
                     f"{train[0][1]:.3f} | {train[-1][1]:.3f} | " + ", ".join(f"{v:.3f}" for _, v in val) +
                     f" | {sorted(speed)[len(speed) // 2]:,.0f} |" if train and speed else f"| {name} | incomplete log |")
        if not train:  # nothing to draw (a run stopped before its first log)
            continue
        config = _REPEAT.sub("", name)
        first = config not in colours
        colours.setdefault(config, f"C{len(colours) % 10}")
        label = (f"{config} (×{counts[config]})" if counts[config] > 1 else config) if first else None
        ax_train.plot(*zip(*train), color=colours[config], lw=1, alpha=0.7, label=label)
        after = [(e, v) for e, v in val if e > 0]  # epoch 0 (the base model) is in the table: it would flatten the rest
        if after:
            ax_val.plot(*zip(*after), marker="o", ms=4, lw=1, alpha=0.8, color=colours[config], label=label)
    ax_train.set_title("training loss", fontsize=10)
    ax_val.set_title("validation loss (after each epoch)", fontsize=10)
    for ax in (ax_train, ax_val):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    ax_train.set_ylabel("loss (response tokens)")
    ax_val.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    fig.tight_layout()
    fig.savefig(out_dir / plot_name, dpi=110)
    plt.close(fig)
    return lines + ["", "Validation loss at epoch 0 is the base model before training; tokens/s/GPU is the median "
                    "of Axolotl's per-log figure (several runs shared one GPU). In the plot each configuration has "
                    "one colour, and its other trainings (seeds, retrainings: ×N) are drawn in it.", "",
                    f"![loss curves]({plot_name})"]


def learning_curve(runs: list[Run], training_dir: Path | None) -> list[str]:
    """pass@1 of each per-epoch checkpoint (grid --curve: LABEL-checkpoint-STEP) beside the validation loss logged at
    that step (TRAINING/LABEL/trainer_state.json)."""
    curves: dict[str, dict[int, Run]] = defaultdict(dict)
    for r in runs:
        if m := _CHECKPOINT.match(r.folder):
            curves[m["name"]][int(m["step"])] = r
    if not curves:
        return ["No checkpoint evaluations among these runs (`python -m experiment.grid … --curve RECIPE`)."]
    lines, steps_rows, final, missing = [], [], False, False
    for name, by_step in sorted(curves.items(), key=lambda kv: _natural(kv[0])):
        state = training_dir / name / "trainer_state.json" if training_dir else None
        hist = json.loads(state.read_text())["log_history"] if state and state.exists() else []
        val = {h["step"]: (h["epoch"], h["eval_loss"]) for h in hist if "eval_loss" in h}
        tasks = sorted({t for r in by_step.values() for t in r.results if t in ALPACA_TASKS})
        adapter = next((r for r in runs if r.folder == name), None)
        if adapter and val and max(val) not in by_step:  # the last checkpoint is the adapter: its own evaluation
            by_step = {**by_step, max(val): adapter}
            final = True
        lines += [f"**{name}**", "", "| step | epoch | validation loss | " + " | ".join(f"{t} pass@1 %" for t in tasks) + " |",
                  "| ---: | ---: | ---: |" + " ---: |" * len(tasks)]
        for step in sorted(set(by_step) | {s for s in val if s > 0}):  # step 0: the base model, before training
            r, (epoch, loss) = by_step.get(step), val.get(step, (None, None))
            missing |= r is None
            cells = [_fmt(r.metric(t, "pass@1")[0], r.metric(t, "pass@1")[1]) if r else "not evaluated" for t in tasks]
            mark = " (the adapter)" if r is not None and r is adapter else ""
            lines.append(f"| {step}{mark} | {'–' if epoch is None else f'{epoch:.0f}'} | "
                         f"{'–' if loss is None else f'{loss:.3f}'} | " + " | ".join(cells) + " |")
        lines.append("")
        steps = sorted(by_step)
        for a, b in zip(steps, steps[1:]):
            both = _in_order(by_step[a], by_step[b])
            for task in tasks:
                if d := _greedy_difference(both, task):
                    steps_rows.append(f"| {name} | {a} → {b} | {task} | {d['n']} | {100 * d['diff']:+.1f} | "
                                      f"[{100 * d['lo']:+.1f}, {100 * d['hi']:+.1f}] | "
                                      f"{d['only_first']} / {d['only_second']} | {d['p']:.3g} |")
    if steps_rows:
        lines += ["Step to step within one training, paired over the same documents and prompts (greedy):", "",
                  "| training | steps | task | documents | Δ points | 95 % interval | only first / only second | "
                  "McNemar p |", "| --- | --- | --- | ---: | ---: | --- | --- | ---: |", *steps_rows, ""]
    return lines + ["Validation loss is the one logged at the checkpoint's step (– where none was, or no "
                    "`--training` log was given)." + (" *(the adapter)*: the last checkpoint holds the trained "
                    "adapter's weights, so its row is the adapter's own evaluation (on every Alpaca task at once, "
                    "so in other batches than the checkpoints')." if final else "")
            + (" *not evaluated*: a step with a validation loss but no checkpoint evaluation among these runs." if missing else "")]


def provenance(runs: list[Run], manifest: dict | None, launcher: str = "lm_eval") -> list[str]:
    lines = ["| model / adapter | results file | lm-eval | transformers | git | seeds (python/numpy/torch) | wall s | command |",
             "| --- | --- | --- | --- | --- | --- | ---: | --- |"]
    for r in sorted(runs, key=_natural):
        m, c = r.meta, r.config
        wall = m.get("total_evaluation_time_seconds")
        wall = f"{float(wall):.0f}" if wall else "–"
        seeds = f"{c.get('random_seed')}/{c.get('numpy_seed')}/{c.get('torch_seed')}"
        git = m.get("git_hash") or "– (tree without .git)"
        lines.append(f"| {r.label} | `{r.path}` | {m.get('lm_eval_version')} | {m.get('transformers_version')} | {git} | "
                     f"{seeds} | {wall} | `{r.command(launcher)}` |")
    if manifest:
        outs = manifest.get("outputs", {})
        lines += ["", "Training data (from the data manifest): " + ", ".join(
            f"`{k}` sha256 {v['sha256'][:12]}… ({v['rows']} rows)" for k, v in outs.items() if k.endswith("train.jsonl"))
            + f"; seed {manifest.get('seed')}; source sha256 {manifest.get('input', {}).get('sha256', '')[:12]}…."]
    return lines


def load_archived_runs(groups: list[list[str]], samples: list[str] = ()) -> list[list[Run]]:
    """load_runs for each group of result folders, with the samples from .tar.xz archives laid out like them."""
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # load_runs reads the samples into memory
        root = None
        for archive in samples:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            root = Path(tmp)
        return [load_runs(dirs, root) for dirs in groups]


def build(dirs: list[str], out: Path, manifest_path: str | None, title: str, rerun_dirs: list[str] = (),
          samples: list[str] = (), training: str | None = None, launcher: str = "lm_eval") -> Path:
    """samples: .tar.xz archives of the samples_*.jsonl files laid out like the result folders (kept compressed in
    the repo; several when the runs come from several archives: a samples file is named by its run's timestamp, so
    they never clash); rerun_dirs: evaluations repeated from saved files, compared document by document with the
    first runs; launcher: what ran lm-eval (the result files do not record it), as the provenance commands write it."""
    runs, reruns = load_archived_runs([dirs, rerun_dirs], samples)
    if not runs:
        raise SystemExit(f"no results_*.json under {', '.join(dirs)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.stem
    manifest = json.loads(Path(manifest_path).read_text()) if manifest_path and Path(manifest_path).exists() else None
    extra = (f" --rerun {' '.join(rerun_dirs)}" if rerun_dirs else "") + (f" --samples {' '.join(samples)}" if samples else "") \
        + (f" --training {training}" if training else "") + (f" --launcher '{launcher}'" if launcher != "lm_eval" else "")
    parts = [f"# {title}", "", "Built by `python -m reporting.results build " + " ".join(dirs) + f"{extra} --out {out}`. "
             "pass@1 is greedy unless the task samples (`mbpp_custom_passk`); ± is lm-eval's standard error; (passed/n) counts "
             "the logged samples, (n) alone where none were logged.", "",
             "## Leaderboard", "", *leaderboard(runs), "",
             "## Rank comparison", "", *rank_comparison(runs, out.parent, f"{stem}_ranks.png"), "",
             "## Data-variant comparison (code vs code + explanation)", "", *variant_comparison(runs), "",
             "## Over training seeds", "", *seed_table(runs), "",
             "## Paired comparisons (same documents, same prompts)", "", *paired_comparisons(runs), "",
             "## What the explanations changed in the answers", "", *variant_question(runs), "",
             "## Task types and error types that changed", "", *changes_by_type(runs), "",
             "## Per category and topic", "", *categories(runs, out.parent, f"{stem}_categories.png"), "",
             "## Error analysis", "", *error_analysis(runs), "",
             "## Code quality", "", *quality_table(runs), ""]
    if any(t in r.results for r in runs for t in PASSK):
        parts += ["## pass@k (sampling)", "", *passk_table(runs), ""]
    if training:
        parts += ["## Training", "", *training_table(Path(training), out.parent, f"{stem}_loss.png"), ""]
    if any(_CHECKPOINT.match(r.folder) for r in runs):
        parts += ["## Learning curve", "", *learning_curve(runs, Path(training) if training else None), ""]
    if reruns:
        parts += ["## Reproducibility", "", *reproducibility(runs, reruns), ""]
    parts += ["## Provenance", "", *provenance(runs + reruns, manifest, launcher), ""]
    for extra, heading in (("discussion", "Discussion"), ("ratings", "Human ratings")):
        path = out.parent / f"{stem}_{extra}.md"
        if path.exists():
            parts += [f"## {heading}", "", path.read_text()]
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return out


def rating_sheet(dirs: list[str], out: Path, n: int, seed: int) -> tuple[Path, Path]:
    """A blind sheet: random generations, model names replaced by item ids; the key goes to a separate file."""
    items = []
    for r in load_runs(dirs):
        for task, samples in r.samples.items():
            for s in samples:
                for v in sample_verdicts(s)[:1]:
                    items.append({"run": r.label, "task": task, "task_id": s["doc"].get("task_id"),
                                  "instruction": s["doc"].get("text", "")[:600], "code": v.get("code", "")})
    rng = random.Random(seed)
    rng.shuffle(items)
    items = items[:n]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "instruction", "code", "clarity_1to5", "readability_1to5", "instruction_adherence_1to5", "comment"])
        for i, it in enumerate(items):
            w.writerow([f"item-{i:03d}", it["instruction"], it["code"], "", "", "", ""])
    key = out.with_suffix(".key.json")
    key.write_text(json.dumps({f"item-{i:03d}": {k: it[k] for k in ("run", "task", "task_id")} for i, it in enumerate(items)}, indent=1))
    return out, key


def aggregate_ratings(sheets: list[str], key_path: str, out: Path | None) -> str:
    key = json.loads(Path(key_path).read_text())
    scores = defaultdict(lambda: defaultdict(list))
    problems = []
    for sheet in sheets:
        with open(sheet, newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if row["item"] not in key:
                    problems.append(f"{sheet}:{n}: unknown item {row['item']!r}")
                    continue
                for col in ("clarity_1to5", "readability_1to5", "instruction_adherence_1to5"):
                    cell = (row.get(col) or "").strip()
                    if not cell:
                        continue
                    if cell not in {"1", "2", "3", "4", "5"}:
                        problems.append(f"{sheet}:{n}: {col} must be 1-5, got {cell!r}")
                        continue
                    scores[key[row["item"]]["run"]][col].append(int(cell))
    if problems:
        raise SystemExit("rating sheets have errors:\n  " + "\n  ".join(problems))
    lines = ["| model / adapter | ratings | clarity | readability | instruction adherence |", "| --- | ---: | ---: | ---: | ---: |"]
    for run in sorted(scores):
        s = scores[run]
        mean = lambda col: f"{sum(s[col]) / len(s[col]):.2f}" if s[col] else "–"  # noqa: E731
        lines.append(f"| {run} | {max(len(v) for v in s.values())} | {mean('clarity_1to5')} | {mean('readability_1to5')} | "
                     f"{mean('instruction_adherence_1to5')} |")
    text = "\n".join(lines) + f"\n\nFrom {len(sheets)} filled sheet(s), blind (model names were hidden), 1 = poor, 5 = excellent.\n"
    if out:
        out.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reporting.results", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="the Markdown report with plots")
    b.add_argument("dirs", nargs="+")
    b.add_argument("--out", type=Path, default=Path("reports/results.md"))
    b.add_argument("--manifest", default="data/prepared/manifest.json")
    b.add_argument("--title", default="Evaluation results")
    b.add_argument("--rerun", nargs="*", default=[], help="result folders of repeated evaluations (reproducibility)")
    b.add_argument("--samples", nargs="+", default=[], help=".tar.xz archives of the samples files, laid out like the result folders")
    b.add_argument("--training", help="folder of ADAPTER/trainer_state.json (loss curves)")
    b.add_argument("--launcher", default="lm_eval",
                   help="what ran lm-eval, for the provenance commands, e.g. 'python -m evaluation.lm_eval_cli --deterministic'")
    s = sub.add_parser("rating-sheet", help="a blind human-rating CSV and its key")
    s.add_argument("dirs", nargs="+")
    s.add_argument("--out", type=Path, default=Path("reports/rating_sheet.csv"))
    s.add_argument("--n", type=int, default=30)
    s.add_argument("--seed", type=int, default=0)
    g = sub.add_parser("aggregate-ratings", help="average filled rating sheets per model (written beside the report)")
    g.add_argument("sheets", nargs="+")
    g.add_argument("--key", required=True)
    g.add_argument("--out", type=Path, default=Path("reports/results_ratings.md"))
    a = p.parse_args(argv)
    if a.cmd == "build":
        print(build(a.dirs, a.out, a.manifest, a.title, a.rerun, a.samples, a.training, a.launcher))
    elif a.cmd == "rating-sheet":
        print(*rating_sheet(a.dirs, a.out, a.n, a.seed))
    else:
        print(aggregate_ratings(a.sheets, a.key, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
