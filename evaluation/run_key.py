"""What a finished evaluation's numbers depend on, so that a resumed run notices a change instead of skipping.

    python -m evaluation.run_key write DIR --model-args ARGS --tasks T [--limit N] [--gen-kwargs G] [--device D]
        [--batch B] [--seed S]    # after lm-eval finished: DIR/run_key.json
    python -m evaluation.run_key check DIR ...same options...
        # exit 0 and print "same" when DIR's results were made with these settings; exit 1 and say what changed

The key holds the model arguments and the weights they name: a local base model (`pretrained=`) and every local
adapter (`peft=`, `lora_local_path=`) by the sha256 of their weight files, so a model rebuilt or retrained at the
same path is evaluated again. Hashes are cached by path, size and modification time (WEIGHTS_CACHE in the user's
cache folder), so a 14 GB base is read once. Then tasks, limit, generation settings, dtype (in the model arguments),
device, batch size, seed, lm-eval's version and the plugin's own version: a hash of every file that decides a
verdict (lm_eval_tasks/, evaluation/, sandbox/, common/, custom_suite/tasks).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

from common.cache import cache_dir
from common.hashing import sha256_file

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FILES = ("lm_eval_tasks", "evaluation", "sandbox", "common", "custom_suite/tasks")
KEY_FILE = "run_key.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
WEIGHTS_CACHE = "weight-sha256.json"


def plugin_version() -> str:
    h = hashlib.sha256()
    for folder in PLUGIN_FILES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".gz", ".jsonl") \
                    or path.name.endswith("_yaml"):
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _cached_sha256(path: Path, cache: dict) -> str:
    st = path.stat()
    entry = cache.get(str(path))
    if entry and entry["bytes"] == st.st_size and entry["mtime_ns"] == st.st_mtime_ns:
        return entry["sha256"]
    digest = sha256_file(path)
    cache[str(path)] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
    return digest


def weights_sha256(location: str) -> str | None:
    """One sha256 over the weight files of a local model or adapter folder (or a single weights file), each file
    hashed once per size and mtime; None for a hub id (its revision is what the hub serves)."""
    path = Path(location).expanduser()
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(f for f in path.iterdir() if f.is_file() and f.suffix in WEIGHT_SUFFIXES)
    if not files:
        return f"no weight files in {location}"
    store = cache_dir() / WEIGHTS_CACHE
    try:
        cache = json.loads(store.read_text())
    except (OSError, ValueError):
        cache = {}
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}:{_cached_sha256(f.resolve(), cache)}\n".encode())
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache, indent=0, sort_keys=True))
    tmp.replace(store)
    return h.hexdigest()


def model_weights(model_args: str) -> dict[str, str | None]:
    """`pretrained` and every adapter the model arguments name -> the sha256 of their weights."""
    args = dict(kv.split("=", 1) for kv in model_args.split(",") if "=" in kv)
    return {k: weights_sha256(args[k]) for k in ("pretrained", "peft", "lora_local_path") if args.get(k)}


def key(a: argparse.Namespace) -> dict:
    try:
        lm_eval = metadata.version("lm_eval")
    except metadata.PackageNotFoundError:
        lm_eval = None
    return {"model_args": a.model_args, "weights_sha256": model_weights(a.model_args), "tasks": a.tasks,
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
