#!/usr/bin/env bash
# Start a job of scripts/gpu/jobs.sh detached from the device call (it runs on after the call returns, until the
# machine is handed back):  scripts/gpu/start.sh cost
W=/tmp/codelora
name=${1:?job name}
setsid nohup bash -c "bash '$W/repo/scripts/gpu/jobs.sh' $name > '$W/out/$name.log' 2>&1; echo \$? > '$W/out/$name.rc'" \
  > /dev/null 2>&1 < /dev/null &
echo "[start] $name (pid $!)"
