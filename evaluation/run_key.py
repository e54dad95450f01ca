"""What a finished evaluation's numbers depend on, so that a resumed run notices a change instead of skipping.

    python -m evaluation.run_key write DIR --model-args ARGS --tasks T [--limit N] [--gen-kwargs G] [--device D]
        [--batch B] [--seed S]    # after lm-eval finished: DIR/run_key.json
    python -m evaluation.run_key check DIR ...same options...
        # exit 0 and print "same" when DIR's results were made with these settings; exit 1 and say what changed

The key holds the model and adapter (a local adapter by the sha256 of its weights), tasks, limit, generation
settings, dtype (in the model arguments), device, batch size, seed, lm-eval's version and the plugin's own version:
a hash of every file that decides a verdict (lm_eval_tasks/, evaluation/, sandbox/, common/, custom_suite/tasks).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from common.hashing import sha256_file

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FILES = ("lm_eval_tasks", "evaluation", "sandbox", "common", "custom_suite/tasks")
KEY_FILE = "run_key.json"


def plugin_version() -> str:
    h = hashlib.sha256()
    for folder in PLUGIN_FILES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".gz", ".jsonl") \
                    or path.name.endswith("_yaml"):
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _adapter_hash(model_args: str) -> str | None:
    args = dict(kv.split("=", 1) for kv in model_args.split(",") if "=" in kv)
    peft = args.get("peft")
    if not peft:
        return None
    weights = Path(peft) / "adapter_model.safetensors"
    return sha256_file(weights) if weights.is_file() else f"not a local file: {peft}"


def key(a: argparse.Namespace) -> dict:
    try:
        lm_eval = metadata.version("lm_eval")
    except metadata.PackageNotFoundError:
        lm_eval = None
    return {"model_args": a.model_args, "adapter_sha256": _adapter_hash(a.model_args), "tasks": a.tasks,
            "limit": a.limit or None, "gen_kwargs": a.gen_kwargs or None, "device": a.device, "batch_size": a.batch,
            "seed": a.seed or None, "lm_eval": lm_eval, "plugin": plugin_version()}


def differences(old: dict, new: dict) -> list[str]:
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in new if old.get(k) != new.get(k)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("write", "check"))
    p.add_argument("dir", help="the run's result folder (RESULTS/LABEL)")
    p.add_argument("--model-args", required=True)
    p.add_argument("--tasks", required=True)
    p.add_argument("--limit", default="")
    p.add_argument("--gen-kwargs", default="")
    p.add_argument("--device", default="")
    p.add_argument("--batch", default="")
    p.add_argument("--seed", default="")
    a = p.parse_args(argv)
    path = Path(a.dir) / KEY_FILE
    new = key(a)
    if a.action == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
        return 0
    if not path.is_file():
        print(f"{a.dir} has results but no {KEY_FILE}: they may come from other settings", file=sys.stderr)
        return 1
    diff = differences(json.loads(path.read_text()), new)
    if diff:
        print("settings changed since these results: " + "; ".join(diff), file=sys.stderr)
        return 1
    print("same")
    return 0


if __name__ == "__main__":
    sys.exit(main())
