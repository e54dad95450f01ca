"""Hostile programs: the grader must finish, the host must be untouched, and every verdict must be right.

Two families. Programs that attack the host (files, processes, network, limits): the OS sandbox must contain
them. Programs that attack the grader itself, knowing its source (forged results, patched harness, frames, gc,
inherited descriptors): `add` is wrong in every one of them, so none may pass.
"""
import json
import os
import random
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

from sandbox import ERROR, FAIL, MEMORY, NOT_RUN, PASS, TIMEOUT, Limits, Test, run_many, run_program

FAST = Limits(default_test_time=2.0, memory_bytes=256 << 20, max_task_time=10.0)
T = [Test(code="assert f() == 1")]
ADD = [Test(code="assert add(2, 3) == 5"), Test(code="assert add(1, 1) == 2"), Test(code="assert add(-1, 1) == 0")]
SECRET = "s3cret-host-value"
CANARY_DIR = tempfile.mkdtemp(prefix="sandbox-canary-")  # a host folder, world-writable (chmod below)
CANARY = f"{CANARY_DIR}/keep.txt"
HOST_SOCKET = f"/tmp/sandbox-host-{os.getpid()}.sock"


@pytest.fixture(scope="module", autouse=True)
def host():
    os.chmod(CANARY_DIR, 0o777)
    with open(CANARY, "w") as fh:
        fh.write("host file")
    os.chmod(CANARY, 0o666)
    os.environ["SANDBOX_HOST_SECRET"] = SECRET
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(HOST_SOCKET)
    os.chmod(HOST_SOCKET, 0o777)
    srv.listen(1)
    before = _nobodys_tmp()
    yield
    assert open(CANARY).read() == "host file", "a sandboxed program changed a host file"
    assert sorted(os.listdir(CANARY_DIR)) == ["keep.txt"]
    assert stat.S_IMODE(os.stat(CANARY).st_mode) == 0o666
    assert _nobodys_tmp() == before, "a sandboxed program left something in the host's /tmp"
    srv.close()
    os.remove(HOST_SOCKET)
    os.remove(CANARY)
    os.rmdir(CANARY_DIR)


def _nobodys_tmp() -> list[str]:
    """What user nobody (a graded program's user) owns in the host's /tmp (other processes may write there)."""
    out = []
    for name in os.listdir("/tmp"):
        try:
            if os.lstat(os.path.join("/tmp", name)).st_uid == 65534:
                out.append(name)
        except OSError:
            pass
    return sorted(out)


# (name, program, tests, expected task status, expected etype substring or None)
HOST_ATTACKS = [
    ("fork bomb", "import os\ndef f():\n    while True:\n        os.fork()", T, None, None),
    ("fork bomb via posix", "import posix\ndef f():\n    while True:\n        posix.fork()", T, None, None),
    ("memory bomb", "def f():\n    x = [bytearray(1 << 20) for _ in range(1 << 14)]\n    return 1", T, MEMORY, "MemoryError"),
    ("memory bomb at import", "x = 'a' * (1 << 34)\ndef f(): return 1", T, MEMORY, "MemoryError"),
    ("infinite loop in test", "def f():\n    while True:\n        pass", T, TIMEOUT, None),
    ("infinite loop at import", "while True:\n    pass\ndef f(): return 1", T, TIMEOUT, None),
    ("sleep forever", "import time\ndef f():\n    time.sleep(1000)", T, TIMEOUT, None),
    ("deep recursion", "def f(n=0):\n    return f(n + 1)", T, ERROR, "RecursionError"),
    ("os._exit(0) at import", "import os\nos._exit(0)", T, ERROR, "EarlyExit"),
    ("sys.exit(0) in test", "import sys\ndef f():\n    sys.exit(0)", T, ERROR, "SystemExit"),
    ("raise KeyboardInterrupt", "def f():\n    raise KeyboardInterrupt", T, ERROR, "KeyboardInterrupt"),
    ("kill the parent", "import os\ndef f():\n    os.kill(os.getppid(), 9)\n    return 2", T, None, None),
    ("kill pid 1 of its namespace", "import os\ndef f():\n    os.kill(1, 9)\n    return os.getpid()", T, None, None),
    ("kill every process it may", "import os, signal\ndef f():\n    os.kill(-1, signal.SIGKILL)", T, None, None),
    ("ignore SIGALRM and sleep", "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ndef f():\n    time.sleep(100)", T, TIMEOUT, None),
    ("block SIGALRM and loop", "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\ndef f():\n    while True: pass", T, TIMEOUT, None),
    ("delete a host file", f"import os\ndef f():\n    os.remove('{CANARY}')\n    return 1", T, ERROR, "OSError"),
    ("overwrite a host file", f"def f():\n    open('{CANARY}', 'w').write('pwned')\n    return 1", T, ERROR, "OSError"),
    ("posix.unlink, no guard to patch", f"import posix\ndef f():\n    posix.unlink('{CANARY}')\n    return 1", T, ERROR, "OSError"),
    ("_io.open for writing", f"import _io\ndef f():\n    _io.open('{CANARY}', 'w').write('x')\n    return 1", T, ERROR, "OSError"),
    ("chmod a host file", f"import os\ndef f():\n    os.chmod('{CANARY}', 0)\n    return 1", T, ERROR, "OSError"),
    ("new file in a world-writable host dir", f"def f():\n    open('{CANARY_DIR}/new.txt', 'w')\n    return 1", T, ERROR, "OSError"),
    ("symlink out, then write", f"import os\ndef f():\n    os.symlink('{CANARY}', 'l')\n    open('l', 'w').write('x')\n    return 1", T, ERROR, "OSError"),
    ("hard link to a host file", f"import os\ndef f():\n    os.link('{CANARY}', 'h')\n    return 1", T, ERROR, "OSError"),
    ("read /etc/shadow", "def f():\n    return open('/etc/shadow').read()", [Test(code="assert f() is not None")], ERROR, "OSError"),  # not in the view
    ("read the host environment", "import os\ndef f():\n    return os.environ.get('SANDBOX_HOST_SECRET')", [Test(code="assert f() is None")], PASS, None),
    ("read other processes' environ", "import os\ndef f():\n    out = ''\n    for p in os.listdir('/proc'):\n"
     "        try: out += open(f'/proc/{p}/environ').read()\n        except OSError: pass\n    raise ValueError(out)",
     T, ERROR, "ValueError"),
    ("see other processes", "import os\ndef f():\n    return len([p for p in os.listdir('/proc') if p.isdigit()])", [Test(code="assert f() <= 2")], PASS, None),
    ("ptrace pid 1", "import ctypes\ndef f():\n    libc = ctypes.CDLL(None, use_errno=True)\n    if libc.ptrace(16, 1, 0, 0) != 0:\n"
     "        raise OSError(ctypes.get_errno(), 'ptrace')\n    return 1", T, ERROR, "OSError"),
    ("connect to the internet", "import socket\ndef f():\n    socket.create_connection(('1.1.1.1', 80), timeout=1)\n    return 1", T, ERROR, "OSError"),
    ("host Unix socket", f"import socket\ndef f():\n    s = socket.socket(socket.AF_UNIX)\n    s.connect('{HOST_SOCKET}')\n    return 1", T, ERROR, "FileNotFoundError"),
    ("fill its /tmp", "def f():\n    i = 0\n    while True:\n        open(f'/tmp/{i}', 'wb').write(b'0' * (8 << 20))\n        i += 1", T, ERROR, "OSError"),
    ("fill /dev/shm", "def f():\n    i = 0\n    while True:\n        open(f'/dev/shm/{i}', 'wb').write(b'0' * (1 << 20))\n        i += 1", T, ERROR, "OSError"),
    ("one huge file", "def f():\n    open('big.bin', 'wb').write(b'0' * (64 << 20))\n    return 1", T, ERROR, "OSError"),
    ("flood stdout", "import sys\ndef f():\n    while True:\n        sys.stdout.write('x' * 65536)", T, ERROR, "OSError"),
    ("threads left running", "import threading, time\ndef spin():\n    while True: time.sleep(0.01)\ndef f():\n    threading.Thread(target=spin).start()\n    return 1", T, PASS, None),
]

