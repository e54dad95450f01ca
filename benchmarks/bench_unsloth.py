"""The peer on the same work: Unsloth's QLoRA (FastLanguageModel) trained on the rows Axolotl prepared for the
recipe, in a bare loop, timed like benchmarks/bench_qlora_cost.py times Axolotl.

    python benchmarks/bench_unsloth.py --model /tmp/mistral7b --data PREPARED --micro-batch 8 --out rows.json

The same work as the recipe's Axolotl run: the same model folder and tokenizer, LoRA r32 / alpha 64 on all seven
linear projections of every layer, 4-bit NF4 base with double quantisation and bf16 compute, paged 8-bit AdamW at
2e-4, and the very rows Axolotl tokenised (PREPARED: its `dataset_prepared_path`, e.g. the `prepared-2048` folder
bench_qlora_cost.py leaves), packed into SEQ-token rows (position ids restart at every row, padded to SEQ like the
recipe's pad_to_sequence_len; Unsloth gets each micro-batch's rows end to end in one row, its padding-free layout,
the only one in which it keeps each document's attention to itself) with the loss on response tokens only (Axolotl's
labels). Gradient checkpointing on (Unsloth's own, "unsloth"). Steps are timed after CUDA synchronisation, after
WARMUP steps; `slots` = token positions fed (padding included), `trainable` = tokens with a label; `step_s_each`:
every step's seconds, warm-up included (a compiler still at work shows there). --backend peft
runs the same loop on Transformers + PEFT + bitsandbytes without Unsloth (in rows: Transformers masks each row's
documents apart from their position ids): what the loop alone gives. --profile adds one step under
torch.profiler after the timed ones (top kernels in the row). --varlen-gqa gives torch's
`torch.nn.attention.varlen.varlen_attn` the `enable_gqa` keyword torch 2.12 added (K/V heads repeated when it is set),
in this process only, before Unsloth is imported: Unsloth 2026.10 takes its packed flash-varlen path only when that
keyword exists, so on torch 2.11 this stands in for the newer torch its users install (the row says so, in
`torch_shim`). Every row records the torch it ran on and the attention path Unsloth chose (`unsloth_attention`).
Appends one row to --out (the format of bench_qlora_cost.py's rows, `tool` naming the trainer).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GIB = 1024**3
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def prepared_rows(folder: Path) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) of every row Axolotl saved under its dataset_prepared_path (save_to_disk folders)."""
    from datasets import load_from_disk

    saved = sorted({p.parent for p in folder.rglob("state.json")})
    if not saved:
        raise SystemExit(f"no dataset saved by Axolotl under {folder} (expected a save_to_disk folder with state.json)")
    ds = max((load_from_disk(str(d)) for d in saved), key=len)  # the training split (no validation split here)
    missing = {"input_ids", "labels"} - set(ds.column_names)
    if missing:
        raise SystemExit(f"{folder}: the prepared dataset has no column {sorted(missing)} (columns: {ds.column_names})")
    return list(zip(ds["input_ids"], ds["labels"]))


def pack(rows: list[tuple[list[int], list[int]]], seq: int, pad_id: int, seed: int = 42) -> list[dict]:
    """Rows in a seeded random order, packed greedily into seq-token rows, each padded to seq (labels -100 there)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    packed, cur = [], {"input_ids": [], "labels": [], "position_ids": []}

    def close():
        n = len(cur["input_ids"])
        if n:
            packed.append({"tokens": n, "input_ids": cur["input_ids"] + [pad_id] * (seq - n), "labels": cur["labels"] + [-100] * (seq - n),
                           "position_ids": cur["position_ids"] + list(range(seq - n))})

    for i in order:
        ids, labels = rows[i][0][:seq], rows[i][1][:seq]
        if len(cur["input_ids"]) + len(ids) > seq:
            close()
            cur = {"input_ids": [], "labels": [], "position_ids": []}
        cur["input_ids"] += ids
        cur["labels"] += labels
        cur["position_ids"] += list(range(len(ids)))
    close()
    return packed


def model_inputs(batch: list[dict], one_row: bool) -> dict[str, list[list[int]]]:
    """A micro-batch as the model is fed: rows of SEQ tokens, or (one_row) those rows end to end in a single row,
    Unsloth's padding-free layout. Unsloth 2026.10 finds packed documents' boundaries from the restarting position ids
    only in a single row; given several rows, its attention runs causally across the documents of each row, with no
    mask to apply: cheaper than Axolotl's masked attention, and not the same training."""
    keys = ("input_ids", "labels", "position_ids")
    if one_row:
        return {k: [[v for r in batch for v in r[k]]] for k in keys}
    return {k: [r[k] for r in batch] for k in keys}


