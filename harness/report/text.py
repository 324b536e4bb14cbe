"""Plain renderings shared by the report commands: terminal tables (rich), markdown, percent cells."""

from __future__ import annotations

import io
from collections.abc import Sequence


def pct(value: float | None, digits: int = 1) -> str:
    """A 0..1 fraction as a percent string; '—' for a missing value."""
    return "—" if value is None else f"{100.0 * value:.{digits}f}"


def pct_ci(ci: Sequence[float] | None, digits: int = 1) -> str:
    """A 0..1 interval as '[lo, hi]' in percent; '' when there is none."""
    if not ci:
        return ""
    return f"[{100.0 * ci[0]:.{digits}f}, {100.0 * ci[1]:.{digits}f}]"


def rich_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], footnotes: Sequence[str] = ()
) -> str:
    """A terminal table as text (rich, no colour codes when not on a terminal), then footnotes."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    for i, head in enumerate(headers):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    buf = io.StringIO()
    # Wide enough never to wrap a cell: the text goes to a pipe or a pager as often as to a terminal.
    Console(file=buf, width=10_000, highlight=False, markup=False).print(table)
    text = "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
    return text + "".join(f"{note}\n" for note in footnotes)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table; pipes in cells are escaped."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|")
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"
