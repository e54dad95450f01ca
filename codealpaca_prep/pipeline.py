"""The preparation pipeline: read → validate → Python-only → clean → dedup → decontaminate → split → variants
→ token statistics → JSONL, manifest, rejected rows and the data report."""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from tqdm import tqdm

from common.hashing import sha256_file
from common.pysource import CleanError, clean_code

from .decontaminate import RULE as DECONTAMINATION_RULE
from .decontaminate import Decontaminator
from .dedup import GROUP_JACCARD, deduplicate, same_task_groups
from .explain import HFExplainer, explain_code, text_stats, with_explanation
from .language import answer_code, rejection_reason
from .load import HUB_ID, BadLine, InputError, Row, read_source, validate
from .report import histogram, write_markdown
from .split import SPLITS, split_of
from .tokens import SEQUENCE_LENS, AlpacaLengths, recommend_sequence_len, summarize

VARIANTS = ("code", "code_explained")
MAX_MALFORMED = 0.05  # refuse an input with a larger share of malformed rows: a wrong file, not a few bad rows
DEFAULT_SOURCE = HUB_ID  # or a local .json/.jsonl copy: --input PATH


@dataclass
class Config:
    source: str = DEFAULT_SOURCE
    out_dir: Path = Path("data/prepared")
    report_dir: Path | None = None  # where data.md goes; None: no report
    explainer: str = "ast"
    sequence_len: int | None = None  # None: use the recommended value
    seed: int = 0
    progress: bool = True
    command: str = "python -m codealpaca_prep"
    mbpp_path: str | None = None
    humaneval_path: str | None = None
    tokenizer: str | None = None
    test_decontamination: bool = True  # run rows' code against benchmark tests (needs the sandbox)
    compare: Path | None = None  # an earlier manifest.json: its counts go beside the new ones in data.md
    max_malformed: float = MAX_MALFORMED  # the share of malformed rows above which the input is refused


@dataclass
class Stage:
    name: str
    n_in: int
    removed: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        reasons = Counter(r.get("group") or _reason_key(r["reason"]) for r in self.removed)
        return {"stage": self.name, "in": self.n_in, "removed": len(self.removed), "out": self.n_in - len(self.removed),
                "reasons": dict(reasons.most_common())}


def _reason_key(reason: str) -> str:
    """Group reasons for the funnel table: drop row-specific parts (ids, scores)."""
    for cut in (" of ca-", " (", ": line "):
        if cut in reason:
            reason = reason.split(cut)[0]
    return reason


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("codelora", "numpy", "sentencepiece", "mistral-common"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _row_dict(row: Row, output: str) -> dict:
    return {"id": row.id, "instruction": row.instruction, "input": row.input, "output": output}


def run(cfg: Config) -> dict:
    with warnings.catch_warnings():  # invalid escapes in the data's code warn on every parse
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return _run(cfg)


def _run(cfg: Config) -> dict:
    bar = lambda it, desc: tqdm(it, desc=desc, disable=not cfg.progress, leave=False, file=sys.stderr)  # noqa: E731
    raw = read_source(cfg.source)
    raw_rows = {i: (item.text if isinstance(item, BadLine) else item) for i, item in enumerate(raw)}
    stages: list[Stage] = []

    if not raw:
        raise InputError(f"{cfg.source}: the input holds no rows; nothing was written")
    rows, bad = validate(raw)
    check_malformed(cfg.source, len(raw), bad, cfg.max_malformed)
    stages.append(Stage("schema", len(raw), bad))

    stage = Stage("python-only", len(rows))
    kept = []
    for row in bar(rows, "python filter"):
        row.output = answer_code(row.output)  # unfenced, a trailing shown-output block cut
        reason = rejection_reason(row.instruction, row.input, row.output)
        if reason:
            stage.removed.append({"index": row.index, "id": row.id, "reason": reason})
        else:
            kept.append(row)
    stages.append(stage)

    stage = Stage("code cleaning", len(kept))
    rows = []
    for row in bar(kept, "clean code"):
        try:
            row.output = clean_code(row.output)
        except CleanError as exc:
            stage.removed.append({"index": row.index, "id": row.id, "reason": f"code cleaning failed: {exc}"})
            continue
        rows.append(row)
    stages.append(stage)

    n = len(rows)
    rows, removed = deduplicate(rows)
    stages.append(Stage("deduplication", n, removed))

    n = len(rows)
    rows, removed = Decontaminator(cfg.mbpp_path, cfg.humaneval_path, run_tests=cfg.test_decontamination).split(rows, cfg.progress)
    stages.append(Stage("decontamination (MBPP 974 + HumanEval 164)", n, removed))
    if not rows:
        reasons = Counter(r.get("group") or _reason_key(r["reason"]) for st in stages for r in st.removed)
        raise InputError(f"no row of {len(raw)} survived ({', '.join(f'{k}: {v}' for k, v in reasons.most_common(3))}); "
                         f"nothing was written")

    if cfg.explainer == "ast":
        explanations = [explain_code(r.output) for r in bar(rows, "explain")]
    elif cfg.explainer.startswith("hf:"):
        explanations = HFExplainer(cfg.explainer[3:]).explain_many([r.output for r in rows])
    else:
        raise ValueError(f"unknown explainer {cfg.explainer!r}: use 'ast' or 'hf:PATH'")

    by_split: dict[str, dict[str, list[dict]]] = {v: {s: [] for s, _ in SPLITS} for v in VARIANTS}
    groups = same_task_groups(rows)  # rows asking the same thing in other words share one split
    for row, group, explanation in zip(rows, groups, explanations):
        split = split_of(rows[group].id, cfg.seed)
        by_split["code"][split].append(_row_dict(row, row.output))
        by_split["code_explained"][split].append(_row_dict(row, with_explanation(row.output, explanation)))

    counter = AlpacaLengths(cfg.tokenizer)
    lengths = {v: {s: counter.lengths(by_split[v][s]) for s, _ in SPLITS} for v in bar(VARIANTS, "tokenize")}
    recommended = recommend_sequence_len(np.concatenate([lengths[v][s] for v in VARIANTS for s, _ in SPLITS]))
    if recommended is not None:
        recommended = max(recommend_sequence_len(np.concatenate(list(lengths[v].values()))) for v in VARIANTS)
    seq = cfg.sequence_len or recommended or SEQUENCE_LENS[0]

    final = Path(cfg.out_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))  # swapped in on success only
    out.chmod(0o755)
    try:
        manifest = _write(cfg, out, final, stages, raw, raw_rows, rows, by_split, lengths, recommended, seq, explanations,
                          groups)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    _swap(out, final)
    if cfg.report_dir and not _same(cfg.report_dir, final):
        _write_report(cfg, manifest, lengths, seq, Path(cfg.report_dir))
    return manifest


