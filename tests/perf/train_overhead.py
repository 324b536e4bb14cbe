"""Overhead of our `sft` training stage against a plain transformers `Trainer` on the same data.

Ours: a one-stage recipe (`sft`, its settings copied from `recipes/tiny.yaml`, data from a jsonl file)
run through `synth.pipeline.run_pipeline`, i.e. the real stage code path (rows gathered and written,
job spec, trl's `SFTTrainer` with completion-only loss, trainer checkpoints every `save_steps`,
checkpoint finished atomically, training card, loss curve, done marker). Only the executor differs:
the task runs in this process instead of a spawned one, so one process holds the whole job.

The peer: the same base checkpoint and rows, each chat-templated prompt+completion tokenised by hand,
the prompt tokens masked with -100, padded per batch (right), a plain `Trainer` with the same batch,
epochs (so the same optimizer steps), max length, learning rate, scheduler, warmup, optimizer,
seed, logging interval and thread count; it saves the final model and tokenizer, but no trainer
checkpoints along the way (ours saves one every `save_steps`, what a killed run resumes from; the
'no-save' column leaves their time out).

Each run is a fresh subprocess (so each side's peak RSS is its own high-water mark), the sides
alternate (plain, ours, plain, ...), and medians are reported; a ratio is the median of the per-round
ratios, so a change in machine load between rounds cancels out. Both sides count the same thing:
non-padding input tokens (attention mask) the model saw in training forward passes, per second of
`Trainer.train()` wall time. Job wall time (from just after `import torch, transformers`: model
and tokenizer load, data preparation, training, saving) and process wall time are reported too.

Targets: tokens/s of ours >= 0.9x the plain run; peak RSS of ours <= 1.2x.

Usage: python tests/perf/train_overhead.py [--rows 400] [--repeats 5] [--threads 1] [--diagnose]
       [--set KEY=VALUE ...] [--models .cache/synth-tiny | --base CHECKPOINT] [--keep DIR]
`--diagnose` adds a third side, our stage with trl's SFTTrainer loss swapped for the model's own, to show
how much of a gap is trl's loss (its fused LM head and per-step metrics) rather than our wrapper.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
TOKEN_TARGET, RSS_TARGET = 0.9, 1.2


# ---------------------------------------------------------------- set-up (parent process)

def write_rows(path: Path, count: int, seed: int) -> None:
    """Conversational prompt/completion rows (export's format) from the tiny arithmetic Q/A."""
    from harness.tiny import _qa

    rng = random.Random(seed)
    with path.open("w") as fh:
        for _ in range(count):
            q, a = _qa(rng)
            fh.write(json.dumps({"prompt": [{"role": "user", "content": q}],
                                 "completion": [{"role": "assistant", "content": a}]}) + "\n")


def write_recipe(path: Path, base: Path, rows: Path, overrides: list[str], threads: int) -> dict[str, Any]:
    """A recipe holding only the `sft` stage of recipes/tiny.yaml, trained on `rows`, with `KEY=VALUE`
    overrides of its settings and `threads` CPUs (the stage pins torch to that many threads); returns
    the settings."""
    tiny = yaml.safe_load((REPO / "recipes" / "tiny.yaml").read_text())
    sft = {**tiny["stages"]["sft"], "data": [{"path": str(rows)}]}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in sft or key == "data":
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY one of {sorted(set(sft) - {'data'})}")
        sft[key] = yaml.safe_load(value)
    recipe = {"name": "train-overhead", "seed": tiny["seed"], "shards": 1,
              "models": {"base": {"kind": "hf", "model": str(base), "device": "cpu", "dtype": "float32"}},
              "executor": {"workers": 0, "ray_address": ""}, "stages": {"sft": sft},
              "resources": {"sft": {"cpus": float(threads), "gpus": 0.0}}}
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return dict(sft)


# ---------------------------------------------------------------- measurement (child process)

class Meter:
    """Wraps `transformers.Trainer.train` (which SFTTrainer inherits): its wall time, and the
    non-padding tokens of every training forward pass (a pre-hook on the model)."""

    def __init__(self) -> None:
        import transformers

        self.train_s = self.train_cpu = self.save_s = 0.0
        self.tokens = 0
        self.steps = 0
        inner = transformers.Trainer.train
        meter = self

        def train(trainer: Any, *args: Any, **kwargs: Any) -> Any:
            hook = trainer.model.register_forward_pre_hook(meter.count, with_kwargs=True)
            trainer._save_checkpoint = meter.timed_save(trainer._save_checkpoint)
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return inner(trainer, *args, **kwargs)
            finally:
                meter.train_s += time.perf_counter() - t0
                meter.train_cpu += time.process_time() - c0
                meter.steps += int(trainer.state.global_step)
                hook.remove()

        transformers.Trainer.train = train  # type: ignore[method-assign, assignment]

    def timed_save(self, inner: Any) -> Any:
        """The trainer's own `_save_checkpoint` (trl's adds a model card), timed."""

        def save_checkpoint(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.save_s += time.perf_counter() - t0

        return save_checkpoint

    def count(self, module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if not module.training:
            return
        if kwargs.get("attention_mask") is not None:
            self.tokens += int(kwargs["attention_mask"].sum())
        elif kwargs.get("input_ids") is not None:  # padding-free (packed) batches carry no padding
            self.tokens += int(kwargs["input_ids"].numel())


class InProcess:
    """An executor that runs the pipeline's tasks here (the local executor spawns one process each)."""

    name = "inprocess"

    def map(self, fn: Any, tasks: Any, cpus: float, gpus: float) -> list[dict[str, Any]]:
        return [fn(t) for t in tasks]

    def close(self) -> None:
        pass


def run_ours(cfg: dict[str, Any]) -> dict[str, Any]:
    from synth.pipeline import run_pipeline
    from synth.plan import load_recipe

    out = Path(cfg["out"])
    run_pipeline(load_recipe(cfg["recipe"]), out, InProcess())
    (card_path,) = out.glob("*-sft/v*/training_card.json")
    card = json.loads(card_path.read_text())
    return {"loss_first": card["loss"]["first"], "loss_last": card["loss"]["last"]}


def encode(tok: Any, row: dict[str, Any], max_length: int) -> dict[str, list[int]]:
    """Chat-templated prompt+completion token ids, prompt tokens masked in the labels."""
    prompt = tok.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    ids = tok(full, add_special_tokens=False)["input_ids"]
    n = 0
    while n < min(len(p_ids), len(ids)) and p_ids[n] == ids[n]:
        n += 1
    labels = [-100] * n + ids[n:]
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}


def run_plain(cfg: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    s, out = cfg["settings"], Path(cfg["out"])
    tok = AutoTokenizer.from_pretrained(cfg["base"])
    model = AutoModelForCausalLM.from_pretrained(cfg["base"], dtype=torch.float32)
    rows = [json.loads(line) for line in Path(cfg["rows"]).read_text().splitlines() if line.strip()]
    data = [encode(tok, r, s["max_length"]) for r in rows]
    pad = tok.pad_token_id

    def collate(batch: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        width = max(len(b["input_ids"]) for b in batch)
        rows = [(b, width - len(b["input_ids"])) for b in batch]
        return {"input_ids": torch.tensor([b["input_ids"] + [pad] * f for b, f in rows]),
                "attention_mask": torch.tensor([[1] * len(b["input_ids"]) + [0] * f for b, f in rows]),
                "labels": torch.tensor([b["labels"] + [-100] * f for b, f in rows])}

    args = TrainingArguments(
        output_dir=str(out / "trainer"), num_train_epochs=s["epochs"], learning_rate=s["learning_rate"],
        lr_scheduler_type=s["lr_scheduler"],
        warmup_steps=s["warmup_steps"] if s["warmup_steps"] > 0 else s["warmup_ratio"],
        per_device_train_batch_size=s["batch_size"], gradient_accumulation_steps=s["grad_accum"],
        weight_decay=s["weight_decay"], optim=s["optim"], use_cpu=True, seed=cfg["seed"], data_seed=cfg["seed"],
        logging_steps=s["logging_steps"], save_strategy="no", report_to="none", disable_tqdm=True,
        dataloader_num_workers=0)
    trainer = Trainer(model=model, args=args, train_dataset=data, data_collator=collate)  # type: ignore[arg-type]
    trainer.train()
    trainer.save_model(str(out / "checkpoint"))
    tok.save_pretrained(str(out / "checkpoint"))
    points = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return {"loss_first": points[0] if points else None, "loss_last": points[-1] if points else None}


def peak_rss_mb() -> tuple[float, float]:
    """(ru_maxrss, VmHWM) of this process in MiB."""
    hwm = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, hwm


def child(side: str, cfg: dict[str, Any]) -> None:
    import torch
    import transformers

    torch.set_num_threads(cfg["threads"])
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    if side == "ours-hf-loss":
        # Diagnostic only: trl's SFTTrainer loss (its fused LM head, entropy and token-accuracy metrics)
        # swapped for the model's own loss, as the plain Trainer computes it; everything else is ours.
        from trl.trainer.sft_trainer import SFTTrainer

        SFTTrainer.compute_loss = transformers.Trainer.compute_loss  # type: ignore[assignment]
    meter = Meter()
    t0 = time.perf_counter()
    extra = run_plain(cfg) if side == "plain" else run_ours(cfg)
    job_s = time.perf_counter() - t0
    maxrss, hwm = peak_rss_mb()
    print("RESULT " + json.dumps({
        "side": side, "train_s": meter.train_s, "train_cpu": meter.train_cpu, "save_s": meter.save_s,
        "tokens": meter.tokens, "steps": meter.steps, "job_s": job_s, "rss_mb": maxrss, "hwm_mb": hwm,
        "threads": torch.get_num_threads(), **extra}))


# ---------------------------------------------------------------- driver

SIDES = ("plain", "ours")
DIAGNOSTIC = "ours-hf-loss"


def one_run(side: str, cfg: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", side, "--config", json.dumps(cfg)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{side} run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    r = {**json.loads(lines[-1][len("RESULT "):]), "process_s": wall}
    r["tok_s"] = r["tokens"] / r["train_s"]
    r["tok_s_nosave"] = r["tokens"] / (r["train_s"] - r["save_s"])
    r["tok_cpu_s"] = r["tokens"] / r["train_cpu"]
    return r


def med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def ratios(runs: dict[str, list[dict[str, Any]]], side: str, key: str) -> list[float]:
    """side / plain for each round: the two ran back to back, so a change in machine load between
    rounds cancels out."""
    return [o[key] / p[key] for o, p in zip(runs[side], runs["plain"], strict=True)]


def ratio(runs: dict[str, list[dict[str, Any]]], side: str, key: str) -> float:
    """Median of the per-round ratios."""
    return float(statistics.median(ratios(runs, side, key)))


def report(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace, settings: dict[str, Any]) -> None:
    print(f"rows={args.rows} epochs={settings['epochs']} batch={settings['batch_size']} "
          f"max_length={settings['max_length']} lr={settings['learning_rate']} save_steps={settings['save_steps']} "
          f"threads={args.threads} repeats={args.repeats} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    print("medians; tok/s = non-padding input tokens / Trainer.train() wall s; 'no-save' leaves out the trainer "
          "checkpoint saves; 'cpu' divides by train() CPU s")
    head = (f"{'side':13} {'steps':>5} {'tokens':>6} {'train s':>7} {'save s':>6} {'tok/s':>6} {'no-save':>7} "
            f"{'cpu':>6} {'job s':>6} {'proc s':>6} {'RSS MiB':>7}  loss first->last")
    print(head)
    print("-" * len(head))
    for side, rs in runs.items():
        r0 = rs[0]
        print(f"{side:13} {r0['steps']:5d} {r0['tokens']:6d} {med(rs, 'train_s'):7.2f} {med(rs, 'save_s'):6.2f} "
              f"{med(rs, 'tok_s'):6.0f} {med(rs, 'tok_s_nosave'):7.0f} {med(rs, 'tok_cpu_s'):6.0f} "
              f"{med(rs, 'job_s'):6.2f} {med(rs, 'process_s'):6.2f} {med(rs, 'rss_mb'):7.0f}  "
              f"{r0['loss_first']:.4f}->{r0['loss_last']:.4f}")
    for side, rs in runs.items():
        print(f"  {side:13} tok/s {[round(r['tok_s']) for r in rs]}  job s {[round(r['job_s'], 2) for r in rs]}  "
              f"RSS MiB {[round(r['rss_mb']) for r in rs]} (VmHWM {[round(r['hwm_mb']) for r in rs]})")
    every = [r for rs in runs.values() for r in rs]
    for key in ("steps", "tokens", "threads"):
        if len({r[key] for r in every}) != 1:
            print(f"WARNING: {key} differ between runs: {[(r['side'], r[key]) for r in every]}")
    print("ratios are medians of the per-round ratios (each round runs the sides back to back); "
          f"per round: tok/s {[round(x, 2) for x in ratios(runs, 'ours', 'tok_s')]}")
    tok, rss = ratio(runs, "ours", "tok_s"), ratio(runs, "ours", "rss_mb")
    print(f"tokens/s ratio ours/plain  {tok:5.2f}x  (target >= {TOKEN_TARGET}: "
          f"{'ok' if tok >= TOKEN_TARGET else 'MISSED'})   no-save {ratio(runs, 'ours', 'tok_s_nosave'):.2f}x   "
          f"cpu {ratio(runs, 'ours', 'tok_cpu_s'):.2f}x")
    print(f"peak RSS ratio ours/plain  {rss:5.2f}x  (target <= {RSS_TARGET}: "
          f"{'ok' if rss <= RSS_TARGET else 'MISSED'})")
    print(f"job wall ratio ours/plain  {ratio(runs, 'ours', 'job_s'):5.2f}x  (reported: model load, data preparation, "
          "training, saving, card and loss curve)")
    if DIAGNOSTIC in runs:
        print(f"diagnostic: ours with the model's own loss instead of trl's SFTTrainer loss: tokens/s "
              f"{ratio(runs, DIAGNOSTIC, 'tok_s'):.2f}x (cpu {ratio(runs, DIAGNOSTIC, 'tok_cpu_s'):.2f}x) of plain")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on both sides (ours: the sft "
                        "stage's CPUs, which it pins torch to)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--diagnose", action="store_true", help=f"also run {DIAGNOSTIC}: our stage with trl's "
                        "SFTTrainer loss swapped for the model's own (how much of a gap is trl's loss)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting of the sft stage on both sides (e.g. batch_size=32)")
    parser.add_argument("--models", default=str(REPO / ".cache" / "synth-tiny"))
    parser.add_argument("--base", default="", help="train this local checkpoint (it needs a chat template) "
                        "instead of the tiny world's base")
    parser.add_argument("--keep", default="", help="work folder to keep (default: a temporary one, removed)")
    parser.add_argument("--child", choices=(*SIDES, DIAGNOSTIC), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(args.config))
        return 0

    if args.base:
        base = Path(args.base).resolve()
    else:
        from synth.tiny import build_tiny_models

        base = build_tiny_models(args.models)["base"]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="train-overhead-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads),
           "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "PYTHONPATH": str(REPO)}
    sides = (*SIDES, DIAGNOSTIC) if args.diagnose else SIDES
    try:
        rows = work / "rows.jsonl"
        write_rows(rows, args.rows, args.seed)
        settings = write_recipe(work / "recipe.yaml", base, rows, args.set, args.threads)
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for i in range(args.repeats):
            for side in sides:  # alternating, so machine load hits every side alike
                cfg = {"out": str(work / f"{side}-{i}"), "recipe": str(work / "recipe.yaml"), "base": str(base),
                       "rows": str(rows), "settings": settings, "seed": 0, "threads": args.threads}
                r = one_run(side, cfg, env)
                runs[side].append(r)
                print(f"  run {i} {side:13}: train {r['train_s']:.2f} s ({r['train_cpu']:.2f} CPU s), "
                      f"{r['tokens']} tokens, job {r['job_s']:.2f} s, RSS {r['rss_mb']:.0f} MiB", flush=True)
        report(runs, args, settings)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
