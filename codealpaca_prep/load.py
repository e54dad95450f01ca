"""Read CodeAlpaca from a local JSON/JSONL file or a Hugging Face hub id; validate and normalise each row."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from common.pysource import normalize_newlines

FIELDS = ("instruction", "input", "output")
HUB_ID = "sahil2801/CodeAlpaca-20k"
_PLACEHOLDER = re.compile(r"^[\[<(]?\s*(?:no\s*-?\s*input|n\s*/\s*a|none|null|nothing|empty)\s*\.?\s*[\]>)]?$", re.I)


class InputError(Exception):
    """The source itself cannot be read (missing file, not JSON, not a list of rows)."""


@dataclass
class Row:
    id: str  # content hash of the normalised instruction and input: stable across sources and re-orderings
    index: int  # 0-based position of the row in the source (a .jsonl's line numbers are 1-based: see `line`)
    instruction: str
    input: str
    output: str
    meta: dict = field(default_factory=dict)


def read_source(source: str) -> list:
    """Local .json (a list) / .jsonl file, or a hub dataset id when no such file exists."""
    path = Path(source)
    if path.suffix in (".json", ".jsonl") or path.exists():
        if not path.is_file():
            raise InputError(f"input file not found: {path}")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            rows = []
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    rows.append(BadLine(n, str(exc), line))
            return rows
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from exc
        if not isinstance(data, list):
            raise InputError(f"{path}: expected a JSON list of rows, got {type(data).__name__}")
        return data
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a dependency
        raise InputError(f"{source!r} is not a local file and `datasets` is not installed") from exc
    try:
        return list(datasets.load_dataset(source, split="train"))
    except Exception as exc:
        raise InputError(f"{source!r} is neither a local file nor a loadable hub dataset: {exc}") from exc


def row_id(instruction: str, input_: str) -> str:
    return "ca-" + hashlib.sha256(f"{instruction}\x00{input_}".encode()).hexdigest()[:12]


@dataclass
class BadLine:
    line: int  # 1-based line number in the .jsonl file
    error: str
    text: str


def normalise_text(text: str) -> str:
    text = normalize_newlines(text).replace("\u00a0", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def validate(raw: list) -> tuple[list[Row], list[dict]]:
    """Rows with the three string fields, normalised; and the rejects with their reason."""
    rows, rejects = [], []
    for i, item in enumerate(raw):
        if isinstance(item, BadLine):
            rejects.append({"index": i, "line": item.line, "reason": f"malformed: line {item.line} is not JSON ({item.error})"})
            continue
        if not isinstance(item, dict):
            rejects.append({"index": i, "reason": f"malformed: row is {type(item).__name__}, not an object"})
            continue
        missing = [k for k in ("instruction", "output") if k not in item]
        if missing:
            rejects.append({"index": i, "reason": f"malformed: missing field {', '.join(missing)}"})
            continue
        item = {"input": "", **item}
        if item["input"] is None:
            item["input"] = ""
        wrong = [k for k in FIELDS if not isinstance(item[k], str)]
        if wrong:
            rejects.append({"index": i, "reason": f"malformed: field {wrong[0]} is {type(item[wrong[0]]).__name__}, not a string"})
            continue
        instruction = " ".join(normalise_text(item["instruction"]).split())
        input_ = normalise_text(item["input"])
        if _PLACEHOLDER.match(input_.strip()):
            input_ = ""
        output = normalize_newlines(item["output"]).replace("\u00a0", " ").strip("\n")
        if not instruction:
            rejects.append({"index": i, "reason": "malformed: empty instruction"})
            continue
        rows.append(Row(id=row_id(instruction, input_), index=i, instruction=instruction, input=input_, output=output))
    return rows, rejects
