"""One cgroup per running program, with a `pids` and a `memory` limit over all its processes together.

cgroup v1 (a folder per controller, /sys/fs/cgroup/pids and /sys/fs/cgroup/memory): each group is made below the
grader's own group of that controller (from /proc/self/cgroup), or the hierarchy's root when that is not writable;
memory.limit_in_bytes, memory.memsw.limit_in_bytes (no swap beyond it) and memory.swappiness 0. cgroup v2: one group
below the grader's own with pids.max, memory.max, memory.swap.max 0 and memory.oom.group 1 (an out-of-memory kill
takes the whole program). Made only as root; a controller that cannot be made is left out and `report()` says so
(RLIMIT_NPROC and RLIMIT_AS, set by the graded process, still bind each process).
"""
from __future__ import annotations

import atexit
import os
import secrets
import signal
import time

ROOT = "/sys/fs/cgroup"


def _own(controller: str) -> str:
    """The grader's own group for a v1 `controller` ("" for v2), from /proc/self/cgroup."""
    try:
        for line in open("/proc/self/cgroup"):
            _, names, path = line.rstrip("\n").split(":", 2)
            if controller in names.split(",") or (controller == "" and names == ""):
                return path
    except OSError:
        pass
    return "/"


def _write(path: str, value) -> bool:
    try:
        with open(path, "w") as fh:
            fh.write(str(value))
        return True
    except OSError:
        return False


def _v2() -> bool:
    return os.path.isfile(os.path.join(ROOT, "cgroup.controllers"))


def _parents(controller: str) -> list[str]:
    """Where a group for `controller` may be made, best first."""
    if _v2():
        base = [os.path.normpath(ROOT + _own(""))]
        return base + ([ROOT] if base[0] != ROOT else [])
    mount = os.path.join(ROOT, controller)
    own = os.path.normpath(mount + _own(controller))
    return [own] + ([mount] if own != mount else [])


def _make(controller: str) -> str | None:
    for parent in _parents(controller):
        if not os.path.isfile(os.path.join(parent, "cgroup.procs")) or not os.access(parent, os.W_OK):
            continue
        if _v2():
            _write(os.path.join(parent, "cgroup.subtree_control"), f"+{controller}")
        path = os.path.join(parent, f"sandbox-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.mkdir(path)
        except OSError:
            continue
        if os.path.exists(os.path.join(path, f"{controller}.max" if controller == "pids" or _v2() else
                                       "memory.limit_in_bytes")):
            return path
        try:
            os.rmdir(path)  # a cgroup folder is removed with rmdir, its control files go with it
        except OSError:
            pass
    return None


class ProgramCgroup:
    """The cgroup(s) of one running program at a time (a slot's programs follow each other through it).
    `path`: the pids group (None without one); `memory_path`: the memory group; `paths`: every group to join."""

    LINGER = 4

    def __init__(self, max_pids: int, memory_bytes: int | None = None):
        self.path = self.memory_path = None
        self.memory_bytes = None
        self._oom_base = 0
        if os.geteuid() != 0:
            return
        self.path = _make("pids")
        if self.path:
            _write(os.path.join(self.path, "pids.max"), max_pids)
        self.memory_path = self.path if _v2() and self.path and os.path.isfile(
            os.path.join(self.path, "memory.max")) else (None if _v2() else _make("memory"))
        if self.path or self.memory_path:
            atexit.register(self.remove)
        if memory_bytes:
            self.limit_memory(memory_bytes)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for p in (self.path, self.memory_path) if p))

    def limit_memory(self, memory_bytes: int) -> bool:
        """All the program's processes together may hold `memory_bytes` (resident and page cache), no swap."""
        m = self.memory_path
        if not m:
            return False
        if memory_bytes == self.memory_bytes:
            return True
        if _v2():
            ok = _write(os.path.join(m, "memory.max"), memory_bytes)
            _write(os.path.join(m, "memory.swap.max"), 0)
            _write(os.path.join(m, "memory.oom.group"), 1)
        else:
            _write(os.path.join(m, "memory.swappiness"), 0)
            memsw = os.path.join(m, "memory.memsw.limit_in_bytes")
            raising = self.memory_bytes is None or memory_bytes > self.memory_bytes
            if raising and os.path.exists(memsw):  # memsw may never be below the memory limit
                _write(memsw, memory_bytes)
            ok = _write(os.path.join(m, "memory.limit_in_bytes"), memory_bytes)
            if not raising and os.path.exists(memsw):
                _write(memsw, memory_bytes)
        self.memory_bytes = memory_bytes if ok else None
        return ok

    def oom_kills(self) -> int:
        """Processes the kernel killed for the memory limit since this program was admitted."""
        return self._oom_count() - self._oom_base

    def _oom_count(self) -> int:
        if not self.memory_path:
            return 0
        name = "memory.events" if _v2() else "memory.oom_control"
        try:
            for line in open(os.path.join(self.memory_path, name)):
                key, _, val = line.partition(" ")
                if key == "oom_kill":
                    return int(val)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self) -> None:
        for attempt in range(50):
            pids = set()
            for p in self.paths:
                try:
                    pids |= {int(x) for x in open(os.path.join(p, "cgroup.procs")).read().split()}
                except OSError:
                    pass
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.001 * (attempt + 1))

    def admit(self, processes: int, timeout: float = 5.0) -> int:
        """Give the next program `processes` tasks of its own: pids.max = the tasks still counted + `processes`.
        A finished program's tasks stay counted for a while after they exit (here one per program, released by the
        kernel in batches about a second apart), so a fixed pids.max gave each program less room the faster they
        followed each other: a fork failed with EAGAIN ("bwrap: Can't fork"), and waiting for the count to fall
        stalled every few dozen programs for up to a second. Only beyond `LINGER` x `processes` counted tasks (a
        killed program's many threads) does it wait for them, killing what is left in the group, for at most
        `timeout` seconds. Returns the tasks counted when the program was admitted."""
        self._oom_base = self._oom_count()
        if not self.path:
            return 0
        deadline = time.monotonic() + timeout
        while True:
            try:
                counted = int(open(os.path.join(self.path, "pids.current")).read())
            except (OSError, ValueError):
                return 0
            if counted <= self.LINGER * processes or time.monotonic() >= deadline:
                break
            self.kill_all()
            time.sleep(0.002)
        _write(os.path.join(self.path, "pids.max"), counted + processes)  # else RLIMIT_NPROC still binds
        return counted

    def remove(self) -> None:
        if self.paths:
            self.kill_all()
            for p in self.paths:
                try:
                    os.rmdir(p)
                except OSError:
                    pass
        self.path = self.memory_path = None

    def describe(self) -> dict:
        v = "v2" if _v2() else "v1"
        return {"processes": f"pids cgroup ({v})" if self.path else "RLIMIT_NPROC only (no pids cgroup here)",
                "memory": (f"memory cgroup ({v}) over all the program's processes, no swap"
                           + (", killed together on OOM" if v == "v2" else "") if self.memory_path else
                           "RLIMIT_AS per process only (no memory cgroup could be made here)")}


PidsCgroup = ProgramCgroup  # the earlier name
