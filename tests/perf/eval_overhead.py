"""Overhead of `harness eval` (hf) against its peers, on the same prompts and the tiny checkpoint.

Prints three ratios (lower is better):
1. harness eval (plan + generate + extract + grade + store, in process, model already loaded) vs a
   plain transformers generate loop doing the same model work: the same rendered prompts in the
   same batches (the runner's longest-first order, so both pay the same padding), the same
   special-token rule, eos/end-of-turn ids, stop strings, max new tokens, dtype and threads; the
   script checks that both generated the same number of tokens (target <= 1.10x). Runs alternate
   (plain, harness, plain, ...) after one warm-up of each, and the best of each is compared, so
   machine load hits both sides alike;
2. `harness eval` vs `lm-eval run --model hf` on an equivalent local task (same rendered prompts,
   same max new tokens and batch size), both as whole commands, start-up included (reported);
3. a rerun of the completed eval vs the first run, start-up (imports, model load) excluded
   (target <= 0.05); and the whole rerun command, start-up included, which answers from the store
   without importing torch (target <= 1.5 s).

Usage: OMP_NUM_THREADS=1 python tests/perf/eval_overhead.py [--items 64] [--batch-size 8] [--max-tokens 64]
       [--repeats 5] [--skip-lm-eval]
Needs HARNESS_DATA_DIR (GSM8K). Not part of the test run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from harness.backends import load_backend  # noqa: E402
from harness.config import BackendConfig, RunConfig  # noqa: E402
from harness.data import load_benchmark  # noqa: E402
from harness.evaluate import FormatChoice, make_plan, plan_bench, resolve_checkpoint, run_plan  # noqa: E402
from harness.grade.env import GradeEnv  # noqa: E402
from harness.presets import get_preset  # noqa: E402
from harness.registry import get_benchmark  # noqa: E402
from harness.tiny import build_tiny_checkpoint  # noqa: E402

BENCH = "gsm8k"


@dataclass(frozen=True)
class Timing:
    """One timed run: wall seconds, this process's CPU seconds (all its threads; less sensitive to
    other jobs on a shared machine than wall time), completion tokens."""

    wall: float
    cpu: float
    tokens: int
    model_s: float
    """Wall seconds inside `model.generate`: wall - model_s is the side's own overhead."""


class GenerateClock:
    """Wraps `model.generate` to add up its wall time, so each side's overhead outside the model
    shows apart from the model's own (noisy, shared-machine) compute."""

    def __init__(self, model: Any) -> None:
        self.seconds = 0.0
        self._inner = model.generate
        model.generate = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def harness_run(ckpt: Path, backend: Any, out: Path, args: argparse.Namespace) -> Timing:
    """One in-process eval after model load."""
    preset = get_preset("scalequest")
    bench = get_benchmark(BENCH)
    sampling = replace(preset.sampling, max_tokens=args.max_tokens)
    config = RunConfig(benchmarks=(BENCH,), backend=backend.config, sampling=sampling, preset=preset.name,
                       limit=args.items, out_dir=str(out))
    backend.model.generate.take()
    t0, c0 = time.perf_counter(), time.process_time()
    data = load_benchmark(bench, args.data_dir)
    fmt = preset.format_for(bench.prompt_family, chat=backend.supports_chat())
    bp = plan_bench(bench, data, FormatChoice(f"scalequest/{fmt.name}", fmt), backend, args.items)
    plan = make_plan(config, resolve_checkpoint(str(ckpt), "hf"), [bp])
    env = GradeEnv(config.math, config.sandbox)
    try:
        result = run_plan(plan, backend=backend, env=env)
    finally:
        env.close()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = sum(r.completion_tokens for o in result.outcomes for r in o.records)
    return Timing(seconds, cpu, tokens, backend.model.generate.take())


@dataclass(frozen=True)
class PeerInput:
    """What the plain loop needs to do the harness's model work: texts in the runner's order,
    whether they are raw text (the tokenizer adds its special tokens, as the hf backend does),
    and the stop strings in force."""

    texts: tuple[str, ...]
    raw: bool
    stops: tuple[str, ...]


