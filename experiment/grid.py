"""Train a grid of recipes and evaluate the base model and every adapter, on N GPUs, resuming what is done.

    python -m experiment.grid --recipes 'gemma3-270m-*' --gpus 0 1 --jobs-per-gpu 3        # small models: spread
    python -m experiment.grid --recipes 'mistral7b-code-r*' --gpus 0 1 --mode dp            # 7B: data-parallel

Modes
  spread  every job (one training, or one lm-eval run) gets one GPU; --jobs-per-gpu jobs share a GPU at a time
          (a 270M model leaves an H100 mostly idle, so several runs side by side finish sooner), of which at most
          --train-jobs-per-gpu are trainings (a training needs far more memory than an evaluation).
  dp      every job uses all the GPUs through Accelerate: `accelerate launch --num_processes N -m
          axolotl.cli.train` (DDP, or FSDP when the recipe has fsdp_config) and `accelerate launch -m lm_eval`
          (one model copy per GPU, the documents split between them). Jobs run one after another.

What runs, in order of dependencies
  1. `axolotl.cli.preprocess` once per dataset_prepared_path (so concurrent trainings never race on it);
  2. each recipe's training (skipped when outputs/adapters/NAME/adapter_model.safetensors exists; trainings start
     in --recipes order, seed repeats after), then its evaluation on --adapter-tasks with the Alpaca prompt it was
     trained on. Trainings take the GPU first; with --results-first an adapter's evaluation goes before the next
     training (one job per GPU and a session that may end: evaluated adapters, not only trained ones);
     --evaluate-only trains nothing (adapters brought from elsewhere);
  3. the base model on --base-tasks (its own prompts) and --adapter-tasks (the adapters' prompt, for comparison);
  4. pass@k (--passk-task for the base model, --passk-adapter-task for the adapter with the best pass@1 on
     --best-by, as soon as the adapters' runs are done), and --rerun ADAPTER: its evaluation again, from the saved files, into LABEL-rerun; with
     --rerun-dtype float32 (a dtype other than --dtype) the adapter is evaluated twice in that dtype, one run
     after the other, into LABEL-float32 and LABEL-float32-rerun. --curve RECIPE: its per-epoch checkpoints on
     --curve-tasks (LABEL-checkpoint-STEP), a learning curve beside the validation loss, beside the pass@k runs. A rerun of an adapter
     that already exists starts with the first wave, beside the adapter's first evaluation.
--model-args adds lm-eval model arguments to every evaluation: with `attn_implementation=eager` a Gemma-3-shaped
model's batched greedy decoding repeated exactly, with sdpa it did not (benchmarks/gpu_determinism.py). --deterministic
runs lm-eval through `python -m evaluation.lm_eval_cli --deterministic` (PyTorch's deterministic algorithms), which
was measured not to be enough for that.
Repeats (seeds, LoRA dropout) are made at run time, not committed as recipes: --seeds 43 44 trains every selected
recipe again with each seed (NAME-seedN), --repeat RECIPE:lora_dropout=0 adds a variant (NAME-dropout0; with
--seeds, NAME-dropout0-seedN too). Each is the recipe with those keys and its own output_dir, written to
RESULTS/recipes/NAME.yml. Every evaluation writes RESULTS/LABEL/run.json (evaluation.run_record): the model and
adapter with their sha256, the recipe with its coordinates and overrides, the training, the data manifest's sha256,
tasks and the command.
A result folder (RESULTS/LABEL/*/results_*.json) that exists is skipped, so a killed grid continues where it
stopped. Logs: RESULTS/logs/; a job silent for --stall-minutes is killed and counted failed. The sandbox grades
on the host's CPU cores in every mode.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import yaml

from common.launch import TOOL_ENV, accelerate_launch
from evaluation import run_record
from evaluation.lm_eval_command import lm_eval_command

ROOT = Path(__file__).resolve().parents[1]


_SAY = threading.Lock()


def say(line: str) -> None:
    """One line of progress, whole: jobs report from their own threads, and print() writes a line's text and its
    newline apart, so two lines could run together."""
    with _SAY:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@lru_cache
def recipe_cfg(recipe: Path) -> dict:
    return yaml.safe_load(recipe.read_text())


def select_recipes(patterns: list[str]) -> list[Path]:
    """The recipes the patterns name, in the patterns' order (trainings start in it), each pattern's matches sorted,
    each recipe once."""
    return list(dict.fromkeys(p for pat in patterns
                              for p in sorted((ROOT / "axolotl_configs").glob(f"{pat}.yml"), key=lambda q: q.stem)))


SHORT = {"lora_dropout": "dropout", "seed": "seed"}  # how an override names a repeat: NAME-dropout0-seed43


def repeat_name(recipe: str, overrides: dict) -> str:
    """NAME-dropout0-seed43: the overrides in SHORT's order (any other key by its own name), seed 42 unnamed."""
    keys = [k for k in SHORT if k in overrides] + sorted(k for k in overrides if k not in SHORT)
    return recipe + "".join(f"-{SHORT.get(k, k)}{overrides[k]:g}" if isinstance(overrides[k], float)
                            else f"-{SHORT.get(k, k)}{overrides[k]}" for k in keys)


