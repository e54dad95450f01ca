"""What the Mistral-7B QLoRA recipes cost on this GPU: peak memory and tokens/s, measured through the real
Axolotl CLI on a Mistral-7B-shaped model (random weights, real tokenizer, the recipes' own settings).

    python -m model_builders.random_mistral /tmp/mistral7b --shape 7b --device cuda      # once, ~14.5 GB
    python benchmarks/bench_qlora_cost.py --model /tmp/mistral7b --suite cost --out runs/perf/qlora_cost.json
    python benchmarks/bench_qlora_cost.py --model /tmp/mistral7b --suite levers --out runs/perf/qlora_levers_h100.json
    python benchmarks/bench_qlora_cost.py --model /tmp/mistral7b --suite multigpu --gpus 2 --out ...
    python benchmarks/bench_qlora_cost.py --model /tmp/mistral7b --suite peer --steps 4 --warmup 2 --out runs/perf/qlora_peer_h200.json

Each case is one `python -m axolotl.cli.train` run (or `accelerate launch` for several GPUs) of a recipe YAML
with a few overrides (base model, max_steps; what the case changes), in a fresh process. A small Axolotl plugin
(benchmarks/throughput_plugin.py) times every optimizer step after CUDA synchronisation and reads Axolotl's own token
counters: `slots` = token positions fed (padding included), `trainable` = response tokens (labels != -100).
Rates are taken over the steps after the warm-up. Peak memory is torch.cuda.max_memory_allocated per GPU, read at
every step end (axolotl resets the peak counters whenever it logs), and the allocator's reserved memory at the end.
The peer suite adds Unsloth (benchmarks/bench_unsloth.py) on the rows the suite's first Axolotl case prepared.
Prints one table per suite and writes the rows as JSON (`--out`), which `python -m benchmarks.perf_report` turns
into reports/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo's benchmarks/ importable as a package

from axolotl_configs import recipes  # noqa: E402
from benchmarks.perf_report import LIMIT_GIB, peak  # noqa: E402
from common.launch import TOOL_ENV, accelerate_launch  # noqa: E402
PLUGIN = "benchmarks.throughput_plugin.ThroughputPlugin"
GIB = 1024**3


@dataclass
class Case:
    name: str
    recipe: str  # axolotl_configs/NAME.yml
    overrides: dict = field(default_factory=dict)
    lever: str = ""  # what this case changes relative to its suite's baseline
    gpus: int = 1
    tool: str = "axolotl"  # or "unsloth": benchmarks/bench_unsloth.py on the rows Axolotl prepared for this recipe
    profile: bool = False  # one more step under torch.profiler after the timed ones (top kernels in the row)
    env: dict = field(default_factory=dict)  # environment for a peer's process (e.g. one of its switches)
    args: list = field(default_factory=list)  # extra arguments of a peer's script (bench_unsloth.py --varlen-gqa)


def cost_suite() -> list[Case]:
    """The recipes as committed: r32 full-size, r32 and r64 (the most LoRA memory) for 12 GB, r64 for the T4, r8
    full-size last; for r32 full, packing off and the LoRA dropout the recipes had (0.05, which keeps Axolotl's LoRA
    kernels off)."""
    cases = [Case(f"{recipe} packed", recipe) for recipe in (
        "mistral7b-code-r32", "mistral7b-code-r32-12gb", "mistral7b-code-r64-12gb", "mistral7b-code-r64-t4")]
    # without packing, rows are padded to the longest in the batch (axolotl's default when not packing)
    cases.append(Case("mistral7b-code-r32 unpacked", "mistral7b-code-r32",
                      {"sample_packing": False, "pad_to_sequence_len": False}, "packing off"))
    cases.append(Case("mistral7b-code-r32 dropout 0.05", "mistral7b-code-r32", {"lora_dropout": 0.05}, "dropout 0.05"))
    cases.append(Case("mistral7b-code-r8 packed", "mistral7b-code-r8"))
    return cases


# axolotl's defaults on the recipe's data and LoRA shape: the recipe's speed settings taken out again (a None
# removes the key: no Liger, no activation offloading), the LoRA dropout it had before it took them
BASELINE_2048 = {"sequence_len": 2048, "micro_batch_size": 1, "gradient_accumulation_steps": 4, "lora_dropout": 0.05,
                 "plugins": ["axolotl_configs.check.RecipeCheck"], "activation_offloading": None,
                 **{k: None for k in recipes.LIGER}}
LIGER = {"plugins": ["axolotl.integrations.liger.LigerPlugin"], **recipes.LIGER}
MB4 = {"micro_batch_size": 4, "gradient_accumulation_steps": 1}
MB8 = {"micro_batch_size": 8, "gradient_accumulation_steps": 1}
# one lever at a time (cheap ones first: a suite stopped early still has them), then pairs that need each other:
# Liger's fused linear cross-entropy never materialises the logits, which is what lets micro-batch 8 fit
LEVERS = {
    "Liger kernels": LIGER,
    "micro-batch 4": MB4,
    "micro-batch 8": MB8,
    "LoRA kernels off": {"lora_qkv_kernel": False, "lora_o_kernel": False, "lora_mlp_kernel": False},
    "Liger + micro-batch 4": {**LIGER, **MB4},
    "Liger + micro-batch 8": {**LIGER, **MB8},
    "flex attention": {"sdp_attention": None, "attn_implementation": "flex_attention"},
    "torch.compile": {"torch_compile": True},
    # every layer's activations kept: no recomputation (a third fewer matrix FLOPs), but is it under 12 GiB?
    "gradient checkpointing off": {"gradient_checkpointing": False},
    "Liger + micro-batch 8 + torch.compile": {**LIGER, **MB8, "torch_compile": True},
}
# Not tried: flash-attn is not installed on the GPU image (sdpa, with axolotl's varlen path for packed rows, is
# the attention backend).


def lever_suite() -> list[Case]:
    """The baseline shape (r32, one 2048-token packed row per micro-batch, axolotl defaults:
    sdpa, gradient checkpointing, LoRA kernels auto-enabled), then one lever at a time."""
    recipe = "mistral7b-code-r32"
    cases = [Case("baseline 2048", recipe, dict(BASELINE_2048), "axolotl defaults")]
    for lever, over in LEVERS.items():
        cases.append(Case(f"2048 + {lever}", recipe, {**BASELINE_2048, **over}, lever))
    return cases


def combined_case(rows: list[dict]) -> Case | None:
    """Baseline plus every single lever that sped it up by > 3 % and kept the peak under 12 GiB (of the
    micro-batch sizes, the fastest)."""
    base = next((r for r in rows if r["lever"] == "axolotl defaults" and r.get("slots_per_s")), None)
    if base is None:
        return None
    over, picked = dict(BASELINE_2048), []
    good = [r for r in rows if r["lever"] in LEVERS and " + " not in r["lever"] and r.get("slots_per_s")
            and r["slots_per_s"] > 1.03 * base["slots_per_s"] and peak(r) < LIMIT_GIB]
    batch = max((r for r in good if r["lever"].startswith("micro-batch")), key=lambda r: r["slots_per_s"], default=None)
    for r in good:
        if r["lever"].startswith("micro-batch") and r is not batch:
            continue
        over.update(LEVERS[r["lever"]])
        picked.append(r["lever"])
    if len(picked) < 2 or any({**BASELINE_2048, **o} == over for o in LEVERS.values()):  # nothing new to measure
        return None
    return Case("2048 combined", "mistral7b-code-r32", over, " + ".join(picked))


def multigpu_suite(gpus: int) -> list[Case]:
    """The same recipe on 1 GPU and data-parallel on N (DDP; and FSDP2, the multi-GPU recipe variant)."""
    recipe = "mistral7b-code-r32"
    return [Case("r32 packed, 1 GPU", recipe, {}, "1 GPU", 1),
            Case(f"r32 packed, {gpus} GPUs DDP", recipe, {}, "DDP", gpus),
            Case(f"r32 packed, {gpus} GPUs FSDP2", f"fsdp/{recipe}", {}, "FSDP2", gpus)]


DROPOUT0 = {"lora_dropout": 0.0}  # Axolotl's LoRA kernels (lora_*_kernel) only switch on without dropout
BEST = {**LIGER, **MB8, **DROPOUT0}
# packed rows on torch's flash varlen kernel instead of SDPA with a block-diagonal mask (the recipes' plugin)
VARLEN = {"plugins": [*LIGER["plugins"], "axolotl_configs.varlen_attention.VarlenAttentionPlugin"]}
BEST_VARLEN = {**BEST, **VARLEN}


def peer_suite() -> list[Case]:
    """Unsloth against the project's recipe on the same card in the same run: axolotl's defaults (the ratio's
    baseline), the fastest setting measured so far, Unsloth at micro-batch 8, the deciding pair again with a profiled
    step, then the 12 GB candidates and the levers still untried."""
    r = "mistral7b-code-r32"
    best = "2048 + Liger + micro-batch 8 + dropout 0"
    unsloth = {**BASELINE_2048, **MB8, **DROPOUT0}
    return [Case("baseline 2048", r, dict(BASELINE_2048), "axolotl defaults"),
            Case(best, r, {**BASELINE_2048, **BEST}, "Liger + micro-batch 8 + dropout 0"),
            Case("unsloth micro-batch 8", r, unsloth, "Unsloth", tool="unsloth"),
            Case(f"{best} (run 2)", r, {**BASELINE_2048, **BEST}, "Liger + micro-batch 8 + dropout 0", profile=True),
            Case("unsloth micro-batch 8 (run 2)", r, unsloth, "Unsloth", tool="unsloth", profile=True),
            # Unsloth compiles each decoder layer as one region by default (unsloth/models/_block_compile.py)
            Case("unsloth micro-batch 8, block compile off", r, unsloth, "Unsloth without its block compile",
                 tool="unsloth", env={"UNSLOTH_BLOCK_COMPILE": "0"}),
            Case("2048 + Liger + micro-batch 4 + dropout 0", r, {**BASELINE_2048, **LIGER, **MB4, **DROPOUT0},
                 "Liger + micro-batch 4 + dropout 0"),
            Case("unsloth micro-batch 12", r, {**unsloth, "micro_batch_size": 12}, "Unsloth", tool="unsloth"),
            Case(f"{best} + activation offloading", r, {**BASELINE_2048, **BEST, "activation_offloading": True},
                 "Liger + micro-batch 8 + dropout 0 + activation offloading"),
            Case("peft loop micro-batch 8", r, unsloth, "the same loop without Unsloth", tool="peft"),
            # the deciding pair on Unsloth's users' path: its flash-varlen attention (torch >= 2.12, stood in for on
            # torch 2.11 by --varlen-gqa) against the recipe on flash varlen too
            *varlen_cases(r, best, unsloth)]


def varlen_cases(r: str, best: str, unsloth: dict) -> list[Case]:
    lever, gqa = "Liger + micro-batch 8 + dropout 0 + flash varlen", ["--varlen-gqa"]
    peer = "Unsloth, varlen_attn given enable_gqa"
    return [Case(f"{best} + varlen", r, {**BASELINE_2048, **BEST_VARLEN}, lever),
            Case("unsloth micro-batch 8, varlen", r, unsloth, peer, tool="unsloth", args=gqa),
            Case(f"{best} + varlen (run 2)", r, {**BASELINE_2048, **BEST_VARLEN}, lever, profile=True),
            Case("unsloth micro-batch 8, varlen (run 2)", r, unsloth, peer, tool="unsloth", args=gqa, profile=True),
            # Unsloth's memory comes from offloading the checkpointed layer inputs to pinned host memory
            Case(f"{best} + varlen + offloading (legacy)", r,
                 {**BASELINE_2048, **BEST_VARLEN, "activation_offloading": "legacy"}, f"{lever} + activation offloading (legacy)"),
            Case(f"{best} + varlen + offloading (hidden_states)", r,
                 {**BASELINE_2048, **BEST_VARLEN, "activation_offloading": "hidden_states"},
                 f"{lever} + activation offloading (hidden_states)"),
            # the allocator grows segments instead of caching fixed blocks: reserved memory near allocated
            *[Case(f"{best} + varlen + offloading (hidden_states), expandable segments{run}", r,
                   {**BASELINE_2048, **BEST_VARLEN, "activation_offloading": "hidden_states"},
                   f"{lever} + activation offloading (hidden_states) + expandable segments", profile=bool(run),
                   env={"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}) for run in ("", " (run 2)")],
            # with the activations on the host, room for larger micro-batches on both sides
            *[Case(f"2048 + Liger + micro-batch {mb} + dropout 0 + varlen + offloading (hidden_states), expandable segments",
                   r, {**BASELINE_2048, **BEST_VARLEN, "micro_batch_size": mb, "activation_offloading": "hidden_states"},
                   f"Liger + micro-batch {mb} + dropout 0 + flash varlen + activation offloading (hidden_states) + "
                   "expandable segments", env={"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}) for mb in (16,)],
            Case("unsloth micro-batch 16, varlen", r, {**unsloth, "micro_batch_size": 16}, peer, tool="unsloth", args=gqa),
            # the 12 GB profile's shape: micro-batch 4
            Case("2048 + Liger + micro-batch 4 + dropout 0 + varlen", r,
                 {**BASELINE_2048, **BEST_VARLEN, **MB4}, "Liger + micro-batch 4 + dropout 0 + flash varlen"),
            Case("unsloth micro-batch 4, varlen", r, {**unsloth, "micro_batch_size": 4}, peer, tool="unsloth", args=gqa)]


SUITES = {"cost": cost_suite, "levers": lever_suite, "peer": peer_suite}


def run_logged(cmd: list[str], env: dict, workdir: Path, timeout: int) -> tuple[int | str, float]:
    """Run one case's process with its output in workdir/log.txt: (exit status or "timeout", wall seconds)."""
    started = time.perf_counter()
    with open(workdir / "log.txt", "w") as log:
        try:
            rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    return rc, round(time.perf_counter() - started, 1)


