"""python -m benchmarks.perf_report [--perf runs/perf] [--out reports/performance.md] — the performance report
from the JSON rows of benchmarks/bench_qlora_cost.py (qlora_cost.json, qlora_levers_<gpu>.json, qlora_multigpu.json),
benchmarks/bench_eval_dp.py (eval_dp.json), benchmarks/bench_eval.py (eval_speed*.json) and
benchmarks/bench_grading.py (grading_cpu.json), with the runs' conditions from CONDITIONS.md beside them. Sections
whose file is missing say so instead of showing numbers."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LIMIT_GIB = 12.0
PARAMS = 7.24e9  # the Mistral-7B-shaped model's parameters
H100_FLOPS = 790e12  # H100 bf16 dense matrix throughput (NVIDIA's figure for the SXM card, dense)


def _load(perf: Path, name: str) -> list | dict | None:
    path = perf / name
    return json.loads(path.read_text()) if path.exists() else None


def _fmt(n: float | None) -> str:
    return "–" if n is None else f"{n:,.0f}"


def peak(r: dict) -> float:
    """The memory bound used for verdicts: peak allocated where it was tracked every step, else the allocator's
    reserved memory at the end (rows measured before the tracking fix; axolotl had reset the allocated peak at each
    log, and reserved memory, never released during these runs, bounds every allocation from above)."""
    return r["peak_gib"] if r.get("peak_tracking") == "per-step" else r["peak_reserved_gib"]


def _mem(r: dict) -> str:
    alloc = f"{r['peak_gib']}" if r.get("peak_tracking") == "per-step" else "–"
    return f"{alloc} | {r['peak_reserved_gib']}"


def _log_progress(r: dict) -> tuple[tuple[int, int, int] | None, str | None]:
    """From an unfinished case's log tail: (optimizer steps done, of, seconds into training) and the last max allocated
    GiB axolotl logged."""
    tail = "\n".join(r.get("log_tail", [])).replace("\r", "\n")
    done = [s for s in re.findall(r"(\d+)/(\d+) \[(\d+):(\d+)<", tail) if int(s[0]) > 0]
    memory = re.findall(r"'memory/max_allocated \(GiB\)': '([\d.]+)'", tail)
    steps = (int(done[-1][0]), int(done[-1][1]), 60 * int(done[-1][2]) + int(done[-1][3])) if done else None
    return steps, memory[-1] if memory else None


def unfinished(r: dict) -> str:
    """Why a case has no rate, with what its log tail still tells."""
    if r["error"] != "exit timeout":
        return f"failed: {r['error']}"
    why = f"did not finish within the case's {r['wall_s']:.0f} s"
    steps, memory = _log_progress(r)
    if steps:
        why += f": {steps[0]} of {steps[1]} optimizer steps done, {steps[2]} s into training"
    if memory:
        why += f"; axolotl logged {memory} GiB max allocated"
    return why


CONTEXT_GIB = 0.5  # the CUDA context, outside the allocator's reserved memory
# what a profile's card leaves for the allocator: peak reserved + CUDA context must stay under it
CARDS = {"12gb": ("12 GB", 11.0), "t4": ("T4 16 GB", 14.5)}


def card(recipe: str) -> tuple[str, float | None]:
    """(profile label, reserved + context bound in GiB, None for an 80 GB-class card) of a recipe name."""
    suffix = recipe.rsplit("-", 1)[-1]
    return CARDS.get(suffix, ("full", None))


def fits(r: dict) -> str:
    label, bound = card(r["recipe"])
    if bound is None:
        return "–"
    return "yes" if r["peak_reserved_gib"] + CONTEXT_GIB <= bound else "**no**"


def _settings_since(rows: list[dict]) -> list[str]:
    """What the recipes took after these rows: a row that records no attention ran before the flash-varlen plugin,
    one that records no activation_offloading before the full profile offloaded (the peer tables measure both)."""
    later = [what for key, what in (("attention", "flash varlen attention"),
                                   ("activation_offloading", "the full profile's activation offloading (`hidden_states`)"))
             if any(key not in r for r in rows if "error" not in r)]
    return [f"These rows predate {' and '.join(later)}; the tables against Unsloth below measure "
            f"{'them' if len(later) > 1 else 'it'}."] if later else []


def cost_section(rows: list[dict] | None, before: list[dict] | None = None) -> list[str]:
    out = ["## Cost of the Mistral-7B QLoRA recipes", ""]
    if not rows:
        return out + ["Not measured yet (`benchmarks/bench_qlora_cost.py --suite cost`).", ""]
    out += ["Each recipe as committed when its row was measured (`axolotl_configs/`; the run conditions name the "
            "commit), on a Mistral-7B-shaped model with random weights and the "
            "real tokenizer; *packed* is the recipe, *unpacked* turns sample packing off (rows padded to the longest "
            "in the micro-batch), *dropout 0.05* puts back the LoRA dropout the recipes had. Token slots/s counts "
            "every position fed, padding included; trainable/s counts response tokens (the loss is on responses "
            f"only). *Fits its card*: peak reserved + {CONTEXT_GIB} GiB of CUDA context ≤ 11 GiB for the 12 GB "
            "profile, ≤ 14.5 GiB for the T4's 16 GB (the T4 profile's fp16 memory, measured on the card below: its "
            "speed on a T4 is not measured).", *_settings_since(rows), ""]
    out += _cost_table(rows)
    for label, bound in CARDS.values():
        prof = [r for r in rows if card(r["recipe"])[0] == label and "error" not in r]
        if prof:
            worst = max(prof, key=lambda r: r["peak_reserved_gib"])
            total = round(worst["peak_reserved_gib"] + CONTEXT_GIB, 2)
            verdict = "within" if total <= bound else "**over**"
            out += ["", f"{label} profile: at most {worst['peak_reserved_gib']} GiB reserved ({worst['name']}), "
                    f"{total} GiB with the context, {verdict} its {bound} GiB."]
    if any(r.get("peak_tracking") != "per-step" for r in [*rows, *(before or [])] if "error" not in r):
        out += ["", "Rows without a peak-allocated figure were measured before the benchmark tracked the peak at "
                "every step: axolotl resets the peak counters whenever it logs, so the end-of-run reading had "
                "missed the activations. Their memory bound is the allocator's reserved memory (no cache was "
                "released during these runs, so it is at least the true peak)."]
    if before:
        out += ["", "The recipes before they took the measured settings (1024 tokens, micro-batch 4 × 4, 1 × 16 for "
                "12 GB, LoRA dropout 0.05, no Liger), 2026-11-25 (`runs/perf/qlora_cost_before.json`):", ""]
        out += _cost_table(before)
    return out + [""]


def _cost_table(rows: list[dict]) -> list[str]:
    out = ["| case | rank | profile | seq | micro × accum | token slots/s | trainable tokens/s | "
           "peak allocated GiB | reserved GiB | fits its card |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        head = f"| {r['name']} | {r['lora_r']} | {card(r['recipe'])[0]} | {r['sequence_len']} | " \
               f"{r['micro_batch_size']} × {r['grad_accum']} |"
        if "error" in r:
            out.append(f"{head} failed: {r['error']} | | | | |")
            continue
        out.append(f"{head} {_fmt(r['slots_per_s'])} | {_fmt(r['trainable_per_s'])} | {_mem(r)} | {fits(r)} |")
    return out


def _suite_levers(runs: list[list[dict]]) -> list[str]:
    """Every lever measured in any run, in the benchmark's case order (the order of its rows)."""
    return list(dict.fromkeys(r["lever"] for rows in runs for r in rows if r["lever"] != "axolotl defaults"))


