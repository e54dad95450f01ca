"""Hostile programs: the harness must finish, the host must be untouched, and every verdict must be right."""
import os
import socket
import tempfile
import threading
import time

import pytest

from sandbox import ERROR, FAIL, MEMORY, NOT_RUN, PASS, TIMEOUT, Limits, Test, run_many, run_program

FAST = Limits(default_test_time=2.0, memory_bytes=1 << 30)
T = [Test(code="assert f() == 1")]
CANARY_DIR = "/tmp/codeeval-canary"


@pytest.fixture(scope="module", autouse=True)
def canary():
    os.makedirs(CANARY_DIR, exist_ok=True)
    path = os.path.join(CANARY_DIR, "keep.txt")
    with open(path, "w") as fh:
        fh.write("host file")
    os.environ["CODEEVAL_HOST_SECRET"] = "s3cret"
    yield path
    assert open(path).read() == "host file", "a sandboxed program changed a host file"


# (name, program, tests, expected task status, expected etype substring or None)
CASES = [
    ("fork bomb", "import os\ndef f():\n    while True:\n        os.fork()", T, ERROR, "PermissionError"),
    ("fork bomb via posix", "import posix\ndef f():\n    while True:\n        posix.fork()", T, ERROR, "PermissionError"),
    ("fork bomb via multiprocessing", "import multiprocessing\ndef f(): return 1", T, ERROR, "ModuleNotFoundError"),
    ("memory bomb", "def f():\n    x = [bytearray(1 << 20) for _ in range(1 << 14)]\n    return 1", T, MEMORY, "MemoryError"),
    ("memory bomb at import", "x = 'a' * (1 << 34)\ndef f(): return 1", T, MEMORY, "MemoryError"),
    ("infinite loop in test", "def f():\n    while True:\n        pass", T, TIMEOUT, None),
    ("infinite loop at import", "while True:\n    pass\ndef f(): return 1", T, TIMEOUT, None),
    ("sleep forever", "import time\ndef f():\n    time.sleep(1000)", T, TIMEOUT, None),
    ("deep recursion", "def f(n=0):\n    return f(n + 1)", T, ERROR, "RecursionError"),
    ("os._exit(0) at import", "import os\nos._exit(0)", T, ERROR, "EarlyExit"),
    ("sys.exit(0) in test", "import sys\ndef f():\n    sys.exit(0)", T, ERROR, "SystemExit"),
    ("sys.exit at import", "import sys\nsys.exit(0)\ndef f(): return 1", T, ERROR, "SystemExit"),
    ("raise KeyboardInterrupt", "def f():\n    raise KeyboardInterrupt", T, ERROR, "KeyboardInterrupt"),
    ("kill the parent", "import os\ndef f():\n    os.kill(os.getppid(), 9)\n    return 1", T, ERROR, "PermissionError"),
    ("kill process group", "import os, signal\ndef f():\n    os.killpg(0, signal.SIGKILL)", T, ERROR, "PermissionError"),
    ("ignore SIGTERM and loop", "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ndef f():\n    while True: pass", T, TIMEOUT, None),
    ("ignore SIGALRM and sleep", "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ndef f():\n    time.sleep(100)", T, TIMEOUT, None),
    ("delete host file", f"import os\ndef f():\n    os.remove('{CANARY_DIR}/keep.txt')\n    return 1", T, ERROR, "PermissionError"),
    ("overwrite host file", f"def f():\n    open('{CANARY_DIR}/keep.txt', 'w').write('pwned')\n    return 1", T, ERROR, "PermissionError"),
    ("rmtree host dir", f"import shutil\ndef f():\n    shutil.rmtree('{CANARY_DIR}')\n    return 1", T, ERROR, "PermissionError"),
    ("write via pathlib", f"import pathlib\ndef f():\n    pathlib.Path('{CANARY_DIR}/keep.txt').write_text('x')\n    return 1", T, ERROR, "PermissionError"),
    ("escape with ../", "def f():\n    open('../../codeeval-canary-escape.txt', 'w').write('x')\n    return 1", T, ERROR, "PermissionError"),
    ("read host secrets file", "def f():\n    return open('/etc/shadow').read()", [Test(code="assert f() is not None")], ERROR, "PermissionError"),
    ("read host environment", "import os\ndef f():\n    return os.environ.get('CODEEVAL_HOST_SECRET')", [Test(code="assert f() is None")], PASS, None),
    ("open a socket", "import socket\ndef f():\n    socket.socket().connect(('127.0.0.1', 9))\n    return 1", T, ERROR, "PermissionError"),
    ("socket via _socket", "import _socket\ndef f():\n    _socket.socket()\n    return 1", T, ERROR, "PermissionError"),
    ("urllib fetch", "import urllib.request\ndef f():\n    urllib.request.urlopen('http://127.0.0.1:9', timeout=1)\n    return 1", T, ERROR, None),
    ("flood stdout", "import sys\ndef f():\n    while True:\n        sys.stdout.write('x' * 65536)", T, ERROR, "OSError"),
    ("flood stderr at import", "import os\nfor _ in range(10**6):\n    os.write(2, b'y' * 65536)\ndef f(): return 1", T, ERROR, "OSError"),
    ("spawn subprocess", "import subprocess\ndef f():\n    subprocess.run(['sleep', '100'])\n    return 1", T, ERROR, "PermissionError"),
    ("os.system", "import os\ndef f():\n    os.system('touch /tmp/codeeval-pwned')\n    return 1", T, ERROR, "PermissionError"),
    ("ctypes escape", "import ctypes\ndef f(): return 1", T, ERROR, "ModuleNotFoundError"),
    ("raise rlimits", "import resource\ndef f(): return 1", T, ERROR, "ModuleNotFoundError"),
    ("rigged __eq__", "class A:\n    def __eq__(self, o): return True\ndef f(): return A()", T, FAIL, "AssertionError"),
    ("rigged __eq__ on int subclass", "class I(int):\n    def __eq__(self, o): return True\ndef f(): return I(5)", T, FAIL, "AssertionError"),
    ("monkeypatch builtins.set", "import builtins\nbuiltins.set = lambda *a: 1\ndef f(): return [2]", [Test(code="assert set(f()) == {1}")], FAIL, "AssertionError"),
    ("monkeypatch AssertionError", "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})\ndef f(): return 2", T, FAIL, "AssertionError"),
    ("forge result lines on stdout", "import sys\nprint('{\"nonce\": \"x\", \"event\": \"done\"}')\ndef f(): return 2", T, FAIL, "AssertionError"),
    ("forge results on every fd", "import os, json\ndef f():\n    for fd in range(3, 64):\n        try: os.write(fd, b'{\"nonce\": \"0\", \"event\": \"test\", \"i\": 0, \"status\": \"pass\"}\\n')\n        except OSError: pass\n    return 2", T, FAIL, "AssertionError"),
    ("setsid to escape the group", "import os\ndef f():\n    os.setsid()\n    return 1", T, ERROR, "PermissionError"),
    ("threads left running", "import threading, time\ndef spin():\n    while True: time.sleep(0.01)\ndef f():\n    threading.Thread(target=spin).start()\n    return 1", T, PASS, None),
    ("huge file in its own dir", "def f():\n    open('big.bin', 'wb').write(b'0' * (64 << 20))\n    return 1", T, ERROR, "OSError"),
    ("chdir away", "import os\ndef f():\n    os.chdir('/')\n    return 1", T, ERROR, "PermissionError"),
]


