"""Recipes: one YAML file naming the models, the ordered stages and every stage knob.

Every stage key is required (no hidden defaults that change the data); a missing or misspelt
key is a one-line `RecipeError`. `${VAR}` and `${VAR:-default}` in strings are expanded from the
environment so one recipe serves several machines. A model role may name a training stage instead of a
path (`qgen: {from_stage: qpo, kind: hf, ...}`); `synth.plan` resolves it to that stage's checkpoint.
This module only parses: stage configs are checked by `synth.plan.load_recipe`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from harness.config import BackendConfig
from synth.errors import RecipeError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
T = TypeVar("T")


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return tuple(_expand(v) for v in value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def parse_config(cls: type[T], raw: Any, where: str) -> T:
    """Build a frozen config dataclass from a recipe mapping; every field is required.

    A config may check its values in `__post_init__`, raising `RecipeError("key: what is wrong")`;
    the error comes out as `<where>.key: what is wrong`."""
    if not isinstance(raw, Mapping):
        raise RecipeError(f"{where} must be a mapping of settings, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise RecipeError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(fields))})")
    required = [n for n, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [n for n in required if n not in raw]
    if missing:
        raise RecipeError(f"{where} is missing key {missing[0]!r}; add it to the recipe")
    try:
        return cls(**raw)
    except RecipeError as exc:  # a config's own value check (`__post_init__`) names the key
        raise RecipeError(f"{where}.{exc}") from None


@dataclass(frozen=True)
class ExecutorConfig:
    """How shards are run: local worker processes, or a Ray cluster."""

    workers: int = 0
    """Local executor: parallel shard processes (0: one per shard)."""
    ray_address: str = ""
    """Ray executor: cluster address ('' starts or joins a local Ray)."""


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe. Frozen and picklable: every shard task carries it to its worker."""

    name: str
    path: str
    seed: int
    shards: int
    data_dir: str
    models: Mapping[str, BackendConfig]
    model_stages: Mapping[str, str]
    """Model role -> the training stage whose checkpoint it is (`from_stage`); resolved by the plan."""
    stages: tuple[tuple[str, Mapping[str, Any]], ...]
    resources: Mapping[str, Mapping[str, float]]
    executor: ExecutorConfig

    @property
    def stage_names(self) -> list[str]:
        return [name for name, _ in self.stages]

    def model(self, name: str, where: str) -> BackendConfig:
        if name not in self.models:
            raise RecipeError(f"{where}: model {name!r} is not defined under models: ({', '.join(self.models)})")
        return self.models[name]


_TOP_KEYS = {"name", "seed", "shards", "data_dir", "models", "stages", "resources", "executor"}


def _models(raw: Any, path: Path) -> tuple[dict[str, BackendConfig], dict[str, str]]:
    if not isinstance(raw, Mapping):
        raise RecipeError(f"recipe {path}: models must be a mapping of role -> backend settings")
    models, from_stage = {}, {}
    for name, cfg in raw.items():
        cfg = dict(cfg or {})
        if "from_stage" in cfg:
            from_stage[name] = str(cfg.pop("from_stage"))
            if cfg.get("model"):
                raise RecipeError(f"models.{name}: give either model or from_stage, not both")
        models[name] = parse_config(BackendConfig, cfg, f"models.{name}")
    return models, from_stage


def parse_recipe(path: str | Path, shards: int | None = None) -> Recipe:
    """Read a recipe file into a `Recipe` (structure only; `synth.plan.load_recipe` also checks stages)."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"recipe not found: {path}")
    try:
        raw = _expand(yaml.safe_load(path.read_text()))
    except yaml.YAMLError as exc:
        raise RecipeError(f"recipe {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"recipe {path} must be a YAML mapping")
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise RecipeError(f"recipe {path}: unknown top-level key {unknown[0]!r}")
    for key in ("name", "seed", "shards", "models", "stages"):
        if key not in raw:
            raise RecipeError(f"recipe {path} is missing key {key!r}")
    models, from_stage = _models(raw["models"], path)
    stages = raw["stages"]
    if not isinstance(stages, dict) or not stages:
        raise RecipeError(f"recipe {path}: stages must be a non-empty mapping, in pipeline order")
    n = int(shards if shards is not None else raw["shards"])
    if n < 1:
        raise RecipeError(f"recipe {path}: shards must be >= 1, got {n}")
    return Recipe(
        name=str(raw["name"]), path=str(path), seed=int(raw["seed"]), shards=n,
        data_dir=str(raw.get("data_dir") or os.environ.get("HARNESS_DATA_DIR", "")),
        models=models, model_stages=from_stage, stages=tuple((k, v or {}) for k, v in stages.items()),
        resources={k: dict(v) for k, v in (raw.get("resources") or {}).items()},
        executor=parse_config(ExecutorConfig, raw.get("executor") or {}, "executor"),
    )
