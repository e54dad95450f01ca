"""The tree shows the pipeline: one package per job, imports only downward, the lab kept apart, the README true."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# prep and recipes below evaluation below reporting; the sandbox and the shared helpers at the bottom
LAYERS = {"common": 0, "sandbox": 0, "codealpaca_prep": 1, "axolotl_configs": 1, "custom_suite": 2,
          "model_builders": 2, "evaluation": 3, "lm_eval_tasks": 4, "reporting": 4, "experiment": 5,
          "assistant": 5}
LAB_WORDS = re.compile(r"offline.gpu|\blab/|\.gpu-wheels|pack\.sh|unpack\.sh|nvidia-h\d00-x\d|device tool|\.\./shared|"
                       r"gpu wheel", re.I)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_every_package_is_in_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS), packages ^ set(LAYERS)


def test_imports_run_only_downward():
    wrong = []
    for pkg, layer in LAYERS.items():
        for path in (ROOT / pkg).rglob("*.py"):
            for top in _imports(path) & set(LAYERS):
                if top != pkg and LAYERS[top] >= layer:
                    wrong.append(f"{path.relative_to(ROOT)} imports {top}")
    assert not wrong, wrong


def test_the_graded_process_imports_only_the_standard_library():
    assert not _imports(ROOT / "sandbox" / "child.py") & set(LAYERS)


def test_no_product_file_speaks_of_the_lab():
    product = [p for pkg in LAYERS for p in (ROOT / pkg).rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".md")]
    product += [p for p in (ROOT / "scripts").rglob("*") if p.is_file()]
    product += [ROOT / "pyproject.toml", *(p for p in (ROOT / "model_builders").rglob("*") if p.is_file()
                                            and p.suffix != ".pyc")]
    product += [p for p in (ROOT / "tests").glob("*.py") if p.name != "test_layout.py"]
    product += [p for p in (ROOT / "reports").rglob("*") if p.suffix in (".md", ".ipynb")]
    hits = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in product
            for m in [LAB_WORDS.search(p.read_text(encoding="utf-8", errors="replace"))] if m]
    assert not hits, hits


def test_readme_folder_table_matches_the_tree():
    text = (ROOT / "README.md").read_text()
    table = set(re.findall(r"^\| `([\w./-]+)/` \|", text, re.M))
    tree = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
            and p.name not in ("data", "outputs", "models", "build") and not p.name.endswith(".egg-info")}
    assert table == tree, table ^ tree
