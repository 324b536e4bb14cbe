"""The leaderboard: one row per run (and per published row), one column per benchmark, plus averages.

Averages (documented, fixed):
- `avg_paper`: GSM8K, MATH, CollegeMATH, OlympiadBench, the "Avg" of the ScaleQuest paper's Table 1.
- `avg_in_domain`: gsm8k, math, math500 (the distributions the SFT seed questions come from).
- `avg_out_domain`: college_math, olympiadbench, gsm_hard, aime24.
An average is only given when the row has every member; it is marked when a member is marked.
Benchmarks of a separate group (`SEPARATE_GROUPS`: the procedural `arith` of the tiny CPU world)
stand after the averages, in their own group, and never enter one.

Marks say, rather than silently average, what makes a cell not comparable: `*` the run was limited
(`--limit`), `†` runs on this board measured different versions of the benchmark.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.report.published import doc_kind, read_published
from harness.report.text import markdown_table, pct, pct_ci, rich_table
from harness.store.reader import Run

AVERAGES: dict[str, tuple[str, ...]] = {
    "avg_paper": ("gsm8k", "math", "college_math", "olympiadbench"),
    "avg_in_domain": ("gsm8k", "math", "math500"),
    "avg_out_domain": ("college_math", "olympiadbench", "gsm_hard", "aime24"),
}
SEPARATE_GROUPS: dict[str, tuple[str, ...]] = {"tiny": ("arith",)}
"""Column groups shown apart from the paper's benchmarks, after the averages (name -> members)."""
BENCH_ORDER = ("gsm8k", "math", "math500", "college_math", "olympiadbench", "gsm_hard", "aime24",
               "humaneval", "humaneval_plus", "mbpp", "mbpp_plus")
MARK_LIMITED = "*"
MARK_VERSION = "†"
MARK_NOTES = {
    MARK_LIMITED: "limited run (--limit): scored on a subset of the items, not comparable to full runs",
    MARK_VERSION: "benchmark versions differ between runs on this board: not comparable",
}
Source = Literal["measured", "published"]


@dataclass(frozen=True)
class Cell:
    """One score as a 0..1 fraction (None: not measured), its CI and the marks that qualify it."""

    score: float | None
    ci: tuple[float, float] | None = None
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One run or one published result."""

    label: str
    source: Source
    checkpoint: str
    origin: str
    """Run directory, or the citation of a published row."""
    tags: Mapping[str, str]
    cells: Mapping[str, Cell]
    group: str = ""


@dataclass(frozen=True)
class Leaderboard:
    """Rows with benchmark columns and average columns, and footnotes explaining every mark."""

    benchmarks: tuple[str, ...]
    averages: tuple[str, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...]
    group_by: str | None = None
    separate: tuple[str, ...] = ()
    """Benchmarks of a SEPARATE_GROUPS group, shown after the averages."""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.benchmarks + self.averages + self.separate


@dataclass(frozen=True)
class LeaderboardConfig:
    """What goes on the board and how it is shown."""

    benchmarks: tuple[str, ...] = ()
    """Columns to show; empty: every benchmark any run has, in the usual order."""
    group_by: str | None = None
    published: tuple[Path, ...] = ()
    published_filter: str | None = None
    """Case-insensitive substring a published row's model must contain; None keeps all."""
    ci: bool = False


def _run_cell(run: Run, name: str, mark_version: bool) -> Cell:
    m = run.bench_metrics(name)
    if m is None or m.get("score") is None:
        return Cell(None)
    ci = m.get("ci95")
    marks = ((MARK_LIMITED,) if m.get("limited") else ()) + ((MARK_VERSION,) if mark_version else ())
    return Cell(float(m["score"]), (float(ci[0]), float(ci[1])) if ci else None, marks)


def _average(cells: Mapping[str, Cell], members: Sequence[str]) -> Cell:
    """Mean of the members; CI by normal approximation assuming independent benchmarks."""
    got = [cells.get(m, Cell(None)) for m in members]
    if any(c.score is None for c in got):
        return Cell(None)
    scores = [float(c.score) for c in got if c.score is not None]
    mean = sum(scores) / len(scores)
    ci = None
    if all(c.ci for c in got):
        half = math.sqrt(sum(((c.ci[1] - c.ci[0]) / 2) ** 2 for c in got if c.ci)) / len(got)
        ci = (mean - half, mean + half)
    marks = tuple(sorted({mk for c in got for mk in c.marks}))
    return Cell(mean, ci, marks)


