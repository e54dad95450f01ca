"""How a graded program is kept away from the host: by the operating system, never by patching Python.

Levels, best first (`isolation()` picks the best this machine offers; `SANDBOX_ISOLATION` names one):
- "bwrap": bubblewrap (Debian/Ubuntu package `bubblewrap`). New mount, PID, network, IPC, UTS and cgroup
  namespaces (and a user namespace when not root); the whole system read-only; a private size-capped tmpfs as
  working directory and /tmp, small ones on /dev/shm, /run and /var/tmp; a private /proc (no other process
  visible) and a minimal /dev; no_new_privs; a fixed clean environment. As root, the program runs as host uid/gid
  65534 (nobody, via util-linux `setpriv`, no capabilities, empty bounding set), so that file permissions bind: a
  root-mapped user namespace would still own root's files. Directories nobody cannot enter (root's 0700 home,
  say) are replaced by an empty tmpfs, with only the interpreter's own folders bound back read-only.
- "unshare": util-linux `unshare` + `setpriv`, as root only: new mount, PID, network, IPC and UTS namespaces,
  every mount remounted read-only inside them, private tmpfs on /tmp (the working directory), /var/tmp, /dev/shm
  and /run, the program run as nobody without capabilities. Root's home stays visible read-only to nobody's
  permissions.
- "process": no namespaces, only the limits below. Refused unless the user opts in (`SANDBOX_ISOLATION=process`):
  a graded program can then read whatever the user can and reach the network.
Every level keeps: rlimits (address space, CPU seconds, file size, open files, core dumps, processes), a `pids`
cgroup per running program when running as root (RLIMIT_NPROC does not bind root), a new session so the whole group
is SIGKILLed at its deadline, and the grader's own wall-clock deadlines.
Not protected: kernel exploits (the namespaces share the host kernel), CPU and memory-bandwidth contention
with the grader, and what the user's own file permissions expose read-only at the "bwrap" level as a non-root user.
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import stat
import sys
import time
from functools import lru_cache

NOBODY = 65534
LEVELS = ("bwrap", "unshare", "process")


class IsolationError(RuntimeError):
    pass


def _bwrap_works() -> bool:
    import subprocess

    if not shutil.which("bwrap"):
        return False
    cmd = command("bwrap", [sys.executable, "-s", "-P", "-c", "pass"], 64 << 20)
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=None)
def isolation_level() -> str:
    """The isolation level this process grades with; raises IsolationError when none is allowed."""
    wanted = os.environ.get("SANDBOX_ISOLATION", "")
    if wanted and wanted not in LEVELS:
        raise IsolationError(f"SANDBOX_ISOLATION={wanted!r}: choose one of {', '.join(LEVELS)}")
    if wanted == "process":
        return "process"
    if wanted in ("", "bwrap") and sys.platform.startswith("linux") and (os.geteuid() != 0 or shutil.which("setpriv")) \
            and _bwrap_works():
        return "bwrap"
    if wanted in ("", "unshare") and os.geteuid() == 0 and shutil.which("unshare") and shutil.which("setpriv"):
        return "unshare"
    raise IsolationError(
        "no OS sandbox is available here: install bubblewrap (`apt-get install bubblewrap`; it needs user "
        "namespaces), or run as root with util-linux's unshare. To grade without one anyway - the programs can then "
        "read your files and reach the network - set SANDBOX_ISOLATION=process.")


def _inaccessible_ancestors(path: str) -> tuple[str | None, str]:
    """The highest ancestor of `path` that user nobody cannot enter, if any."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts) + 1):
        d = os.sep.join(parts[:i]) or os.sep
        try:
            mode = os.stat(d).st_mode
        except OSError:
            return None, path
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return d, path
    return None, path


