#!/usr/bin/env bash
# Merge a Gemma grid run brought back by lab/offline_gpu/receive.sh into an archive (GEMMA_ARCHIVE, default
# runs/gemma_grid; created when missing), so that the next GPU session resumes from it and
# scripts/report_gemma_grid.sh can rebuild the report: the LABELs' result JSONs (into results/), their samples (into
# samples.tar.xz) with their run.json, every log of the run (into logs.tar.xz, in a folder named for the run's first log's UTC time, so
# that two sessions of one day keep their own experiment.log), the trainer_state.json of each adapter
# trained in the run (into training/) and the adapters' sha256.
#   [GEMMA_ARCHIVE=DIR] lab/offline_gpu/archive_gemma.sh outputs/gpu/tmp/codelora LABEL...
set -euo pipefail
got=${1:?folder that receive.sh filled (…/tmp/codelora)}; shift
src=$got/repo/outputs; R=${GEMMA_ARCHIVE:-runs/gemma_grid}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
first=$(ls -tr "$got"/out/*.log "$src"/eval/logs/*.log 2>/dev/null | head -1 || true)
run=$( [ -n "$first" ] && date -u -r "$first" +%F-%H%M || date -u +%F)
mkdir -p "$tmp/samples" "$tmp/logs/$run" "$R/results"
touch "$R/adapters.sha256"
[ -f "$R/samples.tar.xz" ] && tar -C "$tmp/samples" -xJf "$R/samples.tar.xz"
[ -f "$R/logs.tar.xz" ] && tar -C "$tmp/logs" -xJf "$R/logs.tar.xz"
for label in "$@"; do
  found=0
  for f in "$src/eval/$label"/*/results_*.json; do
    [ -f "$f" ] || continue
    model=$(basename "$(dirname "$f")"); found=1
    rm -rf "$R/results/$label" "$tmp/samples/$label"
    mkdir -p "$R/results/$label/$model" "$tmp/samples/$label/$model"
    cp "$f" "$R/results/$label/$model/"
    [ -f "$src/eval/$label/run.json" ] && cp "$src/eval/$label/run.json" "$R/results/$label/"  # what the run is
    cp "$(dirname "$f")"/samples_*.jsonl "$tmp/samples/$label/$model/"
  done
  [ "$found" = 1 ] || { echo "no results for $label in $src/eval" >&2; exit 1; }
done
cp "$src"/eval/logs/*.log "$got"/out/*.log "$tmp/logs/$run/" 2>/dev/null || true
for a in "$src"/adapters/*/; do
  name=$(basename "$a")
  state=$(ls -d "$a"checkpoint-*/ 2>/dev/null | sort -V | tail -1 || true)  # the last checkpoint holds the whole history
  if [ -n "$state" ] && [ -f "${state}trainer_state.json" ]; then
    mkdir -p "$R/training/$name" && cp "${state}trainer_state.json" "$R/training/$name/"
  fi
done
if [ -f "$got/out/adapters.sha256" ]; then
  sed -E 's#outputs/adapters/([^/]+)/+#\1/#' "$got/out/adapters.sha256" | cat - "$R/adapters.sha256" \
    | sort -u -k2,2 > "$tmp/sha" && mv "$tmp/sha" "$R/adapters.sha256"
fi
tar -C "$tmp/samples" -cf - . | xz -9 > "$R/samples.tar.xz"
tar -C "$tmp/logs" -cf - . | xz -9 > "$R/logs.tar.xz"
du -sh "$R"/*.tar.xz
