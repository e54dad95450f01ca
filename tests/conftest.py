"""Shared fixtures: the real prepared data and a tiny random Mistral with the real tokenizer."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def workspace_tiny(tmp_path_factory):
    """Prepared data (the real pipeline on the shared CodeAlpaca file) and a tiny Mistral with the real tokenizer."""
    from codeeval.random_mistral import build

    if not (ROOT / "data/prepared/code/train.jsonl").exists():
        subprocess.run([sys.executable, "-m", "codealpaca_prep", "--no-progress", "--report-dir", ""], cwd=ROOT, check=True)
    tiny = ROOT / "models/tiny-mistral"
    if not (tiny / "config.json").exists():
        build(tiny)
    return tiny