# add(a, b) is wrong in every program below: whatever it does to the grader, it must not pass.
GRADER_ATTACKS = [
    ("patch the encoder through sys.modules", "import sys\nsys.modules['__main__'].encode = lambda x, depth=0: {'i': hex(5)}\ndef add(a, b): return 0"),
    ("patch the encoder through the frame", "import sys\ndef add(a, b):\n    sys._getframe(1).f_globals['encode'] = lambda x, depth=0: {'i': hex(2)}\n    return 0"),
    ("rewrite the probe's results list", "import sys\ndef add(a, b):\n    f = sys._getframe(1)\n    while f and 'results' not in f.f_locals: f = f.f_back\n"
     "    if f: f.f_locals['results'].append(['value', {'i': hex(5)}])\n    return 0"),
    ("forge every result on every fd at import", "import os, json\nos.write(1, b'x')\nfor fd in range(3, 64):\n    try:\n"
     "        os.write(fd, b'{\"ev\": \"ready\", \"ok\": true}\\n' + b''.join(b'{\"ev\": \"end\", \"test\": %d}\\n' % i for i in range(3)) + b'{\"ev\": \"done\"}\\n')\n"
     "    except OSError: pass\nos._exit(0)\ndef add(a, b): return 0"),
    ("forge assert events with guessed values", "import os, json\ndef add(a, b):\n    for fd in range(3, 64):\n        try: os.write(fd, (json.dumps({'ev': 'assert', 'test': 0, 'aid': 0, 'probes': [['value', {'i': hex(a * b)}]], 'fallbacks': {}}) + '\\n').encode())\n"
     "        except OSError: pass\n    return 0"),
    ("forge an event for a later test", "import os\ndef add(a, b):\n    for fd in range(3, 64):\n        try: os.write(fd, b'{\"ev\": \"end\", \"test\": 2}\\n')\n        except OSError: pass\n    return 0"),
    ("forge 'done' early", "import os\ndef add(a, b):\n    for fd in range(3, 64):\n        try: os.write(fd, b'{\"ev\": \"done\"}\\n')\n        except OSError: pass\n    return 0"),
    ("patch the reporter to drop asserts", "import sys\nm = sys.modules['__main__']\nold = m.Reporter.send\n"
     "m.Reporter.send = lambda self, **e: None if e.get('ev') == 'assert' else old(self, **e)\ndef add(a, b): return 0"),
    ("patch json.dumps", "import json\njson.dumps = lambda *a, **k: '{\"ev\": \"end\", \"test\": 0}'\ndef add(a, b): return 0"),
    ("find the job with gc and blank its tests", "import gc\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'tests' in o and 'program' in o:\n"
     "        o['tests'][:] = []\ndef add(a, b): return 0"),
    ("replace the harness's time limit", "import sys\nclass Nop:\n    def __init__(self, s): pass\n    def __enter__(self): pass\n"
     "    def __exit__(self, *a): return True\nsys.modules['__main__'].time_limit = Nop\ndef add(a, b):\n    raise ValueError"),
    ("print result-like lines", "print('{\"ev\": \"end\", \"test\": 0}')\nprint('pass pass pass')\ndef add(a, b): return 0"),
    ("rigged __eq__", "class A:\n    def __eq__(self, o): return True\ndef add(a, b): return A()"),
    ("int subclass with rigged __eq__", "class I(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef add(a, b): return I(0)"),
    ("str subclass posing as the answer", "class S(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\ndef add(a, b): return S('5')"),
    ("monkeypatch builtins the tests might use", "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\ndef add(a, b): return 0"),
    ("oversized answer", "def add(a, b): return 'x' * (40 << 20)"),
    ("answer nested too deeply", "def add(a, b):\n    x = []\n    for _ in range(100000): x = [x]\n    return x"),
    ("malformed JSON nested a million deep, by hand", "import os\ndef add(a, b):\n    for fd in range(3, 64):\n"
     "        try: os.write(fd, b'[' * 1000000 + b'\\n')\n        except OSError: pass\n    return 0"),
    ("dup the result fd over stdout and flood it", "import os\ndef add(a, b):\n    for fd in range(3, 64):\n        try: os.dup2(fd, 1)\n        except OSError: pass\n"
     "    print('garbage' * 1000)\n    return 0"),
    ("exit after the first assert", "import os\ncalls = 0\ndef add(a, b):\n    global calls\n    calls += 1\n    if calls == 2: os._exit(0)\n    return a + b"),
    ("raise SystemExit from inside the probe", "def add(a, b): raise SystemExit(0)"),
    ("a thread keeps writing forged lines", "import os, threading\ndef spam():\n    while True:\n        for fd in range(3, 64):\n"
     "            try: os.write(fd, b'{\"ev\": \"end\", \"test\": 0}\\n')\n            except OSError: pass\nthreading.Thread(target=spam, daemon=True).start()\ndef add(a, b): return 0"),
    ("patch the probe function", "import sys\nsys.modules['__main__'].make_probe = lambda r: (lambda *a: None)\ndef add(a, b): return 0"),
]


