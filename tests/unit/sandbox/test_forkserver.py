"""The bwrap fork server: same results as one bwrap per program, and no way for one run to reach the
server or a later run (each test here could fail if the server kept state or could be touched)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from harness.sandbox import PYTHON, ExecStatus
from harness.sandbox.bwrap import BwrapSandbox, probe_bwrap

NAMESPACES, WHY = probe_bwrap()
pytestmark = pytest.mark.skipif(NAMESPACES is None, reason=f"bwrap does not work here: {WHY}")


@pytest.fixture(scope="module")
def servers():
    assert NAMESPACES is not None
    sb = BwrapSandbox(NAMESPACES, 4000)
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def oneshot():
    assert NAMESPACES is not None
    sb = BwrapSandbox(NAMESPACES, 4000, fork_server=False)
    yield sb
    sb.close()


def _run(sb: BwrapSandbox, program: str, limit: float = 5.0, **kw):
    return sb.run({"p.py": textwrap.dedent(program)}, [PYTHON, "p.py", "arg1"], limit, 256, **kw)


def _stats(sb: BwrapSandbox) -> tuple[int, int, int]:
    pool = sb._pool
    assert pool is not None and not pool.disabled, pool and pool.disabled
    return pool.started, pool.replaced, pool.redone


SAME_AS_ONESHOT = {
    "print": "print('hello')",
    "argv_and_name": "import sys\nprint(sys.argv[1:], __name__, __file__)",
    "stdin": "import sys\nprint(sys.stdin.read()[::-1])",
    "exit_code": "import sys\nsys.exit(7)",
    "exit_message": "import sys\nsys.exit('bad')",
    "exit_none": "raise SystemExit",
    "exception": "def f():\n    raise ValueError('boom')\nf()",
    "os_exit": "import os\nprint('lost', end='')\nos._exit(3)",
    "flush_at_exit": "import sys\nsys.stdout.write('no newline')",
    "nondaemon_thread": "import threading, time\n"
                        "threading.Thread(target=lambda: (time.sleep(0.2), print('joined'))).start()",
    "atexit": "import atexit\natexit.register(print, 'at exit')",
    "flags": "import sys\nprint(sys.flags.isolated, sys.flags.no_site, 'site' in sys.modules)",
    "write_file": "open('out.txt', 'w').write('data')",
    "memory": "x = bytearray(600 * 1024 * 1024)",
    "memory_fits": "x = bytearray(225 * 1024 * 1024)\nprint(len(x))",  # of 256 MiB: same headroom
    "fds": "import os\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd'))[:3])",
    "stdio": "import os, sys\nprint([(s.name, s.encoding, s.errors, s.line_buffering, type(s.buffer).__name__,"
             " s.fileno()) for s in (sys.stdin, sys.stdout, sys.stderr)], os.read(0, 2), sys.stdin.read())",
    "paths_and_ids": "import os, sys\nprint(sys.path, sys.executable, os.getcwd(), os.getppid(), os.getuid(),"
                     " sorted(os.environ))",
}


@pytest.mark.parametrize("name", sorted(SAME_AS_ONESHOT))
def test_same_result_as_one_bwrap_per_program(name, servers, oneshot):
    program = SAME_AS_ONESHOT[name]
    a = _run(servers, program, stdin=b"abc", read_back=("out.txt",))
    b = _run(oneshot, program, stdin=b"abc", read_back=("out.txt",))
    assert (a.status, a.exit_code, a.stdout, a.files) == (b.status, b.exit_code, b.stdout, b.files)
    assert a.stderr.splitlines()[-1:] == b.stderr.splitlines()[-1:]
    assert _stats(servers)[2] == 0, "the server could not serve a plain program"


def test_a_signal_death_is_reported_as_one(servers):
    res = _run(servers, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)")
    # one bwrap per program reports 128 + 15 from its init process: a fail either way
    assert (res.status, res.exit_code) == (ExecStatus.SIGNAL, -signal.SIGTERM)


def test_nothing_written_survives_into_the_next_run(servers):
    started, replaced, _ = _stats(servers)
    writer = """
        import os
        for d in ('/sandbox', '/tmp', '/dev/shm'):
            os.makedirs(d + '/deep/er', exist_ok=True)
            open(d + '/deep/er/left.txt', 'w').write('x')
            os.chmod(d + '/deep/er', 0)
            os.chmod(d + '/deep', 0o500)
        """
    assert _run(servers, writer).status == ExecStatus.OK
    reader = "import os\nprint([sorted(os.listdir(d)) for d in ('/sandbox', '/tmp', '/dev/shm')])"
    res = _run(servers, reader)
    assert res.stdout.strip() == b"[['p.py'], [], []]"
    assert _stats(servers)[:2] == (started, replaced), "a clean server was replaced"


def test_dev_is_read_only_and_sysv_ipc_gets_the_server_replaced(servers):
    _, replaced, _ = _stats(servers)
    tamper = """
        import os
        os.chmod('/dev/shm', 0)  # restored after the run, like the other writable places
        open('/dev/leak', 'w')
        """
    res = _run(servers, tamper)
    assert res.status == ExecStatus.EXIT and b"Read-only file system" in res.stderr
    assert _stats(servers)[1] == replaced, "a restorable change got the server replaced"
    shm = """
        import ctypes
        libc = ctypes.CDLL(None)
        print(libc.shmget(0x1234, 4096, 0o1666))  # IPC_CREAT | 0666
        """
    assert int(_run(servers, shm).stdout) >= 0
    assert _stats(servers)[1] == replaced + 1, "a SysV segment outlived its run in a kept server"
    check = "import os\nopen('/dev/shm/ok', 'w')\nprint(open('/proc/sysvipc/shm').read().count('\\n'))"
    assert _run(servers, check).stdout.split() == [b"1"]


def test_server_cannot_be_signalled_traced_or_read(servers):
    assert _run(servers, "print('warm')").status == ExecStatus.OK
    before = set(servers.server_pids())
    assert before
    attack = """
        import ctypes, os, signal
        for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
            os.kill(1, sig)
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        libc = ctypes.CDLL(None, use_errno=True)
        print('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())  # PTRACE_ATTACH
        for path in ('/proc/1/mem', '/proc/1/fd/0', '/proc/1/fd/1', '/proc/1/environ'):
            try:
                open(path, 'rb').close()
                print('opened', path)
            except OSError as exc:
                print('denied', path, exc.errno)
        """
    res = _run(servers, attack)
    assert res.status == ExecStatus.OK, res.stderr
    assert b"ptrace -1 1" in res.stdout and b"opened" not in res.stdout
    assert _run(servers, "print('still serving')").stdout == b"still serving\n"
    assert set(servers.server_pids()) == before, "the attacked server was replaced or another started"


def test_each_run_gets_fresh_randomness(servers):
    """`random` must not be loaded in the server: a forked child would inherit its state and every
    run would draw the same numbers (a fresh interpreter seeds from urandom on import)."""
    prog = "import sys\nfresh = 'random' not in sys.modules\nimport random\nprint(fresh, random.random())"
    first, second = _run(servers, prog).stdout.split(), _run(servers, prog).stdout.split()
    assert first[0] == second[0] == b"True" and first[1] != second[1]


def test_a_dead_server_means_the_run_is_redone_not_misjudged(servers):
    _, _, redone = _stats(servers)
    result = {}

    def slow() -> None:
        result["res"] = _run(servers, "import time\ntime.sleep(1.0)\nprint('done')")

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    for pid in servers.server_pids():  # the harness's view: a server crashed mid-run
        os.kill(pid, signal.SIGKILL)
    t.join(timeout=30)
    res = result["res"]
    assert res.status == ExecStatus.OK and res.stdout == b"done\n"
    assert _stats(servers)[2] == redone + 1


def test_servers_die_with_the_harness(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        from harness.sandbox import PYTHON
        from harness.sandbox.bwrap import BwrapSandbox
        sb = BwrapSandbox({tuple(NAMESPACES or ())!r})
        sb.run({{"p.py": "print(1)"}}, [PYTHON, "p.py"], 5, 256)
        print(*sb.server_pids(), flush=True)
        time.sleep(60)
        """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2 and all(os.path.exists(f"/proc/{p}") for p in pids)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)