def log_tail(workdir: Path) -> list[str]:
    return (workdir / "log.txt").read_text(errors="replace").splitlines()[-15:]


def tool_messages(workdir: Path, tool: str) -> list[str]:
    """What the peer printed about its own setup (Unsloth's lines start "Unsloth"), each line once, in order."""
    mark = tool.split()[0].capitalize()
    lines = (workdir / "log.txt").read_text(errors="replace").splitlines()
    return list(dict.fromkeys(line.strip() for line in lines if line.startswith(mark)))[:30]


def run_peer(case: Case, model: str, steps: int, warmup: int, workdir: Path, timeout: int, extra: dict) -> dict:
    """bench_unsloth.py on the rows an earlier Axolotl case of this run prepared at the same sequence length."""
    o = case.overrides
    data = workdir.parent / f"prepared-{o.get('sequence_len', 2048)}"
    row = {**asdict(case), "steps": steps, "warmup": warmup, "sequence_len": o.get("sequence_len"),
           "micro_batch_size": o.get("micro_batch_size"), "grad_accum": 1, "lora_r": 32}
    if not data.exists():
        return {**row, "error": f"no Axolotl-prepared rows at {data}: run an Axolotl case of this length first"}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_unsloth.py"), "--model", model, "--data", str(data),
           "--backend", case.tool, "--micro-batch", str(o["micro_batch_size"]), "--seq", str(o["sequence_len"]),
           "--dropout", str(o.get("lora_dropout", 0.0)), "--steps", str(steps), "--warmup", str(warmup),
           "--name", case.name, "--lever", case.lever, "--out", str(workdir / "row.json"),
           *(["--no-4bit"] if extra.get("load_in_4bit") is False else []), *(["--profile"] if case.profile else []),
           *case.args]
    env = {**os.environ, **TOOL_ENV, "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0],
           **case.env}
    rc, wall = run_logged(cmd, env, workdir, timeout)
    said = {"tool_messages": tool_messages(workdir, case.tool)}
    if rc != 0 or not (workdir / "row.json").exists():
        return {**row, "wall_s": wall, "error": f"exit {rc}", "log_tail": log_tail(workdir), **said}
    return {**row, **json.loads((workdir / "row.json").read_text())[0], "recipe": case.recipe,
            "overrides": case.overrides, "wall_s": wall, **said}


