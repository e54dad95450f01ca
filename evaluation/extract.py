"""Code extraction from model generations: fenced blocks, stop sequences, explanations and trailing prose."""
from __future__ import annotations

import re

from common.pysource import parses

STOP_SEQUENCES = ("[DONE]", "\n### ", "</s>", "<|endoftext|>", "<eos>", "<end_of_turn>", "\nExplanation:",
                  "\n\nExplanation", "\nif __name__", "\n# Test", "\n# Example usage", "\nassert ")
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CODE_START = re.compile(r"^(?:def |class |import |from |@|async def |[A-Za-z_][\w.]*\s*(?:=|\()|for |while |if |try:|with |print\()")


def cut_at_stops(text: str, stops=STOP_SEQUENCES) -> str:
    cut = len(text)
    for stop in stops:
        i = text.find(stop)
        if i != -1:
            cut = min(cut, i)
    return text[:cut]


def _fenced(text: str) -> str | None:
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    if not blocks:
        return None
    python = [b for lang, b in blocks if lang in ("python", "py", "python3")]
    chosen = python or [b for lang, b in blocks if not lang] or [blocks[0][1]]
    return "\n\n".join(b.strip("\n") for b in chosen)


def _longest_parsing(lines: list[str], from_top: bool = False) -> str | None:
    """Drop leading prose up to the first line that looks like code, then trailing lines until it parses."""
    starts = [0] if from_top else ([i for i, line in enumerate(lines) if _CODE_START.match(line)][:5] or [0])
    for start in starts:
        body = lines[start:]
        for end in range(len(body), 0, -1):
            candidate = "\n".join(body[:end]).rstrip()
            if candidate and parses(candidate):
                return candidate
    return None


def extract_code(generation: str, prefix: str = "") -> str:
    """The Python program in `generation`; `prefix` (e.g. a HumanEval signature) is prepended when the
    generation continues it. Imports and helper functions are kept. Returns the best effort even if it does
    not parse, so that a syntax error is graded as one."""
    text = generation.replace("\r\n", "\n")
    fenced = _fenced(text)
    if fenced is not None:
        text = fenced
    text = cut_at_stops(text)
    if prefix:
        joined = prefix + text
        if parses(joined):
            return joined.rstrip()
        if not parses(text):
            best = _longest_parsing(joined.split("\n"), from_top=True)
            if best is not None:
                return best
    if parses(text):
        return text.strip("\n")
    best = _longest_parsing(text.split("\n"))
    if best is not None:
        return best
    return (prefix + text) if prefix else text.strip("\n")
