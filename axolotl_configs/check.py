"""Check a recipe before anything loads: unknown keys, values out of range, local paths that do not exist.

    python -m axolotl_configs.check axolotl_configs/mistral7b-code-r32.yml [--base_model /local/folder]

Axolotl's own schema (`AxolotlInputConfig`, with the fields of the plugins the recipe lists) decides what a key is:
pydantic drops keys it does not know, so a misspelt `lora_rnak` would otherwise train with the default rank, or
fail a minute later inside peft. Every recipe also lists `axolotl_configs.check.RecipeCheck` as a plugin, so
`accelerate launch -m axolotl.cli.train RECIPE.yml` runs the same check when Axolotl registers its plugins, before
it validates, downloads or loads anything.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import sys
from pathlib import Path

import yaml

RANGES = {"sequence_len": (1, None), "lora_r": (1, None), "lora_alpha": (1e-9, None), "lora_dropout": (0, 0.999),
          "learning_rate": (1e-12, 1.0), "micro_batch_size": (1, None), "gradient_accumulation_steps": (1, None),
          "num_epochs": (1e-9, None), "warmup_ratio": (0, 1), "weight_decay": (0, None)}


class RecipeError(ValueError):
    pass


def _schema_keys(plugins: list[str]) -> set[str]:
    """Axolotl's option names for these plugins, computed once per Axolotl version (importing its schema loads
    torch and transformers, ~12 s) and kept in the user's cache folder."""
    from importlib import metadata

    from common.cache import cache_dir

    try:
        version = metadata.version("axolotl")
    except metadata.PackageNotFoundError:
        version = None
    tag = hashlib.sha256(json.dumps(sorted(plugins)).encode()).hexdigest()[:12]
    cached = cache_dir() / f"axolotl-{version}-option-names-{tag}.json"
    if version and cached.is_file():
        return set(json.loads(cached.read_text()))
    keys = _schema_keys_from_axolotl(plugins)
    if version:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(sorted(keys)))
    return keys


def _schema_keys_from_axolotl(plugins: list[str]) -> set[str]:
    from axolotl.utils.schemas.config import AxolotlInputConfig

    models = [AxolotlInputConfig]
    for name in plugins:
        if name == f"{__name__}.RecipeCheck":
            continue
        try:
            from axolotl.integrations.base import load_plugin

            args = load_plugin(name).get_input_args()
        except Exception:  # noqa: BLE001 - a plugin we cannot load adds no known keys; axolotl will say why
            continue
        if args:
            module, _, cls = args.rpartition(".")
            models.append(getattr(__import__(module, fromlist=[cls]), cls))
    keys = {"axolotl_config_path"}  # set by Axolotl's own loader
    for m in models:
        for name, f in m.model_fields.items():
            keys |= {name, f.alias} - {None}
    return keys


def _looks_local(value: str) -> bool:
    return value.startswith((".", "/", "~")) or value.startswith(("models/", "outputs/", "data/")) or os.sep * 2 in value


def problems(cfg: dict, where: str) -> list[str]:
    """Every problem of the recipe, each naming the key and the file."""
    out = []
    known = _schema_keys(list(cfg.get("plugins") or []))
    for key in cfg:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            out.append(f"{where}: `{key}` is not an Axolotl option" + (f" (did you mean `{near[0]}`?)" if near else ""))
    for key, (low, high) in RANGES.items():
        value = cfg.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{where}: `{key}` must be a number, got {value!r}")
        elif value < low or (high is not None and value > high):
            out.append(f"{where}: `{key}` is {value}, must be {'≥ ' + str(low) if high is None else f'in [{low}, {high}]'}")
    base = str(cfg.get("base_model") or "")
    if not base:
        out.append(f"{where}: `base_model` is missing")
    elif _looks_local(base) and not Path(base).expanduser().exists():
        out.append(f"{where}: `base_model` {base!r} is not a folder here (a hub id looks like `org/name`; "
                   "pass `--base_model /local/folder` for local weights)")
    elif not _looks_local(base) and not Path(base).exists() and os.environ.get("HF_HUB_OFFLINE") == "1":
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(base, "config.json"), str):
            out.append(f"{where}: `base_model` {base!r} is a hub id, the hub is offline (HF_HUB_OFFLINE=1) and it is "
                       "not in the local cache; pass `--base_model /local/folder`")
    for i, ds in enumerate(cfg.get("datasets") or []):
        path = str((ds or {}).get("path", ""))
        if (ds or {}).get("ds_type") == "json" and not Path(path).exists():
            out.append(f"{where}: `datasets[{i}].path` {path!r} does not exist (run `bash scripts/prepare.sh` first)")
    return out


def check_file(path: str, overrides: dict | None = None) -> list[str]:
    try:
        cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path}: cannot be read as YAML: {exc}"]
    if not isinstance(cfg, dict):
        return [f"{path}: not a mapping of Axolotl options"]
    return problems({**cfg, **(overrides or {})}, path)


def __getattr__(name: str):
    """`RecipeCheck` and `GracefulStop` (axolotl_configs.plugin) load Axolotl and transformers: only when asked for,
    as Axolotl does for the recipes' `plugins: [axolotl_configs.check.RecipeCheck]`, never for the command."""
    if name in ("RecipeCheck", "GracefulStop"):
        from . import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipes", nargs="+", help="recipe YAML files")
    p.add_argument("--base_model", help="the local folder a training would pass as --base_model")
    a = p.parse_args(argv)
    from common.quiet import quiet_libraries

    quiet_libraries()  # the first run imports Axolotl's schema (and torch) once, to cache its option names
    bad = 0
    for path in a.recipes:
        found = check_file(path, {"base_model": a.base_model} if a.base_model else None)
        for line in found:
            print(line, file=sys.stderr)
        if not found:
            print(f"{path}: ok")
        bad += bool(found)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