@lru_cache(maxsize=None)
def _interpreter_binds() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(directories to hide behind a tmpfs, paths to bind back read-only) so that nobody can run this Python."""
    needed = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              os.path.dirname(os.path.abspath(__file__))}
    needed |= {p for p in sys.path if p and os.path.isdir(p)}
    hide, bind = set(), set()
    if os.geteuid() == 0:
        for p in needed:
            top, real = _inaccessible_ancestors(p)
            if top:
                hide.add(top)
                bind.add(real)
    bind = {b for b in bind if not any(b != o and b.startswith(o + os.sep) for o in bind)}
    return tuple(sorted(hide)), tuple(sorted(bind))


_SETPRIV = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all"]


def _bwrap_args(tmp_bytes: int) -> list[str]:
    # As root, bwrap needs no user namespace to mount, and one would map the program to root's files; the program
    # is then started as host uid 65534 with no capabilities left to gain.
    hide, bind = _interpreter_binds()
    ns = ["--unshare-all"] if os.geteuid() != 0 else ["--unshare-pid", "--unshare-net", "--unshare-ipc",
                                                       "--unshare-uts", "--unshare-cgroup"]
    args = [*ns, "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    for d in hide:
        args += ["--tmpfs", d]
    for b in bind:
        top = next(d for d in hide if b.startswith(d + os.sep))
        parts = b[len(top) + 1:].split(os.sep)
        for i in range(1, len(parts)):  # bwrap would create them 0700, out of nobody's reach
            args += ["--perms", "0755", "--dir", os.path.join(top, *parts[:i])]
        args += ["--ro-bind", b, b]
    for d in ("/tmp", "/dev/shm", "/run", "/var/tmp"):
        args += ["--perms", "1777", "--size", str(tmp_bytes if d == "/tmp" else 1 << 20), "--tmpfs", d]
    return args + ["--chdir", "/tmp"]


def command(level: str, argv: list[str], tmp_bytes: int, cgroup: str | None = None) -> list[str]:
    """`argv` (an interpreter command) wrapped for `level`, first joining the `cgroup` folder when given. No
    preexec hook: without one, CPython starts the child with vfork, which a grader holding a model in memory
    needs (a fork copies its page tables for every program). The graded process sets its own rlimits first thing."""
    if level == "bwrap":
        cmd = ["bwrap", *_bwrap_args(tmp_bytes), "--", *(_SETPRIV if os.geteuid() == 0 else []), *argv]
    elif level == "unshare":
        inner = ("mount --make-rprivate / && for m in $(cut -d' ' -f5 /proc/self/mountinfo); do "
                 'mount -o remount,bind,ro "$m" 2>/dev/null; done; '
                 f"mount -t tmpfs -o size={tmp_bytes},mode=1777 tmpfs /tmp && for d in /var/tmp /dev/shm /run; do "
                 "mount -t tmpfs -o size=1m,mode=1777 tmpfs $d; done; cd /tmp && exec setpriv --reuid 65534 "
                 '--regid 65534 --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all "$@"')
        cmd = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc", "--uts", "--",
               "/bin/sh", "-c", inner, "sh", *argv]
    else:
        cmd = argv
    if cgroup:
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(cgroup, "cgroup.procs"), *cmd]
    return cmd


class PidsCgroup:
    """A cgroup-v1/v2 `pids` group for one running program at a time, used when running as root (RLIMIT_NPROC does
    not bind root)."""

    _roots = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")
    LINGER = 4

    def __init__(self, max_pids: int):
        self.path = None
        if os.geteuid() != 0:
            return
        for root in self._roots:
            if not os.path.isfile(os.path.join(root, "cgroup.procs")) or not os.access(root, os.W_OK):
                continue
            path = os.path.join(root, f"sandbox-{os.getpid()}-{secrets.token_hex(4)}")
            try:
                os.mkdir(path)
                with open(os.path.join(path, "pids.max"), "w") as fh:
                    fh.write(str(max_pids))
            except OSError:
                try:
                    os.rmdir(path)  # a cgroup folder is removed with rmdir, its control files go with it
                except OSError:
                    pass
                continue
            self.path = path
            atexit.register(self.remove)
            return

    def kill_all(self) -> None:
        if not self.path:
            return
        for attempt in range(50):
            try:
                pids = [int(p) for p in open(os.path.join(self.path, "cgroup.procs")).read().split()]
            except OSError:
                return
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
        try:
            with open(os.path.join(self.path, "pids.max"), "w") as fh:
                fh.write(str(counted + processes))
        except OSError:
            pass  # pids.max stays as it was; RLIMIT_NPROC still binds
        return counted

    def remove(self) -> None:
        if self.path:
            self.kill_all()
            try:
                os.rmdir(self.path)
            except OSError:
                pass
            self.path = None


def report() -> dict:
    """What this machine's sandbox enforces: stored with results as their provenance."""
    try:
        level = isolation_level()
    except IsolationError as exc:
        return {"level": "none", "why": str(exc)}
    cg = PidsCgroup(8)
    out = {"level": level,
           "namespaces": {"bwrap": "user, mount, pid, network, ipc, uts, cgroup",
                          "unshare": "mount, pid, network, ipc, uts", "process": "none"}[level],
           "user": "nobody (65534)" if level != "process" and os.geteuid() == 0 else "the caller",
           "filesystem": {"bwrap": "read-only root, private tmpfs /tmp (cwd), /dev/shm, /run, /var/tmp",
                          "unshare": "read-only mounts, private tmpfs /tmp (cwd), /var/tmp, /dev/shm, /run",
                          "process": "the caller's"}[level],
           "process_limit": "pids cgroup" if cg.path else "RLIMIT_NPROC",
           "limits": "RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, deadlines with group kill"}
    cg.remove()
    return out