def lever_section(rows: list[dict] | None, figure: str | None, source: str = "", suite: list[str] = ()) -> list[str]:
    gpu = next((r["gpu"] for r in rows or [] if r.get("gpu")), None)
    out = [f"## Speed levers at 2048 tokens (r32, full-size recipe){f' on {gpu}' if gpu else ''}"
           f"{f' (`{source}`)' if source else ''}", ""]
    if not rows:
        return out + ["Not measured yet (`benchmarks/bench_qlora_cost.py --suite levers`).", ""]
    base = next((r for r in rows if r["lever"] == "axolotl defaults" and "error" not in r), None)
    out += ["The baseline shape (one 2048-token packed row per micro-batch, axolotl defaults: sdpa, "
            "gradient checkpointing, LoRA kernels auto-enabled) measured here, then one lever at a time, then the "
            "levers that helped together. Goal: at least 2 × the baseline's token slots/s on the same card "
            "with the peak under 12 GiB.", "",
            "| case | lever | micro × accum | token slots/s | × baseline | trainable tokens/s | peak allocated GiB | "
            "reserved GiB | under 12 GiB |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['name']} | {r['lever']} | {r['micro_batch_size']} × {r['grad_accum']} | {unfinished(r)} "
                       "| | | | | |")
            continue
        ratio = f"{r['slots_per_s'] / base['slots_per_s']:.2f}" if base else "–"
        ok = "yes" if peak(r) < LIMIT_GIB else "no"
        out.append(f"| {r['name']} | {r['lever']} | {r['micro_batch_size']} × {r['grad_accum']} | "
                   f"{_fmt(r['slots_per_s'])} | {ratio} | {_fmt(r['trainable_per_s'])} | {_mem(r)} | {ok} |")
    missing = [lever for lever in suite if lever not in {r["lever"] for r in rows}]
    if missing:
        out += ["", f"Not measured in this run: {', '.join(missing)}" + ("" if any(
            r["name"] == "2048 combined" for r in rows) else "; nor the combination of the levers that helped") + "."]
    fits = [r for r in rows if "error" not in r and peak(r) < LIMIT_GIB]
    if fits and base:
        best = max(fits, key=lambda r: r["slots_per_s"])
        same = best["slots_per_s"] / base["slots_per_s"]
        verdict = "meets" if same >= 2 else "**does not meet**"
        out += ["", f"Fastest under 12 GiB: **{best['name']}** at {best['slots_per_s']:,} token slots/s, memory at most "
                f"{peak(best)} GiB: {same:.2f} × the baseline measured on the same {base.get('gpu', 'GPU')}, so it "
                f"{verdict} the goal of 2 × the axolotl-default baseline on the same card."]
    if figure:
        out += ["", f"![token slots/s per lever]({figure})"]
    return out + [""]


def summary_section(levers: dict[str, list[dict]]) -> list[str]:
    """Each lever against the baseline of its own run, every run of a card side by side."""
    by_card: dict[str, dict[str, list[dict]]] = {}
    for name, rows in levers.items():
        if gpu := next((r["gpu"] for r in rows if r.get("gpu")), None):
            by_card.setdefault(gpu, {})[name] = rows
    out, order = [], ["axolotl defaults", *_suite_levers(list(levers.values()))]
    for gpu, runs in by_card.items():
        names = list(runs)
        bases = {n: next((r for r in runs[n] if r["lever"] == "axolotl defaults" and "error" not in r), None)
                 for n in names}
        out += [f"## What each lever gave on {gpu}", "",
                "× the same run's axolotl-default baseline (peak GiB: allocated, or reserved in rows taken before "
                "allocation was tracked every step); bold where the peak is under 12 GiB. Details per run below.", "",
                "| lever | " + " | ".join(f"`qlora_levers_{n}.json`" for n in names) + " |",
                "|---|" + "---|" * len(names)]
        for lever in order + sorted({r["lever"] for rows in runs.values() for r in rows} - set(order)):
            cells, seen = [], False
            for n in names:
                base, r = bases[n], next((r for r in runs[n] if r["lever"] == lever), None)
                seen |= r is not None
                if r is None or base is None:
                    cells.append("–")
                elif "error" in r:
                    memory = _log_progress(r)[1]
                    cells.append("failed" if r["error"] != "exit timeout" else
                                 f"no rate (timeout{f'; {memory} logged' if memory else ''})")
                else:
                    ratio = f"{r['slots_per_s'] / base['slots_per_s']:.2f} × ({peak(r)})"
                    cells.append(f"**{ratio}**" if peak(r) < LIMIT_GIB else ratio)
            if seen:
                out.append(f"| {lever} | " + " | ".join(cells) + " |")
        out.append("")
        if "H100" in gpu:
            out += [utilisation(runs), ""]
    return out


