#!/usr/bin/env bash
# Train one recipe, or every recipe matching a pattern:  scripts/train.sh mistral7b-code-r32
#                                                        scripts/train.sh 'gemma3-270m-*'
# A recipe whose adapter already exists (outputs/adapters/NAME/adapter_model.safetensors) is skipped.
# LAUNCH overrides the launcher (default: accelerate launch -m axolotl.cli.train); extra args go to axolotl.
source "$(dirname "$0")/_lib.sh"
pattern=${1:?usage: scripts/train.sh RECIPE_OR_GLOB [axolotl args...]}; shift
bash scripts/prepare.sh
# Growable allocator segments: with the full recipes' activation offloading, less GPU memory reserved at the same
# speed (axolotl_configs/recipes.py, activation_offloading). A value you set yourself is kept.
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
found=0
for cfg in axolotl_configs/$pattern.yml; do
  [ -f "$cfg" ] || continue; found=1
  name=$(basename "$cfg" .yml)
  if [ -f "outputs/adapters/$name/adapter_model.safetensors" ]; then echo "skip $name (adapter exists)" >&2; continue; fi
  step "train $name"
  ${LAUNCH:-accelerate launch -m axolotl.cli.train} "$cfg" "$@"
done
[ "$found" = 1 ] || { echo "no recipe matches axolotl_configs/$pattern.yml" >&2; exit 2; }
