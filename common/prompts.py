"""Prompt formats shared by training data and evaluation tasks."""
from __future__ import annotations

# Axolotl's `type: alpaca` (axolotl.prompters.AlpacaPrompter); tests/test_prompts.py checks the match.
ALPACA_SYSTEM = ("Below is an instruction that describes a task, paired with an input that provides further "
                 "context. Write a response that appropriately completes the request.")
ALPACA_SYSTEM_NO_INPUT = "Below is an instruction that describes a task. Write a response that appropriately completes the request."


def alpaca_prompt(instruction: str, input_: str = "") -> str:
    if input_:
        return f"{ALPACA_SYSTEM}\n\n### Instruction:\n{instruction}\n\n### Input:\n{input_}\n\n### Response:\n"
    return f"{ALPACA_SYSTEM_NO_INPUT}\n\n### Instruction:\n{instruction}\n\n### Response:\n"
