"""A tiny real checkpoint (BPE tokenizer + 2-layer Llama) built locally, for tests and the README demo.

Nothing is downloaded: the tokenizer is trained on synthetic sentences made here, the model starts
from seeded random weights and gets a second or so of next-token training so that it answers in
the corpus's shape (`The answer is \\boxed{7}.`) and ends its turns with `<|im_end|>` (chat) or
`<|endoftext|>` (raw text). Usage: `python -m harness.tiny DIR [--no-chat] [--seed N]`.
The building blocks (tokenizer, model shape, generation config) are shared with `synth.tiny`, which
builds the arith world on them; `evaluate` is `harness eval` in process, for scoring such models.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

TINY_VERSION = "3"  # 3: digit runs pre-tokenized apart from text
EOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = (PAD, EOS, IM_START, IM_END)
MARKER = "harness-tiny.json"

# ChatML, accepting both plain-string content and OpenAI-style lists of text parts (the form
# `transformers serve` hands to the template).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_CODE = (
    "def add(a, b):\n    return a + b\n",
    "def is_even(n):\n    return n % 2 == 0\n",
    "def square(x):\n    return x * x\n",
    "for i in range(3):\n    print(i)\n",
    "assert add(1, 2) == 3\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n",
)
_WORDS = ("the", "a", "number", "sum", "of", "two", "apples", "cost", "train", "miles", "each", "total")


def _qa(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(0, 20), rng.randint(0, 20)
    op = rng.choice(list(_OPS))
    question = rng.choice(("What is {a} {op} {b}?", "Compute {a} {op} {b}.", "Find {a} {op} {b}."))
    value = _OPS[op](a, b)
    return question.format(a=a, op=op, b=b), f"{a} {op} {b} = {value}. The answer is \\boxed{{{value}}}."


def _sentences(rng: random.Random, count: int) -> list[str]:
    """Varied local text: arithmetic with boxed answers, Python snippets, and word salad."""
    out = []
    for i in range(count):
        kind = i % 4
        if kind < 2:
            q, a = _qa(rng)
            out.append(f"{q} {a}")
        elif kind == 2:
            out.append(rng.choice(_CODE))
        else:
            out.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12))) + ".")
    return out


def train_tokenizer(sentences: list[str], chat: bool, vocab_size: int = 600) -> Any:
    """A byte-level BPE tokenizer trained on `sentences`, with the ChatML tokens (and template when `chat`)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # Digit runs are split off from letters and spaces, so a number is its own token(s) and never
    # merges with the text around it: `12 + 7 = 19` is 12|+|7|=|19. With small numbers each one a
    # token, a 2-layer model learns sums as a lookup; measured faster than one token per digit
    # (tests/perf/tiny_learnability.py).
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=False), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(sentences, trainer=trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
        padding_side="left",
        chat_template=CHATML_TEMPLATE if chat else None,
        model_max_length=4096,
    )


def tiny_llama_config(tok: Any, *, hidden: int, layers: int = 2) -> Any:
    """A 2-layer Llama config sized to `tok` (4 heads, 2 KV heads, MLP twice the width, tied embeddings)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )


def generation_config(tok: Any) -> Any:
    """Stop on both the document end and the end of a chat turn, as real chat checkpoints do, so
    that `transformers serve` (which reads this file) stops where the harness does. Sampling on,
    as in released chat checkpoints: the server only samples when this file says so (it turns
    sampling off for temperature 0); top_k=0 keeps its default top-k of 50 out of the way."""
    from transformers import GenerationConfig

    stop_ids = [tok.eos_token_id, tok.convert_tokens_to_ids(IM_END)]
    return GenerationConfig(  # type: ignore[no-untyped-call]
        eos_token_id=stop_ids, pad_token_id=tok.pad_token_id, do_sample=True, temperature=1.0, top_k=0, top_p=1.0
    )


def _training_texts(rng: random.Random, chat: bool, count: int) -> list[str]:
    """Short documents that teach the output shape and where turns end."""
    texts = []
    for i in range(count):
        q, a = _qa(rng)
        if chat and i % 2 == 0:
            texts.append(f"{IM_START}user\n{q}{IM_END}\n{IM_START}assistant\n{a}{IM_END}\n")
        else:
            texts.append(f"Question: {q}\nAnswer: {a}{EOS}")
    return texts


def _train(model: Any, tok: Any, texts: list[str], *, steps: int, seed: int, rows: int = 32) -> None:
    """A second of plain next-token training (deterministic on CPU: fixed seed, fixed batches of
    `rows` texts drawn with replacement). Also used by `synth.tiny` to fine-tune its judge."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    enc = tok(texts, padding=True, add_special_tokens=False, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    labels = ids.masked_fill(mask == 0, -100)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        batch = torch.randint(0, ids.shape[0], (rows,), generator=gen)
        loss = model(input_ids=ids[batch], attention_mask=mask[batch], labels=labels[batch]).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()


