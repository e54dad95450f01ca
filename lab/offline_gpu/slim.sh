#!/usr/bin/env bash
# Send less of the repo with each device call: what no job reads (reports/, tests/, the archived runs but those in
# KEEP) is taken out of git's index and ignored, so the device tool leaves it behind and pack.sh --split gives each
# call more room (2026-12-05: the tree 33.3 -> 7.5 MiB with KEEP=runs/gemma_grid_4/results, 9 -> 5 calls).
#   bash lab/offline_gpu/slim.sh on     before pack.sh --split and the device calls
#   bash lab/offline_gpu/slim.sh off    after the last call: the index and .git/info/exclude as they were
# Never commit in between: the commit would delete those files. KEEP (default: what the jobs read) lists runs/ paths
# that travel: the experiment's GEMMA_RESUME folder, evalspeed's adapter and committed samples, levers' rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
state=.git/codelora-slim exclude=.git/info/exclude
case ${1:-} in
  on)
    [ ! -f "$state" ] || { echo "slim.sh: already on (slim.sh off first)" >&2; exit 1; }
    git diff --cached --quiet || { echo "slim.sh: the index has staged changes; commit or unstage them first" >&2; exit 1; }
    keep=${KEEP:-runs/gemma_grid_4/results runs/gemma_grid/adapters runs/gemma_grid_3/samples.tar.xz runs/perf}
    excluded=(); for k in $keep; do excluded+=(":(exclude)$k"); done
    git ls-files reports tests runs "${excluded[@]}" > "$state"
    git rm -q --cached --pathspec-from-file="$state"
    { echo "# slim.sh"; sed 's#^#/#' "$state"; echo "# slim.sh end"; } >> "$exclude"
    echo "slim.sh: $(wc -l < "$state") files left behind; the tree now $(git ls-files -co --exclude-standard -z | du -ch --files0-from=- | tail -1 | cut -f1)" ;;
  off)
    [ -f "$state" ] || { echo "slim.sh: not on" >&2; exit 1; }
    git reset -q --pathspec-from-file="$state"
    sed -i '/^# slim.sh$/,/^# slim.sh end$/d' "$exclude"
    rm "$state"
    git status --short | head -5 ;;
  *) echo "usage: slim.sh on|off" >&2; exit 2 ;;
esac
