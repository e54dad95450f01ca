#!/usr/bin/env bash
# Install the project and everything its jobs and tests use (idempotent; quick when already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e ".[all]" 2>&1 | grep -v "Running pip as the 'root' user" || true
# transformers 5 reads SentencePiece models (the Mistral tokenizer) through protobuf >= 7.36; axolotl's optional
# extras (modal, google-generativeai) pin protobuf < 6 but are not used here, so pip's conflict warning is expected.
python3 -m pip install -q --disable-pip-version-check "protobuf==7.36.2" 2>&1 | grep -v -e "Running pip as the 'root' user" -e "dependency resolver" -e "requires protobuf" -e "which is incompatible" || true
python3 -m ipykernel install --user --name python3 >/dev/null  # the kernel nbclient runs the demo notebook in
python3 -c "import sandbox, evaluation, codealpaca_prep, lm_eval, axolotl" || { echo "setup.sh: install failed" >&2; exit 1; }
