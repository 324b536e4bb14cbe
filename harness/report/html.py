"""Static HTML: the single-run report (scores, breakdowns, per-item browser) and the leaderboard page.

Model outputs are untrusted: every piece of run data goes through `html.escape`, and the page's
Content-Security-Policy lets only its own inline script run and forbids every network fetch.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from harness.report.html_template import FILTER_JS, page
from harness.report.text import pct, pct_ci
from harness.store.reader import Run, StoredRecord
from harness.types import Status

if TYPE_CHECKING:
    from harness.report.leaderboard import Leaderboard

MetaLookup = Callable[[str], Mapping[str, Mapping[str, Any]] | None]
"""benchmark name -> {item id: sample meta}, or None when the data is not at hand."""
STATUSES = tuple(s.value for s in Status)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """An HTML table; cells are already-escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _scores(run: Run) -> str:
    rows = []
    for name in run.benchmarks:
        m = run.bench_metrics(name) or {}
        score = m.get("score")
        rows.append([
            escape(name), escape(str(m.get("version", ""))), escape(str(m.get("n_items", ""))),
            escape(str(m.get("n_samples", ""))), escape(str(m.get("primary", ""))),
            f'<span class="score" data-bench="{escape(name)}">{pct(score)}</span>',
            f'<span class="ci">{pct_ci(m.get("ci95"))}</span>',
            "yes" if m.get("limited") else "no",
            pct(m.get("truncation_rate")), pct(m.get("extraction_failure_rate")),
        ])
    heads = ["benchmark", "version", "items", "samples", "metric", "score %", "95% CI", "limited",
             "truncated %", "no answer %"]
    return "<h2>Scores</h2>" + _table(heads, rows, "scores")


def _status_counts(run: Run) -> str:
    rows = []
    for name in run.benchmarks:
        counts = (run.bench_metrics(name) or {}).get("status_counts") or {}
        rows.append([escape(name)] + [escape(str(counts.get(s, 0))) for s in STATUSES])
    return "<h2>Status counts</h2>" + _table(["benchmark", *STATUSES], rows, "status-counts")


def _breakdowns(run: Run, meta: MetaLookup | None) -> str:
    parts = []
    for name in run.benchmarks:
        fields = (run.bench_metrics(name) or {}).get("breakdown") or {}
        for fld, values in fields.items():
            rows = [[escape(str(v)), escape(str(d.get("n", ""))), pct(d.get("score"))]
                    for v, d in sorted(values.items(), key=lambda kv: str(kv[0]))]
            parts.append(f"<h3>{escape(name)} by {escape(str(fld))}</h3>" + _table([fld, "n", "score %"], rows))
        if {"subject", "level"} <= set(fields):
            parts.append(_pivot(run, name, meta))
    return "<h2>Breakdowns</h2>" + ("".join(parts) or "<p>No breakdowns in metrics.json.</p>")


def _pivot(run: Run, name: str, meta: MetaLookup | None) -> str:
    """Subject x level accuracy, joining records with the items' meta from the benchmark data."""
    title = f"<h3>{escape(name)}: subject × level</h3>"
    item_meta = meta(name) if meta else None
    if not item_meta:
        return title + ("<p>Needs the benchmark data to join items with their subject and level "
                        "(pass --data-dir or set HARNESS_DATA_DIR).</p>")
    cells: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rec in run.records(name):
        m = item_meta.get(rec.item_id) or {}
        cells[(str(m.get("subject", "?")), str(m.get("level", "?")))].append(rec.grade.status == Status.CORRECT)
    subjects = sorted({s for s, _ in cells})
    levels = sorted({lv for _, lv in cells})
    rows = [[escape(s)] + [(f"{pct(sum(c) / len(c))} <span class='ci'>({len(c)})</span>"
                            if (c := cells.get((s, lv))) else "—") for lv in levels] for s in subjects]
    return title + _table(["subject \\ level", *levels], rows, "pivot") + "<p class='meta'>(n samples)</p>"


