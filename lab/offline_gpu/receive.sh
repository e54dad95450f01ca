#!/usr/bin/env bash
# Unpack what lab/offline_gpu/collect.sh sent back from a device call:  lab/offline_gpu/receive.sh FILES_AT [DEST]
# (FILES_AT: the folder the device tool copied $OUT to). DEST (default outputs/gpu) gets tmp/codelora/{out,repo/...}.
set -euo pipefail
src=${1:?folder with results.tar.xz or results.tar.xz.partNN}; dest=${2:-outputs/gpu}
mkdir -p "$dest"
cat "$src"/results.tar.xz* | xz -d | tar -C "$dest" -xf -
find "$dest" -maxdepth 3 | head -20
