"""How a graded program is kept away from the host: by the operating system, never by patching Python.

Levels, best first (`isolation()` picks the best this machine offers; `SANDBOX_ISOLATION` names one):
- "bwrap": bubblewrap (Debian/Ubuntu package `bubblewrap`). New mount, PID, network, IPC, UTS and cgroup
  namespaces (and a user namespace when not root); an explicit minimal filesystem view built on an empty root
  (`view.py`: the interpreter, its shared libraries and standard library, the allowed packages, setpriv, a generated
  /etc; `python -m sandbox.isolation --show` prints it), the task's files bound read-only into a private size-capped
  tmpfs that is the working directory and /tmp, small tmpfs on /dev/shm, /run and /var/tmp; a private /proc (no
  other process visible; its host-wide counters, view.PROC_FILES, replaced by static files) and a minimal /dev; a
  seccomp filter (`seccomp_filter.py`: keyrings, tracing, mounts and namespaces, kernel modules, clocks denied);
  no_new_privs; a fixed clean environment. As root, the program runs as host uid/gid 65534 (nobody, via util-linux
  `setpriv`, no capabilities, empty bounding set), so that file permissions bind: a root-mapped user namespace
  would still own root's files.
- "unshare": util-linux `unshare` + `setpriv`, as root only: new mount, PID, network, IPC and UTS namespaces; the
  same minimal filesystem view as bwrap's, built by `mount` in a private tmpfs and entered with `unshare --root`
  (task files copied into the working directory); private tmpfs on /tmp (the working directory), /var/tmp, /dev/shm
  and /run; the program run as nobody without capabilities, under the same seccomp filter (loaded by a short
  Python step before the graded process starts: one more interpreter start per program at this level).
- "process": no namespaces, only the limits below. Refused unless the user opts in (`SANDBOX_ISOLATION=process`):
  a graded program can then read whatever the user can and reach the network.
Every level keeps: rlimits (address space, CPU seconds, file size, open files, core dumps, processes), a cgroup
per running program when running as root (`cgroup.py`: pids, as RLIMIT_NPROC does not bind root, and memory over all
its processes together), a new session so the whole group is SIGKILLed at its deadline, and the grader's own
wall-clock deadlines.
Not protected: kernel exploits (the namespaces share the host kernel, narrowed by the seccomp filter), CPU and
memory-bandwidth contention with the grader, what the view itself holds (the interpreter's files, the system's
shared libraries, the allowed packages, the time zone database: nothing of a benchmark's), and the host's page
cache of those files: a program that reads chosen pages of a cold file marks them, and a later program can tell by
how long reading them takes (the calls that would tell it directly, mincore, cachestat and RWF_NOWAIT, are denied).
Host-wide kernel counters other than those denied (inode numbers of pipes and anonymous files, drawn in per-CPU
batches) can be stepped by one program and read by a later one, with noise from the grader's own use. Inside
the graded process, what test code computes there is within the program's reach (child.py says how far)."""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from functools import lru_cache

from . import seccomp_filter, view
from .cgroup import ProgramCgroup, PidsCgroup  # noqa: F401 - PidsCgroup: the earlier name

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


_SETPRIV = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all"]


def _bwrap_args(tmp_bytes: int, files: dict[str, bytes] | None = None) -> list[str]:
    # As root, bwrap needs no user namespace to mount, and one would map the program to root's files; the program
    # is then started as host uid 65534 with no capabilities left to gain.
    ns = ["--unshare-all"] if os.geteuid() != 0 else ["--unshare-pid", "--unshare-net", "--unshare-ipc",
                                                       "--unshare-uts", "--unshare-cgroup"]
    masks = [a for src, dest in view.proc_masks() for a in ("--ro-bind", src, dest)]
    args = [*ns, "--die-with-parent", "--new-session", *view.bwrap_args(), "--proc", "/proc", *masks, "--dev", "/dev",
            "--perms", "0755", "--dir", "/var"]
    for d in ("/tmp", "/dev/shm", "/run", "/var/tmp"):
        args += ["--perms", "1777", "--size", str(tmp_bytes if d == "/tmp" else 1 << 20), "--tmpfs", d]
    made = set()
    for name, data in (files or {}).items():
        parts = view.check_name(name).split("/")
        for i in range(1, len(parts)):  # bwrap would make them 0700, out of nobody's reach
            d = "/tmp/" + "/".join(parts[:i])
            if d not in made:
                made.add(d)
                args += ["--perms", "0755", "--dir", d]
        args += ["--ro-bind", view.data_file(bytes(data)), "/tmp/" + name]
    return args + ["--remount-ro", "/", "--chdir", "/tmp"]


@lru_cache(maxsize=None)
def _seccomp_file() -> str | None:
    """The filter's BPF in the grader's private folder, for bwrap's --seccomp (None where it cannot be built)."""
    if seccomp_filter.available() is not None:
        return None
    return view.data_file(seccomp_filter.bpf())


