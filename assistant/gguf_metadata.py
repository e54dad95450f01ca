"""The chat template an exported GGUF carries (`tokenizer.chat_template`); the GGUF fields themselves are read
and rewritten by common.gguf_file."""
from __future__ import annotations

from common.gguf_file import TOKENIZER_GGUF, Gguf, rewrite, value, write_tokenizer_gguf  # noqa: F401
from common.prompts import ALPACA_SYSTEM_NO_INPUT, alpaca_prompt


def _jinja_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def chat_template() -> str:
    """Jinja (`tokenizer.chat_template`) rendering a conversation as the Alpaca prompt the adapters learned: a system
    message replaces the Alpaca preamble; each user turn becomes `### Instruction:` and ends in `### Response:`;
    an assistant turn is its text and <eos>. One user message renders exactly `<bos>` + `alpaca_prompt(text)`."""
    head, _, tail = alpaca_prompt("\0").partition("\0")  # preamble + "\n\n### Instruction:\n", "\n\n### Response:\n"
    turn_open = head.removeprefix(ALPACA_SYSTEM_NO_INPUT)
    return ("{{ bos_token }}{% if messages and messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}"
            "{% else %}" + "{{ " + _jinja_str(ALPACA_SYSTEM_NO_INPUT) + " }}{% endif %}"
            "{% for message in messages %}{% if message['role'] == 'user' %}"
            "{{ " + _jinja_str(turn_open) + " + message['content'] + " + _jinja_str(tail) + " }}"
            "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}")
