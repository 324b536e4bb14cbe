"""User-facing synth errors: one clear line each, exit code 2 (they are `HarnessError`s)."""

from __future__ import annotations

from harness.errors import HarnessError


class SynthError(HarnessError):
    """A problem with a synth recipe, its inputs or the output folder."""


class RecipeError(SynthError):
    """A recipe file that is missing, unreadable, or lacks or misspells a key."""


class CheckpointError(SynthError):
    """A model checkpoint named by the recipe does not exist."""


class StageVersionError(SynthError):
    """A shard on disk was written by a different version of its stage."""


class MissingInputError(SynthError):
    """A stage's input (the previous stage's shards) has not been produced yet."""


class DiskFullError(SynthError):
    """The disk filled up (or a file size limit was hit) while a shard was being written."""
