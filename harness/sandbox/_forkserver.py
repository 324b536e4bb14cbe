"""Fork server run as pid 1 inside one long-lived bwrap sandbox (standard library only; a script).

Starting a sandbox and an interpreter costs ~25 ms per program; forking a warm interpreter costs
~1 ms. This server pays the start-up once. For each request it forks a child, which reads the
request from the harness's channel itself, writes its files, hands the server only the run's
limits and then runs the program exactly as `python -I -S script` would. The server watches it,
kills every other process in the namespace when it ends, replies, and restores its start state.
Why no run can reach the server or a later run:
- the server never holds a run's program, tests or secret (only the child reads the request), and
  the outputs it relays pass through buffers it zeroes after each reply, so a later program forked
  from it cannot find an earlier run's data (a reference solution's outputs, say) in its memory;
- the server is pid 1 of the pid namespace and every program's parent, so nothing inside can
  SIGKILL or SIGSTOP it, and it installs no signal handler anything inside could trigger;
- it is not dumpable, so a program (same uid, no capabilities) cannot ptrace it or open its
  /proc/1/fd or /proc/1/mem; the child closes every inherited descriptor before the program runs;
- after each run everything but pid 1 is SIGKILLed and reaped, /sandbox, /tmp and /dev/shm are
  emptied, and /dev and SysV IPC are checked against their start state; anything not restored
  marks the server dirty and the harness replaces it.
Protocol on fds 0/1: 4-byte big-endian length, then a marshal request; a reply is a length-prefixed
JSON header followed by the raw byte sections it lists.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from typing import Any, NoReturn

PYTHON = "{python}"
WRITABLE = ("/sandbox", "/tmp", "/dev/shm")
IPC_FILES = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg")
PR_SET_DUMPABLE = 4
CHILD_EOF = 3
"""A child's exit code when the harness closed the request channel: the server then exits."""
PARAMS = ("time_limit", "flood_at", "read_back", "read_back_cap")
"""The only request fields the server sees: limits and file names, never program, tests or secret."""
WARM_UP = """
class C:
    def f(self, xs: list[int]) -> dict:
        return {x: [y * 2 for y in range(x)] for x in xs if x % 2 == 0}
s = f"{C().f([1, 2, 3, 4])!r}"
assert s.startswith("{")
"""


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _read_frame(fd: int) -> Any:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, int.from_bytes(head, "big"))
    return None if body is None else marshal.loads(body)


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reply(fd: int, header: dict[str, Any], sections: list[memoryview]) -> None:
    """Header, then each section written straight from its buffer (joining would leave copies)."""
    import json

    header["sections"] = [len(s) for s in sections]
    head = json.dumps(header).encode()
    _write_all(fd, len(head).to_bytes(4, "big") + head)
    for section in sections:
        _write_all(fd, section)


def _dev_state() -> dict[str, tuple[int, ...]]:
    state: dict[str, tuple[int, ...]] = {}
    for entry in os.scandir("/dev"):
        st = entry.stat(follow_symlinks=False)
        state[entry.name] = (st.st_ino, st.st_mode, st.st_rdev, st.st_uid)
    return state


def _ipc_clean() -> bool:
    for path in IPC_FILES:
        try:
            with open(path, "rb") as fh:
                if len(fh.read().strip().split(b"\n")) > 1:
                    return False
        except FileNotFoundError:
            continue
    return True


def _wipe(top: str, mode: int) -> bool:
    """Empty top and give it back its mode. Iterative (a deep tree must not exhaust the stack), and
    every directory is made writable before it is read: a program may chmod its files to 0."""
    os.chmod(top, 0o700)
    stack, dirs = [top], []  # type: list[str], list[str]
    while stack:
        for entry in os.scandir(stack.pop()):
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                stack.append(entry.path)
                dirs.append(entry.path)
            else:
                os.unlink(entry.path)
    for path in reversed(dirs):
        os.rmdir(path)
    os.chmod(top, mode)
    return not os.listdir(top)


def _kill_all() -> None:
    """SIGKILL every process in the namespace but us, and reap until none is left."""
    import signal

    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _limits(pairs: list[tuple[int, int]]) -> None:
    import resource

    for which, value in pairs:
        resource.setrlimit(which, (value, value))


def _run_script(path: str, args: list[str]) -> NoReturn:
    """In the child: run a script as `python -I -S path args` would, then exit."""
    import builtins
    import traceback

    full = os.path.abspath(path)  # what the interpreter gives __file__ and tracebacks
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".pyc"):
        import _frozen_importlib_external  # always loaded; importlib.util would cost ~4 ms a run

        if data[:4] != _frozen_importlib_external.MAGIC_NUMBER:
            raise RuntimeError("bad magic number in .pyc")
        code = marshal.loads(data[16:])
    else:
        code = compile(data, full, "exec", dont_inherit=True)
    main = type(sys)("__main__")
    main.__file__ = full
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    sys.argv = [path, *args]
    # The interpreter made these for fds 0-2 at start-up and the server never used them: now that
    # the run's pipes sit on fds 0-2 they are exactly what a fresh interpreter's would be.
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__
    try:
        exec(code, main.__dict__)
        rc = _finalize()
    except SystemExit as exc:
        rc = _exit_code(exc)
    except BaseException as exc:  # the traceback starts in the script, as the interpreter's would
        tb = exc.__traceback__
        traceback.print_exception(type(exc), exc, tb.tb_next if tb is not None else None)
        rc = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # a program may have closed or replaced them
            stream.flush()  # type: ignore[union-attr]
    os._exit(rc & 0xFF)


