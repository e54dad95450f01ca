#!/usr/bin/env bash
# Install the project and everything its jobs and tests use (idempotent; quick when already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
# The sandbox's preferred isolation; without it (and as root) it falls back to unshare + setpriv.
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null; } \
    || echo "setup.sh: bubblewrap could not be installed; the sandbox will use unshare + setpriv" >&2
fi
# libseccomp builds the sandbox's seccomp filter (through pyseccomp); Debian and Ubuntu base images have it
if ! ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -q libseccomp2 >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q libseccomp2 >/dev/null; } \
    || echo "setup.sh: libseccomp2 could not be installed; the sandbox will run without its seccomp filter" >&2
fi
# llama-cpp-python builds from source: -DGGML_NATIVE=OFF, because a native build on a VM whose CPU advertises more
# than it grants (AMX here) dies with "Illegal instruction"; AVX2/FMA/F16C is what x86-64 machines of the last decade
# have. 6-20 minutes once (2 cores), then pip's wheel cache.
export CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"}
# transformers 5 reads SentencePiece models (the Mistral tokenizer) through protobuf >= 7.36; axolotl's optional
# extras (modal, google-generativeai) pin protobuf < 6 but are not used here, so pip's conflict warning is expected.
PROTOBUF=protobuf==7.36.2
installed=1; [ -n "${FORCE:-}" ] || { python3 scripts/_installed.py all --pin "$PROTOBUF" 2>/dev/null && installed=0 || installed=$?; }
if [ "$installed" = 0 ]; then
  echo "setup.sh: every requirement is installed (FORCE=1 asks pip anyway)" >&2
elif [ "$installed" = 2 ]; then  # requirements met; only this checkout is new (a fresh clone)
  python3 -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | grep -v "Running pip as the 'root' user" || true
else
  python3 -m pip install -q --disable-pip-version-check -e ".[all]" 2>&1 | grep -v "Running pip as the 'root' user" || true
  python3 -m pip install -q --disable-pip-version-check "$PROTOBUF" 2>&1 | grep -v -e "Running pip as the 'root' user" -e "dependency resolver" -e "requires protobuf" -e "which is incompatible" || true
fi
python3 -m ipykernel install --user --name python3 >/dev/null  # the kernel nbclient runs the demo notebook in
python3 -c "import sandbox, evaluation, codealpaca_prep, lm_eval, axolotl, llama_cpp.server" || { echo "setup.sh: install failed" >&2; exit 1; }
# llama.cpp's convert_hf_to_gguf.py is in llama-cpp-python's sdist, not its wheel: fetched once into ~/.cache/codelora
python3 -c "from assistant.llama_cpp_tools import converter; converter()" >/dev/null || echo "setup.sh: llama.cpp's converter could not be fetched; assistant.export will try again" >&2