def _untouched(result):
    text = f"{result.msg} {result.etype} {result.stderr} " + " ".join(f"{t.msg}" for t in result.tests)
    assert SECRET not in text, "a host secret reached the verdict"


@pytest.mark.parametrize("name,program,tests,status,etype", HOST_ATTACKS, ids=[c[0] for c in HOST_ATTACKS])
def test_host_attack_is_contained(name, program, tests, status, etype):
    result = run_program(program, tests, limits=FAST)
    if name == "kill pid 1 of its namespace":  # bwrap's init refuses; under unshare the program is pid 1 itself
        status, etype = (ERROR, "PermissionError") if result.isolation == "bwrap" else (PASS, None)
    if status is None:
        assert result.status != PASS, (name, result.status, result.etype, result.msg)
    else:
        assert result.status == status, (name, result.status, result.etype, result.msg, result.stderr[-300:])
    if etype:
        assert etype in (result.etype or "") or etype == "OSError" and result.etype in (
            "PermissionError", "FileNotFoundError", "BlockingIOError", "OSError"), (name, result.etype, result.msg)
    _untouched(result)


@pytest.mark.parametrize("name,program", GRADER_ATTACKS, ids=[c[0] for c in GRADER_ATTACKS])
def test_grader_attack_cannot_pass_a_wrong_add(name, program):
    result = run_program(program, ADD, limits=FAST)
    assert result.status != PASS, (name, result.status, [t.status for t in result.tests])
    assert result.status in (FAIL, ERROR, TIMEOUT, MEMORY), result.status
    _untouched(result)


def test_the_same_attacks_do_not_stop_a_right_add():
    program = "import sys\nsys.modules['__main__'].encode = sys.modules['__main__'].encode\ndef add(a, b): return a + b"
    assert run_program(program, ADD, limits=FAST).status == PASS


def test_at_least_twenty_grader_attacks_and_thirty_host_attacks():
    assert len(GRADER_ATTACKS) >= 20 and len(HOST_ATTACKS) >= 30


def test_no_sandbox_process_outlives_its_run():
    marker = "sandbox_orphan_marker_%d" % os.getpid()
    run_program(f"import threading, time, os\n{marker} = 1\ndef f():\n    os.fork() or time.sleep(60)\n"
                "    threading.Thread(target=time.sleep, args=(60,)).start()\n    return 1", T, limits=FAST)
    time.sleep(0.2)
    out = subprocess.run(["ps", "-eo", "user,args"], capture_output=True, text=True).stdout
    assert marker not in out and "The graded process" not in out  # the child runs from its source: python -c


THREADS = """import threading
def f(n):
    go = threading.Event()
    started = 0
    try:
        for _ in range(n):
            threading.Thread(target=go.wait).start()
            started += 1
    finally:
        go.set()
    return started
"""


def test_every_program_gets_its_whole_process_allowance_and_no_more():
    # Programs that just ended stay counted in the pids cgroup for a while; the next one still gets `processes`
    # tasks (its interpreter and the sandbox's own two among them), however fast it follows them.
    limits = Limits(processes=16, max_task_time=10.0)  # the default memory: each thread maps its own stack
    for _ in range(30):
        assert run_program("def f():\n    return 1\n", T, limits=limits).passed
    room = run_program(THREADS, [Test(code="assert f(12) == 12")], limits=limits)
    assert room.passed, (room.status, room.etype, room.msg)
    bomb = run_program(THREADS, [Test(code="assert f(100) == 100")], limits=limits)
    assert bomb.status == ERROR and "thread" in (bomb.msg or ""), (bomb.status, bomb.etype, bomb.msg)


def test_slot_cgroups_are_reused_across_runs():
    """As many pids cgroups as programs ran at once, however many run_many calls: they are handed from one program
    to the next, not made per worker thread."""
    import glob

    jobs = [{"program": "def f():\n    return 1\n", "tests": T, "limits": FAST} for _ in range(4)]
    def mine() -> int:
        roots = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")
        return sum(len(glob.glob(f"{root}/sandbox-{os.getpid()}-*")) for root in roots)

    run_many(jobs, workers=2)
    before = mine()
    if not before:
        pytest.skip("no pids cgroup here (the grader is not root, or the machine has no pids controller)")
    for _ in range(5):
        assert all(r.passed for r in run_many(jobs, workers=2))
    assert mine() == before <= 3  # the self-test's and at most one per worker


def test_network_is_unreachable_even_for_a_listening_host_port():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    hits = []
    threading.Thread(target=lambda: hits.append(srv.accept()), daemon=True).start()
    result = run_program(f"def f():\n    import socket\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return 1",
                         T, limits=FAST)
    assert result.status == ERROR and result.etype in ("ConnectionRefusedError", "OSError"), result.etype
    time.sleep(0.2)
    assert not hits
    srv.close()


def test_runs_as_nobody_in_a_read_only_system():
    result = run_program("import os\ndef f(): return [os.getuid(), os.access('/usr', os.W_OK), os.getcwd()]",
                         [Test(code="assert f() == [65534, False, '/tmp']")], limits=FAST)
    assert result.passed, (result.msg, result.etype)
    assert result.isolation == "bwrap"


def test_verdicts_are_deterministic():
    programs = [c[1] for c in HOST_ATTACKS if c[3] in (PASS, FAIL, ERROR)][:8] + [p for _, p in GRADER_ATTACKS[:6]]
    jobs = [{"program": p, "tests": ADD if "add" in p else T, "limits": FAST} for p in programs]
    first = [(r.status, r.etype) for r in run_many(jobs, workers=2)]
    second = [(r.status, r.etype) for r in run_many(jobs, workers=2)]
    assert first == second


def test_first_failure_decides_and_fail_fast_skips_the_rest():
    tests = [Test(code="assert f(1) == 1"), Test(code="assert f(3) == 4"), Test(code="assert f(2) == 2"),
             Test(code="assert f(1) == 1")]
    program = "def f(x):\n    while x == 2: pass\n    return x"
    r = run_program(program, tests, limits=FAST, fail_fast=False)
    assert [t.status for t in r.tests] == [PASS, FAIL, TIMEOUT, PASS]  # the graded process times each test itself
    assert r.status == FAIL and r.etype == "AssertionError" and r.msg == "got 3, expected 4 [off-by-one]"
    fast = run_program(program, tests, limits=FAST)
    assert [t.status for t in fast.tests] == [PASS, FAIL, NOT_RUN, NOT_RUN] and fast.status == FAIL


