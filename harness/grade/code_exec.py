"""Code grading by execution in the sandbox: HumanEval / MBPP asserts, HumanEval+ / MBPP+ inputs.

A pass is decided from a channel the program cannot write: a per-run secret the trusted driver
emits only after every test ran (assert mode), or outputs compared here with reference outputs the
program never sees (io mode). Per-problem time limits are max(floor, factor x the reference
solution's run time), measured once per problem in the same sandbox, memoised in-process and cached
on disk per machine (SandboxConfig.reference_cache_dir), so a slower machine gets proportionally
longer limits instead of different scores.

Sample.meta keys read here (set by benchmarks/_code_common.py): mode ('assert' | 'io'),
entry_point, reference (the canonical program), test (assert mode: code that raises on failure),
base_inputs / plus_inputs, atol, oracle ('humaneval' | 'mbpp'), mbpp_task (int or None).
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import SandboxConfig
from harness.grade.code_compare import MBPP_NOT_NONE, outputs_match, parse_result_line
from harness.sandbox.base import PYTHON, ExecResult, ExecStatus, Sandbox
from harness.sandbox.refcache import ReferenceCache, digest
from harness.types import Extraction, ExtractStatus, Grade, Sample, Status

if TYPE_CHECKING:
    from harness.grade.env import GradeEnv

CODE_GRADER_VERSION = "code-exec/3"
"""2: the secret travels as two halves (a frame-walking program forged an assert-mode pass under 1).
3: programs are reconstructed from chat-style and stripped completions (harness/extract/code.py),
and each grade's detail names how (`reconstruction: ...`)."""
REFERENCE_LIMIT_S = 600.0
"""Wall-clock cap for measuring a reference solution (only a broken reference ever reaches it)."""
DRIVER_FILE = "driver.py"
DRIVER_PYC = "driver.pyc"
RESULT_FILE = "result.jsonl"


@functools.cache
def _driver_source() -> bytes:
    """The driver's source, read once per process (every program run ships it)."""
    return Path(__file__).with_name("_code_driver.py").read_bytes()


@functools.cache
def _driver_pyc(magic: bytes, source: bytes) -> bytes | None:
    """The driver as a .pyc for an interpreter with this magic number (None: ours differs).

    Compiling the driver's source costs every run several milliseconds; a .pyc given as the
    script is only checked for its magic number, so the header's timestamp fields stay zero.
    """
    import importlib.util

    if not magic or magic != importlib.util.MAGIC_NUMBER:
        return None
    code = compile(source, "<driver>", "exec", dont_inherit=True)
    return magic + bytes(12) + marshal.dumps(code)


def _driver_files(sandbox: Sandbox) -> tuple[dict[str, str | bytes], str]:
    """The driver file for this sandbox's interpreter (precompiled when its bytecode matches ours)."""
    source = _driver_source()
    pyc = _driver_pyc(getattr(sandbox, "python_magic", b""), source)
    if pyc is None:
        return {DRIVER_FILE: source}, DRIVER_FILE
    return {DRIVER_PYC: pyc}, DRIVER_PYC


@dataclass(frozen=True)
class Reference:
    """A reference solution's run: did it pass, how long it took, and its outputs (io mode)."""

    ok: bool
    duration_s: float
    outputs: tuple[Any, ...] | None = None
    detail: str = ""
    memory_mb: int = 0
    """The memory cap the reference passed under; programs for this item get the same (0: config's)."""
    lines: tuple[str, ...] = ()
    """The driver's raw result lines (io mode): what the on-disk cache stores instead of outputs."""


@dataclass(frozen=True)
class Verdict:
    """Outcome of one program run, before it becomes a Grade."""

    status: Status
    rule: str
    detail: str = ""


