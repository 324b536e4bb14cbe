"""Ray executor: one Ray task per shard, placed by the stage's CPU/GPU needs (the `[ray]` extra)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from synth.errors import SynthError

if TYPE_CHECKING:
    from synth.shardrun import ShardTask


class RayExecutor:
    """Submits shard tasks to Ray. Joins a running cluster (`address`) or starts a local one.

    Output folders must be on storage every node sees (a shared file system), as with datatrove.
    """

    name = "ray"

    def __init__(self, address: str = "", num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise SynthError("the ray executor needs Ray: pip install 'harness[ray]'") from None
        self._ray = ray
        if not ray.is_initialized():
            if address:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)

    def map(self, fn: Callable[[ShardTask], dict[str, Any]], tasks: Sequence[ShardTask],
            cpus: float, gpus: float) -> list[dict[str, Any]]:
        ray = self._ray
        remote = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0)(fn)
        refs = [remote.remote(t) for t in tasks]
        results: list[dict[str, Any]] = []
        first: BaseException | None = None
        for ref in refs:  # wait for all, so completed shards are committed before an error is raised
            try:
                results.append(ray.get(ref))
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if exc.cause is not None else exc
                first = first or cause
        if first is not None:
            raise first
        return results

    def close(self) -> None:
        """Leave the cluster running for the caller (tests and notebooks share one)."""
