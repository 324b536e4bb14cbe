"""Local executor: one fresh spawned process per shard, a few at a time."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from synth.shardrun import ShardTask


class LocalExecutor:
    """Runs each shard task in its own spawned process (no state leaks between shards).

    A failing shard does not stop the others: every task runs to its end so completed shards
    are committed, then the first error is raised.
    """

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def map(self, fn: Callable[[ShardTask], dict[str, Any]], tasks: Sequence[ShardTask],
            cpus: float, gpus: float) -> list[dict[str, Any]]:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx,
                                 max_tasks_per_child=1) as pool:
            futures: list[Future[dict[str, Any]]] = [pool.submit(fn, t) for t in tasks]
            results: list[dict[str, Any]] = []
            first: BaseException | None = None
            for fut in futures:
                exc = fut.exception()
                if exc is None:
                    results.append(fut.result())
                    continue
                if first is None or (isinstance(exc, HarnessError) and not isinstance(first, HarnessError)):
                    first = exc
        if first is not None:
            raise first
        return results

    def close(self) -> None:
        """Nothing persists between maps."""
