"""Token lengths with the real Mistral-7B-v0.1 SentencePiece model, counted the way Axolotl's `type: alpaca`
tokenizes a row: <s> + prompt, then response + </s>."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.prompts import alpaca_prompt

SEQUENCE_LENS = (512, 768, 1024, 1536, 2048, 3072, 4096)


def mistral_tokenizer_path() -> Path:
    import mistral_common

    path = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    if not path.is_file():
        raise FileNotFoundError(f"Mistral tokenizer not found at {path}; install mistral-common")
    return path


class AlpacaLengths:
    def __init__(self, model_file: str | Path | None = None):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_file or mistral_tokenizer_path()))

    def lengths(self, rows: list[dict]) -> np.ndarray:
        prompts = [alpaca_prompt(r["instruction"], r["input"]) for r in rows]
        responses = [r["output"] for r in rows]
        p = self.sp.encode(prompts, num_threads=0)
        o = self.sp.encode(responses, num_threads=0)
        return np.array([len(a) + len(b) + 2 for a, b in zip(p, o)], dtype=np.int64)  # + <s> + </s>


def summarize(lengths: np.ndarray, sequence_len: int) -> dict:
    if len(lengths) == 0:
        return {"rows": 0}
    return {"rows": int(len(lengths)), "p50": int(np.percentile(lengths, 50)), "p90": int(np.percentile(lengths, 90)),
            "p99": int(np.percentile(lengths, 99)), "max": int(lengths.max()), "mean": round(float(lengths.mean()), 1),
            "tokens": int(lengths.sum()), f"over_{sequence_len}": int((lengths > sequence_len).sum())}


def recommend_sequence_len(lengths: np.ndarray) -> int | None:
    """The smallest common length that holds 99 % of the rows untruncated; None without rows."""
    if len(lengths) == 0:
        return None
    p99 = float(np.percentile(lengths, 99))
    return next((n for n in SEQUENCE_LENS if n >= p99), SEQUENCE_LENS[-1])