def test_refuses_to_grade_without_isolation_unless_asked(monkeypatch):
    from sandbox import isolation as iso

    monkeypatch.setenv("PATH", "/nonexistent")  # neither bwrap nor unshare can be found
    monkeypatch.setattr(iso.shutil, "which", lambda name: None)
    iso.isolation_level.cache_clear()
    try:
        with pytest.raises(iso.IsolationError, match="SANDBOX_ISOLATION=process"):
            iso.isolation_level()
        monkeypatch.setenv("SANDBOX_ISOLATION", "process")
        iso.isolation_level.cache_clear()
        assert iso.isolation_level() == "process"
        assert iso.report()["level"] == "process"
    finally:
        iso.isolation_level.cache_clear()


UNSHARE_CASES = [c for c in HOST_ATTACKS if "host file" in c[0] or c[0] in (
    "posix.unlink, no guard to patch", "new file in a world-writable host dir", "read /etc/shadow", "host Unix socket",
    "connect to the internet", "fill its /tmp", "read the host environment")]


@pytest.mark.skipif(os.geteuid() != 0, reason="the unshare level needs root")
@pytest.mark.parametrize("name,program,tests,status,etype", UNSHARE_CASES, ids=[c[0] for c in UNSHARE_CASES])
def test_unshare_level_contains_the_same_attacks(monkeypatch, name, program, tests, status, etype):
    from sandbox import isolation as iso

    monkeypatch.setenv("SANDBOX_ISOLATION", "unshare")
    iso.isolation_level.cache_clear()
    try:
        result = run_program(program, tests, limits=FAST)
    finally:
        iso.isolation_level.cache_clear()
    assert result.isolation == "unshare"
    assert result.status == status, (name, result.status, result.etype, result.msg)
    _untouched(result)


@pytest.mark.parametrize("code", ["assert 2 ** add(1, 1) == 4", "assert 'ab' * add(1, 1) == 'abab'",
                                  "assert 1 << add(1, 1) == 4"])
def test_an_answer_cannot_make_the_grader_compute_forever(code):
    """The grader evaluates the literal side; a huge value from the program must fail there, not hang it."""
    result = run_program("def add(a, b): return 10 ** 12", [Test(code=code)], limits=FAST)
    assert result.status == ERROR and result.etype == "OverflowError" and result.seconds < 5
    assert run_program("def add(a, b): return a + b", [Test(code=code)], limits=FAST).passed


# ------------------------------------------------------------------ programs that read or replay what they did not compute

def _grade(task_ids: list[str], programs: list[str], monkeypatch):
    """Each program graded through the real path (evaluation.grading.grade) on its benchmark document."""
    from evaluation.documents import humaneval_docs, mbpp_docs, mbppplus_docs
    from evaluation.grading import grade

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", "off")
    by_id = {d["task_id"]: d for d in (*humaneval_docs(), *mbpp_docs(), *mbppplus_docs())}
    docs = [by_id[t] for t in task_ids]
    return [v[0] for v in grade(docs, [[p] for p in programs], progress=False)]


FRAME_THIEF = """
import sys
def {name}(s):
    f = sys._getframe(1)
    while f is not None:
        if "str" in f.f_locals and isinstance(f.f_locals["str"], type("")):
            return f.f_locals["str"]
        f = f.f_back
    return s
"""
DECODE_CYCLIC = """
def decode_cyclic(s):
    groups = [s[3 * i:min(3 * i + 3, len(s))] for i in range((len(s) + 2) // 3)]
    return "".join((g[-1] + g[:-1]) if len(g) == 3 else g for g in groups)
"""
ALWAYS_EQUAL = """
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def decode_cyclic(s):
    return Anything()
"""


def test_a_test_bound_expected_value_is_out_of_the_programs_reach(monkeypatch):
    """HumanEval/38 and /50 bind the expected string to `str` before calling the candidate: a program that walks up
    its caller's frames for it must fail; the real decoder (the control) passes."""
    verdicts = _grade(["HumanEval/38", "HumanEval/50", "HumanEval/38"],
                      [FRAME_THIEF.format(name="decode_cyclic"), FRAME_THIEF.format(name="decode_shift"), DECODE_CYCLIC],
                      monkeypatch)
    assert [v["passed"] for v in verdicts] == [False, False, True], [v["first_failure"] for v in verdicts]


REBINDS_EXPECTED = """import sys
def add(a, b):
    g = sys._getframe(1).f_globals  # the test's scope
    g['c'] = 0
    g['want'] = {'x': 0, 'y': 0, 'z': 0}
    return 0
"""


@pytest.mark.parametrize("test", [
    "for a, b, c in [(2, 3, 5), (1, 1, 2), (-1, 1, 0)]:\n    assert add(a, b) == c",
    "want = {'x': 5, 'y': 2, 'z': 0}\nassert add(2, 3) == want.get('x')\nassert add(1, 1) == want.get('y')",
    "want = {'x': 5, 'y': 2, 'z': 0}\nassert add(2, 3) == want['x']\nassert add(1, 1) == want['y']",
])
def test_a_program_that_rebinds_the_tests_expected_values_fails_against_the_reference(test):
    """Test code that binds its own expected values reads them in the graded process, where a program can rebind
    them before they are read; every read of only the test's names (`c`, `want.get('x')`, `want['x']`) must show
    what the reference run saw."""
    tests = [Test(code=test)]
    ref = run_program("def add(a, b):\n    return a + b\n", tests, record=True, limits=FAST)
    assert ref.passed
    r = run_program(REBINDS_EXPECTED, tests, references=ref.tests, limits=FAST)
    assert not r.passed and r.etype == "TestState", (r.status, r.etype, r.msg)
    assert run_program("def add(a, b):\n    return b + a\n", tests, references=ref.tests, limits=FAST).passed


HIDES_ITS_MUTATION = """import sys
def _hide(items):  # a trace function on the test lambda's frame rebinds its `a` to an untouched copy
    frame, before = sys._getframe(2), list(items)
    name = next(n for n in frame.f_code.co_varnames[:frame.f_code.co_argcount] if frame.f_locals.get(n) is items)
    def local(f, event, arg):
        if f is frame:
            f.f_locals[name] = before
            sys.settrace(None)
        return local
    frame.f_trace = local
    sys.settrace(lambda *a: None)
def rotate(items):
    _hide(items)
    items[:] = items[1:] + items[:1]
    return items
"""