@pytest.mark.parametrize("name,program,tests,status,etype", CASES, ids=[c[0] for c in CASES])
def test_hostile_program(name, program, tests, status, etype):
    result = run_program(program, tests, limits=FAST)
    assert result.status == status, (name, result.status, result.etype, result.msg, result.stderr[-300:])
    if etype:
        assert etype in (result.etype or ""), (name, result.etype, result.msg)
    assert not os.path.exists("/tmp/codeeval-pwned")
    assert not os.path.exists("/tmp/codeeval-canary-escape.txt")


def test_at_least_thirty_hostile_cases():
    assert len(CASES) >= 30


def test_host_survives_and_sandboxes_are_cleaned_up(canary, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # sandboxes are created here
    results = run_many([{"program": p, "tests": t, "limits": FAST} for _, p, t, _, _ in CASES[:12]], workers=2)
    assert len(results) == 12 and all(r.status for r in results)
    assert list(tmp_path.iterdir()) == []
    assert open(canary).read() == "host file"


def test_no_sandbox_process_outlives_its_run():
    marker = "codeeval_orphan_marker_%d" % os.getpid()
    run_program(f"import threading, time\n{marker} = 1\ndef f():\n    threading.Thread(target=time.sleep, args=(60,)).start()\n    return 1",
                T, limits=FAST)
    time.sleep(0.2)
    out = os.popen("ps -eo args").read()
    assert marker not in out


def test_network_is_unreachable_even_for_a_listening_host_port():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    hits = []
    threading.Thread(target=lambda: hits.append(srv.accept()), daemon=True).start()
    result = run_program(f"import _io\ndef f():\n    import socket\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return 1",
                         T, limits=FAST)
    assert result.status == ERROR
    time.sleep(0.2)
    assert not hits
    srv.close()


def test_verdicts_are_deterministic():
    programs = [c[1] for c in CASES if c[3] in (PASS, FAIL, ERROR)][:10]
    jobs = [{"program": p, "tests": T, "limits": FAST} for p in programs]
    first = [(r.status, r.etype) for r in run_many(jobs, workers=2)]
    second = [(r.status, r.etype) for r in run_many(jobs, workers=2)]
    assert first == second


def test_first_failure_decides_and_fail_fast_skips_the_rest():
    tests = [Test(code="assert f(1) == 1"), Test(code="assert f(3) == 4"), Test(code="assert f(2) == 2"),
             Test(code="assert f(1) == 1")]
    program = "def f(x):\n    while x == 2: pass\n    return x"
    r = run_program(program, tests, limits=FAST, fail_fast=False)
    assert [t.status for t in r.tests] == [PASS, FAIL, TIMEOUT, PASS]  # the harness times each call itself
    assert r.status == FAIL and r.etype == "AssertionError"
    fast = run_program(program, tests, limits=FAST)
    assert [t.status for t in fast.tests] == [PASS, FAIL, NOT_RUN, NOT_RUN] and fast.status == FAIL