def parse_repeat(spec: str) -> tuple[str, dict]:
    """"RECIPE:key=value,key=value" -> (RECIPE, {key: value}) with YAML-typed values."""
    recipe, _, rest = spec.partition(":")
    if not rest or "=" not in rest:
        raise ValueError(f"--repeat {spec!r}: expected RECIPE:key=value[,key=value]")
    return recipe, {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in rest.split(","))}


def write_repeat(recipe: Path, overrides: dict, folder: Path) -> Path:
    """The recipe with OVERRIDES and its own output_dir, as RESULTS/recipes/NAME.yml (made at run time)."""
    name = repeat_name(recipe.stem, overrides)
    cfg = {**recipe_cfg(recipe), **overrides, "output_dir": f"outputs/adapters/{name}"}
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.yml"
    what = ", ".join(f"{k} {v}" for k, v in overrides.items())
    out.write_text(f"# {name}: axolotl_configs/{recipe.name} with {what}, made by experiment.grid (a repeat)\n"
                   + yaml.safe_dump(cfg, sort_keys=False))
    REPEATS[out] = (recipe, overrides)
    return out


REPEATS: dict[Path, tuple[Path, dict]] = {}  # a repeat's YAML -> (its recipe, the overrides)


def run_watched(cmd: list[str], log: Path, stall_s: float, **popen) -> int | None:
    """Run CMD with its output appended to LOG; kill it (and what it started) when LOG has not grown for STALL_S
    seconds (0: never). None: it was killed so. A training that ran out of GPU memory was seen to hang on its way
    out, holding its memory, instead of exiting."""
    with open(log, "a") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, **popen)
        size, grew = -1, time.monotonic()
        while True:
            try:
                return proc.wait(timeout=min(10.0, stall_s / 4) if stall_s else None)
            except subprocess.TimeoutExpired:
                if (now := log.stat().st_size) != size:
                    size, grew = now, time.monotonic()
                elif time.monotonic() - grew > stall_s:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return None


def pick_slot(jobs: dict[str, int], trainings: dict[str, int], per_slot: int, train_per_slot: int,
              training: bool) -> str | None:
    """The least busy slot with room for one more job (and one more training, for a training); None: wait."""
    room = [s for s in jobs if jobs[s] < per_slot and (not training or trainings[s] < train_per_slot)]
    return min(room, key=lambda s: jobs[s]) if room else None


def training_room(jobs: dict[str, int], trainings: dict[str, int], per_slot: int, train_per_slot: int) -> int:
    """How many trainings could start now, over all slots."""
    return sum(max(0, min(per_slot - jobs[s], train_per_slot - trainings[s])) for s in jobs)


