"""Terminal output of `harness eval`: progress bars, the dry-run listing, the summary table.

Rich is imported only here, when a command shows something; the runner only sees the Progress
protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.config import to_jsonable
from harness.evaluate import EvalPlan, EvalResult, FormatChoice
from harness.runner import BatchStats


def format_choice(preset: Any, family: str, backend: Any) -> FormatChoice:
    """The preset's prompt format for a prompt family (its text fallback when the model cannot chat),
    named `<preset>/<format>` for the run id and manifest."""
    fmt = preset.format_for(family, chat=bool(backend.supports_chat()))
    return FormatChoice(name=f"{preset.name}/{fmt.name}", fn=fmt)


@dataclass
class _Rate:
    samples: int = 0
    tokens: int = 0
    seconds: float = 0.0


@dataclass
class RichProgress:
    """One rich progress bar per benchmark: items, samples/s, tokens/s, ETA (on stderr)."""

    _progress: Any = None
    _tasks: dict[str, Any] = field(default_factory=dict)
    _rates: dict[str, _Rate] = field(default_factory=dict)

    def __enter__(self) -> RichProgress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self._progress.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.__exit__(et, ev, tb)

    def start(self, benchmark: str, total_items: int, done_items: int) -> None:
        self._rates[benchmark] = _Rate()
        self._tasks[benchmark] = self._progress.add_task(
            benchmark, total=total_items, completed=done_items, rate="" if done_items < total_items else "stored"
        )

    def advance(self, benchmark: str, stats: BatchStats) -> None:
        r = self._rates[benchmark]
        r.samples += stats.samples
        r.tokens += stats.completion_tokens
        r.seconds += stats.seconds
        rate = f"{r.samples / r.seconds:6.1f} samples/s {r.tokens / r.seconds:8.0f} tok/s" if r.seconds else "regraded"
        self._progress.update(self._tasks[benchmark], advance=stats.items, rate=rate)

    def finish(self, benchmark: str) -> None:
        self._progress.refresh()


def print_dry_run(plan: EvalPlan, backend: Any) -> None:
    """Per benchmark: the first rendered prompt, its token count and hash, stops, sampling; then exit."""
    from rich.console import Console
    from rich.rule import Rule

    out = Console(highlight=False)
    sampling = to_jsonable(plan.config.sampling)
    for bp in plan.benches:
        out.print(Rule(f"{bp.name} v{bp.job.benchmark.version}  ({len(bp.job.items)} items, {bp.format_name})"))
        if not bp.job.items:
            out.print("no items selected")
            continue
        first = bp.job.items[0]
        text = backend.render(first.prompt)
        tokens = backend.count_tokens(text)
        out.print(text, markup=False, soft_wrap=True)
        stops = list(dict.fromkeys([*first.prompt.stop, *plan.config.sampling.stop]))
        out.print(f"[dim]tokens:[/] {tokens if tokens is not None else 'unknown'}   [dim]hash:[/] {first.prompt_hash}")
        out.print(f"[dim]stop:[/] {stops!r}", markup=True)
        if first.prompt.assistant_prefix:
            out.print(f"[dim]assistant prefix:[/] {first.prompt.assistant_prefix!r}")
    out.print(Rule("sampling"))
    out.print(f"{sampling}  truncation={plan.config.math.truncation}  backend={plan.config.backend.kind}")
    out.print(f"run id would be: {plan.run_id} (nothing generated, nothing written)")


def print_interrupted(plan: EvalPlan, command: str) -> None:
    """What Ctrl-C leaves behind and how to continue."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    err.print(f"\ninterrupted: finished batches are saved in {plan.run_dir}")
    err.print("resume with:", markup=False)
    err.print(f"  {command}", markup=False, soft_wrap=True)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def print_summary(plan: EvalPlan, result: EvalResult) -> None:
    """The results table and where the files are."""
    generated = sum(o.generated for o in result.outcomes)
    skipped = sum(o.skipped for o in result.outcomes)
    print_results(summary_title(plan.checkpoint.model, plan.config), result.metrics, generated, skipped,
                  result.wall_s, result.run_dir)


def summary_title(model: str, config: Any) -> str:
    """The results table's title: checkpoint, preset, backend."""
    return f"{model}  ({config.preset}, {config.backend.kind})"


def print_results(title: str, metrics: Mapping[str, Any], generated: int, skipped: int, wall_s: float,
                  run_dir: Path) -> None:
    """The results table of metrics.json entries, what was generated or reused, and the run folder."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col, just in (("benchmark", "left"), ("n", "right"), ("metric", "left"), ("score %", "right"),
                      ("95% CI", "right"), ("trunc %", "right"), ("no answer %", "right"), ("errors", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for name, m in metrics.items():
        counts = m["status_counts"]
        flag = "" if m.get("complete", True) else " (partial)"
        table.add_row(
            name + flag, str(m["n_items"]) + ("*" if m["limited"] else ""), m["primary"], _pct(m["score"]),
            f"{_pct(m['ci95'][0])}-{_pct(m['ci95'][1])}", _pct(m["truncation_rate"]),
            _pct(m["extraction_failure_rate"]), str(counts.get("error", 0) + counts.get("timeout", 0)),
        )
    out = Console(highlight=False)
    out.print(table)
    if any(m["limited"] for m in metrics.values()):
        out.print("* limited with --limit: not comparable with full-benchmark numbers")
    out.print(f"generated {generated} samples, reused {skipped} stored, in {wall_s:.1f} s")
    out.print(f"results: {run_dir}/  (manifest.json, metrics.json, records/)", markup=False, soft_wrap=True)
