"""The `scale_up:` section of a recipe: data, sizes, base model, SFT and eval settings, comparison policy.
Every key is required (no hidden defaults that move scores); a missing or misspelt one is one line."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.config import BackendConfig
from synth.context import Resources
from synth.errors import RecipeError
from synth.recipe import _expand, parse_config
from synth.stages.training import SftConfig


@dataclass(frozen=True)
class DataConfig:
    """`sources`: export folders (`{export: DIR}`: DIR/export/sft.jsonl) or jsonl files (`{path: F}`),
    concatenated in order. `when_missing`: a synth recipe run (with `out`) that makes the first export
    when it does not exist yet ('' for none). `corrupt_sizes`: points whose rows get wrong answers
    (each boxed answer shifted by a nonzero offset), to check that the gate catches a real regression."""

    sources: tuple[Any, ...]
    when_missing: Mapping[str, str]
    order_seed: int
    corrupt_sizes: tuple[int, ...]


@dataclass(frozen=True)
class EvalConfig:
    """The `harness eval` settings of every point (and the base model): `benchmarks` or `suite`."""

    benchmarks: tuple[str, ...]
    suite: str
    preset: str
    limit: int
    max_tokens: int
    n: int
    temperature: float
    seed: int


@dataclass(frozen=True)
class CompareSettings:
    """`alpha` and `min_delta` (points) as in `harness compare`; `gate`: the benchmarks whose significant
    drop fails the newest point (empty: every evaluated benchmark)."""

    alpha: float
    min_delta: float
    gate: tuple[str, ...]
    seed: int
    n_boot: int


@dataclass(frozen=True)
class ScaleUpConfig:
    name: str
    path: str
    seed: int
    out: str
    sizes: tuple[float, ...]
    data: DataConfig
    base: BackendConfig
    """The SFT base, also evaluated as the point before the first size; `backend` of the evals."""
    sft: SftConfig
    eval: EvalConfig
    compare: CompareSettings
    resources: Resources


_KEYS = {"data", "sizes", "base", "sft", "eval", "compare", "out", "resources"}


def _sizes(raw: Any) -> tuple[float, ...]:
    if not isinstance(raw, (list, tuple)) or not raw:
        raise RecipeError("scale_up.sizes: give a list of increasing counts (e.g. [125000, 250000]) or fractions")
    sizes = tuple(float(s) for s in raw)
    if any(b <= a for a, b in itertools.pairwise(sizes)) or sizes[0] <= 0:
        raise RecipeError(f"scale_up.sizes must be positive and increasing, got {list(raw)}")
    if not all(s <= 1.0 for s in sizes) and not all(s.is_integer() for s in sizes):
        raise RecipeError("scale_up.sizes: use row counts, or fractions (all at most 1), not both")
    return sizes


def load_scaleup(path: str | Path) -> ScaleUpConfig:
    """Read a recipe's `scale_up:` section."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"recipe not found: {path}")
    raw = _expand(yaml.safe_load(path.read_text()))
    if not isinstance(raw, Mapping) or not isinstance(raw.get("scale_up"), Mapping):
        raise RecipeError(f"recipe {path} has no scale_up: section")
    su = raw["scale_up"]
    unknown = sorted(set(su) - _KEYS)
    missing = sorted(_KEYS - set(su))
    if unknown or missing:
        bad = f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"
        raise RecipeError(f"recipe {path}: scale_up has {bad} (keys: {', '.join(sorted(_KEYS))})")
    sft_raw = {"model": "base", "data": [{"path": "(the nested subsets)"}], **su["sft"]}
    cfg = ScaleUpConfig(
        name=str(raw.get("name") or path.stem), path=str(path), seed=int(raw.get("seed", 0)), out=str(su["out"]),
        sizes=_sizes(su["sizes"]),
        data=parse_config(DataConfig, su["data"], "scale_up.data"),
        base=parse_config(BackendConfig, su["base"], "scale_up.base"),
        sft=parse_config(SftConfig, sft_raw, "scale_up.sft"),
        eval=parse_config(EvalConfig, su["eval"], "scale_up.eval"),
        compare=parse_config(CompareSettings, su["compare"], "scale_up.compare"),
        resources=parse_config(Resources, su["resources"], "scale_up.resources"),
    )
    _check(cfg)
    return cfg


def _check(cfg: ScaleUpConfig) -> None:
    from harness.errors import close_match_hint
    from harness.registry import all_benchmarks, suite_names

    names = [b.name for b in all_benchmarks()]
    for name in (*cfg.eval.benchmarks, *cfg.compare.gate):
        if name not in names:
            raise RecipeError(f"scale_up: unknown benchmark {name!r}{close_match_hint(name, names)}")
    if bool(cfg.eval.benchmarks) == bool(cfg.eval.suite):
        raise RecipeError("scale_up.eval: give benchmarks or suite (one of them)")
    if cfg.eval.suite and cfg.eval.suite not in suite_names():
        raise RecipeError(f"scale_up.eval.suite: unknown suite {cfg.eval.suite!r}"
                          f"{close_match_hint(cfg.eval.suite, suite_names())}")
    if cfg.base.kind in ("hf", "vllm") and not (Path(cfg.base.model) / "config.json").is_file():
        raise RecipeError(f"scale_up.base: no checkpoint at {cfg.base.model!r} (a folder with config.json)")
    for src in cfg.data.sources:
        if not isinstance(src, Mapping) or len(set(src) & {"export", "path"}) != 1 or set(src) - {"export", "path"}:
            raise RecipeError(f"scale_up.data.sources: each source is {{export: DIR}} or {{path: FILE}}, got {src!r}")


def settings_dict(cfg: ScaleUpConfig) -> dict[str, Any]:
    """Everything the loop was configured with, for scale_up.json."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("path",)}
