"""python -m model_builders.random_mistral OUT [--shape tiny|7b] — a randomly initialised MistralForCausalLM with the
real Mistral-7B-v0.1 tokenizer (from mistral-common). `tiny` (2 layers) is for smoke tests of the eval and
training paths; `7b` has Mistral-7B-v0.1's exact shapes (7.24B parameters, bf16, ~14.5 GB) for cost benchmarks
where the real weights cannot be had. Both generate noise: never use them for a quality number."""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

SHAPES = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=4096),
    # mistralai/Mistral-7B-v0.1 config.json
    "7b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=8, max_position_embeddings=32768, rope_theta=10000.0, sliding_window=4096),
}


def mistral_tokenizer():
    from transformers import LlamaTokenizerFast

    from codealpaca_prep.tokens import mistral_tokenizer_path

    with tempfile.TemporaryDirectory() as tmp:
        # transformers 5 builds a broken 3-token tokenizer from vocab_file=...; a folder with tokenizer.model works
        shutil.copy(mistral_tokenizer_path(), Path(tmp) / "tokenizer.model")
        tok = LlamaTokenizerFast.from_pretrained(tmp)
    if tok("def", add_special_tokens=False)["input_ids"] != [801]:
        raise RuntimeError("the Mistral tokenizer did not load correctly ('def' should be id 801)")
    return tok


def build(out: str | Path, seed: int = 0, shape: str = "tiny", device: str = "cpu") -> Path:
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    out = Path(out)
    tok = mistral_tokenizer()
    torch.manual_seed(seed)
    config = MistralConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                           tie_word_embeddings=False, **SHAPES[shape])
    dtype = torch.float32 if shape == "tiny" else torch.bfloat16
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = MistralForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.save_pretrained(out, max_shard_size="5GB")
    tok.save_pretrained(out)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    p.add_argument("--device", default="cpu", help="where to initialise the weights (cuda is much faster for 7b)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    print(build(a.out, a.seed, a.shape, a.device))
