"""Does the recipes' packed attention (axolotl_configs/varlen_attention.py, torch's flash varlen kernel) train the same
as SDPA with the block-diagonal mask? One step of a Mistral with 7B layer shapes (random weights, few layers) on
packed rows: the loss and every gradient, in bf16 both ways, against an fp32 masked-SDPA reference.

    python benchmarks/varlen_parity.py --layers 2 --rows 2 --seq 2048 --out runs/perf/varlen_parity_h100.json

Prints the losses and, per path, the relative error of the loss and the largest relative gradient error
(||g - g_ref|| / ||g_ref|| over parameters) against the fp32 reference, and the gradient error of the varlen path
against the bf16 masked path. Needs CUDA (the fallback it would otherwise take is masked SDPA itself).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from axolotl_configs import varlen_attention as va  # noqa: E402


def packed_position_ids(rows: int, seq: int, seed: int) -> torch.Tensor:
    """Rows of documents 50-1900 tokens long laid end to end, positions restarting at each (the recipes' packing)."""
    rng, out = random.Random(seed), []
    for _ in range(rows):
        ids = []
        while len(ids) < seq:
            ids += list(range(min(rng.randint(50, 1900), seq - len(ids))))
        out.append(ids)
    return torch.tensor(out)


def step(model, ids, pos, attention: str, mask):
    model.set_attn_implementation(attention)
    model.zero_grad(set_to_none=True)
    out = model(input_ids=ids, position_ids=pos, attention_mask=mask, labels=ids)
    out.loss.backward()
    return out.loss.detach().float(), {n: p.grad.detach().float().clone() for n, p in model.named_parameters()}


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--rows", type=int, default=2)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="JSON file for the numbers")
    a = p.parse_args(argv)
    if not torch.cuda.is_available():
        p.error("needs CUDA: without it the plugin's function is masked SDPA itself")
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(a.seed)
    cfg = MistralConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=a.layers, num_attention_heads=32,
                        num_key_value_heads=8, vocab_size=32000, max_position_embeddings=a.seq, sliding_window=None,
                        attn_implementation="sdpa")
    model = MistralForCausalLM(cfg).cuda()
    pos = packed_position_ids(a.rows, a.seq, a.seed).cuda()
    ids = torch.randint(0, cfg.vocab_size, pos.shape, device="cuda")
    mask = va.block_causal_mask(pos)
    va.register()
    ref_loss, ref_grad = step(model.float(), ids, pos, "sdpa", mask)  # fp32 reference
    model = model.to(torch.bfloat16)
    runs = {"masked sdpa bf16": step(model, ids, pos, "sdpa", mask), "varlen bf16": step(model, ids, pos, va.NAME, None)}
    row = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "layers": a.layers, "rows": a.rows,
           "seq": a.seq, "documents": int(va.document_starts(pos).sum()), "loss fp32 masked sdpa": float(ref_loss)}
    for name, (loss, grad) in runs.items():
        row[f"loss {name}"] = float(loss)
        row[f"loss rel err {name}"] = abs(float(loss - ref_loss)) / abs(float(ref_loss))
        row[f"max grad rel err {name}"] = max(rel(grad[n], ref_grad[n]) for n in ref_grad)
    (_, gm), (_, gv) = runs["masked sdpa bf16"], runs["varlen bf16"]
    worst = max(ref_grad, key=lambda n: rel(gv[n], gm[n]))
    row["max grad rel diff varlen vs masked bf16"], row["worst parameter"] = rel(gv[worst], gm[worst]), worst
    for k, v in row.items():
        print(f"{k:45} {v:.6g}" if isinstance(v, float) else f"{k:45} {v}")
    if a.out:
        Path(a.out).write_text(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
