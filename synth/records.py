"""Frozen records that flow between stages, with a content-hash id and their lineage."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.config import stable_hash


def content_id(data: Mapping[str, Any]) -> str:
    """`harness.config.stable_hash` of `data`, 20 hex digits: equal content always gets the same id."""
    return stable_hash(dict(data), length=20)


@dataclass(frozen=True)
class Record:
    """One item in the pipeline (a question, or a question with a response).

    `id` is the content hash of `data`; `parents` are the ids this record was derived from and
    `trail` the `stage@version` steps it has passed, so any exported row traces back to the
    generator output it came from.
    """

    id: str
    data: Mapping[str, Any]
    parents: tuple[str, ...] = ()
    trail: tuple[str, ...] = ()

    @staticmethod
    def new(data: Mapping[str, Any], parents: tuple[str, ...] = (), trail: tuple[str, ...] = ()) -> Record:
        """A record whose id is computed from its data."""
        return Record(id=content_id(data), data=dict(data), parents=parents, trail=trail)

    def derive(self, data: Mapping[str, Any], step: str) -> Record:
        """A new record made from this one (new content, this record as parent)."""
        return Record.new(data, parents=(self.id,), trail=(*self.trail, step))

    def passed(self, step: str) -> Record:
        """The same content, with `step` appended to its trail (a filter kept it)."""
        return Record(id=self.id, data=self.data, parents=self.parents, trail=(*self.trail, step))

    def to_json(self) -> str:
        """One JSONL line."""
        return json.dumps(
            {"id": self.id, "data": self.data, "parents": list(self.parents), "trail": list(self.trail)},
            ensure_ascii=False,
            sort_keys=True,
        )

    @staticmethod
    def from_json(line: str) -> Record:
        """Parse one JSONL line written by `to_json`."""
        obj = json.loads(line)
        return Record(
            id=obj["id"], data=obj["data"], parents=tuple(obj["parents"]), trail=tuple(obj["trail"])
        )


@dataclass(frozen=True)
class Dropped:
    """A record a stage removed, and why (kept on disk beside the shard, never silently lost)."""

    record: Record
    reason: str
