"""Reference models for checking the graders through lm-eval itself: `codeeval-oracle` answers every task with
its reference solution, `codeeval-empty` answers nothing. Registered on import (see evaluation.lm_eval_cli)."""
from __future__ import annotations

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model


class _Fixed(LM):
    def __init__(self, **kwargs):
        super().__init__()

    def answer(self, doc: dict) -> str:
        raise NotImplementedError

    def generate_until(self, requests, disable_tqdm: bool = False):
        return [self.answer(req.doc) for req in requests]

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("code tasks are generative")

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("code tasks are generative")


@register_model("codeeval-oracle")
class OracleLM(_Fixed):
    def answer(self, doc: dict) -> str:
        ref = doc["reference"]
        return ref[len(doc["prefix"]):] if doc.get("prefix") and ref.startswith(doc["prefix"]) else ref


@register_model("codeeval-empty")
class EmptyLM(_Fixed):
    def answer(self, doc: dict) -> str:
        return ""
