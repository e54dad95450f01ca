#!/usr/bin/env bash
# Download the Python 3.12 wheels the offline GPU machine needs, in five sets:
# a = ../shared/gpu/wheels-a.txt (4-bit kernels, small needs), b, c, d = the lists beside this script, e = Unsloth.
# Usage: bash lab/offline_gpu/fetch_wheels.sh [DEST]   (DEST defaults to .gpu-wheels, which git ignores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-.gpu-wheels}
plat=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
      --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 --platform any)
sdist_only=" axolotl_contribs_mit axolotl_contribs_lgpl langdetect sqlitedict word2number tempdir wget "
for set in a b c d e; do
  list="$here/wheels-$set.txt"; [ -f "$list" ] || list="$here/../../../shared/gpu/wheels-$set.txt"
  rm -rf "${dest:?}/$set"; mkdir -p "$dest/$set"
  grep -v '^#' "$list" | grep . | while read -r req; do
    if [[ "$sdist_only" == *" ${req%%==*} "* ]]; then
      pip wheel -q --no-deps -w "$dest/$set" "$req" 2>/dev/null
    else
      pip download -q --no-deps "${plat[@]}" -d "$dest/$set" "$req" 2>/dev/null
    fi
  done
  du -sh "$dest/$set"
done
