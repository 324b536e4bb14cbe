"""What the scale-up loop writes: comparisons and verdicts, the gate, `scale_up.json`, the leaderboard
(md and html), the scaling plot with CI bands and the paper's curve, and an HTML index of point reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from harness.report.compare import BenchComparison, CompareConfig, compare_runs
from harness.report.stats import StatsConfig
from harness.store.reader import Run, load_run
from synth.io import atomic_write_json
from synth.scaleup.config import ScaleUpConfig, settings_dict
from synth.scaleup.loop import Point


@dataclass(frozen=True)
class GateFailure:
    """A gating benchmark of the newest point significantly worse than the point before it."""

    benchmark: str
    delta: float
    ci: tuple[float, float]
    p_value: float
    newly_broken: tuple[str, ...]

    def line(self, new: int, prev: int) -> str:
        broken = ", ".join(self.newly_broken[:10]) + (" ..." if len(self.newly_broken) > 10 else "")
        return (f"REGRESSION {self.benchmark}: size {new} vs {prev}: {100 * self.delta:+.1f} points "
                f"(95% CI {100 * self.ci[0]:+.1f} to {100 * self.ci[1]:+.1f}), p = {self.p_value:.3g}; "
                f"{len(self.newly_broken)} items newly broken: {broken or '-'}")


def _bench_json(b: BenchComparison) -> dict[str, Any]:
    r = b.result
    return {"base": r.base_score, "new": r.new_score, "delta": r.delta, "ci": list(r.ci), "p_value": r.p_value,
            "test": r.test, "n_items": r.n_items, "verdict": b.verdict, "regression": b.regression,
            "newly_solved": list(b.newly_solved), "newly_broken": list(b.newly_broken)}


def compare_points(cfg: ScaleUpConfig, runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Each point against the one before it (identities must match) and against the base (forced: a
    base model may lack the chat template the SFT checkpoints carry; the differences are recorded)."""
    c = cfg.compare
    stats = StatsConfig(alpha=c.alpha, seed=c.seed, n_boot=c.n_boot)
    out: list[dict[str, Any]] = [{}]
    for i in range(1, len(runs)):
        prev = compare_runs(runs[i - 1], runs[i], CompareConfig(stats=stats, min_delta=c.min_delta))
        base = compare_runs(runs[0], runs[i], CompareConfig(stats=stats, min_delta=c.min_delta, force=True))
        out.append({"vs_previous": {b.benchmark: _bench_json(b) for b in prev.benchmarks},
                    "vs_base": {b.benchmark: _bench_json(b) for b in base.benchmarks},
                    "vs_base_mismatches": list(base.mismatches)})
    return out


def gate(cfg: ScaleUpConfig, comparisons: Sequence[dict[str, Any]]) -> list[GateFailure]:
    """The gating benchmarks on which the newest point regressed against the point before it."""
    if len(comparisons) < 2:
        return []
    newest = comparisons[-1]["vs_previous"]
    names = cfg.compare.gate or tuple(newest)
    return [GateFailure(n, newest[n]["delta"], tuple(newest[n]["ci"]), newest[n]["p_value"],  # type: ignore[arg-type]
                        tuple(newest[n]["newly_broken"])) for n in names if n in newest and newest[n]["regression"]]


def _metrics(run: Run) -> dict[str, Any]:
    out = {}
    for name in run.benchmarks:
        m = run.bench_metrics(name) or {}
        out[name] = {"score": m.get("score"), "ci95": m.get("ci95"), "n_items": m.get("n_items"),
                     "status_counts": m.get("status_counts")}
    return out


