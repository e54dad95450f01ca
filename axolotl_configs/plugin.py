"""The Axolotl plugin every recipe lists (as `axolotl_configs.check.RecipeCheck`): the recipe check when Axolotl
registers its plugins, and a clean stop on Ctrl-C. Kept apart from axolotl_configs.check, whose command loads
neither Axolotl nor transformers."""
from __future__ import annotations

import os
import signal
import sys
import threading

from .check import RecipeError, problems

try:
    from axolotl.integrations.base import BasePlugin
    from transformers import TrainerCallback
except ImportError:  # without the training extras the classes still import (their tests need no Axolotl)
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
