#!/usr/bin/env bash
# Wait up to WAIT seconds for the named jobs to end (all of them), print their progress, and pack what they have
# produced so far into $OUT as results.tar.xz (split in 15 MiB parts when larger; lab/offline_gpu/receive.sh joins them).
# ADAPTERS="name name" also packs those adapters' weights.   WAIT=420 lab/offline_gpu/collect.sh cost gemma
W=/tmp/codelora
deadline=$(( $(date +%s) + ${WAIT:-0} ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  running=0; for j in "$@"; do [ -f "$W/out/$j.rc" ] || running=1; done
  [ "$running" = 0 ] && break; sleep 10
done
for j in "$@"; do echo "== $j: $([ -f "$W/out/$j.rc" ] && echo "exit $(cat "$W/out/$j.rc")" || echo running)"; tail -n 12 "$W/out/$j.log" 2>/dev/null; done
nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader
cd "$W/repo" || exit 1
files=()
for f in "$W"/out/*.json "$W"/out/*.log; do [ -f "$f" ] && files+=("$f"); done
for d in outputs/eval/*/; do [ -d "$d" ] && files+=("$W/repo/$d"); done
for d in outputs/adapters/*/; do
  [ -d "$d" ] || continue
  for f in "$d"adapter_config.json "$d"README.md "$d"checkpoint-*/trainer_state.json; do [ -f "$f" ] && files+=("$W/repo/$f"); done
  [ -f "$d/adapter_model.safetensors" ] && sha256sum "$d/adapter_model.safetensors" >> "$W/out/adapters.sha256.tmp"
done
[ -f "$W/out/adapters.sha256.tmp" ] && sort -u "$W/out/adapters.sha256.tmp" > "$W/out/adapters.sha256" && rm "$W/out/adapters.sha256.tmp" && files+=("$W/out/adapters.sha256")
for a in ${ADAPTERS:-}; do files+=("$W/repo/outputs/adapters/$a/adapter_model.safetensors"); done
tar -cf - --exclude='*/checkpoint-*/optimizer.pt' "${files[@]}" 2>/dev/null | xz -3 -T0 > "$OUT/results.tar.xz" 2>/dev/null \
  || tar -cf - "${files[@]}" 2>/dev/null | python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.compress(sys.stdin.buffer.read(), preset=3))' > "$OUT/results.tar.xz"
size=$(stat -c %s "$OUT/results.tar.xz")
if [ "$size" -gt $((15 * 1024 * 1024)) ]; then split -b 15M -d "$OUT/results.tar.xz" "$OUT/results.tar.xz.part" && rm "$OUT/results.tar.xz"; fi
ls -l "$OUT"