def test_a_program_cannot_trace_the_test_code_to_undo_what_it_did_to_an_argument():
    """The test checks the argument it passed is unchanged, in the graded process: a program that sorts it in place
    and then rebinds the test's name to a copy (a trace function) fails; tracing and the other ways into the test's
    frames and objects are refused."""
    tests = [Test(code="assert (lambda a: [rotate(a), a])([1, 2, 3]) == [[2, 3, 1], [1, 2, 3]]")]
    honest = "def rotate(items):\n    return items[1:] + items[:1]\n"
    ref = run_program(honest, tests, record=True, limits=FAST)
    assert ref.passed and run_program(honest, tests, references=ref.tests, limits=FAST).passed
    r = run_program(HIDES_ITS_MUTATION, tests, references=ref.tests, limits=FAST)
    assert not r.passed and "sys.settrace is not available" in (r.msg or ""), (r.status, r.msg)
    probe = ("import gc, sys, threading\ndef f():\n    out = []\n"
             "    for call in (lambda: sys.setprofile(None), lambda: threading.settrace(None) or threading.Thread("
             "target=int).start(), sys._current_frames, gc.get_objects, lambda: gc.get_referrers(f)):\n"
             "        try:\n            call()\n            out.append('ran')\n"
             "        except RuntimeError:\n            out.append('refused')\n    return out")
    assert run_program(probe, [Test(code="assert f() == ['refused', 'ran', 'refused', 'refused', 'refused']")],
                       limits=FAST).passed


def test_a_module_the_test_imports_is_the_modules_own_in_every_test():
    """A program that makes itertools.count finite would let an eager answer pass a test on an endless input."""
    eager = ("import itertools\nitertools.count = lambda start=0, step=1: iter(range(start, start + 50))\n"
             "def firsts(iterable, n):\n    return list(iterable)[:n]\n")
    test = [Test(code='assert firsts(__import__("itertools").count(), 3) == [0, 1, 2]')]
    assert run_program(eager, test, limits=FAST).status in (TIMEOUT, MEMORY)  # list() of an endless count
    lazy = "def firsts(iterable, n):\n    return [x for _, x in zip(range(n), iterable)]\n"
    assert run_program(lazy, test, limits=FAST).passed


def test_a_rigged_eq_fails_where_both_sides_came_from_the_program(monkeypatch):
    v = _grade(["HumanEval/38"], [ALWAYS_EQUAL], monkeypatch)[0]
    assert not v["passed"] and v["etype"] == "NotData" and v["in_process_tests"] == 1


INHERITED = [
    # the prompt's helper redefined as the identity, so that the identity decodes it
    ("HumanEval/38", "def encode_cyclic(s):\n    return s\ndef decode_cyclic(s):\n    return s\n"),
    # the prompt's poly rigged to 0, so that any x is a zero
    ("HumanEval/32", "def poly(xs, x):\n    return 0\ndef find_zero(xs):\n    return 0.0\n"),
    # the builtins the test calls rebound
    ("HumanEval/4", "import builtins\nbuiltins.abs = builtins.round = lambda *a, **k: 0\nabs = round = lambda *a, **k: 0\n"
                    "def mean_absolute_deviation(numbers):\n    return 0.0\n"),
    ("mbpp/11", "import builtins\nbuiltins.set = builtins.sorted = lambda *a: 0\nset = sorted = lambda *a: 0\n"
                "def remove_Occ(s, ch):\n    return 0\n"),
]


@pytest.mark.parametrize("task,program", INHERITED, ids=[t for t, _ in INHERITED])
def test_prompt_helpers_and_builtins_are_the_graders_own(task, program, monkeypatch):
    from evaluation.documents import humaneval_docs

    prefix = {d["task_id"]: d["prefix"] for d in humaneval_docs()}.get(task, "")
    v = _grade([task], [prefix + program], monkeypatch)[0]
    assert not v["passed"], v


def test_the_answer_key_on_disk_is_not_in_reach(monkeypatch):
    """A program that implements nothing and execs the reference it reads from the vendored benchmark fails; the
    same reference, written out, passes."""
    from common.benchmark_sets import DATA
    from evaluation.documents import mbppplus_docs

    path = str(DATA / "mbppplus.json")
    thief = ("import json\n"
             f"_src = [t for t in json.load(open({path!r})) if t['task_id'] == 'Mbpp/4'][0]['canonical_solution']\n"
             "exec(_src)\n")
    honest = next(d["reference"] for d in mbppplus_docs() if d["task_id"] == "Mbpp/4")
    verdicts = _grade(["Mbpp/4", "Mbpp/4"], [thief, honest], monkeypatch)
    assert [v["passed"] for v in verdicts] == [False, True]
    assert verdicts[0]["etype"] in ("FileNotFoundError", "PermissionError"), verdicts[0]


# ------------------------------------------------------------------ answers that must not crash the grader

def test_a_huge_or_unrepresentable_answer_is_a_wrong_answer_and_no_verdict_is_lost():
    """An int of 5,000 digits (its repr raises beyond 4,300), 10**400 against a float: wrong answers with a message,
    and the correct answers beside them keep their pass."""
    calls = [Test(entry_point="f", args=[2], expected=8), Test(entry_point="f", args=[0.5], expected=2.0)]
    programs = ["def f(a):\n    return 10 ** 5000", "def f(a):\n    return 10 ** 400", "def f(a):\n    return 4 * a"]
    out = run_many([{"program": p, "tests": calls, "limits": FAST, "fail_fast": False} for p in programs], workers=2)
    assert [r.status for r in out] == [FAIL, FAIL, PASS], [(r.status, r.etype, r.msg) for r in out]
    assert "<int of" in out[0].msg and out[1].tests[1].status == FAIL
    asserts = [Test(code="assert f(2) == 8")]
    out = run_many([{"program": p, "tests": asserts, "limits": FAST} for p in programs], workers=2)
    assert [r.status for r in out] == [FAIL, FAIL, PASS], [(r.status, r.etype, r.msg) for r in out]