def case_config(case: Case, extra: dict | None = None) -> dict:
    """The recipe YAML with the case's overrides and `extra` applied; a None removes the key."""
    cfg = yaml.safe_load((ROOT / "axolotl_configs" / f"{case.recipe}.yml").read_text())
    cfg.update(case.overrides)
    cfg.update(extra or {})
    return {k: v for k, v in cfg.items() if v is not None}


def run_case(case: Case, model: str, steps: int, warmup: int, workdir: Path, timeout: int,
             extra: dict | None = None) -> dict:
    if case.tool != "axolotl":
        return run_peer(case, model, steps, warmup, workdir, timeout, extra or {})
    cfg = case_config(case, extra)
    cfg.update(base_model=model, max_steps=steps + warmup + int(case.profile), output_dir=str(workdir / "out"), save_strategy="no",
               val_set_size=0, test_datasets=None, evals_per_epoch=None, saves_per_epoch=None, logging_steps=1,
               dataset_prepared_path=str(workdir.parent / f"prepared-{cfg.get('sequence_len')}"))
    cfg.pop("eval_sample_packing", None)
    cfg["plugins"] = [*cfg.get("plugins", []), PLUGIN]
    path = workdir / "config.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    launch = [sys.executable] if case.gpus == 1 else [*accelerate_launch(case.gpus), "--mixed_precision", "bf16"]
    launch += ["-m", "axolotl.cli.train"]
    env = {**os.environ, **TOOL_ENV, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "CODELORA_THROUGHPUT_DIR": str(workdir), **({"CODELORA_PROFILE_STEP": str(steps + warmup + 1)} if case.profile else {}),
           **case.env}
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")  # a 1-GPU case must not see the others: Transformers would
    if visible or case.gpus == 1:                      # spread the model over every visible GPU (device_map auto)
        ids = visible.split(",") if visible else [str(i) for i in range(case.gpus)]
        env["CUDA_VISIBLE_DEVICES"] = ",".join(ids[:case.gpus])
    row = {**asdict(case), "steps": steps, "warmup": warmup, "sequence_len": cfg.get("sequence_len"),
           "micro_batch_size": cfg.get("micro_batch_size"), "grad_accum": cfg.get("gradient_accumulation_steps"),
           "lora_r": cfg.get("lora_r"), "activation_offloading": cfg.get("activation_offloading", False)}
    rc, row["wall_s"] = run_logged([*launch, str(path)], env, workdir, timeout)
    ranks = sorted(workdir.glob("throughput-rank*.json"))
    if rc != 0 or not ranks:
        return {**row, "error": f"exit {rc}", "log_tail": log_tail(workdir)}
    per_rank = [json.loads(p.read_text()) for p in ranks]
    steps_log = per_rank[0]["steps"]
    if len(steps_log) <= warmup:
        return {**row, "error": f"only {len(steps_log)} steps logged"}
    timed = steps_log[warmup:warmup + steps]  # a profiled step after them is not timed
    a = steps_log[warmup - 1] if warmup else per_rank[0]["begin"]
    b = timed[-1]
    dt = b["t"] - a["t"]
    # axolotl's counters are summed over ranks already
    row.update(slots_per_s=round((b["slots"] - a["slots"]) / dt), trainable_per_s=round((b["trainable"] - a["trainable"]) / dt),
               step_s=round(dt / len(timed), 3),
               peak_gib=round(max(r["peak_allocated"] for r in per_rank) / GIB, 2),
               peak_reserved_gib=round(max(r["peak_reserved"] for r in per_rank) / GIB, 2),
               peak_gib_per_gpu=[round(r["peak_allocated"] / GIB, 2) for r in per_rank],
               gpu=per_rank[0]["gpu"], world_size=per_rank[0]["world_size"], peak_tracking="per-step",
               torch=per_rank[0].get("torch"), attention=per_rank[0].get("attention"),
               timed_steps=len(timed))
    if (workdir / "throughput-profile.json").exists():
        row["profile"] = json.loads((workdir / "throughput-profile.json").read_text())
    return row