class _ReferenceMemo:
    """In-process memo of reference runs, keyed by benchmark, version, item, sandbox and memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, ...], Reference] = {}

    def get(self, key: tuple[str, ...]) -> Reference | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: tuple[str, ...], ref: Reference) -> None:
        with self._lock:
            self._data.setdefault(key, ref)


REFERENCES = _ReferenceMemo()


def _job(meta: Mapping[str, Any], program: str, *, not_none: bool = False) -> dict[str, Any]:
    if meta["mode"] == "assert":
        return {"mode": "assert", "program": program, "test": meta["test"], "result_file": RESULT_FILE}
    return {
        "mode": "io", "program": program, "entry_point": meta["entry_point"],
        "inputs": [*meta["base_inputs"], *meta["plus_inputs"]], "mbpp_task": meta.get("mbpp_task"),
        "not_none": not_none, "result_file": RESULT_FILE,
    }


def run_program(sandbox: Sandbox, job: Mapping[str, Any], time_limit_s: float, memory_mb: int) -> tuple[
        ExecResult, str]:
    """Run the driver on one job with a fresh secret; returns the result and the secret."""
    # The driver gets the secret as two random halves and XORs them only after the tests ran, so a
    # program scanning its stack or heap for a secret-looking string finds none (see _code_driver).
    left, right = secrets.randbits(128), secrets.randbits(128)
    nonce = format(left ^ right, "032x")
    payload = marshal.dumps({"key": (left, right), **job})
    files, script = _driver_files(sandbox)
    res = sandbox.run(
        files, [PYTHON, script], time_limit_s, memory_mb,
        stdin=payload, read_back=(RESULT_FILE,) if job["mode"] == "io" else (),
    )
    return res, nonce


def _io_lines(res: ExecResult, nonce: str) -> list[str] | None:
    """The driver's result lines, or None when the run did not end with this run's secret."""
    text = res.files.get(RESULT_FILE, b"").decode("utf-8", "replace")
    lines = text.rstrip("\n").split("\n")
    if not lines or lines[-1] != nonce:
        return None
    return lines[:-1]


def _exec_failure(res: ExecResult) -> Verdict | None:
    if res.status == ExecStatus.TIMEOUT:
        return Verdict(Status.TIMEOUT, "time_limit", f"killed after {res.duration_s:.2f}s")
    if res.status == ExecStatus.SANDBOX_ERROR:
        return Verdict(Status.ERROR, "sandbox_error", res.stderr.decode("utf-8", "replace")[-300:])
    if res.status == ExecStatus.OUTPUT_LIMIT:
        return Verdict(Status.INCORRECT, "output_flood", f"{res.output_bytes} bytes of output")
    return None


def _tail(res: ExecResult) -> str:
    return res.stderr.decode("utf-8", "replace").strip()[-300:] or f"exit status {res.exit_code}"


def judge_assert(res: ExecResult, nonce: str) -> Verdict:
    """Assert mode: correct only when the run exited 0 and printed this run's secret."""
    failed = _exec_failure(res)
    if failed is not None:
        return failed
    if res.status == ExecStatus.OK and nonce.encode() in res.stdout:
        return Verdict(Status.CORRECT, "tests_passed")
    return Verdict(Status.INCORRECT, "tests_failed", _tail(res))


def judge_io(res: ExecResult, nonce: str, meta: Mapping[str, Any], ref: Reference) -> Verdict:
    """io mode: every base and plus output must match the reference's (evalplus comparison)."""
    failed = _exec_failure(res)
    if failed is not None:
        return failed
    lines = _io_lines(res, nonce)
    if lines is None or ref.outputs is None:
        return Verdict(Status.INCORRECT, "no_results", _tail(res))
    inputs = [*meta["base_inputs"], *meta["plus_inputs"]]
    n_base = len(meta["base_inputs"])
    first_bad: int | None = None
    seen = 0
    for line in lines:
        try:
            i, ok, value = parse_result_line(line)
        except ValueError as exc:
            return Verdict(Status.INCORRECT, "malformed_results", str(exc))
        if i != seen or i >= len(inputs):
            return Verdict(Status.INCORRECT, "malformed_results", f"unexpected input index {i}")
        seen += 1
        match = ok and outputs_match(value, ref.outputs[i], inputs[i], float(meta["atol"]),
                                     meta["oracle"], meta["entry_point"])
        if not match:
            first_bad = i
            break
    if first_bad is None and seen < len(inputs):
        first_bad = seen
    if first_bad is None:
        return Verdict(Status.CORRECT, "base+plus_passed", f"{n_base} base + {len(inputs) - n_base} plus")
    part = "base" if first_bad < n_base else "plus"
    base_ok = "pass" if first_bad >= n_base else "fail"
    return Verdict(Status.INCORRECT, f"{part}_failed", f"base: {base_ok}; first failing input #{first_bad}")


MEMORY_RETRY_FACTOR = 4
"""A reference that fails under the configured memory cap is retried once with this multiple; if it
then passes, that cap becomes the item's cap for every program (as time limits follow the reference)."""


def measure_reference(sandbox: Sandbox, meta: Mapping[str, Any], memory_mb: int) -> Reference:
    """Measure the reference under the configured memory cap, or a larger one if it needs it."""
    ref = _measure_once(sandbox, meta, memory_mb)
    if not ref.ok and "MemoryError" in ref.detail:
        bigger = _measure_once(sandbox, meta, memory_mb * MEMORY_RETRY_FACTOR)
        if bigger.ok:
            return bigger
    return ref