def _short(text: str | None, limit: int = 60) -> str:
    """One-line preview for an item's summary; the full text is in the item's body."""
    if text is None:
        return "—"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _item(rec: StoredRecord) -> str:
    ext, grd = rec.extraction, rec.grade
    prompt = (f"<pre>{escape(rec.prompt)}</pre>" if rec.prompt is not None else
              f"<p class='kv'>prompt text not stored in this run (prompt_hash {escape(rec.prompt_hash)})</p>")
    cands = ", ".join(escape(c) for c in ext.candidates) or "—"
    return (
        f'<details class="item" data-status="{escape(grd.status.value)}" data-bench="{escape(rec.benchmark)}" '
        f'data-id="{escape(rec.item_id)}"><summary><span class="st st-{escape(grd.status.value)}">'
        f"{escape(grd.status.value)}</span> {escape(rec.benchmark)} #{escape(rec.item_id)} k={rec.k}"
        f" · answer <code>{escape(_short(ext.answer))}</code> · gold <code>{escape(_short(rec.gold))}</code></summary>"
        f"<h3>Prompt</h3>{prompt}<h3>Output</h3><pre>{escape(rec.output)}</pre>"
        f"<h3>Extracted answer</h3><pre>{'—' if ext.answer is None else escape(ext.answer)}</pre>"
        f"<h3>Gold</h3><pre>{escape(rec.gold)}</pre>"
        f"<p class='kv'>finish: {escape(rec.finish_reason)} · tokens {rec.prompt_tokens} + {rec.completion_tokens}"
        f" · extraction: {escape(ext.method)} ({escape(ext.status.value)}), candidates: {cands}"
        f" · rule: <b>{escape(grd.rule)}</b> (grader {escape(grd.grader_version)})"
        f"{' · ' + escape(grd.detail) if grd.detail else ''}</p></details>"
    )


def _browser(run: Run) -> str:
    benches = run.benchmarks
    opt_b = "".join(f'<option value="{escape(b)}">{escape(b)}</option>' for b in benches)
    opt_s = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    controls = (
        '<div class="controls"><label>benchmark <select id="f-bench"><option value="">all</option>'
        f'{opt_b}</select></label><label>status <select id="f-status"><option value="">all</option>{opt_s}'
        '</select></label><label>search <input id="f-q" type="search" placeholder="id, output, answer…">'
        '</label><span id="shown"></span></div>'
    )
    items = "".join(_item(rec) for b in benches for rec in run.records(b))
    return f"<h2>Items</h2>{controls}<div id='items'>{items}</div>"


def report_html(run: Run, meta: MetaLookup | None = None) -> str:
    """The full single-run report as one self-contained HTML document."""
    m = run.manifest
    head = (
        f"<h1>Run {escape(run.run_id)}</h1><p class='meta'>checkpoint <code>{escape(run.checkpoint)}</code>"
        f" · created {escape(str(m.get('created', '')))} · harness {escape(str(m.get('harness_version', '')))}"
        f" · git {escape(str(m.get('git_sha', ''))[:12])} · config {escape(str(m.get('config_hash', '')))}"
        f" · tags {escape(', '.join(f'{k}={v}' for k, v in run.tags.items()) or '—')}</p>"
    )
    warnings = m.get("warnings") or []
    warn = "".join(f"<p class='meta'>warning: {escape(str(w))}</p>" for w in warnings)
    manifest = (f"<h2>Manifest</h2><details><summary>manifest.json</summary>"
                f"<pre>{escape(json.dumps(m, indent=2, ensure_ascii=False, default=str))}</pre></details>")
    body = head + warn + _scores(run) + _status_counts(run) + _breakdowns(run, meta) + manifest + _browser(run)
    body += "<footer>Static report written by harness; works offline.</footer>"
    return page(f"harness report {run.run_id}", body, FILTER_JS)


def leaderboard_html(board: Leaderboard, with_ci: bool) -> str:
    """The leaderboard as one HTML page: marks as superscripts, published rows set apart, footnotes."""
    from harness.report.leaderboard import Cell, row_label

    def cell(c: Cell) -> str:
        text = pct(c.score)
        if with_ci and c.ci and c.score is not None:
            text += f' <span class="ci">{pct_ci(c.ci)}</span>'
        return text + "".join(f'<sup class="mark">{escape(mk)}</sup>' for mk in c.marks)

    heads = ([board.group_by] if board.group_by else []) + ["run", "checkpoint", *board.columns]
    rows = []
    for r in board.rows:
        cls = ' class="published"' if r.source == "published" else ""
        cells = ([escape(r.group)] if board.group_by else []) + [escape(row_label(r)), escape(r.checkpoint)]
        cells += [cell(r.cells.get(c, Cell(None))) for c in board.columns]
        rows.append(f"<tr{cls}>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    table = f'<table class="leaderboard"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    notes = "".join(f"<li>{escape(n)}</li>" for n in board.footnotes)
    return page("harness leaderboard", f"<h1>Leaderboard (accuracy %)</h1>{table}<ul class='notes'>{notes}</ul>")
