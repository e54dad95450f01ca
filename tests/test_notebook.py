"""The demo notebook runs top to bottom on the CPU with the embedded default (real Gemma 3 270M and the committed
LoRA adapter trained on the GPU)."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_notebook_executes(monkeypatch):
    monkeypatch.setenv("DEMO_EXAMPLES", "2")
    monkeypatch.setenv("DEMO_MAX_NEW_TOKENS", "48")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(ROOT / "reports" / "demo.ipynb", as_version=4)
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Traceback" not in outputs
    assert "PASS" in outputs or "fail" in outputs or "error" in outputs  # a verdict was shown for every example
    assert "model: models/gemma-3-270m" in outputs
    assert "gemma3-270m-code-r8" in outputs  # the committed adapter is compared with the base by default
