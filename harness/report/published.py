"""Published reference results (`results/published/*.json`): the paper's tables and its digitized
scaling curves, read for the leaderboard and for scaling plots.

Two kinds of file, told apart by `kind`: "table" (rows of scores per benchmark, as printed; the
default for files without `kind`) and "scaling" (points per training dataset and benchmark,
digitized from a figure, with their uncertainty). Values are in the file's `unit` (percent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, StoreError
from harness.store.reader import read_json_object

CHECKOUT_PUBLISHED = Path(__file__).resolve().parents[2] / "results" / "published"
"""The published files that ship with the source tree."""
SCALING_FILE = "scalequest_fig1_scaling.json"


def read_published(path: Path) -> dict[str, Any]:
    """One published file as JSON data; unreadable or not an object is a one-line StoreError."""
    return read_json_object(path, "published results ")


def doc_kind(doc: Mapping[str, Any]) -> str:
    """'table' or 'scaling' (files written before `kind` existed are tables)."""
    return str(doc.get("kind", "table"))


@dataclass(frozen=True)
class ScalingPoint:
    """One digitized point: training samples and accuracy (percent, as read off the figure)."""

    samples: int
    accuracy: float
    estimated: bool = False
    """Partly hidden marker, read from its visible edge."""


@dataclass(frozen=True)
class ScalingCurves:
    """One benchmark's digitized curves, one per training dataset, each sorted by samples."""

    benchmark: str
    series: Mapping[str, tuple[ScalingPoint, ...]]
    unit: str
    uncertainty: float
    """Reading error of every point, in `unit` (±)."""
    base: str
    source: str
    note: str


def scaling_points(benchmark: str, path: Path | None = None) -> ScalingCurves:
    """The digitized scaling curves of `benchmark` (e.g. 'math', 'olympiadbench') from the paper's
    Fig. 1; a benchmark the figure does not show is a ConfigError naming those it does."""
    doc = read_published(path or CHECKOUT_PUBLISHED / SCALING_FILE)
    if doc_kind(doc) != "scaling":
        raise StoreError(f"{path}: not a scaling file (kind {doc_kind(doc)!r})")
    series: dict[str, tuple[ScalingPoint, ...]] = {}
    shown: set[str] = set()
    for dataset, by_bench in doc.get("series", {}).items():
        shown.update(by_bench)
        if benchmark in by_bench:
            points = (ScalingPoint(int(p["samples"]), float(p["accuracy"]), bool(p.get("estimated", False)))
                      for p in by_bench[benchmark])
            series[dataset] = tuple(sorted(points, key=lambda p: p.samples))
    if not series:
        raise ConfigError(f"no digitized scaling points for {benchmark!r}; the figure shows "
                          f"{', '.join(sorted(shown)) or 'nothing'}")
    return ScalingCurves(benchmark, series, str(doc.get("unit", "percent")), float(doc.get("uncertainty", 0.0)),
                         str(doc.get("base", "")), str(doc.get("source", "")), str(doc.get("note", "")))
