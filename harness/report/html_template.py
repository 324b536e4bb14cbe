"""The static parts of the HTML pages: inline CSS and JS, so a report is one offline file.

The script never inserts data as HTML: every item is rendered (escaped) on the server side, and the
filter only toggles the `hidden` attribute. The filter state lives in the URL fragment
(`#status=incorrect&bench=math&q=text`, plus `open=1` to expand what is shown) so a filtered view
can be linked and tested headlessly.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

CSS = """
:root { --fg:#1d2430; --muted:#5b6573; --line:#d9dee5; --bg:#fff; --soft:#f5f7fa; --accent:#2457a6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta { color: var(--muted); margin: 0 0 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th { background: var(--soft); font-weight: 600; }
tr.published td { color: var(--muted); font-style: italic; }
sup.mark { color: #b54708; font-weight: 700; }
.ci { color: var(--muted); font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--soft); padding: 8px;
      border: 1px solid var(--line); border-radius: 4px; max-height: 480px; overflow: auto; margin: 4px 0; }
.controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 8px; background: var(--soft);
            border: 1px solid var(--line); border-radius: 4px; position: sticky; top: 0; z-index: 1; }
details.item { border-bottom: 1px solid var(--line); padding: 4px 0; }
details.item > summary { cursor: pointer; }
.st { display: inline-block; min-width: 72px; padding: 0 6px; border-radius: 3px; font-size: 12px; text-align: center; }
.st-correct { background: #d1f2dc; } .st-incorrect { background: #fbd5d5; } .st-no_answer { background: #fde9c4; }
.st-truncated { background: #e4dcf7; } .st-timeout { background: #dbe7fb; } .st-error { background: #e8e8e8; }
.kv { color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"""

FILTER_JS = """
(function () {
  var items = Array.prototype.slice.call(document.querySelectorAll('details.item'));
  var fStatus = document.getElementById('f-status'), fBench = document.getElementById('f-bench');
  var fQ = document.getElementById('f-q'), shown = document.getElementById('shown'), openAll = false;
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (p.has('status')) fStatus.value = p.get('status');
    if (p.has('bench')) fBench.value = p.get('bench');
    if (p.has('q')) fQ.value = p.get('q');
    openAll = p.get('open') === '1';
  }
  function apply() {
    var st = fStatus.value, bench = fBench.value, q = fQ.value.toLowerCase(), n = 0;
    items.forEach(function (el) {
      var ok = (!st || el.dataset.status === st) && (!bench || el.dataset.bench === bench) &&
               (!q || el.textContent.toLowerCase().indexOf(q) >= 0);
      el.hidden = !ok; if (ok) n += 1;
      if (openAll) el.open = ok;
    });
    shown.textContent = n + ' of ' + items.length + ' items shown';
    document.body.dataset.shown = String(n);
  }
  function save() {
    var p = new URLSearchParams();
    if (fStatus.value) p.set('status', fStatus.value);
    if (fBench.value) p.set('bench', fBench.value);
    if (fQ.value) p.set('q', fQ.value);
    history.replaceState(null, '', '#' + p.toString());
    apply();
  }
  [fStatus, fBench].forEach(function (el) { el.addEventListener('change', save); });
  fQ.addEventListener('input', save);
  window.addEventListener('hashchange', function () { readHash(); apply(); });
  readHash(); apply();
})();
"""


def page(title: str, body: str, script: str = "") -> str:
    """A complete self-contained HTML document; `title` is escaped here, `body` must be already."""
    js = f"<script>{script}</script>" if script else ""
    # Only this exact script may run: an escaping slip in untrusted model output still cannot execute.
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n{js}\n</body></html>\n"
    )
