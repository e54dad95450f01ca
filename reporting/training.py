"""Training and repetition: loss curves, the learning curve over checkpoints, reruns of an evaluation."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from .paired import _greedy_difference, _in_order
from .runs import ALPACA_TASKS, Run, _fmt, _natural, compare_samples


def reproducibility(runs: list[Run], reruns: list[Run]) -> list[str]:
    """Each rerun (the same model or adapter evaluated again from its saved files) against the first run."""
    if not reruns:
        return []
    lines = ["| first run | task | pass@1 % first | pass@1 % rerun | generations that differ | verdicts that differ |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for again in reruns:
        same = [r for r in runs if set(again.samples) <= set(r.samples) and r.adapter == again.adapter
                and r.training == again.training and r.config.get("model_args") == again.config.get("model_args")]
        first = next(iter(same), None)
        if first is None:
            lines.append(f"| {again.label} | – | – | – | no first run with the same tasks | |")
            continue
        for task, samples in sorted(again.samples.items()):
            gen, ver, _ = compare_samples(first.samples[task], samples)
            lines.append(f"| {first.folder} | {task} | {_fmt(first.metric(task, 'pass@1')[0])} | "
                         f"{_fmt(again.metric(task, 'pass@1')[0])} | {gen} of {len(samples)} | {ver} |")
    return lines


def training_table(training_dir: Path | None, out_dir: Path, plot_name: str, runs: list[Run] = ()) -> list[str]:
    """Loss curves from each training's trainer_state.json (TRAINING/NAME/, Axolotl/HF Trainer log history); the plot
    gives each configuration one colour (from the runs' records: the training NAME's configuration), its seeds and
    retrainings drawn in it."""
    states = sorted(training_dir.glob("*/trainer_state.json")) if training_dir else []
    if not states:
        return []
    lines = ["| adapter | epochs | steps | first train loss | last train loss | validation loss per epoch | tokens/s/GPU |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    colours: dict[str, str] = {}
    config_of = {r.training: r.configuration for r in runs if r.training and r.configuration}
    counts = Counter(config_of.get(p.parent.name, p.parent.name) for p in states)
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
        config = config_of.get(name, name)
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
    """pass@1 of each per-epoch checkpoint (grid --curve; run.json: its training and step) beside the validation loss
    logged at that step (TRAINING/NAME/trainer_state.json)."""
    curves: dict[str, dict[int, Run]] = defaultdict(dict)
    for r in runs:
        if r.step is not None and r.training:
            curves[r.training][r.step] = r
    if not curves:
        return []
    lines, steps_rows, final, missing = [], [], False, False
    for name, by_step in sorted(curves.items(), key=lambda kv: _natural(kv[0])):
        state = training_dir / name / "trainer_state.json" if training_dir else None
        hist = json.loads(state.read_text())["log_history"] if state and state.exists() else []
        val = {h["step"]: (h["epoch"], h["eval_loss"]) for h in hist if "eval_loss" in h}
        tasks = sorted({t for r in by_step.values() for t in r.results if t in ALPACA_TASKS})
        adapter = next((r for r in runs if r.training == name and r.step is None and r.trained), None)
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
