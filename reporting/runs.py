"""Loading: each lm-eval run (results_*.json, its logged samples) with the record of what it is (run.json)."""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evaluation import run_record
from evaluation.grading import RENAMED
from evaluation.lm_eval_command import lm_eval_command, shell
from evaluation.verdicts import verdicts as sample_verdicts

FORMER = {name: former for former, name in RENAMED.items()}  # a metric's name before the tasks' version 3.0
PASSK = ("mbpp_custom_passk", "mbpp_custom_alpaca_passk")
BENCHMARKS = ("mbpp_custom", "mbpp_custom_3shot", "mbpp_custom_alpaca", "mbppplus_custom", "mbppplus_custom_3shot",
              "mbppplus_custom_alpaca", "humaneval_custom", "humaneval_custom_alpaca", "custom_suite",
              "custom_suite_alpaca")
ALPACA_TASKS = ("mbpp_custom_alpaca", "mbppplus_custom_alpaca", "humaneval_custom_alpaca", "custom_suite_alpaca")
FORMATS = (("zero-shot prompt", ""), ("3-shot prompt", "_3shot"), ("Alpaca prompt (the adapters' training format)", "_alpaca"))


@dataclass
class Run:
    label: str
    path: Path
    config: dict
    results: dict
    n_samples: dict
    meta: dict
    record: dict = field(default_factory=dict)  # run.json: what the run is (evaluation.run_record)
    versions: dict = field(default_factory=dict)  # task -> its metadata.version, as lm-eval recorded it
    samples: dict[str, list[dict]] = field(default_factory=dict)  # task -> logged samples

    @property
    def adapter(self) -> str | None:
        """The adapter's path as the run's record says (a run without run.json: its model arguments' peft)."""
        if self.record:
            return (self.record.get("adapter") or {}).get("path")
        args = self.config.get("model_args")
        return args.get("peft") if isinstance(args, dict) else None

    @property
    def recipe(self) -> dict:
        return self.record.get("recipe") or {}

    @property
    def rank(self) -> int | None:
        return self.recipe.get("rank")

    @property
    def variant(self) -> str | None:
        return self.recipe.get("variant")

    @property
    def step(self) -> int | None:
        """The checkpoint's step, None for a trained adapter (or the base)."""
        return self.recipe.get("checkpoint_step")

    @property
    def training(self) -> str | None:
        return self.record.get("training")

    @property
    def trained(self) -> bool:
        """An evaluation of a whole training's adapter (or its last checkpoint), on the grid's own settings."""
        r = self.recipe
        return bool(r) and self.training is not None and not r.get("evaluation") \
            and (r.get("checkpoint_step") is None or r.get("checkpoint_step") == r.get("last_step"))

    @property
    def configuration(self) -> str | None:
        """The recipe with its run-time overrides other than the seed: NAME, NAME-dropout0."""
        r = self.recipe
        if not r.get("name"):
            return None
        over = {k: v for k, v in (r.get("overrides") or {}).items() if k != "seed"}
        return r["name"] + "".join(f"-dropout{v:g}" if k == "lora_dropout" else f"-{k}{v}" for k, v in sorted(over.items()))

    @property
    def coordinates(self) -> dict:
        """Where the configuration sits in the matrix: base, variant, rank, LoRA dropout (no seed)."""
        r = self.recipe
        return {"base": r.get("base_model"), "variant": r.get("variant"), "rank": r.get("rank"),
                "lora_dropout": r.get("lora_dropout"), "profile": r.get("profile")}

    def metric(self, task: str, name: str) -> tuple[float | None, float | None]:
        """The task's NAME (today's name) and its standard error; a run made before the rename has it under its
        former name."""
        r = self.results.get(task, {})
        if f"{name},sandbox" not in r:
            name = FORMER.get(name, name)
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
        """The command that made this run, as its record says; else the lm-eval command its results file implies."""
        if self.record.get("command"):
            return repo_relative(self.record["command"])
        c = self.config
        served = self.path.parent.parent / "served.json"  # assistant.grade: a llama.cpp server it started and stopped
        if c.get("model") == "local-completions" and served.exists():
            s = json.loads(served.read_text())
            return repo_relative(f"python -m assistant.grade --gguf {s['gguf']} --output_path {self.path.parent.parent} "
                                 f"--tasks {s['tasks']}" + (f" --limit {s['limit']}" if s.get("limit") else "")
                                 + (f" --threads {s['threads']}" if s.get("threads") else "")
                                 + (f" -- {' '.join(s['lm_eval_args'])}" if s.get("lm_eval_args") else ""))
        gen = c.get("gen_kwargs") or None
        seeds = [c.get(k) for k in ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")]
        seed = ",".join("None" if s is None else str(s) for s in seeds) if any(s is not None for s in seeds) else None
        cmd = lm_eval_command(c.get("model_args"), sorted(self.n_samples), self.path.parent.parent,
                              model=c.get("model"), launcher=launcher.split(), device=c.get("device"),
                              batch_size=c.get("batch_size"), limit=c.get("limit"), gen_kwargs=gen, seed=seed)
        return repo_relative(shell(cmd))


_ABSOLUTE = re.compile(r"(?:/[^\s,=/]+)+/(?=(?:outputs|models|runs|data)/)")
_INTERPRETER = re.compile(r"^(?:/[^\s/]+)+/(python3?(?:\.\d+)?)(?=\s|$)")


def repo_relative(text: str) -> str:
    """Paths as a reader of the repo writes them: /somewhere/checkout/outputs/x -> outputs/x, and the interpreter
    the command started with (/some/venv/bin/python3 -m ...) as the reader's own `python3 -m ...`."""
    return _INTERPRETER.sub(r"\1", _ABSOLUTE.sub("", text))


def _model_name(config: dict) -> str:
    """A label for a run without run.json: its adapter's folder name, else its model's."""
    args = config.get("model_args") or {}
    if isinstance(args, str):
        args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
    name = args.get("peft") or args.get("pretrained") or args.get("model") or config.get("model")
    return Path(str(name).rstrip("/")).name or str(config.get("model"))


def load_runs(dirs: list[str | Path], samples_root: Path | None = None) -> list[Run]:
    """Every results_*.json under DIRS with its run.json; samples_root: where an unpacked samples archive mirrors
    the result folders (default: beside each result). A run is labelled by the folder it was written to (one without
run.json, by its adapter's or model's folder name)."""
    runs = []
    for d in dirs:
        for res in sorted(Path(d).rglob("results_*.json")):
            j = json.loads(res.read_text())
            stamp = res.stem[len("results_"):]
            rec = run_record.read(res.parent) or {}
            run = Run(label=res.parent.parent.name if rec else _model_name(j.get("config", {})), path=res, config=j.get("config", {}), results=j.get("results", {}),
                      n_samples={t: v.get("effective") for t, v in j.get("n-samples", {}).items()},
                      meta={k: j.get(k) for k in ("git_hash", "date", "lm_eval_version", "transformers_version",
                                                  "total_evaluation_time_seconds")},
                      record=rec, versions=j.get("versions") or {})
            where = res.parent
            if samples_root:  # the archive mirrors either the given folder or its parent
                rel = res.parent.relative_to(d)
                where = next((c for c in (samples_root / rel, samples_root / Path(d).name / rel)
                              if any(c.glob(f"samples_*_{stamp}.jsonl"))), samples_root / rel)
            for sf in where.glob(f"samples_*_{stamp}.jsonl"):
                task = sf.stem[len("samples_"):-(len(stamp) + 1)]
                run.samples[task] = [json.loads(line) for line in sf.open()]
            runs.append(run)
    seen = Counter(r.label for r in runs)
    for r in runs:  # one label in two archives: name the archive (runs/ARCHIVE/results/LABEL/MODEL/results_*.json)
        if seen[r.label] > 1 and r.path.parents[2].name == "results" and len(r.path.parents) > 3:
            r.label = f"{r.label} ({r.path.parents[3].name})"
    seen = Counter(r.label for r in runs)
    for r in runs:  # one folder holding two evaluations: tell them apart by their results file
        if seen[r.label] > 1:
            r.label = f"{r.label} ({r.path.parent.name}/{r.path.stem[-8:]})"
    return runs


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


def part_of(name: str, task: str) -> bool:
    """Is lm-eval task NAME the task TASK, or a subtask of it as a group (custom_suite_lists of custom_suite), not
    another prompt format of it (custom_suite_alpaca) or its sampling variant (mbpp_custom_passk)?"""
    return name == task or (name.startswith(task + "_")
                            and not name[len(task) + 1:].startswith(("3shot", "alpaca", "passk")))


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


def configurations(runs: list[Run]) -> dict[str, dict[int, Run]]:
    """Adapter configuration (run.json's recipe with its overrides but the seed) -> {training seed: the evaluation
    of its first training with that seed}. Every training, a seed's retrainings too: trainings()."""
    out: dict[str, dict[int, Run]] = {}
    for r in sorted(runs, key=lambda r: (r.step is not None, _natural(r))):  # an adapter's own run before a checkpoint
        if r.trained and r.configuration:
            out.setdefault(r.configuration, {}).setdefault(r.recipe.get("seed"), r)
    return out


def main_runs(runs: list[Run]) -> dict[str, Run]:
    """Adapter configuration -> its run on the recipe's own seed (42), else its lowest seed."""
    return {name: by_seed.get(42) or by_seed[min(by_seed)] for name, by_seed in configurations(runs).items()}


def neighbour(main: dict[str, Run], name: str, **change) -> str | None:
    """The configuration in MAIN at NAME's coordinates with CHANGE applied (variant="code_explained", ...)."""
    want = {**main[name].coordinates, **change}
    return next((n for n, r in main.items() if r.coordinates == want), None)


def trainings(runs: list[Run]) -> dict[str, list[Run]]:
    """Adapter configuration -> the evaluation of each of its trainings (seeds and retrainings), one per training."""
    out: dict[str, dict[str, Run]] = {}
    for r in sorted(runs, key=lambda r: (r.step is not None, _natural(r))):
        if r.trained and r.configuration:
            out.setdefault(r.configuration, {}).setdefault(r.training, r)
    return {k: list(v.values()) for k, v in out.items()}


def compare_samples(first: list[dict], again: list[dict]) -> tuple[int, int, int]:
    """Two evaluations of the same documents: (generations that differ, verdicts that differ, documents only in one)."""
    before, after = {s["doc_id"]: s for s in first}, {s["doc_id"]: s for s in again}
    both = before.keys() & after.keys()
    return (sum(before[d]["resps"] != after[d]["resps"] for d in both),
            sum(before[d].get("pass@1") != after[d].get("pass@1") for d in both), len(before.keys() ^ after.keys()))
