"""The demo notebook runs top to bottom on the CPU with the embedded default (real Gemma 3 270M and the committed
LoRA adapter trained on the GPU), shows a pass and a fail side by side, and is committed with its outputs."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _text(nb) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", "")) + str(o.get("data", {}).get("text/html", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def _check(nb) -> None:
    assert all(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "a code cell without output"
    noise = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if o.get("output_type") == "error" or o.get("name") == "stderr"]
    assert not noise, f"errors or warnings in the outputs: {noise[:3]}"
    text = _text(nb)
    assert "PASS" in text and "FAIL" in text  # a pass and a fail side by side
    assert "model: models/gemma-3-270m" in text and "gemma3-270m-code-r8" in text
    assert "live, custom/" in text or "live, mbpp" in text
    assert " ± " in text and "complexity" in text  # the intervals and the code-quality table
    assert "### Write a Python function add(a, b)" in text and "assert add(2, 3) == 5" in text  # the assistant


def test_the_committed_notebook_carries_its_outputs():
    _check(nbformat.read(ROOT / "reports" / "demo.ipynb", as_version=4))


@pytest.mark.slow
def test_demo_notebook_executes(monkeypatch):
    monkeypatch.setenv("DEMO_MAX_NEW_TOKENS", "96")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(ROOT / "reports" / "demo.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"] = []  # run afresh, not the committed outputs
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    _check(nb)
