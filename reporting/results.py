"""Markdown reports with plots from lm-eval result folders (run with --log_samples) and their run.json records.

python -m reporting.results build RESULTS_DIR [RESULTS_DIR ...] --out reports/results.md [--manifest MANIFEST.json]
python -m reporting.results rating-sheet RESULTS_DIR ... --out reports/rating_sheet.csv [--n 30 --seed 0]
python -m reporting.results aggregate-ratings FILLED.csv [...] --key reports/rating_sheet.key.json

A "run" is one lm-eval results_*.json; what it is (base, adapter, recipe coordinates, training, backend) comes from
the run.json written beside it when it was made (evaluation.run_record). Every table names where its numbers came
from; a section with nothing to say is left out. The sections live in claims, tables, paired, writing, training;
loading in runs; the rating workflow in ratings.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from .claims import claims_section, family, training_noise
from .contamination import clean_section, earlier_section
from .paired import seed_table
from .ratings import aggregate_ratings, rating_sheet
from .runs import PASSK, Run, _natural, compare_samples, load_archived_runs, load_runs, repo_relative, sample_verdicts
from .tables import (categories, error_analysis, leaderboard, passk_pairs, passk_table, quality_table, rank_comparison,
                     variant_comparison)
from .training import learning_curve, reproducibility, training_table
from .writing import changes_by_type, variant_question

TITLE = "Evaluation results"
__all__ = ["aggregate_ratings", "build", "repo_relative", "compare_samples", "load_archived_runs", "load_runs", "passk_pairs",
           "quality_table", "rating_sheet", "sample_verdicts", "seed_table", "variant_question", "changes_by_type",
           "learning_curve", "leaderboard"]


def provenance(runs: list[Run], manifests: dict[str, dict], launcher: str = "lm_eval") -> list[str]:
    """Each run's results file, versions, seeds, wall time and command (its record's, else the one its results
    file implies), and the training data each adapter was trained on (the manifest its record names by sha256)."""
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
    used = sorted({r.record.get("data_manifest_sha256") for r in runs if r.record.get("data_manifest_sha256")})
    for sha in used:
        manifest = manifests.get(sha)
        n = sum(r.record.get("data_manifest_sha256") == sha for r in runs)
        if manifest is None:
            lines += ["", f"Training data of {n} runs: data manifest sha256 {sha[:12]}… (not among the --manifest files)."]
            continue
        outs = manifest.get("outputs", {})
        lines += ["", f"Training data of {n} runs (data manifest sha256 {sha[:12]}…): " + ", ".join(
            f"`{k}` sha256 {v['sha256'][:12]}… ({v['rows']} rows)" for k, v in outs.items() if k.endswith("train.jsonl"))
            + f"; seed {manifest.get('seed')}; source sha256 {manifest.get('input', {}).get('sha256', '')[:12]}…."]
    return lines


def _manifests(paths: list[str]) -> dict[str, dict]:
    from evaluation.run_record import sha256_of

    return {sha256_of(p): json.loads(Path(p).read_text()) for p in paths if Path(p).is_file()}


def _quoted(text: str) -> str:
    """A shell word for `text`, in double quotes where nothing in it is special there (titles with an apostrophe)."""
    return f'"{text}"' if not set(text) & set('"$`\\!') else shlex.quote(text)


def build(dirs: list[str], out: Path, manifests: list[str] = (), title: str = TITLE,
          rerun_dirs: list[str] = (), samples: list[str] = (), training: str | None = None,
          launcher: str = "lm_eval", contamination: str | None = None, earlier: str | None = None) -> Path:
    """samples: .tar.xz archives of the samples_*.jsonl files laid out like the result folders (kept compressed in
    the repo; a samples file is named by its run's timestamp, so several archives never clash); rerun_dirs:
    evaluations repeated from saved files, compared document by document with the first runs; launcher: what ran
    lm-eval, for runs whose record has no command; contamination: a JSON of benchmark tasks the training data is
    contaminated with ({"tasks": {task_id: [row ids]}}); earlier: such a JSON of an earlier training set, whose tasks'
    pass rates are set against the rest's."""
    runs, reruns = load_archived_runs([dirs, rerun_dirs], samples)
    if not runs:
        raise SystemExit(f"no results_*.json under {', '.join(dirs)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.stem
    extra = (f" --rerun {' '.join(rerun_dirs)}" if rerun_dirs else "") + (f" --samples {' '.join(samples)}" if samples else "") \
        + (f" --training {training}" if training else "") + (f" --launcher '{launcher}'" if launcher != "lm_eval" else "") \
        + (f" --manifest {' '.join(manifests)}" if manifests else "") + (f" --contamination {contamination}" if contamination else "") \
        + (f" --earlier-contamination {earlier}" if earlier else "") \
        + (f" --title {_quoted(title)}" if title != TITLE else "")  # the command rebuilds this file byte for byte
    rows = family(runs)
    sections = [
        ("Claims: adapters against the base, and against each other", claims_section(runs, rows)),
        ("Training noise: every training of a configuration", training_noise(runs)),
        ("Leaderboard", leaderboard(runs)),
        ("Rank comparison", rank_comparison(runs, out.parent, f"{stem}_ranks.png")),
        ("Data-variant comparison (code vs code + explanation)", variant_comparison(runs)),
        ("Over training seeds", seed_table(runs)),
        ("Benchmark tasks no training row is contaminated with", clean_section(runs, rows, contamination)),
        ("Benchmark tasks an earlier training set held", earlier_section(runs, earlier)),
        ("What the explanations changed in the answers", variant_question(runs)),
        ("Task types and error types that changed", changes_by_type(runs)),
        ("Per category and topic", categories(runs, out.parent, f"{stem}_categories.png")),
        ("Error analysis", error_analysis(runs)),
        ("Code quality", quality_table(runs)),
        ("pass@k (sampling)", passk_table(runs) if any(t in r.results for r in runs for t in PASSK) else []),
        ("Training", training_table(Path(training), out.parent, f"{stem}_loss.png", runs) if training else []),
        ("Learning curve", learning_curve(runs, Path(training) if training else None)),
        ("Reproducibility", reproducibility(runs, reruns)),
        ("Provenance", provenance(runs + reruns, _manifests(manifests), launcher)),
    ]
    parts = [f"# {title}", "", "Built by `python -m reporting.results build " + " ".join(dirs) + f"{extra} --out {out}`. "
             "pass@1 is greedy unless the task samples (`mbpp_custom_passk`); ± is lm-eval's standard error; (passed/n) "
             "counts the logged samples, (n) alone where none were logged. What each run is comes from its run.json.", ""]
    for heading, body in sections:
        if body:
            parts += [f"## {heading}", "", *body, ""]
    for name, heading in (("discussion", "Discussion"), ("ratings", "Human ratings")):
        path = out.parent / f"{stem}_{name}.md"
        if path.exists():
            parts += [f"## {heading}", "", path.read_text()]
    out.write_text("\n".join(parts).rstrip("\n") + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reporting.results", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="the Markdown report with plots")
    b.add_argument("dirs", nargs="+")
    b.add_argument("--out", type=Path, default=Path("outputs/eval/results.md"))
    b.add_argument("--manifest", nargs="*", default=[],
                   help="data manifests; each run's record names the one its adapter was trained on by sha256")
    b.add_argument("--title", default=TITLE, help="the report's heading")
    b.add_argument("--rerun", nargs="*", default=[], help="result folders of repeated evaluations (reproducibility)")
    b.add_argument("--samples", nargs="+", default=[], help=".tar.xz archives of the samples files, laid out like the result folders")
    b.add_argument("--training", help="folder of TRAINING/trainer_state.json (loss curves)")
    b.add_argument("--launcher", default="lm_eval",
                   help="what ran lm-eval, for runs whose run.json has no command, e.g. 'python -m evaluation.lm_eval_cli --deterministic'")
    b.add_argument("--contamination", help="JSON of the benchmark tasks the training data is contaminated with")
    b.add_argument("--earlier-contamination", dest="earlier", metavar="JSON",
                   help="such a JSON of an earlier training set: pass rates on its tasks against the rest")
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
        print(build(a.dirs, a.out, a.manifest, a.title, a.rerun, a.samples, a.training, a.launcher, a.contamination, a.earlier))
    elif a.cmd == "rating-sheet":
        print(*rating_sheet(a.dirs, a.out, a.n, a.seed))
    else:
        print(aggregate_ratings(a.sheets, a.key, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