def utilisation(runs: dict[str, list[dict]]) -> str:
    """What the 2 × goal asks of the H100's matrix units, a frozen-base LoRA step
    with gradient checkpointing costs about 6 FLOPs per parameter and token (forward, recomputed forward, input
    gradients), against ~790 TFLOP/s of bf16 matrix work."""
    rows = [r for rows in runs.values() for r in rows if "error" not in r]
    base = min(r["slots_per_s"] for r in rows if r["lever"] == "axolotl defaults")
    best = max((r for r in rows if peak(r) < LIMIT_GIB), key=lambda r: r["slots_per_s"])

    def share(rate: float) -> float:
        return 100 * 6 * PARAMS * rate / H100_FLOPS

    return (f"Matrix-unit use (6 × {PARAMS / 1e9:.2f} B FLOPs per token ÷ {H100_FLOPS / 1e12:.0f} TFLOP/s): baseline "
            f"{share(base):.0f} %, fastest under 12 GiB ({best['lever']}) {share(best['slots_per_s']):.0f} %; 2 × the "
            f"slowest baseline here ({2 * base:,} slots/s) would need {share(2 * base):.0f} %, with the 4-bit weights "
            "dequantised in every pass.")


def repeat_section(levers: dict[str, list[dict]]) -> list[str]:
    """The same case measured in several lever files of one card: how far apart the runs are."""
    rates: dict[str, dict[str, dict[str, int]]] = {}  # card -> case -> lever file -> token slots/s
    for name, rows in levers.items():
        for r in rows:
            if "error" not in r and r.get("gpu"):
                rates.setdefault(r["gpu"], {}).setdefault(r["name"], {})[name] = r["slots_per_s"]
    out = []
    for gpu, cases in rates.items():
        repeated = {case: by_file for case, by_file in cases.items() if len(by_file) > 1}
        if not repeated:
            continue
        names = [n for n in levers if any(n in by_file for by_file in cases.values())]
        out += [f"## Run to run on {gpu}", "",
                f"The cases measured in more than one lever file ({', '.join(f'`qlora_levers_{n}.json`' for n in names)}; "
                "separate machines; each run's settings under Run conditions). Spread = (highest − lowest) ÷ lowest.", "",
                "| case | " + " | ".join(f"{n} token slots/s" for n in names) + " | spread |",
                "|---|" + "---|" * (len(names) + 1)]
        for case, by_file in repeated.items():
            got = by_file.values()
            out.append(f"| {case} | " + " | ".join(_fmt(by_file.get(n)) for n in names) +
                       f" | {100 * (max(got) - min(got)) / min(got):.0f} % |")
        out.append("")
    return out


def multigpu_section(single: list[dict] | None, rows: list[dict] | None, dp: dict | None) -> list[str]:
    out = ["## Several GPUs", ""]
    # the 1-GPU reference: the multi-GPU suite's own single-GPU case, else the cost table's row of the same recipe
    one = next((r for r in (rows or []) + (single or []) if "error" not in r and r.get("world_size", 1) == 1
                and r["recipe"] == "mistral7b-code-r32" and not r["name"].endswith("unpacked")), None)
    if not rows:
        out += ["Training on 2 GPUs: not measured yet (`benchmarks/bench_qlora_cost.py --suite multigpu`).", ""]
    else:
        out += ["`mistral7b-code-r32` (packed, micro-batch 4 × accumulation 4 per GPU) on one GPU "
                "and data-parallel on two (`accelerate launch --num_processes 2`). Scaling efficiency = tokens/s on N "
                "GPUs ÷ (N × tokens/s on one).", "",
                "| run | GPUs | token slots/s (all GPUs) | trainable tokens/s | scaling efficiency | peak allocated GiB per GPU |",
                "|---|---|---|---|---|---|"]
        if one:
            out.append(f"| single GPU | 1 | {_fmt(one['slots_per_s'])} | {_fmt(one['trainable_per_s'])} | 1.00 | "
                       f"≤ {peak(one)} |")
        for r in rows:
            if r is one:
                continue
            if "error" in r:
                out.append(f"| {r['name']} | {r['gpus']} | failed: {r['error']} | | | |")
                continue
            eff = f"{r['slots_per_s'] / (r['world_size'] * one['slots_per_s']):.2f}" if one else "–"
            out.append(f"| {r['lever']} | {r['world_size']} | {_fmt(r['slots_per_s'])} | {_fmt(r['trainable_per_s'])} | "
                       f"{eff} | {', '.join(str(g) for g in r['peak_gib_per_gpu'])} |")
        out.append("")
    if not dp:
        return out + ["Evaluation on 2 GPUs: not measured yet (`benchmarks/bench_eval_dp.py`).", ""]
    runs = dp["runs"]
    n = max(runs, key=int)
    same = dp["different_verdict"] == 0 and dp["missing"] == 0
    out += [f"Evaluation, `{dp['tasks']}` with {dp['model']} (greedy, {dp['dtype']}, batch {dp['batch']} per GPU): "
            f"`lm_eval` on one GPU vs `accelerate launch --num_processes {n} -m lm_eval` (one model copy per GPU, the "
            "sandbox on the host's CPU cores).", "",
            "| GPUs | wall s | pass@1 |", "|---|---|---|"]
    for g, r in sorted(runs.items(), key=lambda kv: int(kv[0])):
        out.append(f"| {g} | {r['wall_s']} | {', '.join(f'{t}: {v:.4f}' for t, v in r['pass@1'].items() if v is not None)} |")
    out += ["", f"Speed-up {dp['speedup']} ×; of {dp['documents']} documents {dp['different_generation']} got a different "
            f"generation and {dp['different_verdict']} a different verdict ({'identical' if same else 'not identical'} "
            "pass@1)."]
    return out + [""]


EVAL_PHASES = ("start-up", "model load", "tasks and prompts", "generation", "grading", "other")


