"""Loaders for the vendored evaluation sets (see data/README.md). Each loader accepts another path."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
MBPP_PATH = DATA / "mbpp.jsonl"
MBPPPLUS_PATH = DATA / "mbppplus.json"
HUMANEVAL_PATH = DATA / "HumanEval.jsonl.gz"

MBPP_FEWSHOT_IDS = range(1, 11)
MBPP_TEST_IDS = range(11, 511)


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_mbpp(path: str | Path = MBPP_PATH) -> list[dict]:
    """All 974 MBPP tasks: text, code, task_id, test_setup_code, test_list, challenge_test_list."""
    return _read_jsonl(Path(path))


def load_mbppplus(path: str | Path = MBPPPLUS_PATH) -> list[dict]:
    """MBPP+ with inputs decoded exactly as EvalPlus decodes them (JSON has no tuples: EvalPlus' own
    `mbpp_deserialize_inputs` restores them per task)."""
    from evalplus.data.mbpp import mbpp_deserialize_inputs

    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh)
    for row in rows:  # inputs are stored as JSON text
        for key in ("base_input", "plus_input"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
            if not row.get(key):  # Mbpp/793 stores an empty plus_input as {}
                row[key] = []
            row[key] = mbpp_deserialize_inputs(row["task_id"], row[key])
        row["atol"] = float(row.get("atol") or 0)
    return rows


def load_humaneval(path: str | Path = HUMANEVAL_PATH) -> list[dict]:
    """164 tasks: task_id, prompt, canonical_solution, test, entry_point."""
    return _read_jsonl(Path(path))