class Grid:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.results = Path(a.results)
        self.logs = self.results / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        # a slot is one GPU (spread) or all of them together (dp, one job at a time)
        slots = list(a.gpus) if a.mode == "spread" else [",".join(a.gpus)]
        self.jobs = {s: 0 for s in slots}
        self.trainings = {s: 0 for s in slots}
        self.per_slot = a.jobs_per_gpu if a.mode == "spread" else 1
        self.train_per_slot = a.train_jobs_per_gpu or self.per_slot
        self.lock = threading.Condition()
        self.to_train: set[str] = set()  # recipes whose training has not started yet
        self.order: dict[str, int] = {}  # each recipe's place in --recipes: trainings start in that order
        self.waiting: list[str | None] = []  # jobs waiting for a slot: a training's recipe, None for an evaluation
        self.to_evaluate: set[str] = set()  # --results-first: evaluations due that need no training, not yet started
        self.failed: list[str] = []

    def acquire(self, training: bool, name: str = "") -> str:
        """A slot for the job. Trainings start in the order of --recipes. By default trainings go first: while
        trainings are still to start (waiting for their preprocessing, say), an evaluation takes only room that they
        cannot all use. With --results-first an evaluation goes before any training: one waiting, or one due (its
        adapter exists) whose job has not asked yet."""
        me = name if training else None
        with self.lock:
            self.waiting.append(me)
            try:
                while (slot := self.free_slot(training, name)) is None:
                    self.lock.wait()
            finally:
                self.waiting.remove(me)
                self.lock.notify_all()
            self.jobs[slot] += 1
            self.trainings[slot] += training
            if not training:
                self.to_evaluate.discard(name)
            return slot

    def free_slot(self, training: bool, name: str) -> str | None:
        if training:
            first = min((n for n in self.waiting if n is not None), key=lambda n: self.order.get(n, len(self.order)))
            if name != first or (self.a.results_first and (None in self.waiting or self.to_evaluate)):
                return None
        slot = pick_slot(self.jobs, self.trainings, self.per_slot, self.train_per_slot, training)
        if slot is not None and not training and not self.a.results_first and self.keeps_training_room(slot):
            return None
        return slot

    def keeps_training_room(self, slot: str) -> bool:
        """Would an evaluation on `slot` leave less room than the trainings still to start can take now?"""
        room = training_room(self.jobs, self.trainings, self.per_slot, self.train_per_slot)
        after = training_room({**self.jobs, slot: self.jobs[slot] + 1}, self.trainings, self.per_slot,
                              self.train_per_slot)
        return after < min(len(self.to_train), room)

    def training_settled(self, recipe: str) -> None:
        """The recipe's training has started, or will not run (idempotent)."""
        with self.lock:
            self.to_train.discard(recipe)
            self.lock.notify_all()

    def evaluation_settled(self, label: str) -> None:
        """The evaluation has started, or will not run (idempotent)."""
        with self.lock:
            self.to_evaluate.discard(label)
            self.lock.notify_all()

    def release(self, slot: str, training: bool) -> None:
        with self.lock:
            self.jobs[slot] -= 1
            self.trainings[slot] -= training
            self.lock.notify_all()

    def run(self, label: str, cmd: list[str], training: bool = False, gpu: bool = True) -> bool:
        """One job, logged to RESULTS/logs/LABEL.log; gpu=False: CPU work, outside the GPU slots."""
        recipe = label.removeprefix("train-")
        slot = self.acquire(training, recipe) if gpu else ""
        if training:
            self.training_settled(recipe)
        env = {**os.environ, **TOOL_ENV, "CUDA_VISIBLE_DEVICES": slot}
        if gpu and self.a.mode == "dp":
            cmd = [*accelerate_launch(len(self.a.gpus)), *cmd]
        else:
            cmd = [sys.executable, *cmd]
        log = self.logs / f"{label}.log"
        started = time.time()
        where = f"GPU {slot}" if gpu and self.a.device != "cpu" else "the CPU"
        say(f"[grid {time.strftime('%H:%M:%S')}] start {label} on {where}")
        log.write_text(" ".join(cmd) + "\n")
        rc = run_watched(cmd, log, self.a.stall_minutes * 60, cwd=ROOT, env=env)
        verdict = "done" if rc == 0 else f"FAILED ({rc})" if rc is not None else \
            f"STALLED (no output for {self.a.stall_minutes:g} min, killed)"
        say(f"[grid {time.strftime('%H:%M:%S')}] {verdict} {label} in {time.time() - started:.0f} s (log: {log})")
        if gpu:
            self.release(slot, training)
        if rc != 0:
            self.failed.append(label)
        return rc == 0

    def needs_training(self, recipe: Path) -> bool:
        return not (self.adapter(recipe) / "adapter_model.safetensors").exists()

    def train(self, recipe: Path) -> bool:
        if not self.needs_training(recipe):
            say(f"[grid] skip training {recipe.stem} (adapter exists)")
            return True
        if self.a.evaluate_only:
            say(f"[grid] skip {recipe.stem} (no adapter, and --evaluate-only trains nothing)")
            return False
        return self.run(f"train-{recipe.stem}", ["-m", "axolotl.cli.train", str(recipe)], training=True)

    def adapter(self, recipe: Path) -> Path:
        return ROOT / recipe_cfg(recipe)["output_dir"]

    def has_results(self, label: str) -> bool:
        return bool(list((self.results / label).glob("*/results_*.json")))

    def record(self, label: str, cmd: list[str], recipe: Path | None) -> None:
        """RESULTS/LABEL/run.json: what this evaluation is, written before it runs."""
        extra = {}
        if recipe is not None:
            source, overrides = REPEATS.get(recipe, (recipe, {}))
            coords = run_record.recipe_coordinates(source, overrides)
            coords["file"] = str(source.relative_to(ROOT)) if source.is_relative_to(ROOT) else str(source)
            manifest = ROOT / Path(recipe_cfg(recipe)["datasets"][0]["path"]).parent.parent / "manifest.json"
            extra = {"recipe": coords, "training": recipe.stem,
                     "data_manifest": manifest if manifest.exists() else None}
        launcher = [sys.executable] if cmd[0] == "-m" else []
        run_record.write(self.results / label, run_record.describe([*launcher, *cmd], root=ROOT, **extra))

    def evaluate(self, label: str, tasks: str, adapter: Path | None = None, dtype: str | None = None,
                 batch: str | None = None, recipe: Path | None = None) -> bool:
        if self.has_results(label):
            say(f"[grid] skip {label} (results exist)")
            return True
        args = f"pretrained={self.a.base},dtype={dtype or self.a.dtype}" + (f",peft={adapter}" if adapter else "") \
            + (f",{self.a.model_args}" if self.a.model_args else "")
        cmd = lm_eval_command(args, tasks, self.results / label, launcher=["-m", "evaluation.lm_eval_cli",
                              "--deterministic"] if self.a.deterministic else ["-m", "lm_eval"],
                              batch_size=batch or self.a.batch, seed="0,1234,1234,1234", limit=self.a.limit or None,
                              device=self.a.device if self.a.mode == "spread" else None)
        self.record(label, cmd, recipe)
        return self.run(label, cmd)

    def learning_curve(self, recipe: Path) -> bool:
        """Each checkpoint the training saved (one per epoch: saves_per_epoch) evaluated on --curve-tasks, into
        LABEL-checkpoint-STEP; the validation loss beside it is in the adapter's trainer_state.json."""
        checkpoints = sorted(self.adapter(recipe).glob("checkpoint-*"), key=lambda c: int(c.name.split("-")[-1]))
        if not checkpoints:
            say(f"[grid] {recipe.stem}: no checkpoint-* folders for a learning curve")
            self.failed.append(f"{recipe.stem}-curve")
            return False
        return all([self.evaluate(f"{recipe.stem}-{c.name}", self.a.curve_tasks, c, recipe=recipe) for c in checkpoints])

    def pass1(self, label: str, task: str) -> float | None:
        for path in sorted((self.results / label).glob("*/results_*.json")):
            res = json.loads(path.read_text())["results"].get(task, {})
            if "pass@1,sandbox" in res:
                return res["pass@1,sandbox"]
        return None

    def rerun(self, recipe: Path, dtype: str) -> bool:
        """The adapter's evaluation again from its saved files: against the grid's own run (same dtype), or twice in
        another dtype, one after the other."""
        tasks, name, adapter = self.a.rerun_tasks or self.a.adapter_tasks, recipe.stem, self.adapter(recipe)
        if not self.train(recipe):  # its adapter is not kept when the grid only had to evaluate it
            return False
        if dtype == self.a.dtype:
            return self.evaluate(f"{name}-rerun", tasks, adapter, recipe=recipe)
        return (self.evaluate(f"{name}-{dtype}", tasks, adapter, dtype, recipe=recipe)
                and self.evaluate(f"{name}-{dtype}-rerun", tasks, adapter, dtype, recipe=recipe))

    def main(self) -> int:
        a = self.a
        recipes = with_repeats(select_recipes(a.recipes), a, self.results / "recipes")
        # no need for their adapters (a learning curve needs its checkpoints: those recipes go on)
        evaluated = [r for r in recipes if a.adapter_tasks and self.has_results(r.stem)
                     and (r.stem not in a.curve or list(self.results.glob(f"{r.stem}-checkpoint-*/*/results_*.json")))]
        for r in evaluated:
            say(f"[grid] skip {r.stem} (results exist)")
        todo = [r for r in recipes if r not in evaluated]
        prepared = {}  # one preprocessing per dataset that a training still needs (none: --evaluate-only)
        for r in [] if a.evaluate_only else todo:
            prepared.setdefault(recipe_cfg(r)["dataset_prepared_path"], r)
        base = Path(a.base).name

        def recipe_job(recipe: Path, ready) -> None:
            try:
                ready.result()
                trained = self.train(recipe)
            finally:
                self.training_settled(recipe.stem)
            try:
                if trained and a.adapter_tasks:
                    self.evaluate(recipe.stem, a.adapter_tasks, self.adapter(recipe), recipe=recipe)
            finally:
                self.evaluation_settled(recipe.stem)
            if trained and recipe.stem in a.curve:  # beside the pass@k runs, which need only the adapters' pass@1
                curves.append(pool.submit(self.learning_curve, recipe))

        def preprocess(recipe: Path) -> None:
            if not list((ROOT / recipe_cfg(recipe)["dataset_prepared_path"]).glob("*")):
                self.run(f"preprocess-{recipe.stem}", ["-m", "axolotl.cli.preprocess", str(recipe)], gpu=False)

        self.to_train = {r.stem for r in todo if self.needs_training(r) and not a.evaluate_only}
        self.order = {r.stem: i for i, r in enumerate(todo)}
        base_labels = [(base, a.base_tasks), (f"{base}-alpaca", a.base_alpaca_tasks or a.adapter_tasks),
                       (f"{base}-passk", a.passk_task)]
        base_labels = [(label, tasks) for label, tasks in base_labels if tasks and not a.no_base]
        if a.results_first:  # known before any job starts, so that no training slips in ahead of them
            self.to_evaluate = {r.stem for r in todo if a.adapter_tasks and not self.needs_training(r)} \
                | {label for label, _ in base_labels}

        def base_job(label: str, tasks: str) -> bool:
            try:
                return self.evaluate(label, tasks, batch=a.base_batch if label == base else None)
            finally:
                self.evaluation_settled(label)
        curves = []
        with ThreadPoolExecutor(max_workers=2 * len(recipes) + 4) as pool:
            base_jobs = [pool.submit(base_job, label, tasks) for label, tasks in base_labels]  # need no training
            # one preprocessing per dataset_prepared_path, so that concurrent trainings never race on it
            ready = {path: pool.submit(preprocess, recipe) for path, recipe in prepared.items()}
            done = pool.submit(lambda: None)  # --evaluate-only: nothing to preprocess
            jobs = [pool.submit(recipe_job, r, ready.get(recipe_cfg(r)["dataset_prepared_path"], done)) for r in todo]
            # a rerun of an adapter that exists needs nothing else: it runs beside the first evaluation
            by_name = {r.stem: r for r in recipes}
            reruns = [by_name.get(n, ROOT / "axolotl_configs" / f"{n}.yml") for n in a.rerun]
            early = [r for r in reruns if not self.needs_training(r)]
            jobs += [pool.submit(self.rerun, r, d) for r in early for d in a.rerun_dtype or [a.dtype]]
            for j in jobs:  # the best adapter is known once the adapters' runs are done, whatever the base's do
                j.result()
            later = list(base_jobs)
            if a.passk_adapter_task and a.best_by:
                scored = [(s, r) for r in recipes if (s := self.pass1(r.stem, a.best_by)) is not None]
                if scored:
                    score, best = max(scored, key=lambda sr: sr[0])
                    say(f"[grid] best adapter on {a.best_by}: {best.stem} ({score:.4f})")
                    later.append(pool.submit(lambda r: self.train(r) and self.evaluate(
                        f"{r.stem}-passk", a.passk_adapter_task, self.adapter(r), recipe=r), best))
            for recipe in (r for r in reruns if r not in early):
                for dtype in a.rerun_dtype or [a.dtype]:
                    later.append(pool.submit(self.rerun, recipe, dtype))
            for j in later + curves:
                j.result()
        if self.failed:
            print(f"[grid] failed: {', '.join(self.failed)} (logs in {self.logs})", file=sys.stderr)
            return 1
        say("[grid] all done")
        return 0