def eval_speed_section(runs: dict[str, dict], out_dir: Path) -> list[str]:
    """benchmarks/bench_eval.py: one evaluation's wall time split into phases, per case, and whether the cases (and
    a committed run) generated the same text."""
    out = ["## Evaluation time: one adapter on the Alpaca tasks", ""]
    if not runs:
        return out + ["Not measured yet (`benchmarks/bench_eval.py`).", ""]
    graded = [(name, c) for name, run in runs.items() if not run.get("grading_failed")
              for c in run["cases"] if "error" not in c]
    if graded:
        out += ["Every case whose grading ran, across runs (machines of the same kind differ: see the run conditions; "
                "each run in full below; – where a run did not record decoding steps and stop checks):", "",
                "| run | case | wall s | generation | decoding steps | ms per step | of the generation: stop checks | "
                "grading | of the grading: references | generations ≠ committed run |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for name, c in graded:
            ph, com, dec = c["phases_s"], c.get("vs_committed"), c.get("decoding", {})
            same = f"{com['different_generation']} of {com['documents']}" if com else "–"
            one = lambda v: f"{v:.1f}" if isinstance(v, (int, float)) else v  # noqa: E731  (recorded to 0.01 s)
            out.append(f"| {name} | {c['case']} | {one(c['wall_s'])} | {one(ph['generation'])} | {dec.get('steps', '–')} | "
                       f"{one(dec.get('ms_per_step') or '–')} | {one(ph.get('of which stop checks', '–'))} | "
                       f"{one(ph['grading'])} | {one(ph['of which references'])} | {same} |")
        out.append("")
    for name, run in runs.items():
        out += [f"`{run['tasks']}` with {run['model']}" + (f" + {run['adapter']}" if run.get("adapter") else "") +
                f" on {run['device']} ({run['dtype']}, `{run['model_args']}`, {run['cpus']} CPU cores"
                + (f" ({run['cpu_model']})" if run.get("cpu_model") else "") + "; "
                f"`runs/perf/{name}.json`). Each case is one `lm_eval run` process; seconds per phase:", "",
                "| case | batch | wall s | " + " | ".join(EVAL_PHASES) + " | of the grading: references | "
                "generations ≠ first case | generations ≠ committed run |",
                "|---|---|---|" + "---|" * len(EVAL_PHASES) + "---|---|---|"]
        for c in run["cases"]:
            env = ", ".join([*(f"{k}={v}" for k, v in c["env"].items()), *c.get("gen_kwargs", [])])
            label = f"{c['case']}{f' ({env})' if env else ''}"
            if "error" in c:
                out.append(f"| {label} | {c['batch']} | {c['wall_s']} | failed: {c['error']}, "
                           f"{_oom(c) or 'see log_tail'} |" + " |" * (len(EVAL_PHASES) + 2))
                continue
            ph = c["phases_s"]
            vs = c["vs_first_case"]
            com = c.get("vs_committed")
            committed = (f"{com['different_generation']} of {com['documents']}"
                         + (f" ({com['prompt_changed']} prompts changed since)" if com["prompt_changed"] else "")
                         if com else "–")
            out.append(f"| {label} | {c['batch']} | {c['wall_s']} | "
                       + " | ".join(str(ph[k]) for k in EVAL_PHASES) + f" | {ph['of which references']} | "
                       f"{vs['different_generation']} of {vs['documents']} | {committed} |")
        ok = [c for c in run["cases"] if "error" not in c]
        same = [c for c in ok if c["vs_first_case"]["different_generation"] == 0]
        if run.get("grading_failed"):  # the times hold a grading that did not run: no verdict on the time
            out += ["", f"**Grading did not run in these cases:** {run['grading_failed']} The grading and wall "
                    "seconds are those of programs that could not start, and the verdicts are not the adapter's; "
                    "start-up, model load and generation are as measured."]
        elif same:
            best = min(same, key=lambda c: c["wall_s"])
            lead = "Fastest case that generates exactly what the first case did" if len(same) > 1 else "One case"
            com = best.get("vs_committed")
            slowest = max(same, key=lambda c: c["wall_s"])
            under = lambda c: "under" if c["wall_s"] <= 180 else "**over**"  # noqa: E731
            out += ["", f"{lead}: **{best['case']}, {best['wall_s']} s** ({under(best)} three minutes)." +
                    (f" The slowest: {slowest['case']}, {slowest['wall_s']} s ({under(slowest)} three minutes)."
                     if len(same) > 1 else "") +
                    (f" Against the committed run: {com['different_generation']} of {com['documents']} generations "
                     f"and {com['different_verdict']} verdicts differ." if com else "")]
        for c in ok:
            if c["vs_first_case"]["different_generation"] and c["wall_s"] < min(x["wall_s"] for x in same or ok):
                out.append(f"{c['case']} is faster ({c['wall_s']} s) but {c['vs_first_case']['different_generation']} "
                           f"generations differ from the first case's: not the same evaluation.")
        figure = eval_plot(run, out_dir / f"performance_{name}.png")
        out += ["", f"![phases]({figure})", ""]
    return out


def grading_section(rows: list[dict] | None, source: str = "") -> list[str]:
    """benchmarks/bench_grading.py (grading_cpu*.json, one machine each): one logged run graded again on a CPU,
    references cold then kept, one row per commit measured; the first row is the baseline of the ratios."""
    out = [f"## Grading alone, on a CPU{f' (`runs/perf/{source}`)' if source else ''}", ""]
    if not rows:
        return out + ["Not measured yet (`benchmarks/bench_grading.py`).", ""]
    base = rows[0]["cold"]["total_s"]
    out += [f"`benchmarks/bench_grading.py {rows[0]['run']}`: the logged samples graded again (no model), first "
            "with an empty reference store, then with the references kept; seconds of the whole grading, of the "
            "reference runs and of the samples' own runs; the speed-up is the first row's cold seconds over this "
            "row's. Documents whose pass@1 differs from the log: 0 is the grader repeating itself.", "",
            "| row | commit | machine | references cold: s | references | samples | speed-up | references kept: s | "
            "samples | pass@1 differs (cold / kept) | longest reference |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cold, kept = r["cold"], r["kept"]
        task, seconds = (r.get("longest_references") or [["–", "–"]])[0]
        out.append(f"| {r['label']} | {r['git'] or '–'} | {r['cpus']} cores ({r['cpu_model']}), {r['isolation']}, "
                   f"{r['date']} | {cold['total_s']} | {cold['references_s']} | {cold['samples_s']} | "
                   f"{base / cold['total_s']:.2f}x | {kept['total_s']} | {kept['samples_s']} | "
                   f"{cold['pass1_changed']} / {kept['pass1_changed']} of {cold['documents']} | {task} {seconds} s |")
    return out + [""]


def decode_section(runs: dict[str, dict]) -> list[str]:
    """benchmarks/bench_decode_overhead.py (decode_overhead_<gpu>.json): the host's ms per greedy decoding step on the
    evaluated model's structure at tiny widths, per way of running the adapter."""
    out = ["## Host cost of a decoding step", ""]
    if not runs:
        return out + ["Not measured yet (`benchmarks/bench_decode_overhead.py`).", ""]
    out += ["`benchmarks/bench_decode_overhead.py`: the evaluated model's layers, heads and attention pattern and the "
            "adapter's LoRA layout with random weights at tiny widths, so that a step's time is the host's (Python, "
            "dispatch, kernel launches); each case must generate PEFT's tokens. *× peft*: this case's ms over PEFT's.",
            "", "| run | machine | rows × steps | case | ms per step | × peft | same tokens as peft |",
            "|---|---|---|---|---|---|---|"]
    notes = []
    for name, run in runs.items():
        peft = run["cases"][0]["ms_per_step"]
        cases = run["cases"]
        cores = f", {run['cpus']} cores" if run.get("cpus") else ""
        if "lean_layers" not in run:  # a run from before the count was kept cannot show its lean rows measured LoRA
            cases = [c for c in cases if not c["case"].startswith("lean")]
            notes.append(f"`{name}` does not record how many layers the lean forward replaced: its lean rows are left "
                         "out (run conditions).")
        for c in cases:
            same = {True: "yes", False: "**no**", None: "–"}[c["same_tokens"]]
            out.append(f"| {name} | {run['device']} (host: {run['cpu_model']}{cores}) | {run['batch']} × "
                       f"{run['steps']} | {c['case']} | {c['ms_per_step']:.1f} | {c['ms_per_step'] / peft:.2f} | {same} |")
    return out + ["", *notes, ""] if notes else out + [""]


def _oom(case: dict) -> str | None:
    line = next((x for x in case.get("log_tail", []) if "OutOfMemoryError" in x), None)
    return line.split("CUDA out of memory. ")[-1].split(". GPU")[0] if line else None


def eval_plot(run: dict, path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = [c for c in run["cases"] if "error" not in c]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(cases) + 2.2))
    left = [0.0] * len(cases)
    colours = plt.get_cmap("tab10").colors
    for i, phase in enumerate(EVAL_PHASES):
        widths = [c["phases_s"][phase] for c in cases]
        ax.barh(range(len(cases)), widths, left=left, color=colours[i], label=phase)
        left = [a + b for a, b in zip(left, widths)]
    ax.axvline(180, color="black", linestyle="--", linewidth=1)
    ax.text(180, 1.01, "3 min", transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
    ax.set_xlim(0, max(190, 1.05 * max(left)))
    ax.set_yticks(range(len(cases)), [c["case"] for c in cases])
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    ax.set_title(f"{run['tasks']}: where the wall time goes", pad=14)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path.name


def lever_plot(rows: list[dict] | None, path: Path) -> str | None:
    rows = [r for r in rows or [] if "error" not in r]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    names = [r["name"].replace("2048 + ", "+ ") for r in rows]
    colors = ["tab:green" if peak(r) < LIMIT_GIB else "tab:red" for r in rows]
    ax.barh(names, [r["slots_per_s"] for r in rows], color=colors)
    base = next((r for r in rows if r["lever"] == "axolotl defaults"), rows[0])
    ax.axvline(base["slots_per_s"], color="grey", ls="--", label=f"baseline here {base['slots_per_s']:,}")
    ax.axvline(2 * base["slots_per_s"], color="black", ls=":", label=f"goal 2 x baseline {2 * base['slots_per_s']:,}")
    ax.invert_yaxis()
    ax.set_xlabel(f"token slots / s on {base.get('gpu', 'the GPU')} (green: peak < 12 GiB)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _kernels(profile: dict, n: int | None = 8) -> list[dict]:
    # the first profiled run listed operators (aten::…) beside the kernels they launched: kernels only
    return [k for k in profile["kernels"] if not k["name"].startswith(("aten::", "Optimizer.step"))][:n]


_ONE_ROW = (" Unsloth gets each micro-batch's rows end to end in one row, its padding-free layout, in which it keeps "
            "each document's attention to itself as Axolotl does.")


def trainer(row: dict) -> str:
    """The trainer and version, with the attention libraries that were installed beside it where the row lists them,
    marked where the trainer said one could not load."""
    said = " ".join(row.get("tool_messages") or [])
    return row.get("tool", "axolotl") + "".join(
        f" + {name} {version}" + (" (could not load)" if f"{name} is installed but cannot load" in said else "")
        for name, version in (row.get("attention_libraries") or {}).items() if version)


def _attention_note(unsloth: list[dict]) -> str:
    listed = [r for r in unsloth if "attention_libraries" in r]
    bare = "with neither flash-attn nor xformers installed, its packed attention ran on PyTorch"
    if not listed:
        return f" Here, {bare}."
    if len(listed) == len(unsloth):
        return " The trainer column names the attention libraries installed beside it."
    return (" The trainer column names the attention libraries installed beside it where the row recorded them; the "
            f"other rows ran before xformers joined the wheels: {bare}.")


# a profiled step's top kernels by what they do, matched on the kernel's name (first match wins)
KERNEL_KINDS = (("attention", ("sdpa", "flash", "fmha", "attention")),
                ("matrix multiplies", ("nvjet", "gemm", "cutlass", "xmma", "cublas")),
                ("elementwise, copies and fills", ("elementwise", "memcpy", "memset", "fill", "copy")))


def kernel_kinds(profile: dict) -> dict[str, tuple[float, int]]:
    """The profiled step's listed kernels summed by kind: {kind: (ms, calls)}, "other" for the rest."""
    out: dict[str, tuple[float, int]] = {}
    for k in _kernels(profile, None):
        name = k["name"].lower()
        kind = next((kind for kind, marks in KERNEL_KINDS if any(m in name for m in marks)), "other")
        ms, calls = out.get(kind, (0.0, 0))
        out[kind] = (ms + k["ms"], calls + k["calls"])
    return out


def profile_table(profiled: list[dict]) -> list[str]:
    """Where each profiled step's time went, by kind of kernel (of the kernels the profile kept)."""
    kinds = [kind for kind, _ in KERNEL_KINDS] + ["other"]
    out = ["", "The same steps by kind of kernel: ms (calls) of each profile's 15 kernels with the most time; "
           "*step ms* is the time of all the step's kernels (– where the profile also counted operators, whose time "
           "is their kernels' again):", "",
           "| case | step ms | " + " | ".join(kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for r in profiled:
        split = kernel_kinds(r["profile"])
        cells = [f"{split[k][0]:.0f} (×{split[k][1]:,})" if k in split else "–" for k in kinds]
        operators = any(k["name"].startswith("aten::") for k in r["profile"]["kernels"])
        step = "–" if operators else f"{r['profile']['total_ms']:.0f}"
        out.append(f"| {r['name']} | {step} | " + " | ".join(cells) + " |")
    return out


def on_varlen(row: dict) -> bool:
    """Unsloth took its flash-varlen packed attention (the path of torch >= 2.12), as its row recorded."""
    return str(row.get("unsloth_attention", "")).startswith("torch varlen")


def unsloth_reference(rows: list[dict]) -> tuple[list[dict], bool]:
    """Unsloth's rows at micro-batch 8 with its defaults: (the reference rows, whether they ran its varlen path).
    Where a run has rows on its varlen path, those are the reference: the path its users get."""
    unsloth = [r for r in rows if "error" not in r and r.get("tool", "").startswith("unsloth")
               and r["micro_batch_size"] == 8 and not r.get("env")]
    varlen = [r for r in unsloth if on_varlen(r)]
    return (varlen, True) if varlen else (unsloth, False)


def recipe_pair(rows: list[dict], varlen: bool) -> list[dict]:
    """The recipe's side of the deciding pair: before Unsloth's varlen rows, the rows of Liger + micro-batch 8 +
    dropout 0; beside them, the recipe's setting with the most trainable tokens/s among those measured twice."""
    ok = [r for r in rows if "error" not in r and r.get("tool", "axolotl") == "axolotl"]
    if not varlen:
        return [r for r in ok if r["name"].startswith("2048 + Liger + micro-batch 8 + dropout 0")
                and "offloading" not in r["name"] and "varlen" not in r["name"]]
    by_lever: dict[str, list[dict]] = {}
    for r in ok:
        by_lever.setdefault(r["lever"], []).append(r)
    candidates = [v for v in by_lever.values() if len(v) > 1] or list(by_lever.values())
    return max(candidates, key=lambda v: sum(r["trainable_per_s"] for r in v) / len(v), default=[])


def _span(pairs: list[dict], peer: list[dict], key: str) -> tuple[float, float]:
    ratios = [a[key] / b[key] for a in pairs for b in peer]
    return min(ratios), max(ratios)


def torch_and_attention(r: dict) -> str:
    """The torch a row ran on and its attention: Unsloth's chosen path, or the attention function Axolotl's model ran."""
    path = r.get("unsloth_attention") or r.get("attention") or "–"
    shim = " (varlen_attn given enable_gqa)" if r.get("torch_shim") else ""
    return f"{r.get('torch', '–')}{shim}, {path}"


def _small(row: dict) -> tuple[float, float]:
    """(ms of the listed elementwise kernels, ms of the listed host copies) of a profiled step."""
    listed = [k for k in _kernels(row["profile"], None)]
    copies = sum(k["ms"] for k in listed if k["name"].startswith("Memcpy"))
    small = sum(k["ms"] for k in listed if not k["name"].startswith("Memcpy") and any(
        m in k["name"].lower() for m in KERNEL_KINDS[2][1]))
    return small, copies


def parity_section(rows: dict[str, dict]) -> list[str]:
    """benchmarks/varlen_parity.py: the recipes' flash-varlen attention against masked SDPA, one training step."""
    out = []
    for name, r in rows.items():
        out += [f"## Packed attention on flash varlen: the same training step (`{name}.json`)", "",
                f"`benchmarks/varlen_parity.py` on {r['gpu']} (torch {r['torch']}): one step of a {r['layers']}-layer Mistral "
                f"with 7B layer shapes (random weights) on {r['rows']} packed rows of {r['seq']} tokens ({r['documents']} "
                "documents). Errors are relative to the fp32 step with SDPA and the block-diagonal mask.", "",
                "| bf16 path | loss | loss rel. error | largest gradient rel. error |", "|---|---|---|---|"]
        for path in ("masked sdpa bf16", "varlen bf16"):
            out.append(f"| {path} | {r[f'loss {path}']:.5f} | {r[f'loss rel err {path}']:.1e} | "
                       f"{r[f'max grad rel err {path}']:.3f} |")
        out += ["", f"fp32 loss {r['loss fp32 masked sdpa']:.5f}. Between the two bf16 paths the gradients differ by at "
                f"most {r['max grad rel diff varlen vs masked bf16']:.3f} (relative norm, `{r['worst parameter']}`), "
                "far inside what bf16 itself costs against fp32 on either path.", ""]
    return out


def peer_summary(peers: dict[str, list[dict]]) -> list[str]:
    """Which path of Unsloth each ratio is against: torch 2.11's fallback, or its varlen path (torch >= 2.12)."""
    fallback, varlen = [], []
    for name, rows in peers.items():
        peer, on = unsloth_reference(rows)
        pairs = recipe_pair(rows, on)
        if peer and pairs and (on or all(r.get("layout") == "one row" for r in peer)):
            (varlen if on else fallback).append((name, rows, pairs, peer))
    if not varlen:
        return []
    out = ["## Against Unsloth: which Unsloth", ""]
    if fallback:
        lo = min(_span(p, q, "slots_per_s")[0] for _, _, p, q in fallback)
        hi = max(_span(p, q, "slots_per_s")[1] for _, _, p, q in fallback)
        out += [f"The earlier {lo:.2f}–{hi:.2f}× (token slots/s; "
                + ", ".join(f"`{n}`" for n, *_ in fallback) + ") is against Unsloth on torch 2.11's **fallback** path: "
                "Unsloth 2026.10 takes its flash-varlen packed attention only when `torch.nn.attention.varlen.varlen_attn` "
                "has the `enable_gqa` keyword, which torch 2.12 added; on the GPU image's torch 2.11 it runs one SDPA "
                "call per run of equal-length documents (thousands of attention kernels a step). A user who installs "
                "Unsloth gets a torch ≥ 2.12, and this project pins torch 2.13 for its own users (`pyproject.toml`).", ""]
    for name, rows, pairs, peer in varlen:
        tr, sl = _span(pairs, peer, "trainable_per_s"), _span(pairs, peer, "slots_per_s")
        mine, theirs = max(r["peak_gib"] for r in pairs), max(r["peak_gib"] for r in peer)
        res_mine, res_theirs = max(r["peak_reserved_gib"] for r in pairs), max(r["peak_reserved_gib"] for r in peer)
        met = tr[0] >= 1.0 and mine <= theirs
        out += [f"On Unsloth's **varlen** path (`{name}`, {peer[0].get('gpu', 'one GPU')}, torch {peer[0].get('torch')} "
                "with `varlen_attn` given the `enable_gqa` keyword in Unsloth's process only, a stand-in for the newer "
                "torch; its rows record the path it took), Unsloth is the faster: the recipe's fastest setting "
                f"({pairs[0]['lever']}, {len(pairs)} runs, against {len(peer)}) is **{tr[0]:.2f}–{tr[1]:.2f}× its trainable "
                f"tokens/s** and {sl[0]:.2f}–{sl[1]:.2f}× its token slots/s, at {mine} GiB peak allocated against "
                f"{theirs} ({res_mine} against {res_theirs} reserved). The goal, at least 1.0× its trainable tokens/s "
                f"at no more than its peak memory, is {'met' if met else f'**not met**: {100 * (1 - tr[1]):.0f}–{100 * (1 - tr[0]):.0f} % short in speed'}"
                f"{'' if mine <= theirs else ', over its peak allocated'}."]
        profiled = [r for r in rows if isinstance(r.get("profile"), dict)]
        recipe = next((r for r in profiled if r in pairs), None)
        theirs_p = next((r for r in profiled if r in peer), None)
        if recipe and theirs_p:
            a, b = kernel_kinds(recipe["profile"]), kernel_kinds(theirs_p["profile"])
            out += ["", f"What the profiles say is left: the step's kernels take {recipe['profile']['total_ms']:.0f} ms "
                    f"under the recipe and {theirs_p['profile']['total_ms']:.0f} ms under Unsloth, whose total includes "
                    "its host copies (offloaded activations, on a stream of their own beside the compute); the listed "
                    f"matrix multiplies take {a.get('matrix multiplies', (0, 0))[0]:.0f} against "
                    f"{b.get('matrix multiplies', (0, 0))[0]:.0f} ms and attention {a.get('attention', (0, 0))[0]:.0f} "
                    f"(×{a.get('attention', (0, 0))[1]}) against {b.get('attention', (0, 0))[0]:.0f} "
                    f"(×{b.get('attention', (0, 0))[1]}) ms; the recipe's listed elementwise kernels "
                    f"({_small(recipe)[0]:.0f} ms besides {_small(recipe)[1]:.0f} ms of host copies) against Unsloth's "
                    f"{_small(theirs_p)[0]:.0f} ms (besides {_small(theirs_p)[1]:.0f} ms of host copies, overlapped): "
                    "Unsloth compiles each decoder layer as one region, and the gap is in those small kernels between "
                    "the matrix multiplies, not in attention or the matrix multiplies. Per step: "
                    f"{recipe['step_s']} s against {theirs_p['step_s']} s."]
        out.append("")
    return out


def peer_section(rows: list[dict] | None, source: str = "") -> list[str]:
    """One peer run (qlora_peer_<gpu>.json): each case's rates as ratios to axolotl's defaults and to Unsloth at
    micro-batch 8, the deciding pair's spread, the profiled steps' top kernels, and how Unsloth was fed."""
    card = next((r["gpu"] for r in rows or [] if r.get("gpu")), None)
    out = [f"## Against the peer: Unsloth{f' on {card}' if card else ''}{f' (`{source}`)' if source else ''}", ""]
    if not rows:
        return out + ["Not measured yet (`benchmarks/bench_qlora_cost.py --suite peer`).", ""]
    ok = [r for r in rows if "error" not in r]
    base = next((r for r in ok if r.get("lever") == "axolotl defaults"), None)
    unsloth = [r for r in ok if r.get("tool", "").startswith("unsloth")]
    peer, varlen = unsloth_reference(rows)  # its defaults: the reference (on its varlen path where run)
    ref = sum(r["slots_per_s"] for r in peer) / len(peer) if peer else None
    one_row = _ONE_ROW + _attention_note(unsloth) if any(r.get("layout") == "one row" for r in unsloth) else ""
    out += ["One card, one model folder (Mistral-7B shapes, random weights, the real tokenizer), r32 / alpha 64 "
            "on all linear layers, 4-bit NF4 base, paged 8-bit AdamW, 2048-token packed rows, the loss on responses "
            "only, gradient checkpointing. Unsloth and the bare PEFT loop (`benchmarks/bench_unsloth.py`) train on the "
            "very rows Axolotl prepared for the recipe in the suite's first case, packed to 2048 tokens and padded "
            f"like the recipe.{one_row} "
            f"{rows[0].get('steps')} steps timed after {rows[0].get('warmup')} warm-up steps. "
            f"*12 GB card*: peak reserved + {CONTEXT_GIB} GiB of CUDA context ≤ 11 GiB.", "",
            "| case | trainer | micro-batch | LoRA dropout | token slots/s | trainable tokens/s | × axolotl defaults | "
            "× Unsloth mb 8 | peak allocated GiB | reserved GiB | 12 GB card | torch, attention |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['name']} | {r.get('tool', 'axolotl')} | {r.get('micro_batch_size')} | | failed: {r['error']} "
                       "| | | | | | | |")
            continue
        dropout = r.get("lora_dropout", r.get("overrides", {}).get("lora_dropout", 0.05))
        twelve = "yes" if r["peak_reserved_gib"] + CONTEXT_GIB <= CARDS["12gb"][1] else "no"
        vs_base = f"{r['slots_per_s'] / base['slots_per_s']:.2f}" if base else "–"
        vs_peer = f"{r['slots_per_s'] / ref:.2f}" if ref else "–"
        out.append(f"| {r['name']} | {trainer(r)} | {r['micro_batch_size']} | {dropout} | "
                   f"{_fmt(r['slots_per_s'])} | {_fmt(r['trainable_per_s'])} | {vs_base} | {vs_peer} | "
                   f"{r['peak_gib']} | {r['peak_reserved_gib']} | {twelve} | {torch_and_attention(r)} |")
    out += ["", "*torch, attention*: the torch each side ran on (– where the row predates that record: torch 2.11, the "
            "GPU image's) and the attention it ran: Axolotl's model's attention function, or the packed-attention path "
            "Unsloth chose. *× Unsloth mb 8* is against Unsloth at micro-batch 8 with its defaults, on its "
            + ("varlen path (the rows that took it)." if varlen else "torch 2.11 fallback path (per-segment SDPA).")]
    pairs = recipe_pair(rows, varlen)
    if pairs and peer:
        lo, hi = _span(pairs, peer, "slots_per_s")
        tlo, thi = _span(pairs, peer, "trainable_per_s")
        setting = f" ({pairs[0]['lever']})" if varlen else ""
        trainable = f" and {tlo:.2f}–{thi:.2f}× its trainable tokens/s" if varlen else ""
        out += ["", f"The deciding pair, {len(pairs)} and {len(peer)} runs: the project's fastest setting{setting} is "
                f"{lo:.2f}–{hi:.2f}× Unsloth's token slots/s at micro-batch 8{trainable} (spread within each: "
                f"{_fmt(min(r['slots_per_s'] for r in pairs))}–{_fmt(max(r['slots_per_s'] for r in pairs))} and "
                f"{_fmt(min(r['slots_per_s'] for r in peer))}–{_fmt(max(r['slots_per_s'] for r in peer))})."]
    if timed := [r for r in rows if r.get("step_s_each")]:
        out += ["", "Every step's seconds, warm-up included (the timed ones are the last "
                f"{timed[0]['steps']}): " + "; ".join(f"**{r['name']}** " + " / ".join(f"{x:.1f}" for x in r["step_s_each"])
                                                    for r in timed) + "."]
    said: dict[tuple, list[dict]] = {}  # rows that printed the same lines, named together
    for r in (r for r in rows if r.get("tool_messages")):
        said.setdefault(tuple(r["tool_messages"]), []).append(r)
    for messages, alike in said.items():
        out += ["", f"What {alike[0]['tool'].split()[0].capitalize()} printed about its setup in "
                + ", ".join(f"**{r['name']}**" for r in alike) + ": " + "; ".join(f"“{m}”" for m in messages) + "."]
    profiled = [r for r in ok if isinstance(r.get("profile"), dict)]
    if profiled:
        out += ["", "One step after the timed ones under `torch.profiler`, the GPU kernels with the most time (ms):", ""]
        for r in profiled:
            out += [f"- **{r['name']}**: " + "; ".join(f"`{k['name'][:60]}` {k['ms']:.0f} ms (×{k['calls']})"
                                                      for k in _kernels(r["profile"]))]
        out += profile_table(profiled)
    if across := [r for r in unsloth if "layout" not in r]:
        attention = {r["tool"].split()[0]: sum(k["ms"] for k in r["profile"]["kernels"]
                                               if k["name"].startswith("aten::") and "attention" in k["name"])
                     for r in profiled}
        measured = (f" In the profiled step attention (forward and backward operators) took {attention['axolotl']:.0f} "
                    f"ms under Axolotl and {attention['unsloth']:.0f} ms under Unsloth."
                    if attention.get("axolotl") and attention.get("unsloth") else "")
        seq = f" of {across[0]['sequence_len']} tokens" if across[0].get("sequence_len") else ""
        out += ["", f"*Not yet the same work*: these {len(across)} Unsloth rows were fed each micro-batch as "
                f"rows{seq}. Unsloth {across[0]['tool'].split()[-1]} finds packed documents "
                "from restarting position ids only in a single row, so there each row's documents attended to the "
                "ones before them: one plain causal attention per row, where Axolotl applies a mask that keeps every "
                f"document to itself — another training, and attention kernels with no mask to apply.{measured} "
                "`benchmarks/bench_unsloth.py` now gives Unsloth each micro-batch as one row (its padding-free "
                "layout; such rows carry `layout`): only rows with that layout compare the same work."]
    return out + [""]


def build(perf: Path, out: Path) -> str:
    cost, multi, dp = _load(perf, "qlora_cost.json"), _load(perf, "qlora_multigpu.json"), _load(perf, "eval_dp.json")
    cost_before = _load(perf, "qlora_cost_before.json")
    # one lever suite per card: qlora_levers_<gpu>.json (or qlora_levers.json)
    lever_files = sorted(perf.glob("qlora_levers*.json"))
    levers = {f.stem.removeprefix("qlora_levers").strip("_") or "gpu": json.loads(f.read_text()) for f in lever_files}
    gpus = sorted({r.get("gpu") for rows in (cost, multi, *levers.values()) for r in rows or [] if r.get("gpu")})
    text = ["# Performance", "",
            f"Measured on {', '.join(gpus) or 'no GPU yet'} through the real Axolotl and lm-eval CLIs "
            "(`benchmarks/bench_qlora_cost.py`, `benchmarks/bench_eval_dp.py`, `benchmarks/bench_eval.py`; raw rows in `runs/perf/`, "
            "built by `python -m benchmarks.perf_report`). Every case is a fresh `axolotl.cli.train` process; rates "
            "are over the optimizer steps after the warm-up, timed after CUDA synchronisation; memory is the peak of "
            "`torch.cuda.max_memory_allocated` over the steps and the allocator's reserved memory at the end.", ""]
    notes = perf / "CONDITIONS.md"
    if notes.exists():
        text += ["## Run conditions", "", notes.read_text().strip(), ""]
    text += cost_section(cost, cost_before)
    peers = sorted(perf.glob("qlora_peer*.json"))
    text += peer_summary({f.name: json.loads(f.read_text()) for f in peers})
    text += parity_section({f.stem: json.loads(f.read_text()) for f in sorted(perf.glob("varlen_parity*.json"))})
    for f in peers or [None]:  # no file: one section saying so
        text += peer_section(json.loads(f.read_text()) if f else None, f.name if f and len(peers) > 1 else "")
    text += summary_section(levers)
    for card, rows in (levers or {"": None}).items():  # no file: one section saying so
        figure = lever_plot(rows, out.parent / f"performance_levers_{card}.png") if card else None
        text += lever_section(rows, figure, f"qlora_levers_{card}.json" if len(levers) > 1 else "",
                              _suite_levers(list(levers.values())))
    text += repeat_section(levers)
    text += multigpu_section(cost, multi, dp)
    text += eval_speed_section({f.stem: json.loads(f.read_text()) for f in sorted(perf.glob("eval_speed*.json"))},
                               out.parent)
    text += decode_section({f.stem: json.loads(f.read_text()) for f in sorted(perf.glob("decode_overhead*.json"))})
    for f in sorted(perf.glob("grading_cpu*.json")) or [None]:  # no file: one section saying so
        text += grading_section(json.loads(f.read_text()) if f else None, f.name if f else "")
    out.write_text("\n".join(text))
    return str(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--perf", default="runs/perf", help="folder of the benchmark JSON rows and CONDITIONS.md")
    p.add_argument("--out", default="reports/performance.md", help="the Markdown report (plots beside it)")
    a = p.parse_args()
    print(build(Path(a.perf), Path(a.out)))
