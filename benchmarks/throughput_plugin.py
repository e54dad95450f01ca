"""Axolotl plugin for benchmarks/bench_qlora_cost.py: times every optimizer step (after CUDA synchronisation),
reads Axolotl's cumulative token counters and the peak GPU memory, and writes
$CODELORA_THROUGHPUT_DIR/throughput-rank{RANK}.json when training ends; with CODELORA_PROFILE_STEP=N, optimizer step
N runs under torch.profiler and its top kernels go to throughput-profile.json (benchmarks/step_profile.py). Enable with
`plugins: [benchmarks.throughput_plugin.ThroughputPlugin]` (the repo root on PYTHONPATH)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch
from axolotl.integrations.base import BasePlugin
from transformers import TrainerCallback

from benchmarks.step_profile import profiler, top_kernels


class ThroughputCallback(TrainerCallback):
    def __init__(self, out_dir: Path):
        self.out_dir, self.steps, self.begin, self.peak, self.attention = out_dir, [], None, 0, None
        self.profile_step, self.prof = int(os.environ.get("CODELORA_PROFILE_STEP", 0)), None

    def _mark(self, state) -> dict:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        tokens = getattr(state, "tokens", {})
        return {"t": time.perf_counter(), "step": state.global_step,
                "slots": float(tokens.get("total", torch.zeros(1)).sum()),
                "trainable": float(tokens.get("trainable", torch.zeros(1)).sum())}

    def on_train_begin(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self.begin = self._mark(state)
        model = kwargs.get("model")  # the attention function the model runs (sdpa, or a plugin's)
        self.attention = getattr(getattr(model, "config", None), "_attn_implementation", None)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.profile_step and state.global_step + 1 == self.profile_step and int(os.environ.get("RANK", 0)) == 0:
            self.prof = profiler()
            self.prof.__enter__()

    def on_step_end(self, args, state, control, **kwargs):
        if self.prof is not None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.prof.__exit__(None, None, None)
            (self.out_dir / "throughput-profile.json").write_text(json.dumps({"step": state.global_step, **top_kernels(self.prof)}))
            self.prof = None
        self.steps.append(self._mark(state))
        # axolotl resets the peak counters each time it logs (after this callback): keep the running maximum
        if torch.cuda.is_available():
            self.peak = max(self.peak, torch.cuda.max_memory_allocated())

    def on_train_end(self, args, state, control, **kwargs):
        rank = int(os.environ.get("RANK", 0))
        cuda = torch.cuda.is_available()
        (self.out_dir / f"throughput-rank{rank}.json").write_text(json.dumps({
            "begin": self.begin, "steps": self.steps, "world_size": int(os.environ.get("WORLD_SIZE", 1)),
            "peak_allocated": max(self.peak, torch.cuda.max_memory_allocated()) if cuda else 0,
            "peak_reserved": torch.cuda.max_memory_reserved() if cuda else 0,
            "gpu": torch.cuda.get_device_name() if cuda else "cpu", "torch": torch.__version__,
            "attention": self.attention}))


class ThroughputPlugin(BasePlugin):
    def add_callbacks_post_trainer(self, cfg, trainer):
        return [ThroughputCallback(Path(os.environ.get("CODELORA_THROUGHPUT_DIR", ".")))]
