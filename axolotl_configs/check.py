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
import os
import signal
import sys
import threading
from pathlib import Path

import yaml

RANGES = {"sequence_len": (1, None), "lora_r": (1, None), "lora_alpha": (1e-9, None), "lora_dropout": (0, 0.999),
          "learning_rate": (1e-12, 1.0), "micro_batch_size": (1, None), "gradient_accumulation_steps": (1, None),
          "num_epochs": (1e-9, None), "warmup_ratio": (0, 1), "weight_decay": (0, None)}


class RecipeError(ValueError):
    pass


def _schema_keys(plugins: list[str]) -> set[str]:
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


try:
    from axolotl.integrations.base import BasePlugin
    from transformers import TrainerCallback
except ImportError:  # the check command works without axolotl's training extras only for YAML errors
    BasePlugin = TrainerCallback = object


class GracefulStop(TrainerCallback):
    """The first Ctrl-C finishes the current step, saves the adapter and stops, saying at which step; a second
    one aborts at once, with a line instead of a traceback."""

    def __init__(self):
        self.requested, self.previous, self.state = False, None, None

    def on_train_begin(self, args, state, control, **kwargs):
        self.state, self.output_dir = state, args.output_dir
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._interrupt)

    def _interrupt(self, signum, frame):
        step = self.state.global_step if self.state else 0
        if self.requested:
            print(f"\n[codelora] aborted at step {step}; nothing more is saved", file=sys.stderr, flush=True)
            os._exit(130)
        self.requested = True
        print(f"\n[codelora] Ctrl-C at step {step}: finishing this step, then saving to {self.output_dir} and stopping "
              "(Ctrl-C again aborts at once)", file=sys.stderr, flush=True)

    def on_step_end(self, args, state, control, **kwargs):
        if self.requested:
            control.should_training_stop = control.should_save = True
            print(f"[codelora] stopped at step {state.global_step} of {state.max_steps}; the adapter so far is saved to "
                  f"{args.output_dir}", file=sys.stderr, flush=True)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None


class RecipeCheck(BasePlugin):
    """Axolotl plugin: the check above, when Axolotl registers the recipe's plugins (after CLI overrides); and
    a Ctrl-C that stops training cleanly (GracefulStop)."""

    def register(self, cfg):
        found = problems(dict(cfg), str(cfg.get("axolotl_config_path") or "the recipe"))
        if found:
            raise RecipeError("\n".join(found))

    def add_callbacks_pre_trainer(self, cfg, model):
        return [GracefulStop()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipes", nargs="+", help="recipe YAML files")
    p.add_argument("--base_model", help="the local folder a training would pass as --base_model")
    a = p.parse_args(argv)
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