def with_repeats(recipes: list[Path], a: argparse.Namespace, folder: Path) -> list[Path]:
    """The recipes, then each --repeat variant, then every one of those again with each of --seeds."""
    out = list(recipes)
    for spec in a.repeat:
        name, overrides = parse_repeat(spec)
        out.append(write_repeat(ROOT / "axolotl_configs" / f"{name}.yml", overrides, folder))
    for seed in a.seeds:
        for r in list(out[:len(recipes) + len(a.repeat)]):
            source, overrides = REPEATS.get(r, (r, {}))
            out.append(write_repeat(source, {**overrides, "seed": seed}, folder))
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipes", nargs="+", required=True,
                   help="recipe names or globs in axolotl_configs/ (no .yml); trainings start in this order")
    p.add_argument("--no-base", action="store_true",
                   help="no runs of the base model (--base-tasks, its Alpaca-prompt run, --passk-task): a grid split "
                        "over several sessions runs them once")
    p.add_argument("--base", default="models/gemma-3-270m", help="the base model folder the recipes train on")
    p.add_argument("--gpus", nargs="+", default=["0"], help="GPU indices to use")
    p.add_argument("--mode", choices=["spread", "dp"], default="spread")
    p.add_argument("--jobs-per-gpu", type=int, default=1, help="spread mode: jobs sharing one GPU at a time")
    p.add_argument("--base-tasks", default="codeeval_all", help="tasks for the base model with its own prompts")
    p.add_argument("--adapter-tasks", default="codeeval_alpaca", help="tasks for adapters (and the base) with the Alpaca prompt")
    p.add_argument("--base-alpaca-tasks", default="",
                   help="tasks for the base with the Alpaca prompt (default: --adapter-tasks), e.g. only a suite that changed")
    p.add_argument("--passk-task", default="", help="pass@k task for the base model, e.g. mbpp_custom_passk")
    p.add_argument("--passk-adapter-task", default="", help="pass@k task for the best adapter, e.g. mbpp_custom_alpaca_passk")
    p.add_argument("--best-by", default="mbpp_custom_alpaca", help="the task whose pass@1 picks the best adapter")
    p.add_argument("--seeds", nargs="*", type=int, default=[],
                   help="train every recipe (and --repeat variant) again with each of these seeds: NAME-seedN")
    p.add_argument("--repeat", nargs="*", default=[],
                   help="RECIPE:key=value[,key=value]: the recipe with those keys changed, e.g. "
                        "gemma3-270m-code-r32:lora_dropout=0 (NAME-dropout0)")
    p.add_argument("--rerun", nargs="*", default=[], help="recipes whose adapter is evaluated a second time")
    p.add_argument("--rerun-tasks", default="", help="tasks for --rerun (default: --adapter-tasks)")
    p.add_argument("--rerun-dtype", nargs="*", default=[],
                   help="dtypes for --rerun (default: --dtype); another dtype evaluates the adapter twice in it")
    p.add_argument("--curve", nargs="*", default=[],
                   help="recipes whose per-epoch checkpoints are evaluated too (a learning curve; LABEL-checkpoint-STEP)")
    p.add_argument("--curve-tasks", default="mbpp_custom_alpaca,custom_suite_alpaca",
                   help="tasks for --curve's checkpoints")
    p.add_argument("--train-jobs-per-gpu", type=int, default=0,
                   help="spread mode: trainings sharing one GPU at a time (default: --jobs-per-gpu)")
    p.add_argument("--results", default="outputs/eval")
    p.add_argument("--device", default="cuda", help="spread mode's lm-eval device (cpu for a smoke run without GPU)")
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--model-args", default="",
                   help="more lm-eval --model_args for every evaluation, e.g. attn_implementation=eager")
    p.add_argument("--deterministic", action="store_true",
                   help="evaluate through `python -m evaluation.lm_eval_cli --deterministic` (PyTorch's deterministic "
                        "algorithms, fixed cuBLAS workspace)")
    p.add_argument("--batch", default="64")
    p.add_argument("--base-batch", default="",
                   help="batch size of the base model's run on --base-tasks (default: --batch); few-shot prompts are "
                        "long, and eager attention holds batch × heads × prompt² scores at once")
    p.add_argument("--limit", type=int, default=0, help="documents per task (0: all); for smoke runs")
    p.add_argument("--results-first", action="store_true",
                   help="an adapter's evaluation goes before any later training, so that a grid cut short has "
                        "results, not only adapters (default: trainings first, which keeps the GPUs busiest)")
    p.add_argument("--evaluate-only", action="store_true",
                   help="train nothing: evaluate the selected recipes whose adapters exist, skip (and name) the rest")
    p.add_argument("--stall-minutes", type=float, default=30,
                   help="kill a job whose log has not grown for this long and count it failed (0: never)")
    a = p.parse_args(argv)
    for spec in a.repeat:
        try:
            name, _ = parse_repeat(spec)
        except ValueError as e:
            p.error(str(e))
        if not (ROOT / "axolotl_configs" / f"{name}.yml").exists():
            p.error(f"--repeat {spec!r}: no recipe axolotl_configs/{name}.yml")
    if unknown := [c for c in a.curve if not any(fnmatch.fnmatch(c, pat) for pat in a.recipes)]:
        p.error(f"--curve {unknown}: not among --recipes")
    bad = [pat for pat in a.recipes if not fnmatch.filter([q.stem for q in (ROOT / "axolotl_configs").glob("*.yml")], pat)]
    if bad:
        p.error(f"no recipe matches {bad} in axolotl_configs/")
    return a


if __name__ == "__main__":
    sys.exit(Grid(parse()).main())