FORGE = """import os, sys
_fd = int(sys.argv[1])
def _send(*events):
    os.write(_fd, b"".join(e + b"\\n" for e in events))
def add(a, b):
    _send({lines})
    os._exit(0)
"""
FORGED = [
    b'{"ev": "assert", "test": 0, "aid": 0, "probes": [["raised", "E"]]}',
    b'{"ev": "assert", "test": 0, "aid": 0, "probes": [["raised", "E", "m", 5]]}',
    b'{"ev": "assert", "test": 0, "aid": 0, "probes": [["outcome", {"raised": "x"}]]}',
    b'{"ev": "assert", "test": 0, "aid": 0, "probes": [["value", {"i": "0x5"}]], "fallbacks": [1, 2]}',
    b'{"ev": "end", "test": 0, "raised": {"etype": "AssertionError", "msg": 1, "mro": 2}}',
    b'{"ev": "end", "test": 0, "raised": "x"}',
    b'{"ev": "call", "test": 0, "value": {"d": [[{"i": "0x1"}]]}}',
    b'{"ev": "assert", "test": 0, "aid": 0, "probes": [["value", {"i": "' + b"f" * 2_000_000 + b'"}]]}',
    b'{"ev": "assert", "test": "0", "aid": true, "probes": null}',
    b'{"ev": "end", "test": 0}',  # an end with none of its assertions run
    b'[1, 2, 3]',
    b'{"ev": "reply", "test": 0, "value": {"i": "0x5"}}',
]


def _sandbox_processes() -> int:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum("bwrap" in line or "import _signal as signal" in line for line in out.splitlines())


@pytest.mark.parametrize("line", FORGED, ids=[f"forged-{i}" for i in range(len(FORGED))])
def test_a_forged_event_of_the_wrong_shape_fails_the_test_and_nothing_runs_on(line):
    program = FORGE.format(lines=repr(line))
    result = run_program(program, [Test(code="assert add(2, 3) == 5", entry_point="add")], limits=FAST)
    assert result.status in (FAIL, ERROR), (result.status, result.etype, result.msg)
    assert result.etype != "GraderError", result.msg
    assert _sandbox_processes() == 0 or not any(  # this run's processes were killed when it ended
        "_send(" in line for line in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines())


def test_hash_flooding_is_refused_not_computed():
    """80,000 ints that all hash alike as a set answer: building it would take minutes (quadratic); the decoder
    refuses it as hash flooding."""
    modulus = (1 << 61) - 1  # CPython's int hash is x mod 2**61 - 1
    program = f"""import os, sys
_fd = int(sys.argv[1])
def f():
    items = ",".join('{{"i": "%x"}}' % (1 + k * {modulus}) for k in range(80000))
    os.write(_fd, ('{{"ev": "call", "test": 0, "value": {{"s": [' + items + ']}}}}\\n').encode())
    os._exit(0)
"""
    result = run_program(program, [Test(entry_point="f", args=[], expected={1})], limits=FAST)
    assert result.status == FAIL and result.etype == "Malformed" and "hash flooding" in result.msg, (result.etype, result.msg)


def test_a_flooded_list_is_refused_before_a_test_makes_a_set_of_it():
    """MBPP's `assert set(f(...)) == set(...)` and MBPP+'s set oracle build a set of the answer in the grader: a
    list of distinct ints that hash alike would hold the grader (and every program graded beside it) for minutes.
    The decoder refuses such a list or tuple; a list that repeats one value is an answer like any other."""
    from sandbox.verdict import Malformed, value

    modulus = (1 << 61) - 1
    flood = [{"i": "%x" % (1 + k * modulus)} for k in range(5000)]
    for tag in ("l", "t"):
        with pytest.raises(Malformed, match="hash flooding"):
            value({tag: flood})
    assert value({"l": [{"i": "0"}] * 5000}) == [0] * 5000
    assert value({"t": [{"l": []}] * 100}) == ([],) * 100  # unhashable items: nothing to flood


