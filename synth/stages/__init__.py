"""The stage registry: explicit name -> class, nothing scanned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.errors import close_match_hint
from synth.context import Resources
from synth.errors import RecipeError
from synth.recipe import parse_config

if TYPE_CHECKING:
    from synth.recipe import Recipe
    from synth.stages.base import BaseStage


def stage_classes() -> dict[str, type[BaseStage]]:
    """Every stage a recipe may name."""
    from synth.stages.decontam import Decontaminate
    from synth.stages.dedup import Dedup
    from synth.stages.difficulty import Difficulty
    from synth.stages.export import Export
    from synth.stages.filters import FilterLanguage, FilterSolvability
    from synth.stages.generate import Generate
    from synth.stages.qpo_pairs import QpoPairs
    from synth.stages.respond import Respond
    from synth.stages.reward import Reward
    from synth.stages.training import Qft, Qpo, Sft

    classes: list[type[BaseStage]] = [Qft, QpoPairs, Qpo, Generate, FilterLanguage, FilterSolvability, Difficulty,
                                      Dedup, Decontaminate, Respond, Reward, Export, Sft]
    return {c.name: c for c in classes}


def build_stage(recipe: Recipe, index: int) -> BaseStage:
    """The stage at position `index` of the recipe, with its validated config (no model loaded)."""
    name, raw = recipe.stages[index]
    classes = stage_classes()
    if name not in classes:
        raise RecipeError(f"unknown stage {name!r} in {recipe.path}{close_match_hint(name, list(classes))}")
    cls = classes[name]
    cfg: object = parse_config(cls.Config, raw, f"stages.{name}")
    res = recipe.resources.get(name)
    resources = parse_config(Resources, res, f"resources.{name}") if res is not None else None
    return cls(cfg, recipe, resources)