def _q(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)


@lru_cache(maxsize=None)
def _unshare_view() -> str:
    """Shell commands that build the view (view.entries) in the current folder, the root of a private tmpfs."""
    trees: list[tuple[str, str]] = []  # mounted so far: (dest, kind)
    points: dict[str | None, tuple[list, list]] = {None: ([], [])}  # mount points to make: at the start, or in a tmpfs
    links, mounts = [], []

    def container(dest: str) -> tuple[str, str] | None:
        inside = [t for t in trees if dest.startswith(t[0] + "/")]
        return max(inside, key=lambda t: len(t[0])) if inside else None

    for e in view.entries():
        rel = "." + e.dest
        c = container(e.dest)
        where = None if c is None else (c[0] if c[1] == "tmpfs" else "bound")
        if e.kind == "symlink":
            links.append(f"ln -s {_q(e.src, rel)}")
            continue
        if where != "bound":  # inside a bound host folder the mount point is there already
            points[where][0 if e.kind in ("dir", "tmpfs") or os.path.isdir(e.src) else 1].append(rel)
        if e.kind == "tmpfs":
            points[e.dest] = ([], [])
            mounts.append((e.dest, f"mount -t tmpfs -o size=1m,mode=0755 tmpfs {_q(rel)}"))
        elif e.kind == "ro-bind":
            mounts.append((e.dest, f"mount -o bind,ro {_q(e.src, rel)}"))
        if e.kind != "dir":
            trees.append((e.dest, e.kind))
    devices = [d for d in ("null", "zero", "full", "random", "urandom", "tty") if os.path.exists(f"/dev/{d}")]
    points[None][0].extend(["./proc", "./dev", "./dev/shm", "./tmp", "./run", "./var/tmp"])
    points[None][1].extend(f"./dev/{d}" for d in devices)

    def make(dest: str | None) -> list[str]:
        dirs, files = points.get(dest, ([], []))
        return ([f"mkdir -p -m 0755 {_q(*dirs)}"] if dirs else []) + ([f"touch {_q(*files)}"] if files else [])

    steps = [*make(None), *links]
    for dest, cmd in mounts:
        steps += [cmd, *make(dest)]
    steps += [f"mount --bind /dev/{d} ./dev/{d}" for d in devices]
    steps += ["mount -t proc proc ./proc", "ln -s /proc/self/fd ./dev/fd"]
    steps += [f"mount -o bind,ro {_q(src, '.' + dest)}" for src, dest in view.proc_masks()]
    steps += [f"mount -o remount,ro {_q('.' + e.dest)}" for e in view.entries() if e.kind == "tmpfs"]
    return " && ".join(steps)


def _unshare_script(tmp_bytes: int, files: dict[str, bytes] | None) -> str:
    """The unshare level's shell: the view in a tmpfs mounted over the grader's (empty) folder for it, private to
    this mount namespace, then `unshare --root` into it as nobody."""
    root = os.path.join(view.private_dir(), "root")
    os.makedirs(root, mode=0o755, exist_ok=True)
    copy = []
    for name in files or {}:
        parts = view.check_name(name).split("/")
        if len(parts) > 1:
            copy.append(f"mkdir -p -m 0755 {_q('./tmp/' + '/'.join(parts[:-1]))}")
        copy.append(f"cp {_q(view.data_file(bytes(files[name])), './tmp/' + name)}")
    tmpfs = [f"mount -t tmpfs -o size={tmp_bytes},mode=1777 tmpfs ./tmp"] + [
        f"mount -t tmpfs -o size=1m,mode=1777 tmpfs ./{d}" for d in ("dev/shm", "run", "var/tmp")]
    return " && ".join([
        "set -e", "mount --make-rprivate /", f"mount -t tmpfs -o size=1m,mode=0755 tmpfs {_q(root)}", f"cd {_q(root)}",
        _unshare_view(), *tmpfs, *copy, f"mount -o remount,ro {_q(root)}",
        f'exec unshare --root={_q(root)} --wd=/tmp -- setpriv --reuid 65534 --regid 65534 --clear-groups '
        f'--no-new-privs --inh-caps=-all --bounding-set=-all {_seccomp_launcher()}"$@"'])


def _seccomp_launcher() -> str:
    """At the unshare level, the filter is loaded by a small Python step between setpriv and the graded process
    (no_new_privs is set by then): it reads the view's /etc/seccomp.bpf, installs it, and execs the command."""
    if seccomp_filter.available() is not None or not os.path.exists(os.path.join(view.etc_dir(), "seccomp.bpf")):
        return ""
    code = (seccomp_filter.INSTALL_SOURCE + "\nimport os, sys\ninstall(open('/etc/seccomp.bpf', 'rb').read())\n"
            "os.execv(sys.argv[1], sys.argv[1:])\n")
    return _q(sys.executable, "-I", "-S", "-c", code) + " "


