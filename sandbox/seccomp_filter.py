"""The seccomp filter every graded program runs under: the kernel interfaces that no namespace separates (keyrings,
tracing, kernel modules, clocks) or that would let a program leave its namespaces, denied with an error code.

Built with libseccomp (through `pyseccomp`, its ctypes bindings on PyPI) and exported as BPF for bubblewrap's
`--seccomp FD`; never hand-written BPF. Default: allow. Denied calls fail with EPERM (clone3 with ENOSYS, as Docker
does, so glibc falls back to clone, whose namespace flags are then checked), not a kill, so that Python raises a
PermissionError the program can report. The list follows Docker's default profile (moby/profiles/seccomp): what it
denies that a graded program never needs; calls of another ABI (x32, i386) kill the thread (libseccomp's bad-arch
action). A call name this libseccomp does not know is left out and listed by `unknown()`.
"""
from __future__ import annotations

import errno
import tempfile
from functools import lru_cache

KEYRINGS = ("add_key", "request_key", "keyctl")
TRACING = ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "perf_event_open", "bpf",
           "lookup_dcookie", "syslog", "userfaultfd", "fanotify_init")
MOUNTS_AND_NAMESPACES = ("mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree",
                         "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_tree_attr",
                         "listmount", "statmount", "name_to_handle_at", "open_by_handle_at")
KERNEL = ("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module",
          "query_module", "get_kernel_syms", "iopl", "ioperm", "swapon", "swapoff", "reboot", "acct", "quotactl",
          "quotactl_fd", "nfsservctl", "sysfs", "_sysctl", "uselib", "ustat", "vm86", "vm86old", "vhangup",
          "io_uring_setup", "io_uring_enter", "io_uring_register", "move_pages", "mbind", "set_mempolicy",
          "set_mempolicy_home_node", "migrate_pages")
CLOCKS = ("settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex")
# Covert channels between programs graded at the same time: every sandbox binds the same host inodes read-only,
# and a file lock or an inotify watch on one of them is seen by a concurrent program (a sample copying another's
# answers). Graded code needs neither; fcntl's record locks, leases and directory notifications (dnotify:
# F_NOTIFY, with F_SETSIG to queue each event) are denied below by command.
SHARED_INODES = ("flock", "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_mark")
# The host's page cache is shared too: a program that reads chosen pages of a cold host file leaves marks that a
# later program finds by asking which pages are cached (mincore, cachestat, preadv2 with RWF_NOWAIT, denied below by
# flag). Timing a read tells it as well, and no filter denies that (isolation.py's "Not protected").
PAGE_CACHE = ("mincore", "cachestat")
# Host-wide counters a program can step to a chosen value for the next program to read, exactly: the inode numbers
# of memfd files (the kernel's internal shmem mount) and socket cookies (getsockopt SO_COOKIE, denied below by
# option); both are handed out in per-CPU batches, so pinning itself to one CPU is denied too. Other such counters
# remain (isolation.py's "Not protected").
HOST_COUNTERS = ("memfd_create", "sched_setaffinity")
DENIED = KEYRINGS + TRACING + MOUNTS_AND_NAMESPACES + KERNEL + CLOCKS + SHARED_INODES + PAGE_CACHE + HOST_COUNTERS
SO_COOKIE = (1, 57)  # SOL_SOCKET, SO_COOKIE
FCNTL_LOCKS = (5, 6, 7, 36, 37, 38)  # F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW
FCNTL_NOTICES = (10, 1024, 1026)  # F_SETSIG, F_SETLEASE, F_NOTIFY
RWF_NOWAIT = 0x8  # preadv2/pwritev2 flags (argument 5): fail with EAGAIN rather than wait for the disk

# clone(2) flags that make a new namespace (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, Docker's mask;
# CLONE_NEWTIME, 0x80, is only for clone3/unshare: in clone's flags those bits are the exit signal)
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
# personality(2) values Docker allows: PER_LINUX, PER_LINUX32 (0x8), UNAME26 (0x20000), both, and 0xffffffff (query)
PERSONALITY_ALLOWED_BITS = 0x00020008