def test_a_server_that_cannot_start_falls_back_to_one_bwrap_per_program():
    assert NAMESPACES is not None
    sb = BwrapSandbox(NAMESPACES, 4000)
    try:
        assert sb._pool is not None
        sb._pool._cmd = ["false"]  # exits at once, as a server would without ctypes or a pid namespace
        res = _run(sb, "print('served anyway')")
        assert res.status == ExecStatus.OK and res.stdout == b"served anyway\n"
        assert "fork server unavailable" in sb.describe()["launch"] and sb.server_pids() == []
    finally:
        sb.close()


def _memory_of(pid: int) -> bytes:
    """Every readable private mapping of a process (the harness must be root to read a server's)."""
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("/usr/")):
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(lo)
                chunks.append(mem.read(hi - lo))
            except OSError:
                continue
    return b"\0".join(chunks)


@pytest.mark.skipif(os.geteuid() != 0, reason="reading a server's memory needs root")
def test_the_server_keeps_no_run_data_in_its_memory(servers):
    import uuid

    marks = {k: f"{k}-{uuid.uuid4().hex}" for k in ("program", "stdin", "stdout", "stderr", "file")}
    program = f"""
        # {marks['program']}
        import sys
        sys.stdin.read()
        for _ in range(400):  # far more than the kept tail: the server's buffer wraps many times
            print({marks['stdout']!r})
            print({marks['stderr']!r}, file=sys.stderr)
        open('out.txt', 'w').write({marks['file']!r} * 1000)
        """
    for _ in range(3):
        res = _run(servers, program, stdin=marks["stdin"].encode(), read_back=("out.txt",))
        assert marks["stdout"].encode() in res.stdout and len(res.files["out.txt"]) > 30000
    _run(servers, "print('a later run')")
    server = [p for p in servers.server_pids() if Path(f"/proc/{p}/status").read_text().find("NSpid") > 0
              and Path(f"/proc/{p}/status").read_text().split("NSpid:")[1].split("\n")[0].split()[-1] == "1"]
    assert len(server) == 1
    memory = _memory_of(server[0])
    assert b"C().f([1, 2, 3, 4])" in memory, "the scan does not see the server's own strings"
    found = [k for k, v in marks.items() if v.encode() in memory]
    assert found == [], f"the server's memory still holds run data: {found}"


@pytest.mark.parametrize("size", [70_000, 900_000, 3_000_000])
def test_large_stdin_arrives_whole(servers, size):
    _, _, redone = _stats(servers)
    data = os.urandom(size // 2).hex().encode()[:size]
    res = _run(servers, "import hashlib, sys\nprint(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())", stdin=data)
    import hashlib

    assert res.status == ExecStatus.OK and res.stdout.strip() == hashlib.sha256(data).hexdigest().encode()
    assert _stats(servers)[2] == redone, "a server failed on it (over 1 MiB goes to a one-shot sandbox by design)"


def test_default_workers_follow_the_launch_mode(servers, oneshot):
    from harness.config import SandboxConfig
    from harness.grade.code_exec import workers

    cores = os.cpu_count() or 1
    assert workers(SandboxConfig(), servers) == cores + 1  # CPU-bound forks
    assert workers(SandboxConfig(), oneshot) == 3 * cores  # latency-bound start-ups
    assert workers(SandboxConfig(workers=5), servers) == 5
