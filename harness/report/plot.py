"""Scaling plots: accuracy against a numeric run tag (training-data size), one series per benchmark.

Drawn on a bare `matplotlib.figure.Figure` with the Agg canvas: no pyplot global state, no display.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError
from harness.store.reader import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbB]?)\s*$")
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True)
class Series:
    """One benchmark's points, sorted by x; scores and CI bounds in percent."""

    benchmark: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    runs: tuple[str, ...]


def parse_size(text: str) -> float:
    """A tag value as a number: '125000', '125K', '1M', '1.5e5'."""
    m = _SIZE.match(text)
    if not m:
        raise ConfigError(f"tag value {text!r} is not a number (use e.g. 125000, 125K or 1M)")
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def scaling_series(runs: Sequence[Run], x_tag: str, benchmarks: Sequence[str] = ()) -> list[Series]:
    """Collect (x, score, CI) per benchmark from the runs' tags and metrics."""
    points: dict[str, list[tuple[float, float, float, float, str]]] = {}
    for run in runs:
        if x_tag not in run.tags:
            raise ConfigError(f"run {run.run_id} has no tag {x_tag!r}; tag every plotted run with it")
        x = parse_size(run.tags[x_tag])
        for name in benchmarks or run.benchmarks:
            m = run.bench_metrics(name)
            if m is None or m.get("score") is None:
                continue
            score = 100.0 * float(m["score"])
            ci = m.get("ci95") or (m["score"], m["score"])
            points.setdefault(name, []).append((x, score, 100.0 * float(ci[0]), 100.0 * float(ci[1]), run.run_id))
    out = []
    for name, pts in points.items():
        pts.sort()
        xs = [p[0] for p in pts]
        if len(set(xs)) != len(xs):
            dup = sorted({p[4] for p in pts if xs.count(p[0]) > 1})
            raise ConfigError(f"{name}: several runs share one {x_tag} value ({', '.join(dup)}); pass one per size")
        out.append(Series(name, tuple(xs), tuple(p[1] for p in pts), tuple(p[2] for p in pts),
                          tuple(p[3] for p in pts), tuple(p[4] for p in pts)))
    if not out:
        raise ConfigError("no benchmark scores to plot in these runs")
    return out


@dataclass(frozen=True)
class Reference:
    """A published curve drawn dashed beside ours (e.g. the paper's digitized Fig. 1 points)."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


def scaling_figure(series: Sequence[Series], x_label: str, log_x: bool = False, bands: bool = False,
                   references: Sequence[Reference] = ()) -> Figure:
    """Accuracy vs x with its 95% CI (error bars, or shaded bands), one line per benchmark, and any
    published reference curves dashed (like ScaleQuest Fig. 1, right)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    fig = Figure(figsize=(6.4, 4.4), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for s in series:
        if bands:
            (line,) = ax.plot(s.xs, s.ys, marker="o", label=s.benchmark)
            ax.fill_between(s.xs, s.lo, s.hi, alpha=0.2, color=line.get_color())
            continue
        yerr = [[y - lo for y, lo in zip(s.ys, s.lo, strict=True)], [hi - y for y, hi in zip(s.ys, s.hi, strict=True)]]
        ax.errorbar(s.xs, s.ys, yerr=yerr, marker="o", capsize=3, label=s.benchmark)
    for ref in references:
        ax.plot(ref.xs, ref.ys, linestyle="--", marker="x", alpha=0.7, label=ref.label)
    if log_x:
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 125k, 1M: how data sizes are spoken of
    ax.set_xlabel(x_label)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy vs training-data size (95% CI)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def save_png(fig: Figure, path: Path) -> Path:
    """Write the figure as PNG, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