def peer_input(backend: Any, args: argparse.Namespace) -> PeerInput:
    preset = get_preset("scalequest")
    bench = get_benchmark(BENCH)
    fmt = preset.format_for(bench.prompt_family, chat=backend.supports_chat())
    samples = load_benchmark(bench, args.data_dir).samples[: args.items]
    prompts = [fmt(s, bench.fewshot) for s in samples]
    texts = [backend.render(p) for p in prompts]
    # The runner generates longest rendered text first (harness.runner.plan_work); same batches here.
    ordered = tuple(sorted(texts, key=lambda t: -len(t)))
    stops = tuple(dict.fromkeys(s for p in prompts for s in (*p.stop, *preset.sampling.stop) if s))
    return PeerInput(ordered, prompts[0].messages is None if prompts else False, stops)


def plain_loop(backend: Any, peer: PeerInput, args: argparse.Namespace) -> Timing:
    """The peer: tokenize, generate, decode in batches, nothing else; same model object, stop ids
    and stop strings (through transformers' own `stop_strings`)."""
    import torch

    tok, model = backend.tokenizer, backend.model
    tok.padding_side = "left"
    prompts = list(peer.texts)
    stop_kw: dict[str, Any] = {"stop_strings": list(peer.stops), "tokenizer": tok} if peer.stops else {}
    model.generate.take()
    t0, c0 = time.perf_counter(), time.process_time()
    tokens = 0
    for i in range(0, len(prompts), args.batch_size):
        enc = tok(prompts[i : i + args.batch_size], padding=True, add_special_tokens=peer.raw,
                  return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=args.max_tokens, do_sample=False,
                                 eos_token_id=list(backend.stop_ids), pad_token_id=backend.pad_id, **stop_kw)
        new = out[:, enc["input_ids"].shape[1]:]
        for row in new:
            ids = row.tolist()
            n = next((j + 1 for j, t in enumerate(ids) if t in backend.stop_ids), len(ids))
            # A row ended by a stop string is padded to the batch's length.
            pad_fill = peer.stops and backend.pad_id not in backend.stop_ids
            while pad_fill and n > 0 and ids[n - 1] == backend.pad_id:
                n -= 1
            tokens += n
        tok.batch_decode(new, skip_special_tokens=True)
    return Timing(time.perf_counter() - t0, time.process_time() - c0, tokens, model.generate.take())


def write_lm_eval_task(folder: Path, prompts: list[str], args: argparse.Namespace) -> None:
    rows = [{"id": i, "prompt": p, "answer": "0"} for i, p in enumerate(prompts)]
    (folder / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "harness_overhead.yaml").write_text(
        "task: harness_overhead\ndataset_path: json\ndataset_kwargs:\n  data_files:\n"
        f"    test: {folder / 'prompts.jsonl'}\noutput_type: generate_until\ntest_split: test\n"
        'doc_to_text: "{{prompt}}"\ndoc_to_target: "{{answer}}"\n'
        "generation_kwargs:\n  until: [\"<|im_end|>\"]\n  do_sample: false\n"
        f"  max_gen_toks: {args.max_tokens}\n"
        "metric_list:\n  - metric: exact_match\n    aggregation: mean\n    higher_is_better: true\n"
        "metadata:\n  version: 1.0\n"
    )


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def lm_eval_wall(ckpt: Path, prompts: list[str], work: Path, args: argparse.Namespace) -> float:
    """Whole-command wall time of `lm-eval run --model hf` on the same prompts."""
    task = work / "lm_eval_task"
    task.mkdir()
    write_lm_eval_task(task, prompts, args)
    lm_eval = shutil.which("lm-eval") or str(Path(sys.executable).with_name("lm-eval"))
    return timed([lm_eval, "run", "--model", "hf", "--model_args", f"pretrained={ckpt},dtype=float32",
                  "--device", "cpu", "--include_path", str(task), "--tasks", "harness_overhead",
                  "--batch_size", str(args.batch_size), "--output_path", str(work / "lm_out")])