def write_summary(cfg: ScaleUpConfig, points: Sequence[Point], runs: Sequence[Run],
                  comparisons: Sequence[dict[str, Any]], failures: Sequence[GateFailure]) -> Path:
    """`scale_up.json`: settings, then per point its size, subset, card, run, metrics and verdicts."""
    from synth.train.settings import CARD

    rows = []
    for p, run, comp in zip(points, runs, comparisons, strict=True):
        card = Path(p.root) / "sft" / CARD
        rows.append({"size": p.size, "subset_fingerprint": p.subset, "corrupted": p.corrupted,
                     "training_card": str(card) if p.size else None,
                     "train_loss": json.loads(card.read_text())["loss"] if p.size else None,
                     "run": p.run, "run_id": run.run_id, "metrics": _metrics(run), **comp})
    doc = {"name": cfg.name, "recipe": cfg.path, "settings": settings_dict(cfg), "points": rows,
           "gate": {"benchmarks": list(cfg.compare.gate), "failures": [f.__dict__ for f in failures],
                    "passed": not failures}}
    path = Path(cfg.out) / "scale_up.json"
    atomic_write_json(path, doc)
    return path


def write_leaderboard(cfg: ScaleUpConfig, runs: Sequence[Run]) -> tuple[Path, Path]:
    """All points beside the published rows, as Markdown and HTML."""
    from harness.commands.leaderboard import CHECKOUT_PUBLISHED
    from harness.report.leaderboard import LeaderboardConfig, build, render

    published = tuple(sorted(CHECKOUT_PUBLISHED.glob("*.json")))
    board = build(runs, LeaderboardConfig(group_by="size", published=published, ci=True))
    md, html = Path(cfg.out) / "leaderboard.md", Path(cfg.out) / "leaderboard.html"
    md.write_text(render(board, "md", True), encoding="utf-8")
    html.write_text(render(board, "html", True), encoding="utf-8")
    return md, html


def write_plot(cfg: ScaleUpConfig, runs: Sequence[Run]) -> Path:
    """Score against size per benchmark with CI bands; the paper's ScaleQuest curve where it matches."""
    from harness.errors import ConfigError
    from harness.report.plot import Reference, save_png, scaling_figure, scaling_series
    from harness.report.published import scaling_points

    series = scaling_series(runs, "size")
    refs = []
    for s in series:
        try:
            curves = scaling_points(s.benchmark)
        except ConfigError:
            continue  # the paper's figure has no curve for this benchmark
        pts = curves.series.get("ScaleQuest", ())
        refs.append(Reference(f"{s.benchmark}: ScaleQuest paper (digitized)", tuple(float(p.samples) for p in pts),
                              tuple(p.accuracy for p in pts)))
    return save_png(scaling_figure(series, "training rows", bands=True, references=refs),
                    Path(cfg.out) / "scaling.png")


def write_index(cfg: ScaleUpConfig, points: Sequence[Point], runs: Sequence[Run], failures: Sequence[GateFailure],
                board_html: Path) -> Path:
    """`report.html`: the plot, the gate, and a link to each point's own run report."""
    from harness.report.html import report_html

    items = []
    for p, run in zip(points, runs, strict=True):
        rep = Path(p.run) / "report.html"
        rep.write_text(report_html(run), encoding="utf-8")
        label = "base model" if p.size == 0 else f"{p.size} rows" + (" (corrupted answers)" if p.corrupted else "")
        scores = ", ".join(f"{n} {100 * (run.bench_metrics(n) or {}).get('score', 0.0):.1f}%" for n in run.benchmarks)
        items.append(f"<li><a href='{escape(str(rep.relative_to(Path(cfg.out))))}'>{escape(label)}</a>: "
                     f"{escape(scores)}</li>")
    gate_html = "".join(f"<p><b>{escape(f.line(points[-1].size, points[-2].size))}</b></p>" for f in failures) \
        or "<p>gate: no significant regression of the newest point</p>"
    body = (f"<h1>Scale-up {escape(cfg.name)}</h1><img src='scaling.png' alt='scaling plot'>{gate_html}"
            f"<h2>Points</h2><ul>{''.join(items)}</ul><p><a href='{board_html.name}'>leaderboard</a> · "
            "<a href='scale_up.json'>scale_up.json</a></p>")
    path = Path(cfg.out) / "report.html"
    path.write_text(f"<!doctype html><meta charset='utf-8'><title>scale-up {escape(cfg.name)}</title>{body}",
                    encoding="utf-8")
    return path


def load_runs(points: Sequence[Point]) -> list[Run]:
    return [load_run(p.run) for p in points]