def _exit_code(exc: SystemExit) -> int:
    """The exit status the interpreter gives an uncaught SystemExit."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _finalize() -> int:
    """What interpreter shutdown does before exit: join non-daemon threads, run atexit handlers."""
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _write_files(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = os.path.join("/sandbox", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def _stdin_pipe(data: bytes) -> int:
    """A pipe already holding all of stdin (the harness sends at most what a pipe can be sized to)."""
    r, w = os.pipe()
    if len(data) > 65536:
        import fcntl

        if fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, len(data)) < len(data):
            raise OSError("stdin does not fit a pipe")
    _write_all(w, data)
    os.close(w)
    return r


def _child(cmd_fd: int, params_w: int, out_w: int, err_w: int, growth: int) -> NoReturn:
    """After fork: read the request, write its files, hand the server the limits, then become the
    program (own session, fds 0-2 only, rlimits). Never returns. `growth`: address space the server
    added to a fresh interpreter's, granted on top of the memory limit so a script gets the same
    headroom it would get in a fresh interpreter."""
    import signal

    try:
        req = _read_frame(cmd_fd)
        if req is None:
            os._exit(CHILD_EOF)
        _write_files(req["files"])
        stdin = _stdin_pipe(req["stdin"])
        _write_all(params_w, marshal.dumps({k: req[k] for k in PARAMS}))
        os.setsid()
        os.dup2(stdin, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 1 << 20)  # the harness's channels and the params pipe among them
        os.chdir("/sandbox")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import resource

        memory = (resource.RLIMIT_AS, resource.RLIMIT_DATA) if req["script"] else ()
        _limits([(which, value + growth if which in memory else value) for which, value in req["limits"]])
        argv = req["argv"]
        if req["script"]:
            _run_script(argv[1], argv[2:])
        exe = [sys.executable, "-I", "-S"]
        os.execv(exe[0] if argv[0] == PYTHON else argv[0],
                 [a for x in argv for a in (exe if x == PYTHON else [x])])
    except BaseException as exc:
        try:
            os.write(2, f"fork server child: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(127)


def _zero(buf: bytearray, n: int) -> None:
    """Overwrite the first n bytes in place (slice assignment would go through a temporary copy)."""
    import ctypes

    if n:
        ctypes.memset((ctypes.c_char * len(buf)).from_buffer(buf), 0, n)


class _Tail:
    """The last `cap` bytes of a stream, read straight into one buffer allocated once and zeroed
    after every run; moved within it by memmove, never through intermediate bytes objects whose
    freed memory a later fork could read."""

    def __init__(self, cap: int) -> None:
        import ctypes

        self.cap = cap
        self.buf = bytearray(2 * cap + 4096)
        self._pin = (ctypes.c_char * len(self.buf)).from_buffer(self.buf)  # also keeps it from moving
        self._addr = ctypes.addressof(self._pin)
        self.n = self.total = self.high = 0

    def read_from(self, fd: int) -> int:
        """Read what is there into the buffer; 0 at end of stream."""
        if self.n == len(self.buf):  # keep the last cap bytes
            import ctypes

            keep = min(self.cap, self.n)
            ctypes.memmove(self._addr, self._addr + self.n - keep, keep)
            self.n = keep
        got = os.readv(fd, [memoryview(self.buf)[self.n:]])
        self.n += got
        self.total += got
        self.high = max(self.high, self.n)
        return got

    def view(self) -> memoryview:
        return memoryview(self.buf)[max(0, self.n - self.cap):self.n] if self.cap else memoryview(b"")

    def clear(self) -> None:
        _zero(self.buf, self.high)
        self.n = self.total = self.high = 0


def _watch(pid: int, pipes: list[int], tails: list[_Tail], limit_s: float, flood_at: int, start: float,
           cmd_fd: int) -> tuple[str, int | None]:
    """Collect output until the child exits, floods or runs out of time; returns (why, wait status)."""
    import select

    pidfd = os.pidfd_open(pid)
    open_fds = list(pipes)
    try:
        while True:
            remaining = start + limit_s - time.monotonic()
            if remaining <= 0:
                return "timeout", None
            ready, _, _ = select.select([pidfd, cmd_fd, *open_fds], [], [], remaining)
            if cmd_fd in ready:
                return "harness_gone", None
            for fd in open_fds[:]:
                if fd in ready:
                    tail = tails[pipes.index(fd)]
                    if not tail.read_from(fd):
                        open_fds.remove(fd)
                    elif tail.total > flood_at:
                        return "output_limit", None
            if pidfd in ready:
                return "exited", os.waitpid(pid, 0)[1]
    finally:
        os.close(pidfd)


def _drain(fds: list[int], tails: list[_Tail]) -> None:
    for fd, tail in zip(fds, tails, strict=True):
        os.set_blocking(fd, False)
        with contextlib.suppress(BlockingIOError):
            while tail.read_from(fd):
                pass
        os.close(fd)


def _read_back(names: list[str], cap: int) -> list[tuple[str, bytearray, int]]:
    """Regular files the run left, each read straight into a buffer (with the length read) that the
    caller zeroes after use."""
    got = []
    for name in names:
        try:
            fd = os.open(os.path.join("/sandbox", name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if (st.st_mode & 0o170000) != 0o100000 or st.st_size > cap:
                continue
            buf = bytearray(st.st_size)
            n = 0
            while n < len(buf) and (got_now := os.readv(fd, [memoryview(buf)[n:]])):
                n += got_now
            got.append((name, buf, n))
        finally:
            os.close(fd)
    return got


def _restore(dev: dict[str, tuple[int, ...]], tops: dict[str, int]) -> bool:
    """Empty the writable places and check /dev and SysV IPC; False when the start state is not back."""
    clean = True
    for top, mode in tops.items():
        try:
            clean = _wipe(top, mode) and clean
        except OSError:
            clean = False
    return clean and _dev_state() == dev and _ipc_clean()


def _params(fd: int, pid: int) -> dict[str, Any]:
    """The run's limits from the child; {"eof": ...} when it ended without sending them."""
    data = bytearray()
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    if not data:
        status = os.waitpid(pid, 0)[1]
        return {"eof": os.waitstatus_to_exitcode(status) == CHILD_EOF}
    params: dict[str, Any] = marshal.loads(bytes(data))
    return params


