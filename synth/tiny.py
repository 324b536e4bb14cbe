"""Tiny local checkpoints for the CPU world of `recipes/tiny.yaml`: solver (also the question
generator), judge, reward model and a fresh base, all on one tokenizer and the ChatML template.

The world is the procedural `arith` benchmark (benchmarks/arith.py): the solver is a 2-layer Llama
trained for seconds on its train split (worked solutions, boxed answers; the question in the user
turn is trained too, so it writes arith questions after an opened user turn); the judge is the
solver taught to say Yes to arith questions and No to word salad; the reward model is a scalar
head on the solver's body, trained on correct vs corrupted responses; the base has the solver's
shape and tokenizer but random weights, so it knows nothing of arithmetic. Each build measures the
solver and the base on arith through the harness eval API, and the reward model's pairwise accuracy.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.tiny import IM_END, IM_START, TINY_VERSION
from synth.prompts import SOLVABILITY

SYNTH_TINY_VERSION = "5"
"""Bump when any model's data, shape or training changes (2: the arith world; 3: the QPO optimiser;
4: the reward model trained on boxed answers that contradict the working; 5: the judge also says No to
questions asking about other things than they count)."""
MARKER = "synth-tiny.json"
HIDDEN = 128
SOLVER_STEPS = 600
_SALAD = ("the", "train", "apples", "sum", "blue", "of", "miles", "each", "river", "total")


def chat_text(question: str, answer: str | None = None, *, system: str = "") -> str:
    """ChatML text of one exchange, as the checkpoints' chat template renders it (the prompt only,
    ending with the opened assistant turn, when `answer` is None)."""
    head = f"{IM_START}system\n{system}{IM_END}\n" if system else ""
    text = f"{head}{IM_START}user\n{question}{IM_END}\n{IM_START}assistant\n"
    return text if answer is None else f"{text}{answer}{IM_END}\n"


def corrupt_answer(solution: str, rng: random.Random) -> str:
    """The same solution with its boxed answer shifted by a random nonzero offset (never below 0)."""
    head, _, tail = solution.rpartition("\\boxed{")
    value, _, rest = tail.partition("}")
    shift = rng.choice([d for d in range(-5, 6) if d and int(value) + d >= 0])
    return f"{head}\\boxed{{{int(value) + shift}}}{rest}"


def _solver_texts(rows: list[dict[str, Any]]) -> list[str]:
    """Half as the pipeline's respond stage asks (a bare user turn), half as the tiny world is
    scored (EVAL_PRESET: the boxed instruction as the system turn); either way the user turn is the
    bare question, so after an opened user turn the solver writes one."""
    from harness.prompts import BOXED_INSTRUCTION

    return [chat_text(r["question"], r["solution"], system="" if i % 2 else BOXED_INSTRUCTION)
            for i, r in enumerate(rows)]


def _mismatched(question: str, rng: random.Random) -> str:
    """The question asking about other things than it counts (unanswerable from what it states)."""
    from benchmarks.arith import THINGS

    counted = next((t for t in THINGS if f" {t}" in question), None)
    if counted is None:
        return question
    head, _, tail = question.rpartition(f"How many {counted}")
    other = rng.choice([t for t in THINGS if t != counted])
    return f"{head}How many {other}{tail}" if tail or head else question


def _judge_texts(rows: list[dict[str, Any]], rng: random.Random) -> list[str]:
    """Yes for arith questions; No for word salad and for questions asking about other things than
    they count (as a question writer's slips produce)."""
    texts = []
    for i, row in enumerate(rows):
        if i % 2:
            question, verdict = row["question"], "Yes"
        elif i % 4:
            question, verdict = _mismatched(row["question"], rng), "No"
        else:
            question, verdict = " ".join(rng.choice(_SALAD) for _ in range(rng.randint(3, 12))), "No"
        texts.append(chat_text(SOLVABILITY["short"].format(question=question), verdict))
    return texts


def make_tokenizer(seed: int) -> Any:
    """The world's tokenizer: arith chat, the judge's prompt, code and word salad."""
    from benchmarks.arith import train_rows
    from harness.tiny import _sentences, train_tokenizer

    rows = train_rows(2000, seed=seed)
    rng = random.Random(seed)
    judge = [(r["question"], "Yes") if i % 4 else (" ".join(rng.choice(_SALAD) for _ in range(rng.randint(3, 12))),
                                                   "No") for i, r in enumerate(rows[:200])]
    texts = _solver_texts(rows) + [chat_text(SOLVABILITY["short"].format(question=q), v) for q, v in judge]
    texts += _sentences(rng, 1000)
    texts += [" ".join(str(n) for n in range(k, k + 10)) for k in range(0, 100, 10)]  # every number 0-99
    return train_tokenizer(texts, chat=True)


def fresh_model(tok: Any, seed: int) -> Any:
    """The world's model shape with seeded random weights."""
    import torch
    from transformers import LlamaForCausalLM

    from harness.tiny import generation_config, tiny_llama_config

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = LlamaForCausalLM(tiny_llama_config(tok, hidden=HIDDEN))
    model.generation_config = generation_config(tok)
    return model


def train_causal(model: Any, tok: Any, texts: list[str], *, steps: int, seed: int, lr: float,
                 batch: int) -> list[float]:
    """Deterministic next-token training on CPU (one thread, seeded batches, one-cycle lr);
    returns the loss every 50 steps. The loss covers every token, so questions are learnt too."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    tok.padding_side = "right"
    enc = tok(texts, padding=True, add_special_tokens=False, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    labels = ids.masked_fill(mask == 0, -100)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    losses: list[float] = []
    model.train()
    try:
        for step in range(steps):
            pick = torch.randint(0, ids.shape[0], (batch,), generator=gen)
            width = int(mask[pick].sum(1).max())  # right padding: trim the batch to its longest row
            out = model(input_ids=ids[pick, :width], attention_mask=mask[pick, :width], labels=labels[pick, :width])
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad()
            sched.step()
            if step % 50 == 0 or step == steps - 1:
                losses.append(round(float(out.loss.detach()), 4))
    finally:
        torch.set_num_threads(threads)
        tok.padding_side = "left"
    model.eval()
    return losses


def _save(model: Any, tok: Any, out: Path) -> None:
    model.save_pretrained(out)
    tok.save_pretrained(out)


def build_base(out: Path, seed: int, tok: Any = None) -> Path:
    """The fresh base (random weights on the world's tokenizer and shape): knows nothing of arith."""
    tok = tok if tok is not None else make_tokenizer(seed)
    _save(fresh_model(tok, seed + 1), tok, out)
    return out


def build_solver(tok: Any, out: Path, seed: int, steps: int = SOLVER_STEPS) -> list[float]:
    """The solver and question writer: the fresh shape trained on arith train rows."""
    from benchmarks.arith import train_rows

    model = fresh_model(tok, seed)
    losses = train_causal(model, tok, _solver_texts(train_rows(8000, seed=seed)), steps=steps, seed=seed, lr=3e-3,
                          batch=16)
    _save(model, tok, out)
    return losses


def build_optimizer(solver: Path, out: Path, seed: int) -> list[float]:
    """The solver, taught the short QPO rewrite prompts: it answers with its direction's marker and an
    arith problem (`synth.tiny_world.optimizer_texts`), so the tiny qpo_pairs stage has rewrites."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from synth.tiny_world import optimizer_texts

    tok = AutoTokenizer.from_pretrained(solver)
    model = AutoModelForCausalLM.from_pretrained(solver)
    losses = train_causal(model, tok, optimizer_texts(seed, 300), steps=300, seed=seed, lr=2e-3, batch=16)
    _save(model, tok, out)
    return losses


def build_judge(solver: Path, out: Path, seed: int) -> list[float]:
    """The solver, taught to answer our short solvability prompt: Yes for arith, No for word salad."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from benchmarks.arith import train_rows

    tok = AutoTokenizer.from_pretrained(solver)
    model = AutoModelForCausalLM.from_pretrained(solver)
    texts = _judge_texts(train_rows(400, seed=seed + 1), random.Random(seed))
    losses = train_causal(model, tok, texts, steps=200, seed=seed, lr=2e-3, batch=16)
    _save(model, tok, out)
    return losses


_STEP = re.compile(r"(\d+) ([+-]) (\d+) = (\d+)\.")


def corrupt_step(solution: str, rng: random.Random) -> str:
    """The same worked solution with one step's result off by a small nonzero amount, carried
    consistently through the later steps and the boxed answer (a plausible arithmetic slip); every
    value stays >= 0, as in the problems."""
    steps = [(int(a), op, int(b)) for a, op, b, _ in _STEP.findall(solution)]
    choices = [(i, d) for i in range(len(steps)) for d in (-3, -2, -1, 1, 2, 3)]
    rng.shuffle(choices)
    for wrong, delta in choices:
        value, parts = steps[0][0], []
        for i, (_, op, x) in enumerate(steps):
            new = (value + x if op == "+" else value - x) + (delta if i == wrong else 0)
            parts.append(f"{value} {op} {x} = {new}.")
            value = new
        if all(int(n) >= 0 for n in re.findall(r"-?\d+", " ".join(parts))):
            return " ".join(parts) + f" The answer is \\boxed{{{value}}}."
    raise ValueError(f"no corruption keeps {solution!r} non-negative")  # unreachable: +1 always does


def reward_pairs(rows: list[dict[str, Any]], seed: int,
                 kinds: tuple[str, ...] = ("boxed", "step")) -> list[tuple[str, str, str, str]]:
    """(question, correct solution, corrupted solution, kind), the kinds in turn: `boxed` a boxed
    answer that differs from the working, `step` an arithmetic slip carried through consistently."""
    rng = random.Random(seed)
    corrupt = {"boxed": corrupt_answer, "step": corrupt_step}
    out = []
    for i, row in enumerate(rows):
        kind = kinds[i % len(kinds)]
        out.append((row["question"], row["solution"], corrupt[kind](row["solution"], rng), kind))
    return out


def _rewards(model: Any, tok: Any, texts: list[str]) -> Any:
    enc = tok(texts, padding=True, add_special_tokens=False, return_tensors="pt")
    return model(**enc).logits[:, 0]


def pairwise_accuracy(model: Any, tok: Any, pairs: list[tuple[str, str, str, str]]) -> dict[str, float]:
    """Share of pairs where the correct response gets the higher reward, overall and by corruption kind."""
    import torch

    tok.padding_side = "right"
    wins: dict[str, list[bool]] = {}
    with torch.no_grad():
        for start in range(0, len(pairs), 64):
            chunk = pairs[start:start + 64]
            good = _rewards(model, tok, [chat_text(q, c) for q, c, _, _ in chunk])
            bad = _rewards(model, tok, [chat_text(q, r) for q, _, r, _ in chunk])
            for (_, _, _, kind), g, b in zip(chunk, good.tolist(), bad.tolist(), strict=True):
                wins.setdefault(kind, []).append(g > b)
                wins.setdefault("all", []).append(g > b)
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(wins.items())}


def build_reward(solver: Path, out: Path, seed: int, steps: int = 300) -> dict[str, Any]:
    """A scalar head on the solver's body (LlamaForSequenceClassification, num_labels=1), trained
    with the pairwise logistic loss to score a correct response above the same one with a boxed
    answer that contradicts its working; returns its pairwise accuracy on held-out pairs of both
    kinds. (Trained on arithmetic slips too, it learnt neither kind in a few hundred steps; alone,
    the consistency check is learnt by step ~200, and slips stay near chance: reported as `step`.)"""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from benchmarks.arith import train_rows

    tok = AutoTokenizer.from_pretrained(solver)
    tok.padding_side = "right"
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(solver, num_labels=1)
    rows = train_rows(3000, seed=seed + 2)
    train, held = reward_pairs(rows[:2600], seed, kinds=("boxed",)), reward_pairs(rows[2600:], seed + 1)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model.train()
    try:
        for _ in range(steps):
            batch = [train[int(i)] for i in torch.randint(0, len(train), (16,), generator=gen)]
            good = _rewards(model, tok, [chat_text(q, c) for q, c, _, _ in batch])
            bad = _rewards(model, tok, [chat_text(q, r) for q, _, r, _ in batch])
            loss = -torch.nn.functional.logsigmoid(good - bad).mean()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    tok.padding_side = "left"
    _save(model, tok, out)
    return {"pairwise_accuracy": pairwise_accuracy(model, tok, held), "held_out_pairs": len(held)}


ROLE_DIRS = {"qgen": "chat", "solver": "chat", "judge": "judge", "reward": "reward", "optimizer": "optimizer",
             "base": "base"}
"""Role -> folder under the build root; the question generator is the solver (it writes questions
after an opened user turn)."""
EVAL_PRESET = "qwen25-math-cot"
"""The preset the tiny world is scored with: system turn = the boxed instruction, user turn = the
bare question, the prompt shape the solver is trained on (and the SFT rows of the scale-up use)."""


def _meta(seed: int) -> dict[str, Any]:
    return {"version": SYNTH_TINY_VERSION, "tiny_version": TINY_VERSION, "seed": seed}


def _built(root: Path, seed: int) -> dict[str, Any] | None:
    """The stored build record when every model of this version and seed is there, else None."""
    try:
        record = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or {k: record.get(k) for k in _meta(seed)} != _meta(seed):
        return None
    dirs = set(ROLE_DIRS.values())
    return record if all((root / d / "config.json").is_file() for d in dirs) else None


def measure(root: Path, limit: int | None) -> dict[str, Any]:
    """arith accuracy of the solver and the base through `harness eval` (hf, CPU, greedy)."""
    from harness.tiny import evaluate

    out: dict[str, Any] = {}
    for role in ("solver", "base"):
        m = evaluate(root / ROLE_DIRS[role], out_dir=root / "evals", limit=limit, preset=EVAL_PRESET,
                     max_tokens=48, tags=(("tiny_role", role),))["arith"]
        out[role] = {"arith": round(float(m["score"]), 4), "ci95": [round(float(x), 4) for x in m["ci95"]],
                     "n": m["n_items"], "statuses": m.get("status_counts")}
    return out


def _build(root: Path, seed: int, limit: int | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    tok = make_tokenizer(seed)
    tok.padding_side = "left"
    record: dict[str, Any] = {**_meta(seed), "seconds": {}}
    with tempfile.TemporaryDirectory(prefix=".tiny-build-", dir=root) as tmp_dir:
        tmp = Path(tmp_dir)
        t = time.perf_counter()
        record["solver_loss"] = build_solver(tok, tmp / "chat", seed)
        record["seconds"]["solver"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        record["judge_loss"] = build_judge(tmp / "chat", tmp / "judge", seed)
        record["seconds"]["judge"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        record["optimizer_loss"] = build_optimizer(tmp / "chat", tmp / "optimizer", seed)
        record["seconds"]["optimizer"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        record["reward"] = build_reward(tmp / "chat", tmp / "reward", seed)
        record["seconds"]["reward"] = round(time.perf_counter() - t, 1)
        build_base(tmp / "base", seed, tok)
        for name in set(ROLE_DIRS.values()):
            if (root / name).exists():
                shutil.rmtree(root / name)
            (tmp / name).rename(root / name)
    record["seconds"]["train_total"] = round(time.perf_counter() - t0, 1)
    t = time.perf_counter()
    record["measured"] = measure(root, limit)
    record["seconds"]["measure"] = round(time.perf_counter() - t, 1)
    (root / MARKER).write_text(json.dumps(record, indent=2))
    return record


def report_lines(root: Path, record: dict[str, Any]) -> list[str]:
    """role, path and what was measured, one line per role."""
    measured, reward = record.get("measured", {}), record.get("reward", {})
    lines = []
    for role, name in ROLE_DIRS.items():
        note = ""
        key = "solver" if role in ("qgen", "solver") else role
        if key in measured:
            m = measured[key]
            note = f"arith {100 * m['arith']:.1f}% [{100 * m['ci95'][0]:.1f}, {100 * m['ci95'][1]:.1f}] (n={m['n']})"
        elif role == "reward":
            acc = reward.get("pairwise_accuracy", {})
            note = "pairwise accuracy " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in acc.items())
        lines.append(f"{role:7s} {root / name}  {note}".rstrip())
    secs = record.get("seconds", {})
    lines.append(f"built in {secs.get('train_total', '?')} s, measured in {secs.get('measure', '?')} s "
                 f"(preset {EVAL_PRESET}, greedy)")
    return lines


def build_tiny_models(root: str | Path, seed: int = 0, *, eval_limit: int | None = 100,
                      log: Callable[[str], None] | None = print) -> dict[str, Path]:
    """Build (or keep) the tiny world's checkpoints under `root`; returns role -> path.

    Rebuilt only when the version or the seed changes (the record in `root/synth-tiny.json`); each
    build measures the solver and the base on `arith` (the first `eval_limit` items) and the
    reward model on held-out pairs, and `log` gets one line per role with those figures.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    record = _built(root, seed)
    if record is None:
        record = _build(root, seed, eval_limit)
    from synth.tiny_world import QFT_QUESTIONS, write_qft_questions

    write_qft_questions(root / QFT_QUESTIONS, 300, seed)
    if log is not None:
        for line in report_lines(root, record):
            log(line)
    return {role: root / name for role, name in ROLE_DIRS.items()}
