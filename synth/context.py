"""What a stage sees while it runs: its shard, its counters, its resources (no stage or driver code here)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synth.records import Dropped, Record

if TYPE_CHECKING:
    from synth.recipe import Recipe


@dataclass(frozen=True)
class Resources:
    """What one shard task of a stage needs from the executor (Ray uses it to place tasks)."""

    cpus: float = 1.0
    gpus: float = 0.0


@dataclass
class ShardStats:
    """Counters for one shard of one stage, accumulated by the stage and written as JSON."""

    n_in: int = 0
    n_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def add_tokens(self, prompt: int, completion: int) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion

    def to_json(self) -> dict[str, Any]:
        return {
            "in": self.n_in,
            "out": self.n_out,
            "dropped": dict(sorted(self.dropped.items())),
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "seconds": round(self.seconds, 3),
            "extra": self.extra,
        }


@dataclass
class ShardContext:
    """What a stage may know about the shard it runs on."""

    recipe: Recipe
    shard: int
    num_shards: int
    step: str
    """`name@version`, appended to each record's trail."""
    stats: ShardStats
    plan: Mapping[str, Any] | None = None
    """A global stage's decisions, computed once over all shards (see `BaseStage.plan`)."""

    def seed(self, *parts: object) -> int:
        """A deterministic seed for (recipe seed, stage, shard, parts): reruns reproduce each shard."""
        blob = json.dumps([self.recipe.seed, self.step, self.shard, *map(str, parts)])
        return int(hashlib.sha256(blob.encode()).hexdigest()[:8], 16)


Outcome = Record | Dropped