def installed(*packages: str) -> dict[str, str | None]:
    """Version of each package installed here, None where absent: which attention kernels a trainer could pick."""
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def give_varlen_enable_gqa() -> str | None:
    """Wrap torch's varlen_attn with an `enable_gqa` keyword where it has none (torch < 2.12): K/V heads repeated
    to the query's when set, then the original kernel. Returns what was done (None: the keyword was there)."""
    import functools
    import inspect

    import torch
    import torch.nn.attention.varlen as varlen

    original = varlen.varlen_attn
    sig = inspect.signature(original)
    if "enable_gqa" in sig.parameters:
        return None

    @functools.wraps(original)
    def varlen_attn(query, key, value, *args, enable_gqa: bool = False, **kwargs):
        if enable_gqa and key.shape[-2] != query.shape[-2]:  # (tokens, heads, head_dim)
            groups = query.shape[-2] // key.shape[-2]
            key, value = key.repeat_interleave(groups, -2), value.repeat_interleave(groups, -2)
        return original(query, key, value, *args, **kwargs)

    extra = inspect.Parameter("enable_gqa", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool)
    params = list(sig.parameters.values())
    varlen_attn.__signature__ = sig.replace(parameters=[*params, extra] if params[-1].kind != inspect.Parameter.VAR_KEYWORD
                                            else [*params[:-1], extra, params[-1]])
    varlen.varlen_attn = varlen_attn
    return f"torch {torch.__version__} varlen_attn given enable_gqa (K/V heads repeated), as torch 2.12 has it"


def unsloth_attention() -> str:
    """The packed-attention path Unsloth's dispatcher chose at import (unsloth/utils/attention_dispatch.py)."""
    try:
        from unsloth.utils import attention_dispatch as d
    except Exception as e:  # noqa: BLE001 - another Unsloth layout: say so in the row
        return f"unknown ({type(e).__name__})"
    if getattr(d, "_TORCH_VARLEN_ATTN", None) is None:
        return "per-segment SDPA (torch varlen_attn not taken)"
    lean = " through aten flash (its lean path)" if getattr(d, "_LEAN_VARLEN", False) else ""
    return f"torch varlen flash{lean}"


def load(backend: str, model: str, seq: int, rank: int, alpha: int, dropout: float, four_bit: bool):
    import torch

    if backend == "unsloth":
        import unsloth  # noqa: F401  (patches Transformers; must come first)
        from unsloth import FastLanguageModel

        m, tok = FastLanguageModel.from_pretrained(model_name=model, max_seq_length=seq, dtype=torch.bfloat16,
                                                   load_in_4bit=four_bit, local_files_only=True)
        m = FastLanguageModel.get_peft_model(m, r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=TARGETS,
                                             bias="none", use_gradient_checkpointing="unsloth", random_state=42)
        return m, tok, f"unsloth {unsloth.__version__}"
    import peft
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16) if four_bit else None
    m = AutoModelForCausalLM.from_pretrained(model, dtype=torch.bfloat16, quantization_config=quant,
                                             attn_implementation="sdpa",
                                             device_map={"": 0} if torch.cuda.is_available() else None)
    if four_bit:
        m = prepare_model_for_kbit_training(m, use_gradient_checkpointing=True)
    else:
        m.gradient_checkpointing_enable()
        m.enable_input_require_grads()
    m = get_peft_model(m, LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=TARGETS,
                                     bias="none", task_type="CAUSAL_LM"))
    return m, AutoTokenizer.from_pretrained(model), f"transformers + peft {peft.__version__}"


def optimizer(params, four_bit: bool):
    import torch

    if four_bit:
        import bitsandbytes as bnb
        return bnb.optim.PagedAdamW8bit(params, lr=2e-4, weight_decay=0.0)
    return torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)