def harness_command_walls(ckpt: Path, work: Path, args: argparse.Namespace) -> tuple[float, float]:
    """Whole-command wall times of `harness eval`: the first run, then the same command again
    (answered from the store: no torch import, no model load)."""
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    cmd = [sys.executable, "-m", "harness", "eval", str(ckpt), "--benchmarks", BENCH, "--limit",
           str(args.items), "--batch-size", str(args.batch_size), "--max-tokens", str(args.max_tokens),
           "--device", "cpu", "--out", str(work / "cli_out"), *data]
    return timed(cmd), timed(cmd)


def report(plain: list[Timing], firsts: list[Timing], rerun: Timing, peer: PeerInput,
           args: argparse.Namespace) -> None:
    """Print the best of each side, their ratios and the rerun ratio."""
    p_s, h_s = min(t.wall for t in plain), min(t.wall for t in firsts)
    p_c, h_c = min(t.cpu for t in plain), min(t.cpu for t in firsts)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"items={args.items} batch={args.batch_size} max_tokens={args.max_tokens} cpus={os.cpu_count()} "
          f"OMP_NUM_THREADS={threads} stop_strings={list(peer.stops)}")
    print(f"plain generate loop   {p_s:8.2f} s  ({plain[0].tokens} tokens)   "
          f"all: {[round(t.wall, 2) for t in plain]}")
    print(f"harness eval (hf)     {h_s:8.2f} s  ({firsts[0].tokens} tokens)   "
          f"all: {[round(t.wall, 2) for t in firsts]}")
    print(f"ratio {h_s / p_s:5.2f}x  (target <= 1.10)   "
          f"CPU-time ratio {h_c / p_c:5.2f}x ({h_c:.2f} / {p_c:.2f} s)")
    p_o, h_o = min(t.wall - t.model_s for t in plain), min(t.wall - t.model_s for t in firsts)
    model = min(t.model_s for t in plain + firsts)
    print(f"outside model.generate: plain {p_o:.3f} s, harness {h_o:.3f} s; model.generate best {model:.2f} s "
          f"-> noise-free estimate {(model + h_o) / (model + p_o):5.2f}x")
    if plain[0].tokens != firsts[0].tokens:
        print("WARNING: the two sides generated different token counts; the ratio compares unlike work")
    print(f"rerun of completed    {rerun.wall:8.2f} s   ratio {rerun.wall / h_s:6.3f} of first run  "
          "(target <= 0.05)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ckpt", default=str(REPO / ".tiny" / "ckpt"))
    parser.add_argument("--data-dir", default=os.environ.get("HARNESS_DATA_DIR"))
    parser.add_argument("--skip-lm-eval", action="store_true")
    args = parser.parse_args()
    ckpt = build_tiny_checkpoint(args.ckpt)
    backend: Any = load_backend(
        BackendConfig(kind="hf", model=str(ckpt), device="cpu", batch_size=args.batch_size)
    )
    GenerateClock(backend.model)
    peer = peer_input(backend, args)
    prompts = list(peer.texts)
    work = Path(tempfile.mkdtemp(prefix="eval-overhead-"))
    try:
        # Warm-ups: first-call costs (lazy imports, allocator growth for the longest batch) are
        # start-up, which the whole-command comparison below covers.
        plain_loop(backend, peer, args)
        harness_run(ckpt, backend, work / "warm", args)
        plain: list[Timing] = []
        firsts: list[Timing] = []
        for i in range(args.repeats):
            # Collect before each side so neither pays for the other's garbage.
            gc.collect()
            plain.append(plain_loop(backend, peer, args))
            gc.collect()
            firsts.append(harness_run(ckpt, backend, work / f"run{i}", args))
        rerun = harness_run(ckpt, backend, work / "run0", args)
        report(plain, firsts, rerun, peer, args)
        hr, again = harness_command_walls(ckpt, work, args)
        print(f"rerun command         {again:8.2f} s   (whole `harness eval` command, start-up included, "
              f"on its completed run; first run {hr:.1f} s; target <= 1.5 s)")
        if not args.skip_lm_eval:
            lm = lm_eval_wall(ckpt, prompts, work, args)
            print(f"commands, start-up included: harness eval {hr:.1f} s, lm-eval --model hf {lm:.1f} s, "
                  f"ratio {hr / lm:.2f}x")
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
