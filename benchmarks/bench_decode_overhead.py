"""What one greedy decoding step costs the host, apart from the arithmetic.

    python benchmarks/bench_decode_overhead.py --config models/gemma-3-270m \
        --adapter runs/gemma_grid/adapters/gemma3-270m-code-r8 --device cuda --batch 256 --steps 128

The evaluated model's structure (its config: layers, heads, attention pattern; the adapter's LoRA rank and targets)
is built with random weights and tiny widths, so that a step's time is Python, PyTorch's dispatch and kernel
launches: what `bench_eval.py`'s "ms per step" waits on when a 270M model decodes 256 rows on a fast GPU. Each case
runs the same operations in the same order and must generate the first case's tokens (checked, printed):

  peft                       the adapter as PEFT wraps it (lm-eval's `peft=` loads it so)
  peft, inference_mode       the same under torch.inference_mode instead of no_grad
  lean LoRA                  each LoRA layer as PEFT computes it, base(x) + B(A(x)) * scaling, without its Python
  lean LoRA, inference_mode
  no adapter                 the base structure alone: the floor (other tokens; not compared)

Not measured here: lm-eval's stop-string checks (bench_eval.py times them) and the arithmetic itself.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from peft.tuners.lora import Linear as LoraLinear
from transformers import AutoConfig, AutoModelForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_eval import host  # noqa: E402

TINY = {"hidden_size": 64, "intermediate_size": 128, "head_dim": 16, "vocab_size": 1024}


def tiny_model(config: str, dtype: torch.dtype, device: str):
    cfg = AutoConfig.from_pretrained(config)
    cfg = getattr(cfg, "text_config", cfg)
    for k, v in TINY.items():
        setattr(cfg, k, v)
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(cfg).to(device=device, dtype=dtype).eval()


def with_adapter(model, adapter: Path):
    a = json.loads((adapter / "adapter_config.json").read_text())
    lora = LoraConfig(r=a["r"], lora_alpha=a["lora_alpha"], lora_dropout=a["lora_dropout"],
                      target_modules=a["target_modules"], use_rslora=a.get("use_rslora", False))
    wrapped = get_peft_model(model, lora).eval()
    g = torch.Generator(next(model.parameters()).device).manual_seed(1)
    with torch.no_grad():  # B starts at zero: give it weights so that the adapter changes the tokens
        for name, p in wrapped.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.05, generator=g)
    return wrapped


def lean_lora(model) -> int:
    """Give each plain PEFT LoRA layer (one active adapter, no DoRA, not merged, eval mode) a forward of the same
    three linears, cast, multiply, add and cast back in PEFT's order (PEFT keeps a bf16 base's adapter in float32 and
    casts the input to it). Returns how many."""
    n = 0
    for m in model.modules():
        if not (isinstance(m, LoraLinear) and not m.merged and not m.lora_variant and not m.training
                and len(m.active_adapters) == 1 and isinstance(m.base_layer, torch.nn.Linear)):
            continue
        name = m.active_adapters[0]
        w, b = m.base_layer.weight, m.base_layer.bias
        a, bw, s = m.lora_A[name].weight, m.lora_B[name].weight, m.scaling[name]

        def forward(x, w=w, b=b, a=a, bw=bw, s=s):
            result = F.linear(x, w, b)
            x = x if x.dtype == a.dtype else x.to(dtype=a.dtype)
            return (result + F.linear(F.linear(x, a), bw) * s).to(result.dtype)
        m.forward = forward
        n += 1
    return n


def decode(model, ids, mask, steps: int, mode: str, repeats: int, device: str) -> tuple[float, torch.Tensor]:
    """Best ms per step over `repeats` generations of exactly `steps` new tokens, and the tokens."""
    best, out = float("inf"), None
    for _ in range(repeats):
        ctx = torch.inference_mode() if mode == "inference_mode" else torch.no_grad()
        with ctx:
            if device == "cuda":
                torch.cuda.synchronize()
            began = time.perf_counter()
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=steps, min_new_tokens=steps,
                                 do_sample=False, pad_token_id=0)
            if device == "cuda":
                torch.cuda.synchronize()
            best = min(best, (time.perf_counter() - began) * 1000 / steps)
    return best, out.clone()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="the evaluated model's folder or hub id (only its config is read)")
    p.add_argument("--adapter", type=Path, required=True, help="the adapter's folder (only adapter_config.json)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch", type=int, default=256, help="rows decoded together (the evaluation's batch)")
    p.add_argument("--prompt", type=int, default=64, help="prompt tokens per row")
    p.add_argument("--steps", type=int, default=128, help="new tokens per generation")
    p.add_argument("--repeats", type=int, default=3, help="generations per case; the fastest counts")
    p.add_argument("--dtype", choices=["bfloat16", "float32"], help="default: bfloat16 on cuda, float32 on cpu")
    p.add_argument("--out", type=Path, help="JSON file for the rows")
    a = p.parse_args(argv)
    dtype = getattr(torch, a.dtype) if a.dtype else torch.bfloat16 if a.device == "cuda" else torch.float32
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(3, TINY["vocab_size"], (a.batch, a.prompt), generator=g).to(a.device)
    mask = torch.ones_like(ids)
    mask[1::2, : a.prompt // 4] = 0  # left padding on every other row, as lm-eval pads a batch

    model = with_adapter(tiny_model(a.config, dtype, a.device), a.adapter)
    rows, first = [], None
    for label, mode in (("peft", "no_grad"), ("peft, inference_mode", "inference_mode"),
                        ("lean LoRA", "no_grad"), ("lean LoRA, inference_mode", "inference_mode")):
        if label == "lean LoRA":
            lean_layers = lean_lora(model)
            print(f"lean LoRA: {lean_layers} layers", flush=True)
            if not lean_layers:
                raise SystemExit("no LoRA layer could be given the lean forward: the lean cases would measure PEFT")
        ms, out = decode(model, ids, mask, a.steps, mode, a.repeats, a.device)
        first = out if first is None else first
        rows.append({"case": label, "ms_per_step": round(ms, 3), "same_tokens": bool(torch.equal(out, first))})
    base = tiny_model(a.config, dtype, a.device)
    ms, _ = decode(base, ids, mask, a.steps, "no_grad", a.repeats, a.device)
    rows.append({"case": "no adapter", "ms_per_step": round(ms, 3), "same_tokens": None})

    machine = {"device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu", **host(),
               "batch": a.batch, "prompt": a.prompt, "steps": a.steps, "dtype": str(dtype).removeprefix("torch."),
               "lean_layers": lean_layers, "torch": torch.__version__}
    print(f"{machine['device']} ({machine['cpu_model']}), batch {a.batch}, {a.steps} steps")
    print(f"{'case':28s} {'ms/step':>8s} {'x peft':>7s}  same tokens as peft")
    for r in rows:
        same = {True: "yes", False: "NO", None: "-"}[r["same_tokens"]]
        print(f"{r['case']:28s} {r['ms_per_step']:8.2f} {r['ms_per_step'] / rows[0]['ms_per_step']:7.2f}  {same}")
    if a.out:
        a.out.write_text(json.dumps({**machine, "cases": rows}, indent=1))
    return 0 if all(r["same_tokens"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