# Joins each cgroup given ($1 = how many, then their folders), opens the seccomp filter ($1 then, or "") on the
# lowest free descriptor (the grader's channels are inherited: a fixed number could replace one of them), then runs
# the command, passing that descriptor to bwrap's --seccomp when the command is bwrap.
_WRAPPER = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n-1)); done; '
            'f=$1; shift; [ -n "$f" ] || exec "$@"; '
            'fd=3; while [ -h /proc/self/fd/$fd ]; do fd=$((fd+1)); done; [ "$fd" -le 9 ] || exit 125; '
            'eval "exec $fd<\"\$f\""; exec bwrap --seccomp "$fd" "$@"')


def command(level: str, argv: list[str], tmp_bytes: int, cgroup: str | tuple[str, ...] | list[str] | None = None,
            files: dict[str, bytes] | None = None) -> list[str]:
    """`argv` (an interpreter command) wrapped for `level`, first joining the `cgroup` folder(s) when given.
    `files` (name -> bytes): task data, readable by the program at those names in its working directory. No
    preexec hook: without one, CPython starts the child with vfork, which a grader holding a model in memory
    needs (a fork copies its page tables for every program). The graded process sets its own rlimits first thing."""
    cgroups = [cgroup] if isinstance(cgroup, str) else list(cgroup or [])
    seccomp = None
    if level == "bwrap":
        cmd = ["bwrap", *_bwrap_args(tmp_bytes, files), "--", *(_SETPRIV if os.geteuid() == 0 else []), *argv]
        seccomp = _seccomp_file()
    elif level == "unshare":
        cmd = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc", "--uts", "--",
               "/bin/sh", "-c", _unshare_script(tmp_bytes, files), "sh", *argv]
    else:
        if files:
            raise IsolationError("task files need an OS sandbox (the bwrap or unshare level)")
        cmd = argv
    if not cgroups and not seccomp:
        return cmd
    if seccomp:
        cmd = cmd[1:]  # the wrapper runs bwrap itself, with --seccomp first
    return ["/bin/sh", "-c", _WRAPPER, "sh", str(len(cgroups)), *cgroups, seccomp or "", *cmd]


def report() -> dict:
    """What this machine's sandbox enforces: stored with results as their provenance."""
    try:
        level = isolation_level()
    except IsolationError as exc:
        return {"level": "none", "why": str(exc)}
    cg = ProgramCgroup(8, 64 << 20)
    why_not = seccomp_filter.available()
    out = {"level": level,
           "namespaces": {"bwrap": "user, mount, pid, network, ipc, uts, cgroup",
                          "unshare": "mount, pid, network, ipc, uts", "process": "none"}[level],
           "user": "nobody (65534)" if level != "process" and os.geteuid() == 0 else "the caller",
           "filesystem": {"bwrap": "minimal view on an empty root, read-only (python -m sandbox.isolation --show): "
                                   + ", ".join(view.summary()) + "; private tmpfs /tmp (cwd, task files bound "
                                   "read-only), /dev/shm, /run, /var/tmp; private /proc, minimal /dev",
                          "unshare": "the bwrap level's view, built with mount and entered with unshare --root: "
                                     + ", ".join(view.summary()) + "; private tmpfs /tmp (cwd, task files copied "
                                     "in), /dev/shm, /run, /var/tmp; private /proc, minimal /dev",
                          "process": "the caller's"}[level],
           "allowed_packages": sorted(view.ALLOWED) if level != "process" else "all the interpreter's",
           "seccomp": (seccomp_filter.denied() if why_not is None else f"none: {why_not}") if level != "process" else
                      "none",
           "process_limit": "pids cgroup" if cg.path else "RLIMIT_NPROC",
           **cg.describe(),
           "limits": "RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, deadlines with group kill"}
    cg.remove()
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m sandbox.isolation",
                                 description="Say what the sandbox enforces on this machine.")
    ap.add_argument("--show", action="store_true", help="print exactly what a graded program can read (the bwrap "
                    "and unshare levels): every path of its filesystem view, with why it is there")
    ap.add_argument("--seccomp", action="store_true", help="print the system calls the seccomp filter denies")
    args = ap.parse_args(argv)
    if args.show:
        print("\n".join(view.describe()))
        print("/proc/ (private: this program's processes only), /dev/ (null, zero, full, random, urandom, tty), "
              "/tmp/ (private tmpfs, the working directory, with the task's files), /dev/shm/, /run/, /var/tmp/ "
              "(private tmpfs)")
        print("/etc/ holds: " + ", ".join(sorted(os.listdir(view.etc_dir()))))
        print("generated /etc/passwd:\n" + view.PASSWD + "generated /etc/group:\n" + view.GROUP, end="")
    if args.seccomp:
        print(json.dumps(seccomp_filter.denied(), indent=1))
    if not (args.show or args.seccomp):
        print(json.dumps(report(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
