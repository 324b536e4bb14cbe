"""De-duplication over all shards: exact after normalisation, then MinHash near-duplicates (datasketch).

A global stage: the plan (which ids to drop) is computed once over every shard in shard order, so
the first occurrence of a question always survives and results do not depend on the executor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from synth.context import Outcome, ShardContext
from synth.records import Dropped, Record
from synth.stages.base import BaseStage

_TOKEN = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing removed: 'What is 2+2 ?' equals 'what is 2 + 2'."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_TOKEN.findall(text))


@dataclass(frozen=True)
class DedupConfig:
    """MinHash over word n-gram shingles; pairs above `threshold` estimated Jaccard collapse."""

    shingle_words: int
    num_perm: int
    threshold: float


def shingles(norm: str, n: int) -> set[str]:
    words = norm.split()
    if len(words) < n:
        return {norm}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def plan_dedup(records: Iterator[Record], cfg: DedupConfig) -> dict[str, str]:
    """id -> drop reason for every duplicate; the first of each group is kept."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    seen: set[str] = set()
    drop: dict[str, str] = {}
    for rec in records:
        norm = normalise(str(rec.data["question"]))
        if norm in seen:
            drop[rec.id] = "exact_duplicate"
            continue
        seen.add(norm)
        mh = MinHash(num_perm=cfg.num_perm, seed=1)
        for sh in sorted(shingles(norm, cfg.shingle_words)):
            mh.update(sh.encode("utf-8"))
        if lsh.query(mh):
            drop[rec.id] = "near_duplicate"
            continue
        lsh.insert(rec.id, mh)
    return drop


class Dedup(BaseStage):
    """Collapses exact and near-duplicate questions across the whole run."""

    name = "dedup"
    version = "1"
    scope = "global"
    Config = DedupConfig
    cfg: DedupConfig

    def plan(self, records: Iterator[Record], ctx: ShardContext) -> dict[str, Any]:
        return {"drop": plan_dedup(records, self.cfg)}

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        assert ctx.plan is not None
        drop = ctx.plan["drop"]
        for rec in records:
            yield Dropped(rec, drop[rec.id]) if rec.id in drop else rec.passed(ctx.step)
