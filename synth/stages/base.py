"""Shared plumbing for stages: config hashing, resources, and lazily loaded harness backends."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from synth.context import Outcome, Resources, ShardContext
from synth.prompts import SOLVE_INSTRUCTION, pick
from synth.records import Record

if TYPE_CHECKING:
    from pathlib import Path

    from harness.backends.base import Backend
    from synth.io import StageDir
    from synth.recipe import Recipe


class BaseStage:
    """A pipeline step: a generator from the records of one shard to kept or dropped records.

    Subclasses set name, version, Config and `process`. `config()` is hashed into the stage's output
    path together with `version`, so changing either re-runs this stage and the ones after it.
    `open` loads models (lazily, in the worker). A stage with scope 'global' (dedup) also defines
    `plan`, run once over every shard before `process` applies it shard by shard.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    Config: ClassVar[type]
    scope: ClassVar[Literal["shard", "global", "train"]] = "shard"
    consumes: ClassVar[bool] = True
    """Reads the records of the stage before it (generate and qpo_pairs make their own)."""
    produces_records: ClassVar[bool] = True
    """False for training stages, whose product is a checkpoint."""
    default_resources: ClassVar[Resources] = Resources(cpus=1.0, gpus=0.0)

    def __init__(self, cfg: Any, recipe: Recipe, resources: Resources | None) -> None:
        self.cfg = cfg
        self.recipe = recipe
        self.resources = resources or self.default_resources

    def config(self) -> Mapping[str, Any]:
        """The knobs that shape this stage's output (hashed into its folder name)."""
        return dataclasses.asdict(self.cfg)

    def checkpoints(self) -> list[tuple[str, str]]:
        """(label, path) of each local checkpoint this stage loads, checked before a run starts."""
        return []

    def roles(self) -> list[str]:
        """The recipe model roles this stage uses."""
        model = getattr(self.cfg, "model", None)
        return [model] if isinstance(model, str) else []

    def open(self, ctx: ShardContext) -> None:
        """Load heavy resources in the worker process."""

    def close(self) -> None:
        """Release what `open` loaded."""

    def process(self, records: Iterator[Record], ctx: ShardContext) -> Iterator[Outcome]:
        raise NotImplementedError

    def plan(self, records: Iterator[Record], ctx: ShardContext) -> dict[str, Any]:
        """A global stage's decisions over all shards (given to `process` as `ctx.plan`)."""
        raise NotImplementedError(f"stage {self.name} has scope {self.scope!r}: it has no plan")

    def finalize(self, sd: StageDir, chain: Sequence[StageDir], out: Path) -> None:
        """Run in the driver after every shard of this stage is done (`chain`: this stage's dirs so far)."""


class BackendStage(BaseStage):
    """A stage that generates through one `harness` backend named by `cfg.model`."""

    _backend: Backend | None = None

    def checkpoints(self) -> list[tuple[str, str]]:
        return local_checkpoints(self.recipe, self.roles(), self.name)

    @property
    def backend(self) -> Backend:
        assert self._backend is not None, "open() loads the backend"
        return self._backend

    def open(self, ctx: ShardContext) -> None:
        from harness.backends import load_backend

        self._backend = load_backend(self.recipe.model(self.cfg.model, f"stages.{self.name}"))

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def local_checkpoints(recipe: Recipe, roles: Sequence[str], stage: str) -> list[tuple[str, str]]:
    """(role, path) of the roles served from local folders, skipping those a training stage makes
    (they exist only once that stage has run)."""
    out = []
    for role in roles:
        bc = recipe.model(role, f"stages.{stage}")
        if bc.kind in ("hf", "vllm") and role not in recipe.model_stages:
            out.append((role, bc.model))
    return out


@dataclass(frozen=True)
class SolveConfig:
    """k sampled solutions per question from one chat model: the settings `difficulty` and `respond`
    share. `instruction` names a `synth.prompts.SOLVE_INSTRUCTION` suffix put after the question."""

    model: str
    k: int
    temperature: float
    top_p: float
    max_tokens: int
    system: str
    instruction: str
    batch_size: int

    def __post_init__(self) -> None:
        pick(SOLVE_INSTRUCTION, self.instruction, "instruction")

    @property
    def instruction_text(self) -> str:
        return SOLVE_INSTRUCTION[self.instruction]


def batched(items: Sequence[Any] | Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most `size` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def solve_batches(
    stage: BackendStage, records: Iterator[Record], ctx: ShardContext
) -> Iterator[tuple[list[Record], list[list[Any]]]]:
    """k sampled solutions per question, batch by batch: the prompt, seeding and token accounting
    that `difficulty` and `respond` share, as their `SolveConfig` sets them."""
    from harness.config import SamplingConfig
    from harness.types import ChatMessage, Prompt

    cfg: SolveConfig = stage.cfg
    system = (ChatMessage("system", cfg.system),) if cfg.system else ()
    instruction = cfg.instruction_text
    for bno, batch in enumerate(batched(records, cfg.batch_size)):
        texts = [f"{r.data['question']}\n{instruction}".rstrip() for r in batch]
        prompts = [Prompt(messages=(*system, ChatMessage("user", t))) for t in texts]
        sampling = SamplingConfig(n=cfg.k, temperature=cfg.temperature, top_p=cfg.top_p,
                                  max_tokens=cfg.max_tokens, seed=ctx.seed("batch", bno))
        outs = stage.backend.generate(prompts, sampling)
        for comps in outs:
            for c in comps:
                ctx.stats.add_tokens(c.prompt_tokens, c.completion_tokens)
        yield batch, outs