def _personality_rules(seccomp) -> list:
    """One comparison per rule (libseccomp refuses two on one argument): deny any value with a bit outside
    PERSONALITY_ALLOWED_BITS unless it is the query 0xffffffff (bit 31 set with every other bit)."""
    top = 1 << 31
    rules = []
    for b in range(31):
        bit = 1 << b
        if not bit & PERSONALITY_ALLOWED_BITS:  # bit b set, bit 31 clear: a persona flag other than Docker's
            rules.append(seccomp.Arg(0, seccomp.MASKED_EQ, top | bit, bit))
        rules.append(seccomp.Arg(0, seccomp.MASKED_EQ, top | bit, top))  # bit 31 set, bit b clear: not the query
    return rules


@lru_cache(maxsize=None)
def _build() -> tuple[bytes, tuple[str, ...]]:
    import pyseccomp as seccomp

    f = seccomp.SyscallFilter(seccomp.ALLOW)
    unknown = []
    for name in DENIED:
        try:
            f.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except OSError:  # a name newer than this libseccomp (or not on this architecture)
            unknown.append(name)
    for flag in CLONE_NEW_FLAGS:
        f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for cmd in FCNTL_LOCKS + FCNTL_NOTICES:
        f.add_rule(seccomp.ERRNO(errno.EPERM), "fcntl", seccomp.Arg(1, seccomp.EQ, cmd))
    f.add_rule(seccomp.ERRNO(errno.EPERM), "getsockopt", seccomp.Arg(1, seccomp.EQ, SO_COOKIE[0]),
               seccomp.Arg(2, seccomp.EQ, SO_COOKIE[1]))
    for name in ("preadv2", "pwritev2"):
        f.add_rule(seccomp.ERRNO(errno.EPERM), name, seccomp.Arg(5, seccomp.MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT))
    for arg in _personality_rules(seccomp):
        f.add_rule(seccomp.ERRNO(errno.EPERM), "personality", arg)
    with tempfile.TemporaryFile() as fh:
        f.export_bpf(fh)
        fh.seek(0)
        return fh.read(), tuple(unknown)


def bpf() -> bytes:
    """The filter as a BPF program (struct sock_filter[]), as bwrap's --seccomp and prctl(PR_SET_SECCOMP) take it."""
    return _build()[0]


def unknown() -> tuple[str, ...]:
    """Denied names this libseccomp cannot resolve (so not in the filter)."""
    return _build()[1]


def available() -> str | None:
    """None when the filter can be built here, else why not."""
    try:
        bpf()
    except (ImportError, OSError, RuntimeError) as exc:  # pyseccomp missing, or libseccomp.so.2 not found
        return f"{type(exc).__name__}: {exc}"
    return None


def denied() -> dict:
    """What the filter denies, for the sandbox's recorded provenance."""
    skip = set(unknown())
    return {"EPERM": [n for n in DENIED if n not in skip] + ["clone with CLONE_NEW* flags",
                                                            "fcntl record locks, leases, F_NOTIFY and F_SETSIG",
                                                            "preadv2 and pwritev2 with RWF_NOWAIT",
                                                            "getsockopt SO_COOKIE",
                                                            "personality other than Docker's defaults"],
            "ENOSYS": ["clone3"], "not known to this libseccomp": sorted(skip),
            "other ABIs (x32, i386)": "killed"}


# For a process to install the filter on itself (the "unshare" level, where no bwrap loads it): only ctypes, so the
# graded process can run it from this source before the program (`exec(INSTALL_SOURCE, ns); ns["install"](bpf)`).
INSTALL_SOURCE = '''
def install(bpf):
    """Load `bpf` (from seccomp_filter.bpf()) as this thread's and its future children's seccomp filter."""
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(bytes(bpf), len(bpf))
    prog = SockFprog(len(bpf) // 8, ctypes.addressof(buf))
    # PR_SET_NO_NEW_PRIVS = 38; PR_SET_SECCOMP = 22 with SECCOMP_MODE_FILTER = 2; TSYNC is not needed before threads
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "the seccomp filter could not be installed")
'''
_ns: dict = {}
exec(INSTALL_SOURCE, _ns)
install = _ns["install"]
