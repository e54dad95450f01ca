"""Which GPU runs give bit-identical batched greedy generation? A Gemma-3-270M-shaped model with random weights
(the same weights in every process: built on the CPU from one seed) decodes one left-padded batch of random prompts
greedily; each run prints a hash of its last-step logits and of the generated tokens. Runs: one process per GPU,
a second process on GPU 0 after the first, and two processes on GPU 0 at once. Random weights make the logits
nearly tied, so any difference in the arithmetic shows up in the tokens.

    python benchmarks/gpu_determinism.py --gpus 0 1 [--attn sdpa] [--dtype bfloat16] [--deterministic]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys


def worker(a: argparse.Namespace) -> dict:
    if a.deterministic:
        from evaluation.lm_eval_cli import deterministic_torch

        deterministic_torch()
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    cfg = Gemma3TextConfig(vocab_size=a.vocab, hidden_size=640, intermediate_size=2048, num_hidden_layers=a.layers,
                           num_attention_heads=4, num_key_value_heads=1, head_dim=256, sliding_window=512,
                           max_position_embeddings=32768, attn_implementation=a.attn)
    dev = "cuda" if torch.cuda.is_available() else "cpu"  # the CPU: only to try the script
    model = Gemma3ForCausalLM(cfg).to(getattr(torch, a.dtype)).to(dev).eval()
    g = torch.Generator().manual_seed(1)
    lengths = torch.randint(a.min_len, a.max_len + 1, (a.batch,), generator=g)
    ids = torch.zeros(a.batch, a.max_len, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, n in enumerate(lengths.tolist()):  # left padding, as lm-eval pads for generation
        ids[i, -n:] = torch.randint(3, cfg.vocab_size, (n,), generator=g)
        mask[i, -n:] = 1
    ids, mask = ids.to(dev), mask.to(dev)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=1).logits.float().cpu()
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=a.new_tokens, do_sample=False,
                             pad_token_id=0).cpu()
    cuda = dev == "cuda"
    return {"gpu": torch.cuda.get_device_name() if cuda else "cpu",
            "uuid": str(torch.cuda.get_device_properties(0).uuid) if cuda else "-",
            "logits": hashlib.sha256(logits.numpy().tobytes()).hexdigest()[:16],
            "tokens": hashlib.sha256(out.numpy().tobytes()).hexdigest()[:16], "rows": out[:, a.max_len:].tolist()}


def spawn(gpu: str, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--worker", *args], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": gpu})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpus", nargs="+", default=["0"])
    p.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--deterministic", action="store_true", help="PyTorch deterministic algorithms in every run")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--min-len", type=int, default=40)
    p.add_argument("--max-len", type=int, default=400)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--layers", type=int, default=18, help="Gemma 3 270M has 18 (fewer: to try the script on a CPU)")
    p.add_argument("--vocab", type=int, default=262144)
    p.add_argument("--out", help="JSON file for the runs")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a)))
        return 0
    args = [f"--attn={a.attn}", f"--dtype={a.dtype}", f"--batch={a.batch}", f"--min-len={a.min_len}",
            f"--max-len={a.max_len}", f"--new-tokens={a.new_tokens}", f"--layers={a.layers}", f"--vocab={a.vocab}",
            *(["--deterministic"] if a.deterministic else [])]
    runs = {}
    for gpu in a.gpus:  # one after another: nothing else on the GPU
        runs[f"GPU {gpu}"] = spawn(gpu, args).communicate()[0]
    runs[f"GPU {a.gpus[0]} again"] = spawn(a.gpus[0], args).communicate()[0]
    both = [spawn(a.gpus[0], args) for _ in range(2)]  # two processes sharing one GPU
    for i, proc in enumerate(both):
        runs[f"GPU {a.gpus[0]} shared {i + 1}"] = proc.communicate()[0]
    rows = {name: json.loads(text.strip().splitlines()[-1]) for name, text in runs.items() if text.strip()}
    first = next(iter(rows.values()))["rows"]
    for r in rows.values():
        r["rows_differing"] = sum(x != y for x, y in zip(r.pop("rows"), first))
    print(f"{a.dtype}, {a.attn}{', deterministic algorithms' if a.deterministic else ''}, batch {a.batch}, "
          f"{a.new_tokens} new tokens")
    print(f"{'run':18} {'card':24} {'uuid':10} {'logits':16} {'tokens':16} rows differing from the first run")
    for name, r in rows.items():
        print(f"{name:18} {r['gpu']:24} {r['uuid'][:8]:10} {r['logits']:16} {r['tokens']:16} {r['rows_differing']}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"settings": vars(a), "runs": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
