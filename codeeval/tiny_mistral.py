"""python -m codeeval.tiny_mistral OUT — a tiny randomly initialised MistralForCausalLM with the real
Mistral-7B-v0.1 tokenizer (from mistral-common), for smoke tests of the eval and training paths. It generates
noise: never use it for a quality number."""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path


def build(out: str | Path, seed: int = 0) -> Path:
    import torch
    from transformers import LlamaTokenizerFast, MistralConfig, MistralForCausalLM

    from codealpaca_prep.tokens import mistral_tokenizer_path

    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        # transformers 5 builds a broken 3-token tokenizer from vocab_file=...; a folder with tokenizer.model works
        shutil.copy(mistral_tokenizer_path(), Path(tmp) / "tokenizer.model")
        tok = LlamaTokenizerFast.from_pretrained(tmp)
    if tok("def", add_special_tokens=False)["input_ids"] != [801]:
        raise RuntimeError("the Mistral tokenizer did not load correctly ('def' should be id 801)")
    torch.manual_seed(seed)
    config = MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=False)
    model = MistralForCausalLM(config)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out")
    print(build(p.parse_args().out))