def _version_conflicts(runs: Sequence[Run]) -> set[str]:
    versions: dict[str, set[str]] = {}
    for run in runs:
        for name in run.benchmarks:
            m = run.bench_metrics(name) or {}
            v = str(m.get("version") or run.bench_info(name).get("version") or "")
            versions.setdefault(name, set()).add(v)
    return {name for name, vs in versions.items() if len(vs) > 1}


def _run_row(run: Run, conflicts: set[str], group_by: str | None) -> Row:
    cells = {name: _run_cell(run, name, name in conflicts) for name in run.benchmarks}
    tags = run.tags
    return Row(label=tags.get("name") or run.run_id, source="measured", checkpoint=run.checkpoint,
               origin=str(run.path), tags=tags, cells=cells, group=tags.get(group_by, "—") if group_by else "")


def load_published(path: Path, model_filter: str | None, group_by: str | None) -> list[Row]:
    """Published rows from a results/published/*.json table (values in percent, as printed); a
    file of another kind (digitized scaling curves) has no rows."""
    doc = read_published(path)
    if doc_kind(doc) != "table":
        return []
    scale = 100.0 if doc.get("unit") == "percent" else 1.0
    rows = []
    for item in doc.get("rows", []):
        model = str(item["model"])
        if model_filter and model_filter.lower() not in model.lower():
            continue
        tags = {k: str(item[k]) for k in ("base", "data", "synth_model") if item.get(k)}
        cells = {k: Cell(float(v) / scale) for k, v in item.get("scores", {}).items()}
        rows.append(Row(label=model, source="published", checkpoint="", origin=str(item.get("source", "")),
                        tags=tags, cells=cells, group=tags.get(group_by, "—") if group_by else ""))
    return rows


def _group_key(group: str) -> tuple[int, float, str]:
    """Numeric groups (training sizes: 125K, 1M) in numeric order, then text groups, then '—'."""
    from harness.errors import ConfigError
    from harness.report.plot import parse_size

    if group == "—":
        return (2, 0.0, group)
    try:
        return (0, parse_size(group), group)
    except ConfigError:
        return (1, 0.0, group)


def _bench_key(name: str) -> tuple[int, str]:
    return (BENCH_ORDER.index(name) if name in BENCH_ORDER else len(BENCH_ORDER), name)


def build(runs: Sequence[Run], cfg: LeaderboardConfig) -> Leaderboard:
    """Assemble the board: measured rows, then published rows, averages and footnotes."""
    conflicts = _version_conflicts(runs)
    rows = [_run_row(r, conflicts, cfg.group_by) for r in runs]
    for path in cfg.published:
        rows.extend(load_published(path, cfg.published_filter, cfg.group_by))
    ours = harness_benchmarks()
    published = {name for row in rows if row.source == "published" for name in row.cells}
    present = {name for row in rows if row.source == "measured" for name in row.cells} if runs else published & ours
    chosen = cfg.benchmarks or tuple(sorted(present, key=_bench_key))
    apart = {b for members in SEPARATE_GROUPS.values() for b in members}
    benches = tuple(b for b in chosen if b not in apart)
    separate = tuple(b for members in SEPARATE_GROUPS.values() for b in members if b in chosen)
    # Published rows sit beside ours where they share a column; the others would be rows of dashes.
    rows = [r for r in rows if r.source == "measured" or any(b in r.cells for b in chosen)]
    foreign = sorted({n for r in rows if r.source == "published" for n in r.cells} - ours - set(chosen))
    averages = tuple(a for a, members in AVERAGES.items() if set(members) <= set(benches))
    rows = [Row(r.label, r.source, r.checkpoint, r.origin, r.tags,
                {**r.cells, **{a: _average(r.cells, AVERAGES[a]) for a in averages}}, r.group) for r in rows]
    if cfg.group_by:
        rows.sort(key=lambda r: _group_key(r.group))
    notes = _footnotes(rows, (*benches, *separate), averages, conflicts)
    if foreign:
        notes += (f"published rows also report {', '.join(foreign)}: not harness benchmarks, not shown and "
                  "never averaged (--benchmarks NAME shows one)",)
    return Leaderboard(benches, averages, tuple(rows), notes, cfg.group_by, separate)


def harness_benchmarks() -> set[str]:
    """Names of the registered benchmarks (a published column outside them is someone else's)."""
    from harness.registry import all_benchmarks

    return {b.name for b in all_benchmarks()}