def print_table(rows: list[dict]) -> None:
    head = f"{'case':44} {'seq':>5} {'mb':>3} {'slots/s':>8} {'trainable/s':>11} {'peak GiB':>8} {'step s':>7}"
    print(head + "\n" + "-" * len(head))
    for r in rows:
        if "error" in r:
            print(f"{r['name']:44} {'':>5} {'':>3} failed: {r['error']}")
            continue
        print(f"{r['name']:44} {r['sequence_len']:>5} {r['micro_batch_size']:>3} {r['slots_per_s']:>8,} "
              f"{r['trainable_per_s']:>11,} {r.get('peak_gib', '-'):>8} {r['step_s']:>7}")  # no peak without a GPU


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a Mistral-7B-shaped folder (model_builders.random_mistral --shape 7b)")
    p.add_argument("--suite", choices=[*SUITES, "multigpu"], required=True)
    p.add_argument("--gpus", type=int, default=2, help="GPUs for the multigpu suite")
    p.add_argument("--only", nargs="*", help="case names to run, in this order (default: the whole suite)")
    p.add_argument("--steps", type=int, default=3, help="optimizer steps measured after the warm-up")
    p.add_argument("--warmup", type=int, default=2, help="optimizer steps run before timing starts")
    p.add_argument("--timeout", type=int, default=600, help="seconds per case")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="extra Axolotl overrides for every case, VALUE in YAML (e.g. lora_qkv_kernel=false)")
    p.add_argument("--out", help="JSON file for the rows (appended to, so an interrupted suite can go on)")
    a = p.parse_args(argv)
    extra = {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in a.set)}
    cases = multigpu_suite(a.gpus) if a.suite == "multigpu" else SUITES[a.suite]()
    if a.only:  # in the order given
        by_name = {c.name: c for c in cases}
        if unknown := [n for n in a.only if n not in by_name]:
            p.error(f"no case {unknown} in this suite; its cases: {list(by_name)}")
        cases = [by_name[n] for n in a.only]
    for i, case in enumerate(cases):  # a peer trains on rows an Axolotl case of this invocation prepared (run_peer)
        seq = case.overrides.get("sequence_len", 2048)
        if case.tool != "axolotl" and not any(c.tool == "axolotl" and c.overrides.get("sequence_len", 2048) == seq
                                              for c in cases[:i]):
            p.error(f"case {case.name!r} trains on the rows an Axolotl case of {seq} tokens prepares earlier in the "
                    "same run: name one before it in --only")
    out = Path(a.out) if a.out else None
    rows = json.loads(out.read_text()) if out and out.exists() else []
    done = {r["name"] for r in rows if "error" not in r}
    work = Path(tempfile.mkdtemp(prefix="qlora-cost-"))

    def record(case: Case) -> None:
        if case.name in done:
            return
        print(f"[{time.strftime('%H:%M:%S')}] {case.name}", file=sys.stderr, flush=True)
        d = work / f"case{len(rows):02d}"
        d.mkdir()
        rows[:] = [r for r in rows if r["name"] != case.name] + [run_case(case, a.model, a.steps, a.warmup, d, a.timeout, extra)]
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(rows, indent=1))

    for case in cases:
        record(case)
    if a.suite == "levers" and (combo := combined_case(rows)):  # from this run's rows and those it resumed
        record(combo)
    print_table(rows)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
