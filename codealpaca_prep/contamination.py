"""python -m codealpaca_prep.contamination DATA_DIR --out FILE.json — which benchmark tasks the rows of one split
of a prepared dataset are contaminated with, by the prep's own checks (`Decontaminator.findings`): a row's
definitions passing a task's tests with its name or words agreeing, or a paraphrase of the task's text.

Writes {"rule", "made_by", "prep_commit", "data_manifest", "data_sha256", "split", "rows_checked",
"tasks": {task id: [row ids]}, "evidence": {row id: [{benchmark, check, score, names?}]}}. Task ids are spelled as
evaluation samples spell them: `mbpp/N` (MBPP), `Mbpp/N` (MBPP+), `HumanEval/N`; a row that matches one of an MBPP
task's two spellings is listed under both (MBPP+ tasks are MBPP's, with more inputs). `data_sha256` is the sha256
of the manifest file, and every JSONL read is checked against the sha256 that manifest records for it."""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

from common.hashing import sha256_file

from .decontaminate import RULE, Decontaminator, mirror
from .load import Row


def _commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def read_split(data_dir: Path, manifest: dict, split: str, variant: str = "code") -> list[Row]:
    name = f"{variant}/{split}.jsonl"
    path = data_dir / name
    expected = manifest.get("outputs", {}).get(name, {}).get("sha256")
    if not path.is_file():
        raise SystemExit(f"error: {path} not found")
    if expected is None:
        raise SystemExit(f"error: the manifest records no sha256 for {name}")
    if sha256_file(path) != expected:
        raise SystemExit(f"error: {path} is not the file the manifest describes (sha256 differs)")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        r = json.loads(line)
        rows.append(Row(r["id"], i, r["instruction"], r["input"], r["output"]))
    return rows


def contamination(rows: list[Row], decon: Decontaminator, progress: bool = False) -> tuple[dict, dict]:
    found = decon.findings(rows, progress)
    tasks: dict[str, list[str]] = {}
    evidence = {}
    for row, ms in zip(rows, found):
        if not ms:
            continue
        evidence[row.id] = ms
        for key in dict.fromkeys(k for m in ms for k in mirror(m["benchmark"], decon.task_ids)):
            tasks.setdefault(key, []).append(row.id)
    order = lambda k: (k.split("/")[0].lower(), k.split("/")[0], int(k.split("/")[1]))  # noqa: E731
    return {k: tasks[k] for k in sorted(tasks, key=order)}, evidence


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m codealpaca_prep.contamination", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path, help="a prepared folder (python -m codealpaca_prep --out DIR)")
    p.add_argument("--manifest", type=Path, default=None,
                   help="the manifest the data is checked against (default: DATA/manifest.json; a run's recorded "
                        "data_manifest.json names the data it was trained on)")
    p.add_argument("--split", default="train", choices=("train", "validation", "test"), help="(default: %(default)s)")
    p.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    manifest_path = a.manifest or a.data / "manifest.json"
    if not manifest_path.is_file():
        print(f"error: manifest {manifest_path} not found", file=sys.stderr)
        return 2
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    rows = read_split(a.data, manifest, a.split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        tasks, evidence = contamination(rows, Decontaminator(), progress=not a.no_progress)
    out = {"rule": RULE,
           "made_by": "python -m codealpaca_prep.contamination " + shlex.join(argv if argv is not None else sys.argv[1:]),
           "prep_commit": _commit(), "data_manifest": str(manifest_path), "data_sha256": sha256_file(manifest_path),
           "split": a.split, "rows_checked": len(rows), "rows_contaminated": len(evidence), "tasks": tasks,
           "evidence": evidence}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{len(evidence)} of {len(rows)} {a.split} rows match {len(tasks)} benchmark task ids; wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
