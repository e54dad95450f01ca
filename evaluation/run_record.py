"""What a run is, written beside its results when it is made: RUN_DIR/run.json. Reports read this, never a label.

    python -m evaluation.run_record show RUN_DIR
    python -m evaluation.run_record served RUN_DIR [--base DIR] [--adapter DIR] [--recipe YML]
        # after `python -m assistant.grade`: RUN_DIR/run.json from its served.json (a llama.cpp server on a GGUF)

Fields: base model (path, sha256 of its weights), adapter (path, sha256), recipe (name and its matrix coordinates:
variant, rank, profile, seed, LoRA dropout, checkpoint step and the training's last step), training (the name of
the training the adapter came from: two trainings of one recipe have two names), backend (Transformers or a
llama.cpp server, dtype, quantisation, device, batch), the sha256 of the data manifest the adapter was trained on,
tasks, limit, generation settings, and the exact command.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

RECORD = "run.json"
SCHEMA = 1


def sha256_of(path: str | Path | None, pattern: str = "*.safetensors") -> str | None:
    """sha256 of a file, or of a folder's weight files (names and bytes, in name order); None where not local."""
    if not path:
        return None
    p = Path(path)
    files = [p] if p.is_file() else sorted(p.glob(pattern)) if p.is_dir() else []
    if not files:
        return None
    h = hashlib.sha256()
    for f in files:
        if len(files) > 1:
            h.update(f.name.encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _option(cmd: list[str], name: str) -> str | None:
    return cmd[cmd.index(name) + 1] if name in cmd and cmd.index(name) + 1 < len(cmd) else None


def _kv(text: str | None) -> dict:
    return dict(kv.split("=", 1) for kv in (text or "").split(",") if "=" in kv)


def recipe_coordinates(recipe: str | Path, overrides: dict | None = None) -> dict:
    """A recipe YAML's matrix coordinates (with the grid's run-time overrides applied)."""
    import yaml

    path = Path(recipe)
    text = path.read_text()
    cfg = {**yaml.safe_load(text), **(overrides or {})}
    data = (cfg.get("datasets") or [{}])[0].get("path", "")
    profile = re.search(r"profile `([\w-]+)`", text)
    return {"name": path.stem, "file": str(path), "overrides": overrides or {},
            "variant": Path(data).parent.name or None, "rank": cfg.get("lora_r"),
            "profile": profile[1] if profile else None, "seed": cfg.get("seed"),
            "lora_dropout": cfg.get("lora_dropout"), "base_model": cfg.get("base_model")}


def checkpoint_of(adapter: str | Path | None) -> tuple[int | None, int | None]:
    """(checkpoint step, the training's last step) for ADAPTER/checkpoint-N; (None, None) for a trained adapter."""
    if not adapter or not (m := re.fullmatch(r"checkpoint-(\d+)", Path(str(adapter).rstrip("/")).name)):
        return None, None
    steps = [int(c.name.split("-")[1]) for c in Path(adapter).parent.glob("checkpoint-*") if c.name[11:].isdigit()]
    return int(m[1]), max(steps) if steps else None


def _under(path: str, root: Path | None) -> str:
    """PATH relative to ROOT when it lies under it; otherwise as given."""
    p = Path(path)
    return str(p.relative_to(root)) if root and p.is_absolute() and p.is_relative_to(root) else path


def describe(cmd: list[str], *, recipe: dict | None = None, training: str | None = None,
             data_manifest: str | Path | None = None, backend: dict | None = None, root: Path | None = None,
             **more) -> dict:
    """The record of an lm-eval run from its command line and what the caller knows (recipe, training, backend).
    ROOT: model and adapter paths under it are recorded relative to it, so that a record names no machine's folder."""
    args = _kv(_option(cmd, "--model_args"))
    base = args.get("pretrained")
    adapter = args.get("peft")
    step, last = checkpoint_of(adapter)
    manifest = sha256_of(data_manifest) if data_manifest else None
    return {"schema": SCHEMA, "made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_model": {"path": _under(base, root), "sha256": sha256_of(base)} if base else None,
            "adapter": {"path": _under(adapter, root), "sha256": sha256_of(adapter, "adapter_model.safetensors")} if adapter else None,
            "recipe": {**(recipe or {}), "checkpoint_step": step, "last_step": last} if recipe or step else None,
            "training": training,
            "backend": {"name": "transformers" if _option(cmd, "--model") == "hf" else _option(cmd, "--model"),
                        "dtype": args.get("dtype"), "quantisation": None, "device": _option(cmd, "--device"),
                        "batch_size": _option(cmd, "--batch_size"),
                        "attn_implementation": args.get("attn_implementation"),  # None: the model's default
                        **(backend or {})},
            "data_manifest_sha256": manifest,
            "tasks": (_option(cmd, "--tasks") or "").split(","), "limit": _option(cmd, "--limit"),
            "generation": _kv(_option(cmd, "--gen_kwargs")) or None, "seed": _option(cmd, "--seed"),
            "command": " ".join(cmd), **more}


def write(run_dir: str | Path, record: dict) -> Path:
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return out / RECORD


def read(run_dir: str | Path) -> dict | None:
    """The record of the run in RUN_DIR (or of the run folder above a results file's folder); None if none."""
    for d in (Path(run_dir), *Path(run_dir).parents[:2]):
        if (d / RECORD).is_file():
            return json.loads((d / RECORD).read_text())
    return None


def served(run_dir: str | Path, base: str | None = None, adapter: str | None = None,
           recipe: str | None = None) -> dict:
    """The record of an assistant.grade run: the GGUF it served (merged from BASE and ADAPTER), from served.json."""
    s = json.loads((Path(run_dir) / "served.json").read_text())
    q = re.search(r"-(q\d\w*|f16|bf16)\.gguf$", s["gguf"])
    cmd = (f"python -m assistant.grade --gguf {s['gguf']} --output_path {run_dir} --tasks {s['tasks']}"
           + (f" --limit {s['limit']}" if s.get("limit") else "")
           + (f" -- {' '.join(s['lm_eval_args'])}" if s.get("lm_eval_args") else ""))
    gen = s.get("lm_eval_args") or []
    return {"schema": SCHEMA, "made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_model": {"path": base, "sha256": sha256_of(base)} if base else None,
            "adapter": {"path": adapter, "sha256": sha256_of(adapter, "adapter_model.safetensors"),
                        "merged_into_gguf": True} if adapter else None,
            "recipe": {**recipe_coordinates(recipe), "checkpoint_step": None, "last_step": None} if recipe else None,
            "training": Path(adapter).name if adapter else None,
            "backend": {"name": "llama.cpp server", "gguf": s["gguf"], "gguf_sha256": s.get("gguf_sha256"),
                        "quantisation": q[1] if q else None, "threads": s.get("threads")},
            "data_manifest_sha256": None, "tasks": s["tasks"].split(","), "limit": s.get("limit"),
            "generation": _kv(gen[gen.index("--gen_kwargs") + 1]) if "--gen_kwargs" in gen[:-1] else None,
            "seed": "0", "command": cmd}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation.run_record", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show", help="print a run's record")
    s.add_argument("run_dir")
    v = sub.add_parser("served", help="write run.json of an assistant.grade run from its served.json")
    v.add_argument("run_dir")
    v.add_argument("--base", help="the base model folder the GGUF was made from")
    v.add_argument("--adapter", help="the adapter merged into it")
    v.add_argument("--recipe", help="the adapter's recipe YAML (its matrix coordinates)")
    a = p.parse_args(argv)
    if a.cmd == "served":
        print(write(a.run_dir, served(a.run_dir, a.base, a.adapter, a.recipe)))
        return 0
    rec = read(a.run_dir)
    if rec is None:
        print(f"no {RECORD} in {a.run_dir}", file=sys.stderr)
        return 1
    print(json.dumps(rec, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
