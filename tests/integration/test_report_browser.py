"""The HTML report in headless Chromium (Debian package `chromium`): screenshot, visible scores, filters.

The filter state is read from the URL fragment, so `--dump-dom` after the page's script ran shows
exactly which items a user would see; no remote-debugging protocol is needed.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest
from matplotlib.image import imread

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 90


def _factory() -> ModuleType:
    spec = importlib.util.spec_from_file_location("runfactory", HERE.parent / "unit" / "report" / "runfactory.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium not found: apt-get install -y chromium")
    return found


def _browse(url: str, profile: Path, *extra: str) -> str:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={profile}", "--virtual-time-budget=3000", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    return done.stdout


class _Dom(HTMLParser):
    """Collects the items (status, hidden) and the text of the score cells and the counter."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str, bool]] = []
        self.scores: dict[str, str] = {}
        self.shown = ""
        self.scripts = 0
        self._into: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "details" and a.get("class") == "item":
            self.items.append((a["data-bench"] or "", a["data-status"] or "", "hidden" in a))
        elif tag == "span" and a.get("class") == "score":
            self._into = ("score", a["data-bench"] or "")
        elif tag == "span" and a.get("id") == "shown":
            self._into = ("shown", "")

    def handle_data(self, data: str) -> None:
        if self._into and self._into[0] == "score":
            self.scores[self._into[1]] = data.strip()
        elif self._into:
            self.shown += data
        self._into = None


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    factory = _factory()
    run = factory.write_run(
        root, "browser-demo",
        {"math": [True, False, "no_answer", True, "truncated", False], "gsm8k": [True, True, False, True]},
        outputs={("math", "1"): '<script>document.title="pwned"</script> so \\boxed{41}'},
        prompts={("math", "0"): "Solve x + 1 = 43."},
    )
    code, _, err = factory.cli(["report", str(run), "--out", str(root / "report.html")])
    assert code == 0, err
    return root / "report.html"


def _dom(report: Path, fragment: str, profile: Path) -> _Dom:
    dom = _Dom()
    dom.feed(_browse(f"{report.as_uri()}#{fragment}", profile, "--dump-dom"))
    return dom


def test_screenshot_shows_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _browse(f"{report.as_uri()}#status=incorrect&open=1", tmp_path / "p", "--window-size=1280,1600",
            f"--screenshot={shot}")
    pixels = imread(shot)
    assert pixels.shape[:2] == (1600, 1280)
    assert pixels.std() > 0.05  # not a blank page


def test_visible_scores_and_unfiltered_items(report: Path, tmp_path: Path) -> None:
    dom = _dom(report, "", tmp_path)
    assert dom.scores == {"math": "33.3", "gsm8k": "75.0"}
    assert len(dom.items) == 10 and not any(hidden for *_, hidden in dom.items)
    assert dom.shown == "10 of 10 items shown"
    assert dom.scripts == 1  # the model output's <script> stayed text


@pytest.mark.parametrize(
    ("fragment", "visible"),
    [
        ("status=incorrect", [("math", "incorrect"), ("math", "incorrect"), ("gsm8k", "incorrect")]),
        ("status=correct&bench=gsm8k", [("gsm8k", "correct")] * 3),
        ("q=pwned", [("math", "incorrect")]),
    ],
)
def test_filters_from_the_url_fragment(report: Path, tmp_path: Path, fragment: str, visible: list) -> None:
    dom = _dom(report, fragment, tmp_path)
    assert [(b, s) for b, s, hidden in dom.items if not hidden] == visible
    assert re.fullmatch(rf"{len(visible)} of 10 items shown", dom.shown)
