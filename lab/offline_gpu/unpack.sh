# Source at the start of every device call, in the repo root:  source lab/offline_gpu/unpack.sh
# The GPU machine keeps /tmp while it stays warm, and each call brings one .gpu-wheels/callN (lab/offline_gpu/pack.sh).
# This installs the Python site once, copies the repo to $W/repo (background jobs run there, out of reach of the
# next call's tree sync), restores data/prepared, collects the GGUF pieces (and those of adapters.tar, unpacked into
# $W/repo/outputs/adapters once all have come) and, once all have come, converts
# Gemma 3 270M into $W/repo/models/gemma-3-270m. It exports the environment every command needs.
W=/tmp/codelora
mkdir -p "$W/gguf" "$W/out" "$W/repo"
untar() { python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }
if [ ! -f "$W/repo.ok" ] || [ -n "${REPO_SYNC:-}" ]; then  # once, unless asked: jobs may be importing from it
  tar --exclude=./.gpu-wheels --exclude=./.git -cf - . | tar -C "$W/repo" -xf - && touch "$W/repo.ok"
fi
for d in .gpu-wheels/call*; do
  [ -d "$d" ] || continue
  if [ -f "$d/site.tar.xz" ] && [ ! -f "$W/site.ok" ]; then untar "$d/site.tar.xz" "$W/site" && touch "$W/site.ok"; fi
  [ -f "$d/prepared.tar.xz" ] && untar "$d/prepared.tar.xz" "$W/repo"
  cp "$d"/gguf.* "$W/gguf/" 2>/dev/null || true
  cp "$d"/adapters.* "$W/gguf/" 2>/dev/null || true
done
if [ -f "$W/gguf/adapters.count" ] && [ ! -f "$W/adapters.ok" ] && \
   [ "$(ls "$W"/gguf/adapters.[0-9]* 2>/dev/null | wc -l)" = "$(cat "$W/gguf/adapters.count")" ]; then  # pack.sh's adapters.tar
  mkdir -p "$W/repo/outputs/adapters" && cat "$W"/gguf/adapters.[0-9]* | tar -C "$W/repo/outputs/adapters" -xf - \
    && touch "$W/adapters.ok" && echo "[unpack] adapters: $(ls "$W/repo/outputs/adapters" | tr '\n' ' ')"
fi
eval "$(python3 -m common.launch)"  # offline, no telemetry
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1  # these hosts forbid NVLink multicast
export PYTHONPATH=$W/site:$W/repo PYTHONUNBUFFERED=1 HF_HOME=$W/hf
gemma=$W/repo/models/gemma-3-270m
if [ ! -f "$gemma/config.json" ] && [ -f "$W/gguf/gguf.count" ] && \
   [ "$(ls "$W"/gguf/gguf.[0-9]* | wc -l)" = "$(cat "$W/gguf/gguf.count")" ]; then
  cat "$W"/gguf/gguf.[0-9]* | python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)' > "$W/model.gguf"
  (cd "$W/repo" && python3 -m model_builders.gemma_gguf "$gemma" --gguf "$W/model.gguf") > "$W/out/convert.log" 2>&1 \
    && echo "[unpack] Gemma converted" || { echo "[unpack] Gemma conversion failed:"; tail -20 "$W/out/convert.log"; }
fi
echo "[unpack] site: $([ -f "$W/site.ok" ] && echo ok || echo missing); gguf pieces: $(ls "$W"/gguf/gguf.[0-9]* 2>/dev/null | wc -l)/$(cat "$W/gguf/gguf.count" 2>/dev/null); gemma: $([ -f "$gemma/config.json" ] && echo ready || echo not yet)"
