"""Tiny local checkpoints for `recipes/tiny.yaml`: question generator, judge, solver and reward model.

Built from `harness.tiny` (a 2-layer Llama trained a second on arithmetic chat) so the pipeline
runs end to end on a CPU in a minute. The judge gets a few extra steps of training on our
solvability prompt so that it answers Yes for arithmetic questions and No for word salad; the
reward model is a randomly initialised scalar head on the same tokenizer.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

from harness.tiny import IM_END, IM_START, TINY_VERSION
from synth.prompts import SOLVABILITY

SYNTH_TINY_VERSION = "1"
"""Bump when the judge's training texts or steps, or the reward model's shape, change."""
_SALAD = ("the", "train", "apples", "sum", "blue", "of", "miles", "each", "river", "total")


def _judge_texts(rng: random.Random, count: int) -> list[str]:
    texts = []
    for i in range(count):
        if i % 4:
            a, b = rng.randint(0, 20), rng.randint(0, 20)
            question, verdict = f"What is {a} {rng.choice('+-*')} {b}?", "Yes"
        else:
            question, verdict = " ".join(rng.choice(_SALAD) for _ in range(rng.randint(3, 9))), "No"
        prompt = SOLVABILITY["short"].format(question=question)
        texts.append(f"{IM_START}user\n{prompt}{IM_END}\n{IM_START}assistant\n{verdict}{IM_END}\n")
    return texts


def _imprint(path: Path, texts: list[str], steps: int, seed: int) -> None:
    """A few deterministic next-token steps on `texts` (harness.tiny's training loop), saved in place."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.tiny import _train

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        _train(model, tok, texts, steps=steps, seed=seed, rows=16)
    model.save_pretrained(path)


def _reward_model(solver: Path, out: Path, seed: int) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    tok = AutoTokenizer.from_pretrained(solver)
    torch.manual_seed(seed)
    cfg: Any = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    cfg.num_labels = 1
    model: Any = LlamaForSequenceClassification(cfg)  # type: ignore[no-untyped-call]
    model.save_pretrained(out)
    tok.save_pretrained(out)


def _is_built(marker: Path, meta: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(marker.read_text()) == meta)
    except (OSError, ValueError):
        return False


def build_tiny_models(root: str | Path, seed: int = 0) -> dict[str, Path]:
    """Build (or keep) the tiny checkpoints under `root`; returns role -> path.

    The question generator and the solver share one chat checkpoint (`chat/`): it writes
    arithmetic questions after an opened user turn and boxed answers after an assistant turn.
    """
    from harness.tiny import build_tiny_checkpoint

    root = Path(root)
    chat = build_tiny_checkpoint(root / "chat", seed=seed)
    # Each derived checkpoint records what it was built from; a different seed or version rebuilds it.
    meta = {"version": SYNTH_TINY_VERSION, "tiny_version": TINY_VERSION, "seed": seed}
    judge = root / "judge"
    if not _is_built(judge / "synth-judge.json", meta):
        if judge.exists():
            shutil.rmtree(judge)
        shutil.copytree(chat, judge)
        _imprint(judge, _judge_texts(random.Random(seed), 200), steps=40, seed=seed)
        (judge / "synth-judge.json").write_text(json.dumps(meta))
    reward = root / "reward"
    if not _is_built(reward / "synth-reward.json", meta):
        if reward.exists():
            shutil.rmtree(reward)
        _reward_model(chat, reward, seed)
        (reward / "synth-reward.json").write_text(json.dumps(meta))
    optimizer = root / "optimizer"
    if not _is_built(optimizer / "synth-optimizer.json", meta):
        from synth.tiny_world import optimizer_texts

        if optimizer.exists():
            shutil.rmtree(optimizer)
        shutil.copytree(chat, optimizer)
        _imprint(optimizer, optimizer_texts(seed, 300), steps=150, seed=seed)
        (optimizer / "synth-optimizer.json").write_text(json.dumps(meta))
    base = build_tiny_checkpoint(root / "base", seed=seed + 1, train_steps=1)
    from synth.tiny_world import write_qft_questions

    write_qft_questions(root / "qft_questions.jsonl", 300, seed)
    return {"qgen": chat, "solver": chat, "judge": judge, "reward": reward, "optimizer": optimizer, "base": base}
