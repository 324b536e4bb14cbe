"""Export: a trl-ready conversational SFT dataset (prompt/completion jsonl) and a data card."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.context import Outcome, ShardContext
from synth.errors import RecipeError
from synth.io import StageDir, atomic_write_json, atomic_write_lines
from synth.records import Record
from synth.stages.base import BaseStage

# Share of the initial generated pool each step removed in the paper (§2.4: 2M -> ~1M questions).
PAPER_REMOVED_OF_POOL = {"filter_language": 0.201, "filter_solvability": 0.194, "difficulty": 0.092}
PAPER_NOTES = {
    "generate": "2M questions from two generators (1M each)",
    "filter_language": "20.1% of the pool removed (ASCII rule)",
    "filter_solvability": "19.4% of the pool removed (judge said no)",
    "difficulty": "9.2% of the pool removed (easy DSMath-QGen questions only)",
    "dedup": "no explicit dedup in the paper (exact-duplicate collapse at selection only)",
    "decontaminate": "no filter in the paper; post-hoc 13-gram clean ratio 97.4% on average",
    "respond": "5 responses per question; answerless ones 'a negligible fraction'",
    "reward": "top-1 of up to 5 responses kept (80% of responses removed)",
}


@dataclass(frozen=True)
class ExportConfig:
    """`system`: an optional system turn put in front of every prompt ('' for none). `check_with`: a
    benchmark with a reference solver (`arith`) whose gold, where a question is in its style, grades
    the exported answers with the harness grader (the data card reports the share correct); '' for none."""

    system: str
    check_with: str

    def __post_init__(self) -> None:
        if self.check_with:
            from harness.registry import get_benchmark

            if get_benchmark(self.check_with).reference is None:
                raise RecipeError(f"check_with: benchmark {self.check_with!r} has no reference solver")


class Export(BaseStage):
    """Turns each kept (question, best response) into a conversational prompt/completion row."""

    name = "export"
    version = "2"  # 2: check_with
    Config = ExportConfig
    cfg: ExportConfig

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        system = [{"role": "system", "content": self.cfg.system}] if self.cfg.system else []
        for rec in records:
            yield rec.derive({
                "prompt": [*system, {"role": "user", "content": rec.data["question"]}],
                "completion": [{"role": "assistant", "content": rec.data["response"]}],
                "source_id": rec.id,
            }, ctx.step)

    def finalize(self, sd: StageDir, chain: Sequence[StageDir], out: Path) -> None:
        """Write `<out>/export/sft.jsonl` and the data card (the driver calls this once every shard is
        done). `data_card.json` is written last and records this stage's key: when it is there with
        the same key, the files are already this data and nothing is rewritten."""
        card_path = out / "export" / "data_card.json"
        if card_path.exists():
            try:
                if json.loads(card_path.read_text()).get("key") == sd.key:
                    return
            except (OSError, ValueError):
                pass  # unreadable: rebuild it
        rows = (json.dumps({"prompt": r.data["prompt"], "completion": r.data["completion"]}, ensure_ascii=False)
                for s in range(self.recipe.shards) for r in sd.read_records(s))
        atomic_write_lines(out / "export" / "sft.jsonl", rows)
        card = {**data_card(chain, self.recipe.shards, self.recipe.name), "key": sd.key}
        if self.cfg.check_with:
            card["answer_check"] = check_answers(
                [r.data for s in range(self.recipe.shards) for r in sd.read_records(s)], self.cfg.check_with)
        atomic_write_lines(out / "export" / "data_card.md", render_card(card))
        atomic_write_json(card_path, card)


def check_answers(rows: Sequence[Mapping[str, Any]], benchmark: str) -> dict[str, Any]:
    """Grade each row's answer against the benchmark's reference gold for its question, as
    `harness score` would; rows whose question is not in the benchmark's style are not counted."""
    from harness.grade.env import GradeEnv
    from harness.registry import get_benchmark
    from harness.scoring import score_records

    bench = get_benchmark(benchmark)
    assert bench.reference is not None
    records = []
    for row in rows:
        gold = bench.reference(str(row["prompt"][-1]["content"]))
        if gold is not None:
            records.append({"gold": gold, "output": str(row["completion"][-1]["content"])})
    if records:
        env = GradeEnv()
        try:
            _, summary = score_records(records, bench, env)
        finally:
            env.close()
        correct = summary.correct
    else:
        correct = 0
    return {"benchmark": benchmark, "rows": len(rows), "checked": len(records), "correct": correct,
            "share_correct": round(correct / len(records), 4) if records else None}


def merged_stats(sd: StageDir, shards: int) -> dict[str, Any]:
    """Stats of one stage summed over its completed shards."""
    total: dict[str, Any] = {"in": 0, "out": 0, "dropped": Counter(), "prompt_tokens": 0,
                             "completion_tokens": 0, "seconds": 0.0, "done": 0}
    for s in range(shards):
        path = sd.stats(s)
        if not sd.marker(s).exists() or not path.exists():
            continue
        st = json.loads(path.read_text())
        total["done"] += 1
        total["in"] += st["in"]
        total["out"] += st["out"]
        total["dropped"].update(st["dropped"])
        total["prompt_tokens"] += st["tokens"]["prompt"]
        total["completion_tokens"] += st["tokens"]["completion"]
        total["seconds"] += st["seconds"]
    total["dropped"] = dict(sorted(total["dropped"].items()))
    return total


def data_card(chain: Sequence[StageDir], shards: int, recipe: str) -> dict[str, Any]:
    """Counts per stage beside the paper's filter rates."""
    stages = []
    pool = None
    for sd in chain:
        st = merged_stats(sd, shards)
        if sd.name == "generate":
            pool = st["out"] or None
        removed = sum(st["dropped"].values())
        seen = st["out"] + removed  # respond turns 1 question into k responses: count what the stage emitted
        stages.append({
            "stage": sd.name, "version": sd.version, "in": st["in"], "out": st["out"], "dropped": st["dropped"],
            "removed_of_input": round(removed / seen, 4) if seen else None,
            "removed_of_pool": round(removed / pool, 4) if pool and sd.name in PAPER_REMOVED_OF_POOL else None,
            "paper_removed_of_pool": PAPER_REMOVED_OF_POOL.get(sd.name),
            "paper": PAPER_NOTES.get(sd.name, ""),
        })
    return {"recipe": recipe, "format": "trl conversational prompt/completion jsonl", "stages": stages}


def render_card(card: dict[str, Any]) -> list[str]:
    """The data card as Markdown lines."""
    check = card.get("answer_check")
    checked = ([f"Answers checked against {check['benchmark']}'s reference solver with the harness grader: "
                f"{check['correct']} of {check['checked']} correct ({check['rows']} rows in all).", ""]
               if check else [])
    lines = [f"# Data card: {card['recipe']}", "", f"Format: {card['format']} (`sft.jsonl`).", "", *checked,
             "| stage | in | out | dropped (reason: n) | removed of input | removed of pool | paper |",
             "|---|---|---|---|---|---|---|"]
    for st in card["stages"]:
        drops = ", ".join(f"{k}: {v}" for k, v in st["dropped"].items()) or "-"

        def pct(v: float | None) -> str:
            return "-" if v is None else f"{100 * v:.1f}%"

        lines.append(f"| {st['stage']} | {st['in']} | {st['out']} | {drops} | {pct(st['removed_of_input'])} "
                     f"| {pct(st['removed_of_pool'])} | {st['paper']} |")
    return lines
