#!/usr/bin/env bash
# Start jobs of lab/offline_gpu/jobs.sh detached from the device call, one after the other (they run on after the call
# returns, until the machine is handed back):  lab/offline_gpu/start.sh multigpu evaldp
W=/tmp/codelora
[ $# -gt 0 ] || { echo "usage: start.sh JOB..." >&2; exit 2; }
chain=""
for name in "$@"; do
  # a job started again: its earlier log kept as NAME-N.log, and no earlier .rc to tell collect.sh it has ended
  if [ -f "$W/out/$name.log" ]; then
    n=1; while [ -e "$W/out/$name-$n.log" ]; do n=$((n + 1)); done
    mv "$W/out/$name.log" "$W/out/$name-$n.log"
  fi
  rm -f "$W/out/$name.rc"
  chain+="bash '$W/repo/lab/offline_gpu/jobs.sh' $name > '$W/out/$name.log' 2>&1; echo \$? > '$W/out/$name.rc'; "
done
setsid nohup bash -c "$chain" > /dev/null 2>&1 < /dev/null &
echo "[start] $* (pid $!)"