def _random_node(rng: random.Random, depth: int = 0):
    """A random JSON value, biased towards the typed wrappers and near-misses of them."""
    tags = ["i", "f", "c", "b", "l", "t", "s", "fs", "d", "it", "o", "x"]
    r = rng.random()
    if depth > 4 or r < 0.25:
        return rng.choice([None, True, False, 0, -1, 1.5, "", "0x1f", "zz", 10 ** 30, [], {}])
    if r < 0.8:
        tag = rng.choice(tags)
        inner = [_random_node(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return {tag: rng.choice([inner, inner[:1], "0x2a", "1.8p1", 7, None, {"k": 1}])}
    return [_random_node(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def test_decoding_and_deciding_are_total_over_random_events():
    """A property test: 3,000 random events (typed values and near-misses, wrong shapes, wrong kinds) given to the
    decoder and to every decision the grader takes. Each ends as a value, a decision or Malformed - never another
    exception."""
    from sandbox.decide import Decider
    from sandbox.split import split_test
    from sandbox.verdict import Malformed, value

    rng = random.Random(1234)
    tests = [Test(code="assert add(2, 3) == 5 and add(1, 1) in (2, 3)"), Test(entry_point="add", args=[1, 2], expected=3),
             Test(code="assert raises(ValueError, add, 1, 2)", helpers=True)]
    splits = [split_test(t.code, t.helpers) if t.code else None for t in tests]
    decided = 0
    for n in range(3000):
        node = _random_node(rng)
        try:
            value(node)
        except Malformed:
            pass
        i = rng.randrange(len(tests))
        event = {"ev": rng.choice(["assert", "end", "call"]), "test": i, "aid": rng.choice([0, 1, -1, "0", None]),
                 "probes": rng.choice([[["value", node]], [["value", node], ["outcome", node]], [["raised", "E", "m", []]],
                                       [["outcome", {"raised": node}]], node, None]),
                 "raised": rng.choice([None, node, {"etype": "E", "msg": "m", "mro": node}]), "value": node}
        if event["raised"] is None:
            del event["raised"]
        decider = Decider(tests, splits, [None] * len(tests), record=bool(n % 2))
        try:
            out = {"assert": decider.on_assert, "end": decider.on_end, "call": decider.on_call}[event["ev"]](i, event)
        except Malformed:
            continue
        decided += 1
        assert out is None or out.status in (PASS, FAIL, ERROR, TIMEOUT, MEMORY), out
    assert decided > 100  # the generator reaches past the shape checks


@pytest.mark.parametrize("seed", range(6))
def test_a_program_writing_random_events_never_passes_nor_crashes_the_grader(seed):
    rng = random.Random(seed)
    lines = [json.dumps(rng.choice([{"ev": "ready", "ok": True}, {"ev": "assert", "test": 0, "aid": 0,
                                                                   "probes": [["value", _random_node(rng)]]},
                                    {"ev": rng.choice(["end", "call", "done", "reply"]), "test": rng.choice([0, 1]),
                                     "value": _random_node(rng)}, _random_node(rng)])).encode() for _ in range(8)]
    program = FORGE.format(lines=", ".join(repr(x) for x in lines))
    result = run_program(program, [Test(code="assert add(2, 3) == 5", entry_point="add"),
                                   Test(entry_point="add", args=[1, 2], expected=4)], limits=FAST)
    assert result.status != PASS and result.etype != "GraderError", (result.status, result.etype, result.msg)


def test_a_builtin_the_test_applies_to_an_answer_is_the_graders():
    """`len(f(x)) == 3` with len rebound (in the module and in builtins) to answer 3: the grader takes the length
    itself. A program's own object still answers str() with its own __str__."""
    rigged = "import builtins\nbuiltins.len = lambda x: 3\nlen = lambda x: 3\ndef f(x):\n    return [x]"
    assert run_program(rigged, [Test(code="assert len(f(3)) == 3")], limits=FAST).status == FAIL
    assert run_program("def f(x):\n    return [x] * 3", [Test(code="assert len(f(3)) == 3")], limits=FAST).passed
    own = "class R:\n    def __str__(self):\n        return '1/2'\ndef f(x):\n    return R()"
    assert run_program(own, [Test(code="assert str(f(3)) == '1/2'")], limits=FAST).passed


def test_evalplus_lenient_oracles_are_flagged_in_the_verdict(monkeypatch):
    """MBPP+ keeps EvalPlus' oracle for Mbpp/164 (any answer passes): faithful, so the pass stands, but the verdict
    says that it need not mean solved; an ordinary task's verdict does not."""
    v164, v4 = _grade(["Mbpp/164", "Mbpp/4"], ["def are_equivalent(a, b):\n    return None",
                                                "def heap_queue_largest(nums, n):\n    return None"], monkeypatch)
    assert v164["passed"] and v164["lenient_oracle"]
    assert not v4["passed"] and not v4["lenient_oracle"]


def test_a_pass_on_test_state_in_the_graded_process_is_flagged_in_the_verdict(monkeypatch):
    """custom/sort-13 reads how far the test's own iterators were consumed, in the graded process: its verdict says
    so (a program aimed at the harness could rewrite that); an MBPP verdict, decided on returned values, does not."""
    from custom_suite import as_docs
    from evaluation.documents import mbpp_docs
    from evaluation.grading import grade

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", "off")
    docs = [next(d for d in as_docs() if d["task_id"] == "custom/sort-13"),
            next(d for d in mbpp_docs() if d["entry_point"] == "remove_Occ")]
    sort13, mbpp = (v[0] for v in grade(docs, [[d["reference"]] for d in docs], progress=False))
    assert sort13["passed"] and sort13["test_state_in_process"]
    assert mbpp["passed"] and not mbpp["test_state_in_process"]


def test_task_files_reach_the_working_directory_read_only():
    program = "def f():\n    return open('data.txt').read()\ndef g():\n    open('data.txt', 'w').write('x')\n    return 1"
    tests = [Test(code="assert f() == 'a\\nb\\n'"), Test(code="assert g() == 1")]
    result = run_program(program, tests, limits=FAST, fail_fast=False, files={"data.txt": b"a\nb\n"})
    assert [t.status for t in result.tests] == [PASS, ERROR], (result.tests, result.stderr)


# ------------------------------------------------------------------ found by a red team that had the grader's source
# (tests/fixtures/hostile/*.py.txt: each program as the red team wrote it)

def _fixture(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).parent / "fixtures" / "hostile" / f"{name}.py.txt").read_text()


RIGGED_BUILTINS = [("custom/class-08", "class08_rig"), ("custom/file-12", "file12_rig"),
                   ("custom/iter-10", "iter10_rig"), ("custom/parse-05", "parse05_rig")]


@pytest.mark.parametrize("task,name", RIGGED_BUILTINS, ids=[n for _, n in RIGGED_BUILTINS])
def test_a_builtin_the_test_code_calls_in_the_graded_process_is_not_the_programs(task, name, monkeypatch):
    """Test code that runs where the program lives (setattr on its object, open on its file, next on its iterator,
    type of its value) calls the builtins as they were before the program ran, not the program's rigged ones."""
    from custom_suite import as_docs
    from evaluation.grading import grade

    monkeypatch.setenv("CODEEVAL_REFERENCE_CACHE", "off")
    doc = next(d for d in as_docs() if d["task_id"] == task)
    rigged, honest = grade([doc], [[_fixture(name), doc["reference"]]], progress=False)[0]
    assert not rigged["passed"] and honest["passed"], (rigged["first_failure"], honest["first_failure"])


def test_humaneval_draws_cannot_be_replayed(monkeypatch):
    """HumanEval/38 draws its 100 strings from `random`: a program that replays a guessed seed (the test index)
    and looks the answers up fails; the real decoder passes."""
    verdicts = _grade(["HumanEval/38", "HumanEval/38"], [_fixture("he38_replay_full"), DECODE_CYCLIC], monkeypatch)
    assert [v["passed"] for v in verdicts] == [False, True]


def test_file_locks_and_inotify_cannot_carry_answers_between_concurrent_programs():
    """Every sandbox binds the same host files: a lock (flock, fcntl), a lease, an inotify watch or a directory
    notification (dnotify: F_NOTIFY on a bound folder, F_SETSIG to queue each read) on one would be a channel
    between programs graded at the same time. They are denied; a sender and a receiver graded together: the
    receiver, which computes nothing, fails."""
    probe = ("import errno, fcntl, os, ctypes\ndef f():\n    fd = os.open(os.__file__, os.O_RDONLY)\n    out = []\n"
             "    d = os.open(os.path.dirname(os.__file__), os.O_RDONLY)\n"
             "    for call in (lambda: fcntl.flock(fd, fcntl.LOCK_SH), lambda: fcntl.lockf(fd, fcntl.LOCK_SH),\n"
             "                 lambda: fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK),\n"
             "                 lambda: fcntl.fcntl(d, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT),\n"
             "                 lambda: fcntl.fcntl(d, fcntl.F_SETSIG, 40)):\n"
             "        try:\n            call()\n            out.append(0)\n        except OSError as e:\n"
             "            out.append(e.errno)\n"
             "    libc = ctypes.CDLL(None, use_errno=True)\n    out.append(0 if libc.inotify_init1(0) >= 0 else ctypes.get_errno())\n"
             "    return out")
    assert run_program(probe, [Test(code="assert f() == [1, 1, 1, 1, 1, 1]")], limits=FAST).passed  # EPERM each
    tests = [Test(code=c, entry_point="remove_Occ") for c in
             ('assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"',
              'assert remove_Occ("PHP","P") == "H"')]
    slow = Limits(default_test_time=5.0, memory_bytes=256 << 20, max_task_time=20.0)
    tx, rx = run_many([{"program": _fixture("flock_tx"), "tests": tests, "limits": slow},
                       {"program": _fixture("flock_rx"), "tests": tests, "limits": slow}], workers=2)
    assert not rx.passed, rx.stderr


def test_page_cache_probes_cannot_tell_a_later_program_what_an_earlier_one_read():
    """A program marks pages of a cold host file by reading them; a later one would ask which pages are cached:
    preadv2 with RWF_NOWAIT (EAGAIN: not cached), mincore on a mapping, cachestat. Each is denied (EPERM); a plain
    preadv still reads."""
    probe = ("import ctypes, os\ndef f():\n    fd = os.open(os.__file__, os.O_RDONLY)\n    out = []\n"
             "    try:\n        os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT)\n        out.append(0)\n"
             "    except OSError as e:\n        out.append(e.errno)\n"
             "    libc = ctypes.CDLL(None, use_errno=True)\n    libc.mmap.restype = ctypes.c_void_p\n"
             "    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,"
             " ctypes.c_long]\n    page = libc.mmap(None, 4096, 1, 1, fd, 0)\n    vec = ctypes.create_string_buffer(1)\n"
             "    out.append(0 if libc.mincore(ctypes.c_void_p(page), 4096, vec) == 0 else ctypes.get_errno())\n"
             "    stat, span = ctypes.create_string_buffer(64), (ctypes.c_uint64 * 2)(0, 4096)\n"
             "    out.append(0 if libc.syscall(451, fd, span, stat, 0) == 0 else ctypes.get_errno())  # cachestat\n"
             "    out.append(os.preadv(fd, [bytearray(1)], 0))\n"
             "    return out")
    r = run_program(probe, [Test(code="assert f() == [1, 1, 1, 1]")], limits=FAST)  # EPERM thrice; 1 byte read
    assert r.passed, (r.status, r.msg, r.stderr)


def test_a_program_that_cancels_its_own_timer_still_times_out():
    """The graded process's SIGALRM is the program's to cancel: the grader's own clock decides the limit too, so a
    slow answer that switched the timer off is a TIMEOUT at about the limit, not at the grader's last-resort deadline."""
    slow = ("import signal, time\ndef f():\n    signal.setitimer(signal.ITIMER_REAL, 0)\n    t = time.monotonic()\n"
            "    while time.monotonic() - t < 2.0:\n        pass\n    return 1\n")
    limits = Limits(min_time=1.0, default_test_time=1.0, memory_bytes=256 << 20, max_task_time=10.0)
    r = run_program(slow, [Test(code="assert f() == 1")], limits=limits, test_times=[0.01])
    assert r.status == TIMEOUT and "grader's clock" in (r.msg or ""), (r.status, r.msg)
    assert run_program(slow.replace("2.0", "0.1"), [Test(code="assert f() == 1")], limits=limits, test_times=[0.01]).passed


def test_host_wide_counters_a_program_could_step_for_the_next_one_are_denied():
    """memfd inode numbers and socket cookies come from host-wide counters, in per-CPU batches: a program pinned to
    one CPU could step either to a chosen value for the next program to read. memfd_create, getsockopt SO_COOKIE
    and sched_setaffinity are denied (EPERM); another socket option still reads."""
    probe = ("import os, socket\ndef f():\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n    out = []\n"
             "    for call in (lambda: os.sched_setaffinity(0, {0}), lambda: os.memfd_create('x'),\n"
             "                 lambda: s.getsockopt(socket.SOL_SOCKET, 57, 8)):\n"
             "        try:\n            call()\n            out.append(0)\n        except OSError as e:\n"
             "            out.append(e.errno)\n"
             "    out.append(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_DGRAM)\n    return out")
    r = run_program(probe, [Test(code="assert f() == [1, 1, 1, True]")], limits=FAST)
    assert r.passed, (r.status, r.msg, r.stderr)


def test_a_reference_that_did_not_pass_decides_nothing():
    """A reference that timed out leaves no trace and no expected output: a forged end or a None must not pass."""
    from sandbox.decide import TestResult as Result

    failed = [Result(TIMEOUT, "Timeout")]
    forged = FORGE.format(lines=repr(b'{"ev": "end", "test": 0}'))
    r = run_program(forged, [Test(code="assert add(2, 3) == 5", entry_point="add")], limits=FAST, references=failed)
    assert r.status == FAIL and r.etype == "ReferenceFailed", (r.status, r.etype)
    none = run_program("def add(a, b):\n    return None", [Test(entry_point="add", args=[2, 3], expected=None)],
                       limits=FAST, references=failed)
    assert none.status == FAIL and none.etype == "ReferenceFailed"


def test_a_generator_is_not_the_tuple_it_yields_in_a_driven_test():
    """As in HumanEval's own harness: `candidate(x) == (1, 2)` is False for a generator; list() of it works."""
    gen = "def f(x):\n    yield 1\n    yield 2"
    eq = "def check(candidate):\n    assert candidate(0) == (1, 2)\ncheck(f)\n"
    listed = "def check(candidate):\n    assert list(candidate(0)) == [1, 2]\ncheck(f)\n"
    assert not run_program(gen, [Test(driver=eq, entry_point="f")], limits=FAST).passed
    assert run_program(gen, [Test(driver=listed, entry_point="f")], limits=FAST).passed


def test_no_descriptor_outlives_a_run():
    """Thousands of programs run in one grader: each run closes every descriptor it opened, however it ended."""
    def count() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = count()
    for program in ("def f():\n    return 1", "import os\nos._exit(0)", "def f():\n    while True: pass",
                    FORGE.format(lines=repr(b"garbage"))):
        run_program(program, [Test(entry_point="f", args=[], expected=1)], limits=Limits(default_test_time=0.5, max_task_time=2))
    run_program("def f(x):\n    return x", [Test(driver="def check(c):\n    assert c(1) == 1\ncheck(f)\n", entry_point="f")],
                limits=FAST)
    assert count() == before