def _measure_once(sandbox: Sandbox, meta: Mapping[str, Any], memory_mb: int) -> Reference:
    """Run the canonical solution once: its duration sets limits; its outputs are the truth (io)."""
    not_none = meta.get("oracle") == "mbpp" and meta["entry_point"] in MBPP_NOT_NONE
    job = _job(meta, meta["reference"], not_none=not_none)
    res, nonce = run_program(sandbox, job, REFERENCE_LIMIT_S, memory_mb)
    if job["mode"] == "assert":
        v = judge_assert(res, nonce)
        return Reference(v.status == Status.CORRECT, res.duration_s, None, v.detail, memory_mb)
    lines = _io_lines(res, nonce)
    n = len(job["inputs"])
    if res.status != ExecStatus.OK or lines is None or len(lines) != n:
        last = lines[-1][:300] if lines else _tail(res)
        return Reference(False, res.duration_s, None, f"reference run failed: {last}", memory_mb)
    return _from_lines(tuple(lines), res.duration_s, memory_mb)


def _from_lines(lines: tuple[str, ...], duration_s: float, memory_mb: int) -> Reference:
    """A reference from the driver's result lines (fresh from a run, or from the cache)."""
    outs: list[Any] = []
    for line in lines:
        try:
            _, ok, value = parse_result_line(line)
        except ValueError as exc:
            return Reference(False, duration_s, None, str(exc))
        if not ok:
            return Reference(False, duration_s, None, f"reference raised: {value}", memory_mb)
        outs.append(value)
    return Reference(True, duration_s, tuple(outs), "", memory_mb, lines)


def time_limit(config: SandboxConfig, ref: Reference) -> float:
    """Per-problem wall-clock limit: max(floor, factor x reference run time)."""
    return max(config.time_floor_s, config.time_factor * ref.duration_s)


def _cache_context(sandbox: Sandbox, config: SandboxConfig) -> dict[str, Any]:
    """What reference runs depend on besides the item (and, on disk, the machine); computed once
    per grading call, it keys both the in-process memo and the disk cache."""
    info = sandbox.describe()
    return {"grader": CODE_GRADER_VERSION, "kind": info.get("kind"), "python": info.get("python"),
            "identity": info.get("identity"), "namespaces": info.get("namespaces"),
            "launch": info.get("launch_mode"),
            "driver": hashlib.sha256(_driver_source()).hexdigest()[:16], "memory_mb": config.memory_mb}


def _memo_key(sample: Sample, ctx_key: str) -> tuple[str, ...]:
    """In-process memo key: the digest of the cache context, and the item."""
    return (ctx_key, sample.benchmark, sample.version, sample.id)


def _item_hash(sample: Sample) -> str:
    """The item's own content: a data change invalidates exactly the entries it touches."""
    m = sample.meta
    keys = ("mode", "reference", "test", "entry_point", "base_inputs", "plus_inputs", "mbpp_task", "oracle")
    return digest({"id": sample.id, **{k: m.get(k) for k in keys}})


def _cache_get(cache: ReferenceCache | None, s: Sample, ctx: dict[str, Any]) -> Reference | None:
    entry = cache.get(s.benchmark, s.version, ctx, _item_hash(s)) if cache is not None else None
    if entry is None:
        return None
    try:
        dur, mem = float(entry["duration_s"]), int(entry["memory_mb"])
        if s.meta["mode"] == "assert":
            return Reference(True, dur, None, "", mem)
        ref = _from_lines(tuple(str(x) for x in entry["lines"]), dur, mem)
    except (KeyError, TypeError, ValueError):
        return None
    return ref if ref.ok else None


def _cache_put(cache: ReferenceCache | None, done: dict[str, tuple[Sample, Reference]],
               ctx: dict[str, Any]) -> None:
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for s, ref in done.values():
        if ref.ok:  # a failure may be load or a transient fault: measure it again next time
            entry = {"duration_s": ref.duration_s, "memory_mb": ref.memory_mb, "lines": list(ref.lines)}
            groups.setdefault((s.benchmark, s.version), {})[_item_hash(s)] = entry
    if cache is not None:
        for (bench, version), entries in groups.items():
            cache.put_many(bench, version, ctx, entries)


def _known_references(samples: Sequence[Sample], cache: ReferenceCache | None, ctx: dict[str, Any]) -> tuple[
        dict[str, Reference], dict[str, Sample]]:
    """References already measured (memoised in-process, or in the disk cache), and the items still
    to measure."""
    ctx_key = digest(ctx)
    known: dict[str, Reference] = {}
    todo: dict[str, Sample] = {}
    for s in samples:
        if s.id in known or s.id in todo:
            continue
        found = REFERENCES.get(_memo_key(s, ctx_key)) or _cache_get(cache, s, ctx)
        if found is not None:
            REFERENCES.put(_memo_key(s, ctx_key), found)
            known[s.id] = found
        else:
            todo[s.id] = s
    return known, todo


def _measured(fut: Future[Reference], sample: Sample, ctx_key: str) -> Reference:
    """A measurement's result, memoised; a harness-side failure is confined to its item."""
    try:
        ref = fut.result()
    except Exception as exc:  # its candidates grade as 'error'
        ref = Reference(False, 0.0, None, f"reference measurement failed: {type(exc).__name__}: {exc}"[:300])
    REFERENCES.put(_memo_key(sample, ctx_key), ref)
    return ref