def run(a) -> dict:
    import torch

    from benchmarks.step_profile import profiler, top_kernels

    cuda = torch.cuda.is_available()
    started = time.perf_counter()
    shim = give_varlen_enable_gqa() if a.varlen_gqa else None
    model, tok, tool = load(a.backend, a.model, a.seq, a.rank, a.alpha, a.dropout, not a.no_4bit)
    device = next(p for p in model.parameters() if p.requires_grad).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    rows = pack(prepared_rows(Path(a.data)), a.seq, pad)
    total = a.warmup + a.steps + int(a.profile)
    need = total * a.micro_batch
    if len(rows) < need:
        raise SystemExit(f"{a.data}: {len(rows)} packed rows of {a.seq} tokens, the run needs {need}")
    opt = optimizer([p for p in model.parameters() if p.requires_grad], not a.no_4bit)
    model.train()
    marks, each, slots, trainable, prof = [], [], 0, 0, None
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    step_began = time.perf_counter()
    for step in range(total):
        if a.profile and step == a.warmup + a.steps:
            prof = profiler()
            prof.__enter__()
        batch = rows[step * a.micro_batch:(step + 1) * a.micro_batch]
        t = {k: torch.tensor(v, device=device) for k, v in model_inputs(batch, a.backend == "unsloth").items()}
        loss = model(input_ids=t["input_ids"], labels=t["labels"], position_ids=t["position_ids"]).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        if prof is not None:
            prof.__exit__(None, None, None)
            break
        slots += t["input_ids"].numel()
        trainable += int((t["labels"] != -100).sum())  # as Axolotl counts its trainable tokens
        marks.append((time.perf_counter(), slots, trainable, float(loss)))
        each.append(marks[-1][0] - step_began)
        step_began = marks[-1][0]
        # a run cut short by its caller's time limit shows how far it came
        print(f"step {step + 1}/{total}: {each[-1]:.3f} s", file=sys.stderr, flush=True)
        if step == a.warmup + a.steps - 1 and cuda:
            peak, reserved = torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved()
    (t0, s0, r0, _), (t1, s1, r1, last_loss) = marks[a.warmup - 1], marks[-1]
    row = {"name": a.name or f"{tool.split()[0]} r{a.rank} micro-batch {a.micro_batch}", "tool": tool,
           "lever": a.lever, "steps": a.steps, "warmup": a.warmup, "sequence_len": a.seq,
           "micro_batch_size": a.micro_batch, "layout": "one row" if a.backend == "unsloth" else "rows",
           "grad_accum": 1, "lora_r": a.rank, "lora_dropout": a.dropout,
           "slots_per_s": round((s1 - s0) / (t1 - t0)), "trainable_per_s": round((r1 - r0) / (t1 - t0)),
           "step_s": round((t1 - t0) / a.steps, 3), "loss_last": round(last_loss, 4),
           "step_s_each": [round(x, 3) for x in each],
           "packing_efficiency": round(sum(r["tokens"] for r in rows) / (len(rows) * a.seq), 4),
           "wall_s": round(time.perf_counter() - started, 1), "peak_tracking": "per-step",
           "attention_libraries": installed("flash_attn", "xformers"), "torch": torch.__version__}
    if a.backend == "unsloth":
        row["unsloth_attention"] = unsloth_attention()
        print(f"Unsloth packed attention: {row['unsloth_attention']}", file=sys.stderr)
    if shim:
        row["torch_shim"] = shim
    if cuda:
        row.update(peak_gib=round(peak / GIB, 2), peak_reserved_gib=round(reserved / GIB, 2),
                   gpu=torch.cuda.get_device_name())
    if prof is not None:
        row["profile"] = top_kernels(prof)
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a Hugging Face model folder (model_builders.random_mistral --shape 7b)")
    p.add_argument("--data", required=True, help="Axolotl's dataset_prepared_path for the recipe at this --seq")
    p.add_argument("--backend", choices=["unsloth", "peft"], default="unsloth")
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--micro-batch", type=int, default=8)
    p.add_argument("--rank", type=int, default=32)
    p.add_argument("--alpha", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.0, help="LoRA dropout (Unsloth's fast path needs 0)")
    p.add_argument("--steps", type=int, default=4, help="optimizer steps timed after the warm-up")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--profile", action="store_true", help="one more step under torch.profiler (not timed)")
    p.add_argument("--varlen-gqa", action="store_true",
                   help="give torch < 2.12's varlen_attn the enable_gqa keyword (this process only; see above)")
    p.add_argument("--no-4bit", action="store_true", help="bf16 base, plain AdamW (CPU smoke runs only)")
    p.add_argument("--name", help="the row's name (default: tool, rank and micro-batch)")
    p.add_argument("--lever", default="peer")
    p.add_argument("--out", help="JSON list to append the row to")
    a = p.parse_args(argv)
    if a.warmup < 1:
        p.error("--warmup must be at least 1: the first step's end is where timing starts")
    row = run(a)
    print(json.dumps({k: v for k, v in row.items() if k != "profile"}))
    if a.out:
        out = Path(a.out)
        rows = json.loads(out.read_text()) if out.exists() else []
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps([r for r in rows if r["name"] != row["name"]] + [row], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