def _serve(cmd_fd: int, reply_fd: int, tails: list[_Tail], dev: dict[str, tuple[int, ...]],
           tops: dict[str, int], growth: int) -> bool:
    """One run: fork the child that reads the request, watch the program it becomes, kill
    everything, reply, restore. False once the harness is gone."""
    import select

    select.select([cmd_fd], [], [])  # a request (or the end of the channel) is waiting
    params_r, params_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(cmd_fd, params_w, out_w, err_w, growth)
    for fd in (params_w, out_w, err_w):
        os.close(fd)
    params = _params(params_r, pid)  # ends when the child has closed its copies, just before it runs
    start = time.monotonic()
    if "eof" in params:
        _kill_all()
        for fd in (out_r, err_r):
            os.close(fd)
        if params["eof"]:
            return False
        _reply(reply_fd, {"why": "request_failed"}, [])
        return True
    why, status = _watch(pid, [out_r, err_r], tails, params["time_limit"], params["flood_at"], start, cmd_fd)
    duration = time.monotonic() - start
    _kill_all()
    if why == "harness_gone":
        return False
    _drain([out_r, err_r], tails)
    files = _read_back(params["read_back"], params["read_back_cap"])
    rc = None if status is None else os.waitstatus_to_exitcode(status)
    header = {"why": why, "rc": rc, "duration": duration, "output_bytes": tails[0].total + tails[1].total,
              "files": [name for name, _, _ in files], "clean": _restore(dev, tops)}
    _reply(reply_fd, header, [tails[0].view(), tails[1].view(), *(memoryview(b)[:n] for _, b, n in files)])
    for tail in tails:
        tail.clear()
    for _, buf, _ in files:
        _zero(buf, len(buf))
    return True


def _vm_size() -> int:
    with open("/proc/self/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    fresh = _vm_size()  # before anything beyond a fresh interpreter's start-up is loaded
    import ctypes
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"):  # pid 1: no handler, no effect
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    nondumpable = libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 and libc.prctl(3, 0, 0, 0, 0) == 0
    cmd_fd, reply_fd = os.dup(0), os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    hello = _read_frame(cmd_fd)
    if hello is None:
        return
    for module in hello["preload"]:
        __import__(module)
    # The first compile() in a process initialises the parser (~1.5 ms); pay it here, not per run.
    exec(compile(WARM_UP, "<warm-up>", "exec"), {"__builtins__": __builtins__})
    tails = [_Tail(hello["max_output"]), _Tail(hello["max_output"])]
    import gc

    gc.freeze()  # forked children then share, rather than copy, the server's objects
    dev = _dev_state()
    tops = {top: os.stat(top).st_mode & 0o7777 for top in WRITABLE}
    ok = os.getpid() == 1 and nondumpable and _ipc_clean()
    _reply(reply_fd, {"ready": ok, "pid1": os.getpid() == 1, "nondumpable": nondumpable}, [])
    if not ok:
        return
    growth = max(0, _vm_size() - fresh)
    while _serve(cmd_fd, reply_fd, tails, dev, tops, growth):
        pass
    # returning: pid 1 exiting takes the namespace with it


if __name__ == "__main__":
    main()