def _is_built(path: Path, seed: int, chat: bool) -> bool:
    marker = path / MARKER
    if not marker.is_file():
        return False
    try:
        meta = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    wanted = {"version": TINY_VERSION, "seed": seed, "chat": chat}
    files = ("config.json", "model.safetensors", "tokenizer.json", "generation_config.json")
    return meta == wanted and all((path / f).is_file() for f in files)


def _build_into(out: Path, *, seed: int, chat: bool, train_steps: int) -> None:
    import torch
    from transformers import LlamaForCausalLM

    rng = random.Random(seed)
    tok = train_tokenizer(_sentences(rng, 4000), chat)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_llama_config(tok, hidden=64))
    # One thread: the same weights on every machine, and no thread oversubscription when
    # several processes share a small CPU (the setting is restored afterwards).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            _train(model, tok, _training_texts(rng, chat, 400), steps=train_steps, seed=seed)
    finally:
        torch.set_num_threads(threads)
    model.generation_config = generation_config(tok)
    model.save_pretrained(out)
    tok.save_pretrained(out)


def build_tiny_checkpoint(path: str | Path, *, seed: int = 0, chat: bool = True, train_steps: int = 120) -> Path:
    """Build the tiny checkpoint into `path` (skipped when one with the same settings is there).

    `chat=False` leaves out the chat template (a stand-in for a base model). Building takes a few
    seconds on CPU; the directory is written next to `path` and renamed into place.
    """
    path = Path(path)
    if _is_built(path, seed, chat):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-build-", dir=path.parent))
    try:
        _build_into(tmp, seed=seed, chat=chat, train_steps=train_steps)
        (tmp / MARKER).write_text(json.dumps({"version": TINY_VERSION, "seed": seed, "chat": chat}))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def evaluate(
    checkpoint: str | Path,
    benchmarks: tuple[str, ...] = ("arith",),
    *,
    out_dir: str | Path,
    limit: int | None = None,
    max_tokens: int = 64,
    batch_size: int = 32,
    preset: str = "scalequest",
    tags: tuple[tuple[str, str], ...] = (),
) -> dict[str, dict[str, Any]]:
    """`harness eval CHECKPOINT` in process (hf backend, CPU, the preset's greedy decoding with
    `max_tokens`), quietly; returns the run's metrics by benchmark (score, ci95, statuses...)."""
    from dataclasses import replace

    from harness.backends import load_backend
    from harness.config import BackendConfig, RunConfig
    from harness.data import load_benchmark
    from harness.eval_ui import format_choice
    from harness.evaluate import make_plan, plan_bench, resolve_checkpoint, run_plan
    from harness.grade.env import GradeEnv
    from harness.presets import get_preset
    from harness.registry import get_benchmark

    chosen = get_preset(preset)
    config = RunConfig(
        benchmarks=benchmarks,
        backend=BackendConfig(kind="hf", model=str(checkpoint), device="cpu", dtype="float32", batch_size=batch_size),
        sampling=replace(chosen.sampling, max_tokens=max_tokens),
        preset=chosen.name,
        limit=limit,
        out_dir=str(out_dir),
        tags=tags,
    )
    backend = load_backend(config.backend)
    env = GradeEnv(config.math, config.sandbox)
    try:
        plans = []
        for name in benchmarks:
            bench = get_benchmark(name)
            choice = format_choice(chosen, bench.prompt_family, backend)
            plans.append(plan_bench(bench, load_benchmark(bench), choice, backend, limit))
        plan = make_plan(config, resolve_checkpoint(str(checkpoint), "hf"), plans)
        return dict(run_plan(plan, backend=backend, env=env).metrics)
    finally:
        env.close()
        backend.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.tiny DIR`: build (or keep) the tiny checkpoint and print its path."""
    parser = argparse.ArgumentParser(prog="python -m harness.tiny", description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-chat", action="store_true", help="leave out the chat template (base model)")
    args = parser.parse_args(argv)
    print(build_tiny_checkpoint(args.path, seed=args.seed, chat=not args.no_chat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
