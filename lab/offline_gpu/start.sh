#!/usr/bin/env bash
# Start jobs of lab/offline_gpu/jobs.sh detached from the device call, one after the other (they run on after the call
# returns, until the machine is handed back):  lab/offline_gpu/start.sh multigpu evaldp
W=/tmp/codelora
[ $# -gt 0 ] || { echo "usage: start.sh JOB..." >&2; exit 2; }
chain=""
for name in "$@"; do
  chain+="bash '$W/repo/lab/offline_gpu/jobs.sh' $name > '$W/out/$name.log' 2>&1; echo \$? > '$W/out/$name.rc'; "
done
setsid nohup bash -c "$chain" > /dev/null 2>&1 < /dev/null &
echo "[start] $* (pid $!)"