def _footnotes(rows: Sequence[Row], benches: Sequence[str], averages: Sequence[str],
               conflicts: set[str]) -> tuple[str, ...]:
    used = {mk for r in rows for name in (*benches, *averages) for mk in r.cells.get(name, Cell(None)).marks}
    notes = [f"{mk} {MARK_NOTES[mk]}" for mk in (MARK_LIMITED, MARK_VERSION) if mk in used]
    if MARK_VERSION in used:
        notes.append(f"{MARK_VERSION} version conflicts on: {', '.join(sorted(conflicts & set(benches)))}")
    if any(r.cells.get(n, Cell(None)).score is None for r in rows for n in (*benches, *averages)):
        notes.append("— not measured; an average is only given when the row has all of its benchmarks")
    for a in averages:
        notes.append(f"{a} = mean of {', '.join(AVERAGES[a])}")
    for group, members in SEPARATE_GROUPS.items():
        shown = [m for m in members if m in benches]
        if shown:
            notes.append(f"{group}: {', '.join(shown)}: a group of its own (procedural, for the CPU demo), "
                         "never in an average")
    if any(r.source == "published" for r in rows):
        sources = sorted({r.origin for r in rows if r.source == "published"})
        notes.append("[published] rows are the authors' numbers, not measured here: " + "; ".join(sources))
    return tuple(notes)


def cell_text(cell: Cell, with_ci: bool) -> str:
    """Display text of a cell in percent: '62.9', '62.9 [60.1, 65.6]', with marks appended."""
    text = pct(cell.score)
    if with_ci and cell.ci and cell.score is not None:
        text += " " + pct_ci(cell.ci)
    return text + "".join(cell.marks)


def row_label(row: Row) -> str:
    return row.label + (" [published]" if row.source == "published" else "")


def _grid(board: Leaderboard, with_ci: bool) -> tuple[list[str], list[list[str]]]:
    headers = ([board.group_by] if board.group_by else []) + ["run", "checkpoint", *board.columns]
    rows = [([r.group] if board.group_by else []) + [row_label(r), r.checkpoint]
            + [cell_text(r.cells.get(c, Cell(None)), with_ci) for c in board.columns] for r in board.rows]
    return headers, rows


def to_json(board: Leaderboard) -> dict[str, Any]:
    """The board as JSON data (fractions 0..1, CIs, marks, footnotes)."""

    def cell(c: Cell) -> dict[str, Any]:
        return {"score": c.score, "ci95": list(c.ci) if c.ci else None, "marks": list(c.marks)}

    return {
        "benchmarks": list(board.benchmarks),
        "columns": list(board.columns),
        "averages": {a: list(AVERAGES[a]) for a in board.averages},
        "groups": {g: [m for m in ms if m in board.separate] for g, ms in SEPARATE_GROUPS.items()
                   if set(ms) & set(board.separate)},
        "group_by": board.group_by,
        "rows": [{"label": r.label, "source": r.source, "checkpoint": r.checkpoint, "origin": r.origin,
                  "tags": dict(r.tags), "group": r.group,
                  "cells": {c: cell(r.cells.get(c, Cell(None))) for c in board.columns}} for r in board.rows],
        "footnotes": list(board.footnotes),
    }


def to_csv(board: Leaderboard, with_ci: bool) -> str:
    """One line per row; percent values, CI bounds and marks in their own columns."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    head = ["run", "source", "checkpoint", "group", "tags"]
    for c in board.columns:
        head += [c, *((f"{c}_ci_lo", f"{c}_ci_hi") if with_ci else ()), f"{c}_marks"]
    writer.writerow(head)
    for r in board.rows:
        line = [r.label, r.source, r.checkpoint, r.group, ";".join(f"{k}={v}" for k, v in r.tags.items())]
        for c in board.columns:
            cell = r.cells.get(c, Cell(None))
            line.append("" if cell.score is None else f"{100 * cell.score:.1f}")
            if with_ci:
                line += [f"{100 * cell.ci[0]:.1f}", f"{100 * cell.ci[1]:.1f}"] if cell.ci else ["", ""]
            line.append("".join(cell.marks))
        writer.writerow(line)
    return buf.getvalue()


def render(board: Leaderboard, fmt: str, with_ci: bool) -> str:
    """The board as 'table', 'md', 'csv', 'json' or 'html'."""
    if fmt == "json":
        return json.dumps(to_json(board), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv(board, with_ci)
    if fmt == "html":
        from harness.report.html import leaderboard_html

        return leaderboard_html(board, with_ci)
    headers, rows = _grid(board, with_ci)
    if fmt == "md":
        return markdown_table(headers, rows) + "\n" + "".join(f"- {n}\n" for n in board.footnotes)
    return rich_table("Leaderboard (accuracy %)", headers, rows, board.footnotes)