def check_malformed(source: str, n: int, bad: list[dict], share: float) -> None:
    """Refuse (InputError) when more than `share` of the `n` rows are malformed, naming the first few."""
    if n and len(bad) > share * n:
        first = "; ".join(f"row {b['index']}" + (f" (line {b['line']})" if "line" in b else "") + f": {b['reason']}"
                          for b in bad[:5])
        raise InputError(f"{source}: {len(bad)} of {n} rows are malformed (more than {share:.0%}; "
                         f"--max-malformed sets the share): {first}{' …' if len(bad) > 5 else ''}; nothing was written")


def _grouped(groups: list[int]) -> int:
    """How many rows share their split with another row of their group."""
    sizes = Counter(groups)
    return sum(n for n in sizes.values() if n > 1)


def _same(a, b) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _swap(new: Path, final: Path) -> None:
    """Put the finished folder `new` where `final` is; the earlier output goes only once the new one is complete."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_report(cfg: Config, manifest: dict, lengths: dict, seq: int, report_dir: Path) -> None:
    histogram({v: np.concatenate(list(lengths[v].values())) for v in VARIANTS}, seq, report_dir / "data_lengths.png")
    before = json.loads(Path(cfg.compare).read_text(encoding="utf-8")) if cfg.compare else None
    write_markdown(manifest, report_dir / "data.md", "data_lengths.png", before, str(cfg.compare) if cfg.compare else None)


def _write(cfg, out, final, stages, raw, raw_rows, rows, by_split, lengths, recommended, seq, explanations,
           groups) -> dict:
    outputs = {}
    for variant in VARIANTS:
        for split, _ in SPLITS:
            path = out / variant / f"{split}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                for item in by_split[variant][split]:
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            outputs[str(path.relative_to(out))] = {"rows": len(by_split[variant][split]), "sha256": sha256_file(path)}
    with open(out / "rejected.jsonl", "w", encoding="utf-8") as fh:
        for st in stages:
            for rej in st.removed:
                fh.write(json.dumps({"stage": st.name, **rej, "row": raw_rows.get(rej["index"])}, ensure_ascii=False, default=str) + "\n")

    source_path = Path(cfg.source)
    manifest = {
        "command": cfg.command,
        "input": {"source": cfg.source, "sha256": sha256_file(source_path) if source_path.is_file() else "hub", "rows": len(raw)},
        "stages": [s.summary() for s in stages],
        "kept": len(rows),
        "splits": {s: len(by_split["code"][s]) for s, _ in SPLITS},
        "split_groups": {"rows": _grouped(groups), "groups": sum(1 for n in Counter(groups).values() if n > 1),
                         "rule": f"instruction content-word Jaccard >= {GROUP_JACCARD}: one split"},
        "variants": list(VARIANTS),
        "explainer": cfg.explainer,
        "explanations": text_stats(explanations),
        "test_decontamination": cfg.test_decontamination,
        "decontamination_rule": DECONTAMINATION_RULE,
        "seed": cfg.seed,
        "tokens": {"tokenizer": "mistral-common tokenizer.model.v1 (Mistral-7B-v0.1)", "sequence_len": seq,
                   "recommended_sequence_len": recommended,
                   "stats": {v: {s: summarize(lengths[v][s], seq) for s, _ in SPLITS} for v in VARIANTS}},
        "outputs": outputs,
        "versions": _versions(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if cfg.report_dir and _same(cfg.report_dir, final):  # the report goes with the folder it describes
        _write_report(cfg, manifest, lengths, seq, out)
    return manifest
