"""From a recipe to a plan: every stage checked, keyed and given its folder, and model roles that name
a training stage (`from_stage`) resolved to its checkpoint. Data flows recipe -> plan -> stages -> executor."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.config import stable_hash
from harness.errors import close_match_hint
from synth.errors import RecipeError
from synth.io import StageDir
from synth.recipe import Recipe, parse_recipe
from synth.stages import build_stage, stage_classes
from synth.train.settings import CHECKPOINT


def _check_order(recipe: Recipe) -> None:
    classes = stage_classes()
    names = recipe.stage_names
    for i, name in enumerate(names):
        cls = classes[name]
        if i == 0 and cls.consumes:
            raise RecipeError(f"{recipe.path}: the first stage {name!r} needs the records of a stage before it")
        if i > 0 and cls.consumes and not classes[names[i - 1]].produces_records:
            raise RecipeError(f"{recipe.path}: stage {name!r} reads the records of the stage before it, "
                              f"but {names[i - 1]!r} makes a checkpoint, not records")
    for role, source in recipe.model_stages.items():
        if source not in names:
            raise RecipeError(f"models.{role}: from_stage {source!r} is not a stage of {recipe.path}"
                              f"{close_match_hint(source, names)}")
        if classes[source].produces_records:
            raise RecipeError(f"models.{role}: from_stage {source!r} makes records, not a checkpoint "
                              "(name a training stage: qft, qpo, sft)")
        for i, name in enumerate(names):
            if role in build_stage(recipe, i).roles() and names.index(source) >= i:
                raise RecipeError(f"models.{role}: from_stage {source!r} runs after stage {name!r}, which uses "
                                  f"{role!r}; move {source!r} before {name!r}")


def load_recipe(path: str | Path, shards: int | None = None) -> Recipe:
    """Read a recipe and check every stage's settings and the stage order before anything runs."""
    recipe = parse_recipe(path, shards)
    for i in range(len(recipe.stages)):
        build_stage(recipe, i)
    _check_order(recipe)
    return recipe


def stage_dirs(recipe: Recipe, out: str | Path) -> list[StageDir]:
    """The folder of every stage; each key chains the previous one, so a change moves all later stages."""
    dirs: list[StageDir] = []
    parent = stable_hash({"recipe_seed": recipe.seed, "shards": recipe.shards})
    for i, (name, _) in enumerate(recipe.stages):
        stage = build_stage(recipe, i)
        key = stable_hash({"parent": parent, "name": name, "version": stage.version, "config": stage.config()},
                          length=12)
        root = Path(out) / f"{i:02d}-{name}" / f"v{stage.version}-{key}"
        dirs.append(StageDir(root=root, name=name, version=stage.version, key=key))
        parent = key
    return dirs


def resolve_models(recipe: Recipe, dirs: list[StageDir]) -> Recipe:
    """The recipe with each `from_stage` role pointing at that stage's checkpoint folder."""
    if not recipe.model_stages:
        return recipe
    by_name = {d.name: d for d in dirs}
    models = dict(recipe.models)
    for role, source in recipe.model_stages.items():
        models[role] = dataclasses.replace(models[role], model=str(by_name[source].root / CHECKPOINT))
    return dataclasses.replace(recipe, models=models)
