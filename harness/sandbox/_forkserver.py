"""Fork server run as pid 1 inside one long-lived bwrap sandbox (standard library only; a script).

Starting a sandbox and an interpreter costs ~25 ms per program; forking a warm interpreter costs
~1 ms. This server pays the start-up once, then for each request forks a child that runs one
program exactly as `python -I -S script` would (or execs argv), and once it ends kills every other
process in the namespace, wipes the writable places and reports. Why a child cannot touch the
server or a later run:
- the server is pid 1 of the pid namespace, so nothing inside can SIGKILL or SIGSTOP it, and it
  installs no signal handler anything inside could trigger;
- it is not dumpable, so a child (same uid, no capabilities) cannot ptrace it or open its
  /proc/1/fd or /proc/1/mem; the child closes every inherited descriptor before untrusted code runs;
- after each run it SIGKILLs the whole namespace and reaps until nothing is left, empties /sandbox,
  /tmp and /dev/shm, and checks /dev and SysV IPC against their start state; anything it cannot
  restore marks it dirty and the harness replaces it.
Protocol on fds 0/1: 4-byte big-endian length, then a marshal request; replies are a length-prefixed
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reply(fd: int, header: dict[str, Any], sections: list[bytes]) -> None:
    import json

    header["sections"] = [len(s) for s in sections]
    head = json.dumps(header).encode()
    _write_all(fd, len(head).to_bytes(4, "big") + head + b"".join(sections))


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


def _limits(values: list[int]) -> None:
    import resource

    names = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
             "RLIMIT_CORE", "RLIMIT_MSGQUEUE")
    for name, value in zip(names, values, strict=True):
        resource.setrlimit(getattr(resource, name), (value, value))


def _run_script(path: str, args: list[str], stdin: bytes) -> NoReturn:
    """In the child: run a script as `python -I -S path args` would, then exit."""
    import builtins
    import io
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
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]
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
        with contextlib.suppress(BaseException):
            stream.flush()
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


def _child(req: dict[str, Any], out_w: int, err_w: int) -> NoReturn:
    """After fork: own session, fds 0-2 only, limits, then the program. Never returns."""
    import signal

    try:
        os.setsid()
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 1 << 20)
        os.chdir("/sandbox")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if "random" in sys.modules:  # a fresh interpreter seeds from urandom; a fork would repeat ours
            sys.modules["random"].seed()
        _limits(req["limits"])
        argv = req["argv"]
        if req["script"]:
            _run_script(argv[1], argv[2:], req["stdin"])
        exe = [sys.executable, "-I", "-S"]
        os.execv(exe[0] if argv[0] == PYTHON else argv[0],
                 [a for x in argv for a in (exe if x == PYTHON else [x])])
    except BaseException as exc:
        try:
            os.write(2, f"fork server child: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(127)


class _Tail:
    def __init__(self, cap: int) -> None:
        self.cap, self.buf, self.total = cap, bytearray(), 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.buf += chunk
        if len(self.buf) > 2 * self.cap:
            del self.buf[: len(self.buf) - self.cap]

    def value(self) -> bytes:
        return bytes(self.buf[-self.cap:]) if self.cap else b""


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
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        open_fds.remove(fd)
                        continue
                    tail = tails[pipes.index(fd)]
                    tail.feed(chunk)
                    if tail.total > flood_at:
                        return "output_limit", None
            if pidfd in ready:
                return "exited", os.waitpid(pid, 0)[1]
    finally:
        os.close(pidfd)


def _drain(fds: list[int], tails: list[_Tail]) -> None:
    for fd, tail in zip(fds, tails, strict=True):
        os.set_blocking(fd, False)
        try:
            while chunk := os.read(fd, 65536):
                tail.feed(chunk)
        except BlockingIOError:
            pass
        os.close(fd)


def _read_back(names: list[str], cap: int) -> dict[str, bytes]:
    got = {}
    for name in names:
        try:
            fd = os.open(os.path.join("/sandbox", name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if (st.st_mode & 0o170000) == 0o100000 and st.st_size <= cap:
                got[name] = os.read(fd, cap + 1)[:cap]
        finally:
            os.close(fd)
    return got


def _write_files(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = os.path.join("/sandbox", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def _serve(req: dict[str, Any], cmd_fd: int, dev: dict[str, tuple[int, ...]], tops: dict[str, int]) -> tuple[
        dict[str, Any], list[bytes]]:
    """One run: write files, fork, watch, kill everything, clean up; the reply header and sections."""
    _write_files(req["files"])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(req, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    tails = [_Tail(req["max_output"]), _Tail(req["max_output"])]
    why, status = _watch(pid, [out_r, err_r], tails, req["time_limit"], req["flood_at"], start, cmd_fd)
    duration = time.monotonic() - start
    _kill_all()
    _drain([out_r, err_r], tails)
    files = _read_back(req["read_back"], req["read_back_cap"])
    clean = True
    for top, mode in tops.items():
        try:
            clean = _wipe(top, mode) and clean
        except OSError:
            clean = False
    clean = clean and _dev_state() == dev and _ipc_clean()
    rc = None if status is None else os.waitstatus_to_exitcode(status)
    header = {"why": why, "rc": rc, "duration": duration, "output_bytes": tails[0].total + tails[1].total,
              "files": list(files), "clean": clean}
    return header, [tails[0].value(), tails[1].value(), *files.values()]


def main() -> None:
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
    import gc

    gc.freeze()  # forked children then share, rather than copy, the server's objects
    dev = _dev_state()
    tops = {top: os.stat(top).st_mode & 0o7777 for top in WRITABLE}
    ok = os.getpid() == 1 and nondumpable and _ipc_clean()
    _reply(reply_fd, {"ready": ok, "pid1": os.getpid() == 1, "nondumpable": nondumpable}, [])
    if not ok:
        return
    while (req := _read_frame(cmd_fd)) is not None:
        header, sections = _serve(req, cmd_fd, dev, tops)
        if header["why"] == "harness_gone":
            return  # pid 1 exiting takes the namespace with it
        _reply(reply_fd, header, sections)


if __name__ == "__main__":
    main()