def grade_one(sandbox: Sandbox, config: SandboxConfig, sample: Sample, extraction: Extraction,
              ref: Reference) -> Verdict:
    """Grade one extracted program against its item."""
    if extraction.status == ExtractStatus.SYNTAX_ERROR:
        return Verdict(Status.INCORRECT, "syntax_error", "program does not parse")
    if extraction.status != ExtractStatus.OK or not extraction.answer:
        return Verdict(Status.NO_ANSWER, "no_program")
    meta = sample.meta
    if meta["mode"] == "io" and not ref.ok:
        return Verdict(Status.ERROR, "reference_failed", ref.detail)
    limit = time_limit(config, ref) if ref.ok else config.time_floor_s
    memory = max(config.memory_mb, ref.memory_mb) if ref.ok else config.memory_mb
    res, nonce = run_program(sandbox, _job(meta, extraction.answer), limit, memory)
    if meta["mode"] == "assert":
        return judge_assert(res, nonce)
    return judge_io(res, nonce, meta, ref)


def _guarded(sandbox: Sandbox, config: SandboxConfig, sample: Sample, extraction: Extraction,
             ref: Reference) -> Verdict:
    """grade_one, with a harness-side failure confined to its sample (status error, not a crash)."""
    try:
        return grade_one(sandbox, config, sample, extraction, ref)
    except Exception as exc:  # a grader bug must not lose the batch; it is counted as 'error'
        return Verdict(Status.ERROR, "grader_exception", f"{type(exc).__name__}: {exc}"[:300])


def workers(config: SandboxConfig, sandbox: Sandbox | None = None) -> int:
    """Worker threads unless configured. Runs forked from a warm server are CPU-bound: one per core
    plus one to cover the harness's share of each run. A fresh sandbox per run spends most of its
    wall time waiting on namespace and interpreter set-up: three per core (measured 1x < 2x < 3x ~ 4x)."""
    cores = os.cpu_count() or 1
    if config.workers:
        return config.workers
    return cores + 1 if getattr(sandbox, "forks_programs", False) else 3 * cores


def grade_code(pairs: Sequence[tuple[Sample, Extraction]], env: GradeEnv) -> list[Grade]:
    """GradeFn for every code benchmark: run each program in the sandbox, in a pool sized to the cores.

    Items whose reference is already known are graded longest reference first, so one slow item
    does not start last and hold up the whole pass; references still to measure go first, and each
    item's programs are queued as soon as its own reference is in, not after every reference.
    """
    if not pairs:
        return []
    sandbox, config = env.sandbox(), env.sandbox_config
    by_item: dict[str, list[int]] = {}
    for i, (s, _) in enumerate(pairs):
        by_item.setdefault(s.id, []).append(i)
    cache: ReferenceCache | None = getattr(sandbox, "reference_cache", None)
    ctx = _cache_context(sandbox, config)
    known, todo = _known_references([s for s, _ in pairs], cache, ctx)
    futures: dict[int, Future[Verdict]] = {}
    measured: dict[str, tuple[Sample, Reference]] = {}
    lock, arrived = threading.Lock(), threading.Semaphore(0)
    with ThreadPoolExecutor(max_workers=workers(config, sandbox)) as pool:

        def queue_item(item_id: str, ref: Reference) -> None:
            with lock:
                for i in by_item[item_id]:
                    futures[i] = pool.submit(_guarded, sandbox, config, *pairs[i], ref)

        def on_measured(item_id: str, fut: Future[Reference]) -> None:
            try:
                ref = _measured(fut, todo[item_id], digest(ctx))
                with lock:
                    measured[item_id] = (todo[item_id], ref)
                queue_item(item_id, ref)
            finally:
                arrived.release()

        pending = {i: pool.submit(measure_reference, sandbox, s.meta, config.memory_mb) for i, s in todo.items()}
        for item_id in sorted(known, key=lambda i: -known[i].duration_s):
            queue_item(item_id, known[item_id])
        for item_id, fut in pending.items():
            fut.add_done_callback(functools.partial(on_measured, item_id))
        for _ in pending:
            arrived.acquire()
        verdicts = [futures[i].result() for i in range(len(pairs))]
    _cache_put(cache, measured, ctx)
    return [Grade(v.status, v.rule, CODE_GRADER_VERSION, _with_method(ex, v.detail))
            for (_, ex), v in zip(pairs, verdicts, strict=True)]


def _with_method(extraction: Extraction, detail: str) -> str:
    """The grade's detail, led by how the program was reconstructed from the output."""
    head = f"reconstruction: {extraction.method}"
    return f"{head}; {detail}" if detail else head
