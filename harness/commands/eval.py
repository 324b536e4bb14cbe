"""`harness eval CKPT`: score a checkpoint on benchmarks; rerunning the same command continues the run.

Flags parse into a RunConfig: the preset fills decoding and grading defaults, explicit flags
override them, and both end up in the run manifest.
"""

from __future__ import annotations

import argparse
import os
import shlex
import time
from dataclasses import replace
from typing import Any

from harness.benchmark import Benchmark
from harness.commands._flags import add_sandbox_flags, sandbox_config
from harness.config import LOCAL_KINDS, BackendConfig, MathGradeConfig, RunConfig, SamplingConfig, TruncationPolicy
from harness.errors import BackendError, ConfigError

BACKENDS = ("hf", "openai", "vllm")
DEFAULT_SUITE = "all"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `eval`."""
    p = subparsers.add_parser(
        "eval", help="evaluate a checkpoint on benchmarks (resumable)",
        description="Evaluate a checkpoint. Rerunning the same command continues where it stopped.",
    )
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint directory (hf, vllm) or served model id (openai)")
    sel = p.add_argument_group("what to score")
    sel.add_argument("--benchmarks", default=None, help="comma-separated benchmark names")
    sel.add_argument("--suite", default=None, help=f"scalequest, math, code or all (default: {DEFAULT_SUITE})")
    sel.add_argument("--limit", type=int, default=None, help="score only the first N items of each benchmark")
    sel.add_argument("--data-dir", default=None, help="benchmark data folder (default: $HARNESS_DATA_DIR)")
    sel.add_argument("--allow-data-mismatch", action="store_true", help="proceed when data differ from the pin")
    how = p.add_argument_group("model and decoding (defaults from the preset)")
    how.add_argument("--backend", choices=BACKENDS, default="hf")
    how.add_argument("--preset", default="scalequest", help="published protocol to follow (default: scalequest)")
    how.add_argument("--n", type=int, default=None, help="samples per item")
    how.add_argument("--temperature", type=float, default=None)
    how.add_argument("--top-p", type=float, default=None)
    how.add_argument("--seed", type=int, default=None)
    how.add_argument("--max-tokens", type=int, default=None, help="max new tokens per sample")
    how.add_argument("--strict-truncation", action="store_const", const="strict", dest="truncation",
                     help="score outputs cut at --max-tokens as wrong (status truncated); = --truncation strict")
    how.add_argument("--truncation", choices=("grade", "strict"), default=None,
                     help="grade: grade what is there and count it; strict: truncated is wrong (default: preset)")
    how.add_argument("--batch-size", type=int, default=None, help="prompts per batch (default 8)")
    how.add_argument("--device", default=None, help="hf: cpu, cuda, cuda:1 ... (default: auto)")
    how.add_argument("--dtype", default=None, help="hf/vllm weights dtype (default: auto)")
    how.add_argument("--base-url", default=None, help="openai: server URL (default: $OPENAI_BASE_URL)")
    how.add_argument("--endpoint", choices=("chat", "completions"), default=None,
                     help="openai: chat (server templates) or completions (templated here; CKPT must be the "
                     "checkpoint directory the server runs); default chat")
    add_sandbox_flags(p.add_argument_group("code execution"))
    out = p.add_argument_group("output")
    out.add_argument("--out", default="results", help="results folder (default: results)")
    out.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="label the run (repeatable)")
    out.add_argument("--dry-run", action="store_true", help="print the first prompt per benchmark and exit")


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")


def validate_args(args: argparse.Namespace) -> None:
    """Flag checks that need no registry or files: one ConfigError line each."""
    if args.benchmarks is not None and args.suite is not None:
        raise ConfigError("--benchmarks and --suite conflict; pass one of them")
    if args.benchmarks is not None and not [b for b in args.benchmarks.split(",") if b.strip()]:
        raise ConfigError("--benchmarks is empty; pass names such as --benchmarks gsm8k,math500")
    for name in ("n", "limit", "batch_size", "max_tokens"):
        _positive("--" + name.replace("_", "-"), getattr(args, name))
    if args.temperature is not None and args.temperature < 0:
        raise ConfigError(f"--temperature must be >= 0, got {args.temperature}")
    if args.top_p is not None and not 0 < args.top_p <= 1:
        raise ConfigError(f"--top-p must be in (0, 1], got {args.top_p}")
    if (args.base_url or args.endpoint) and args.backend != "openai":
        raise ConfigError("--base-url and --endpoint only apply to --backend openai")
    for tag in args.tag:
        if "=" not in tag or not tag.split("=", 1)[0].strip():
            raise ConfigError(f"--tag {tag!r} is not KEY=VALUE")


def select_benchmarks(args: argparse.Namespace) -> list[Benchmark]:
    """The benchmarks named by --benchmarks or --suite (registry order for suites, given order otherwise)."""
    from harness.registry import get_benchmark, suite

    if args.benchmarks is not None:
        names = list(dict.fromkeys(b.strip() for b in args.benchmarks.split(",") if b.strip()))
        return [get_benchmark(n) for n in names]
    return suite(args.suite or DEFAULT_SUITE)


def _sampling(args: argparse.Namespace, preset: Any) -> SamplingConfig:
    base: SamplingConfig = preset.sampling
    overrides = {
        "n": args.n, "temperature": args.temperature, "top_p": args.top_p, "seed": args.seed,
        "max_tokens": args.max_tokens,
    }
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def _backend(args: argparse.Namespace) -> BackendConfig:
    base = BackendConfig()
    model = args.checkpoint
    if args.backend in LOCAL_KINDS and os.path.isdir(model):
        model = os.path.abspath(model)
    base_url = args.base_url or (os.environ.get("OPENAI_BASE_URL", "") if args.backend == "openai" else "")
    if args.backend == "openai" and not base_url:
        raise ConfigError("--backend openai needs --base-url URL (or $OPENAI_BASE_URL), e.g. http://127.0.0.1:8000/v1")
    return replace(
        base, kind=args.backend, model=model, device=args.device or base.device, dtype=args.dtype or base.dtype,
        batch_size=args.batch_size or base.batch_size, base_url=base_url, endpoint=args.endpoint or base.endpoint,
    )


def build_config(args: argparse.Namespace, benchmarks: list[Benchmark], preset: Any) -> RunConfig:
    """The RunConfig for these flags: preset defaults, explicit flags on top."""
    truncation: TruncationPolicy = args.truncation or preset.truncation
    tags = tuple((k.strip(), v) for k, v in (t.split("=", 1) for t in args.tag))
    return RunConfig(
        benchmarks=tuple(b.name for b in benchmarks),
        backend=_backend(args),
        sampling=_sampling(args, preset),
        preset=args.preset,
        math=replace(MathGradeConfig(), truncation=truncation, answer_fallback=preset.math_last_number_fallback),
        sandbox=sandbox_config(args),
        limit=args.limit,
        out_dir=args.out,
        data_dir=args.data_dir,
        allow_data_mismatch=bool(args.allow_data_mismatch),
        tags=tags,
    )


def resume_command(args: argparse.Namespace) -> str:
    """The exact command that continues this run (same flags, so the same run id)."""
    parts = ["harness", "eval", args.checkpoint]
    for flag in ("benchmarks", "suite", "limit", "data_dir", "backend", "preset", "n", "temperature", "top_p",
                 "seed", "max_tokens", "truncation", "batch_size", "device", "dtype", "base_url", "endpoint", "out"):
        value = getattr(args, flag)
        if value is not None:
            parts += ["--" + flag.replace("_", "-"), str(value)]
    if args.allow_data_mismatch:
        parts.append("--allow-data-mismatch")
    if args.sandbox != "auto":
        parts += ["--sandbox", args.sandbox]
    if args.no_fork_server:
        parts.append("--no-fork-server")
    for tag in args.tag:
        parts += ["--tag", tag]
    return shlex.join(parts)


def check_reachable(base_url: str, timeout_s: float) -> None:
    """Fail fast, naming the URL, when nothing listens there (any HTTP answer counts as reachable)."""
    import urllib.error
    import urllib.request

    url = base_url.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=min(10.0, timeout_s)):
            return
    except urllib.error.HTTPError:
        return  # the server answered; some servers have no /models
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BackendError(f"cannot reach the server at {base_url} ({reason}); is it running?") from None


def run(args: argparse.Namespace) -> int:
    """Plan, then dry-run or evaluate; Ctrl-C keeps finished batches and prints the resume command."""
    from harness.data import load_benchmark
    from harness.evaluate import resolve_checkpoint
    from harness.presets import get_preset

    validate_args(args)
    checkpoint = resolve_checkpoint(args.checkpoint, args.backend)
    benchmarks = select_benchmarks(args)
    preset = get_preset(args.preset)
    config = build_config(args, benchmarks, preset)
    key = rerun_key_for(config, checkpoint, benchmarks)
    if key is not None and not args.dry_run and answer_from_store(config, checkpoint.model, key):
        return 0
    loaded = {b.name: load_benchmark(b, config.data_dir, config.allow_data_mismatch) for b in benchmarks}
    from harness.backends import load_backend

    if config.backend.kind == "openai":
        check_reachable(config.backend.base_url, config.backend.request_timeout_s)
    t0 = time.perf_counter()
    backend = load_backend(config.backend)
    load_s = time.perf_counter() - t0
    try:
        return _plan_and_run(args, config, checkpoint, benchmarks, loaded, preset, backend, load_s, key)
    finally:
        backend.close()


def rerun_key_for(config: RunConfig, checkpoint: Any, benchmarks: list[Benchmark]) -> str | None:
    """The instant-rerun key of this command (harness.store.rerun): cheap, no model, no data rows."""
    from harness.data import source_digest as data_digest
    from harness.store.rerun import default_source_roots, package_versions, rerun_key, source_digest

    digests = {b.name: data_digest(b.data, config.data_dir) for b in benchmarks}
    return rerun_key(config, checkpoint.fingerprint, checkpoint.path, digests,
                     source_digest(default_source_roots()), package_versions())


def answer_from_store(config: RunConfig, model: str, key: str) -> bool:
    """When a complete run has this key and unchanged files: print its stored metrics, note the
    invocation in its manifest and return True (nothing imported for the model, nothing loaded)."""
    from harness import eval_ui
    from harness.store.manifest import now_iso
    from harness.store.rerun import find_completed, reuse_invocation
    from harness.store.writer import RunStore

    t0, started = time.perf_counter(), now_iso()
    found = find_completed(config.out_dir, model, key, config.benchmarks)
    if found is None:
        return False
    metrics = found.metrics["benchmarks"]
    this = reuse_invocation(started, now_iso(), time.perf_counter() - t0, config.limit, metrics)
    manifest = {**found.manifest, "timings": this, "invocations": [*found.manifest.get("invocations", []), this]}
    RunStore(found.run_dir).write_manifest(manifest)
    skipped = sum(int(m.get("n_samples", 0)) for m in metrics.values())
    eval_ui.print_results(eval_ui.summary_title(model, config), metrics, 0, skipped, time.perf_counter() - t0,
                          found.run_dir)
    print("answered from the store: nothing changed since this run completed (no model loaded)")
    return True


def _plan_and_run(
    args: argparse.Namespace, config: RunConfig, checkpoint: Any, benchmarks: list[Benchmark],
    loaded: dict[str, Any], preset: Any, backend: Any, load_s: float, key: str | None,
) -> int:
    from harness import eval_ui
    from harness.evaluate import make_plan, plan_bench, run_plan
    from harness.grade.env import GradeEnv

    benches = [
        plan_bench(b, loaded[b.name], eval_ui.format_choice(preset, b.prompt_family, backend), backend, config.limit)
        for b in benchmarks
    ]
    plan = make_plan(config, checkpoint, benches, key)
    if args.dry_run:
        eval_ui.print_dry_run(plan, backend)
        return 0
    env = GradeEnv(math_config=config.math, sandbox_config=config.sandbox)
    try:
        with eval_ui.RichProgress() as progress:
            result = run_plan(plan, backend=backend, env=env, progress=progress, load_s=load_s)
    except KeyboardInterrupt:
        eval_ui.print_interrupted(plan, resume_command(args))
        return 130
    finally:
        env.close()
    eval_ui.print_summary(plan, result)
    return 0
