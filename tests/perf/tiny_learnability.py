"""Does `arith` accuracy rise with SFT data in the tiny world? The key risk of the scale-up demo.

Trains the tiny fresh base (synth.tiny) with trl's SFTTrainer on nested prefixes of conversational
prompt/completion rows of arith train problems (gold worked solutions, or the same rows with the
boxed answer shifted: `--corrupt`), scores each checkpoint on `arith` through the harness eval API
(hf backend, CPU, greedy) and prints size, accuracy, 95% CI and wall times.

    PYTHONPATH=. python tests/perf/tiny_learnability.py --sizes 64,256,1024 --limit 200
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.arith import train_rows
from harness.prompts import BOXED_INSTRUCTION
from harness.tiny import evaluate
from synth.tiny import corrupt_answer, fresh_model, make_tokenizer


def sft_rows(count: int, corrupt: bool, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for r in train_rows(count, seed=seed):
        answer = corrupt_answer(r["solution"], rng) if corrupt else r["solution"]
        prompt = [{"role": "system", "content": BOXED_INSTRUCTION}, {"role": "user", "content": r["question"]}]
        rows.append({"prompt": prompt, "completion": [{"role": "assistant", "content": answer}]})
    return rows


def sft_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The SFTConfig fields this experiment sets (printed, for recipes to copy)."""
    return dict(num_train_epochs=args.epochs, learning_rate=args.lr, lr_scheduler_type=args.scheduler,
                warmup_steps=args.warmup, per_device_train_batch_size=args.batch, max_length=args.max_length,
                completion_only_loss=True, packing=False, weight_decay=0.0, seed=args.seed, use_cpu=True, bf16=False,
                fp16=False, report_to="none", save_strategy="no", gradient_checkpointing=False, logging_steps=10,
                dataloader_num_workers=0, disable_tqdm=True)


def train(base: Path, rows: list[dict[str, Any]], out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tok = AutoTokenizer.from_pretrained(base)
    cfg = SFTConfig(output_dir=str(out), **sft_settings(args))
    trainer = SFTTrainer(model=str(base), args=cfg, train_dataset=Dataset.from_list(rows), processing_class=tok)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    trainer.save_model(str(out))
    tok.save_pretrained(out)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"train_s": seconds, "steps": trainer.state.global_step, "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="64,256,1024")
    p.add_argument("--corrupt", default="", help="sizes to also train on corrupted rows, e.g. 1024")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--epochs", type=float, default=10)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--scheduler", default="cosine")
    p.add_argument("--warmup", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--with-base", action="store_true", help="score the untrained base too")
    p.add_argument("--preset", default="qwen25-math-cot",
                   help="eval preset: its prompt (system: boxed instruction, user: question) is the rows' prompt")
    p.add_argument("--work", default="", help="folder for checkpoints and runs (default: a temp dir)")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)  # a shared 2-core box: more threads only contend
    work = Path(args.work or tempfile.mkdtemp(prefix="tiny-learn-"))
    base = work / "base"
    if not (base / "config.json").is_file():
        tok = make_tokenizer(args.seed)
        fresh_model(tok, args.seed).save_pretrained(base)
        tok.save_pretrained(base)
    print("SFT settings:", json.dumps(sft_settings(args)), flush=True)
    points = [("base", 0, False)] if args.with_base else []
    points += [(f"clean-{n}", n, False) for n in map(int, args.sizes.split(","))]
    points += [(f"corrupt-{n}", n, True) for n in map(int, filter(None, args.corrupt.split(",")))]
    print(f"{'point':14s} {'rows':>5s} {'steps':>5s} {'loss':>13s} {'arith':>6s} {'95% CI':>14s} "
          f"{'train_s':>7s} {'eval_s':>6s}", flush=True)
    for name, n, corrupt in points:
        ckpt, info = base, {"train_s": 0.0, "steps": 0, "first_loss": None, "last_loss": None}
        if n:
            ckpt = work / name
            info = train(base, sft_rows(n, corrupt, args.seed), ckpt, args)
        t0 = time.perf_counter()
        m = evaluate(ckpt, out_dir=work / "runs", limit=args.limit, preset=args.preset,
                     tags=(("point", name),))["arith"]
        lo, hi = m["ci95"]
        loss = "-" if info["first_loss"] is None else f"{info['first_loss']:.2f}->{info['last_loss']:.2f}"
        print(f"{name:14s} {n:5d} {info['steps']:5d} {loss:>13s} {100 * m['score']:6.1f} "
              f"[{100 * lo:5.1f}, {100 * hi:5.1f}] {info['train_s']:7.1f} {time.perf_counter() - t0:6.1f}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
