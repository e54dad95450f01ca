# Shared by the scripts: stop on the first error and say which step failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} HF_DATASETS_OFFLINE=${HF_DATASETS_OFFLINE:-1} TOKENIZERS_PARALLELISM=false \
       AXOLOTL_DO_NOT_TRACK=1 DO_NOT_TRACK=1 WANDB_MODE=${WANDB_MODE:-disabled}
STEP="start"
trap 'echo "[$(basename "$0")] failed at step: $STEP" >&2' ERR
step() { STEP="$1"; echo "[$(basename "$0")] $1" >&2; }
