"""How the project starts Axolotl and lm-eval in child processes: the offline, no-telemetry environment and the
Accelerate launcher for several GPUs. `python -m common.launch` prints the environment as shell exports (for `eval`
in shell scripts). Variables already set by the user win."""
from __future__ import annotations

import shlex
import sys

TOOL_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "AXOLOTL_DO_NOT_TRACK": "1", "DO_NOT_TRACK": "1", "WANDB_MODE": "disabled"}


def accelerate_launch(processes: int) -> list[str]:
    """`accelerate launch` on this machine, one process per GPU; append `-m module args...`."""
    return [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
            "--num_machines", "1", "--dynamo_backend", "no"]


if __name__ == "__main__":
    print("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in TOOL_ENV.items()))
