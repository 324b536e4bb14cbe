"""Leaderboard: formats parse back to the same numbers; marks instead of silent averaging; published rows."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from runfactory import cli, write_run

REPO = Path(__file__).resolve().parents[3]
PUBLISHED = REPO / "results" / "published" / "scalequest_table1.json"
FULL = ("gsm8k", "math", "math500", "college_math", "olympiadbench", "gsm_hard", "aime24")


def _flags(n: int, correct: int) -> list[bool]:
    return [i < correct for i in range(n)]


@pytest.fixture()
def runs(tmp_path: Path) -> Path:
    write_run(tmp_path, "r1", {b: _flags(40, 10 + i) for i, b in enumerate(FULL)}, tags={"size": "125K"},
              created="2025-01-01")
    write_run(tmp_path, "r2", {b: _flags(40, 20 + i) for i, b in enumerate(FULL)}, tags={"size": "250K"},
              created="2025-01-02")
    return tmp_path


def _board(args: list[str]) -> str:
    code, out, err = cli(["leaderboard", *args])
    assert code == 0, err
    return out


def _num(text: str) -> float | None:
    m = re.match(r"\s*(-?[0-9.]+)", text)
    return float(m.group(1)) if m else None


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._in_td = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.rows[-1][-1] += data


def test_formats_parse_back_to_the_same_numbers(runs: Path) -> None:
    data = json.loads(_board([str(runs), "--format", "json", "--ci", "--published", "Llama3-8B-ScaleQuest"]))
    cols = data["benchmarks"] + list(data["averages"])
    assert cols == [*FULL, "avg_paper", "avg_in_domain", "avg_out_domain"]
    want = {r["label"]: {c: None if r["cells"][c]["score"] is None else round(100 * r["cells"][c]["score"], 1)
                         for c in cols} for r in data["rows"]}
    assert want["r1"]["gsm8k"] == 25.0
    assert want["r2"]["avg_paper"] == pytest.approx((50 + 52.5 + 57.5 + 60) / 4, abs=0.05)
    assert want["Llama3-8B-ScaleQuest"]["math"] == 64.4 and want["Llama3-8B-ScaleQuest"]["math500"] is None

    md = _board([str(runs), "--format", "md", "--ci", "--published", "Llama3-8B-ScaleQuest"])
    lines = [ln for ln in md.splitlines() if ln.startswith("| ") and not ln.startswith("| run")]
    got_md = {}
    for ln in lines:
        cells = [c.strip() for c in ln.strip("| ").split(" | ")]
        got_md[cells[0].removesuffix(" [published]")] = {c: _num(v) for c, v in zip(cols, cells[2:], strict=True)}
    assert got_md == want

    text = _board([str(runs), "--format", "csv", "--ci", "--published", "Llama3-8B-ScaleQuest"])
    got_csv = {r["run"]: {c: _num(r[c]) for c in cols} for r in csv.DictReader(io.StringIO(text))}
    assert got_csv == want

    parser = _Cells()
    parser.feed(_board([str(runs), "--format", "html", "--ci", "--published", "Llama3-8B-ScaleQuest"]))
    head, *body = parser.rows
    assert head[2:] == cols
    got_html = {r[0].removesuffix(" [published]"): {c: _num(v) for c, v in zip(cols, r[2:], strict=True)}
                for r in body}
    assert got_html == want


def test_published_rows_are_marked_and_reproduce_the_paper_average(runs: Path) -> None:
    data = json.loads(_board([str(runs), "--format", "json"]))
    published = [r for r in data["rows"] if r["source"] == "published" and "Table 1 " in r["origin"]]
    doc = json.loads(PUBLISHED.read_text())
    assert len(published) == len(doc["rows"]) == 28
    assert all("2410.18693" in r["origin"] for r in published)
    printed = {r["model"]: r["published_avg"] for r in doc["rows"]}
    noted = {r["model"] for r in doc["rows"] if "note" in r}
    assert noted == {"DeepSeekMath-7B-RL"}  # the one row whose printed Avg is not the mean of its scores
    for r in published:
        avg = r["cells"]["avg_paper"]["score"]
        if r["label"] in noted:
            assert 100 * avg == pytest.approx(50.25) and printed[r["label"]] == 49.3
        elif printed[r["label"]] is None:
            assert avg is None  # the paper leaves a benchmark blank: no average, like the paper
        else:
            assert 100 * avg == pytest.approx(printed[r["label"]], abs=0.06)
    table = _board([str(runs), "--published", "ScaleQuest"])
    assert "Qwen2-Math-7B-ScaleQuest [published]" in table and "NuminaMath" not in table
    assert "not measured here" in table
    assert "[published]" not in _board([str(runs), "--published", "none"])


def test_limited_version_conflict_and_missing_benchmark_are_flagged(tmp_path: Path) -> None:
    write_run(tmp_path, "full", {b: _flags(20, 10) for b in FULL})
    write_run(tmp_path, "lim", {b: _flags(20, 10) for b in FULL}, limited=("math",), versions={"gsm8k": "2"})
    write_run(tmp_path, "part", {"gsm8k": _flags(20, 5), "math": _flags(20, 5)})
    data = json.loads(_board([str(tmp_path), "--format", "json", "--published", "none"]))
    rows = {r["label"]: r["cells"] for r in data["rows"]}
    assert rows["lim"]["math"]["marks"] == ["*"]
    assert rows["lim"]["avg_paper"]["marks"] == ["*", "†"] and rows["lim"]["avg_paper"]["score"] is not None
    assert rows["full"]["gsm8k"]["marks"] == ["†"]  # every run's gsm8k is flagged when versions disagree
    assert rows["full"]["math"]["marks"] == []
    assert rows["part"]["avg_paper"]["score"] is None and rows["part"]["college_math"]["score"] is None
    notes = " ".join(data["footnotes"])
    assert "--limit" in notes and "versions differ" in notes and "gsm8k" in notes and "not measured" in notes
    table = _board([str(tmp_path), "--published", "none"])
    assert "50.0*" in table and "50.0†" in table and "—" in table


def test_group_by_and_benchmark_selection(runs: Path, tmp_path: Path) -> None:
    write_run(runs, "r3", {"gsm8k": _flags(10, 9), "math": _flags(10, 1)}, tags={"size": "125K"}, created="2025-01-03")
    data = json.loads(_board([str(runs), "--format", "json", "--group-by", "size", "--benchmarks", "gsm8k", "math",
                              "--published", "none"]))
    assert data["benchmarks"] == ["gsm8k", "math"] and data["averages"] == {}
    assert [(r["group"], r["label"]) for r in data["rows"]] == [("125K", "r1"), ("125K", "r3"), ("250K", "r2")]


def test_not_a_run_directory_is_one_clear_line(tmp_path: Path) -> None:
    code, out, err = cli(["leaderboard", str(tmp_path)])
    assert code == 2 and out == "" and err.count("\n") == 1 and "manifest.json" in err


def test_tiny_arith_stands_in_a_group_of_its_own(runs: Path) -> None:
    write_run(runs, "r3", {**{b: _flags(40, 20) for b in FULL}, "arith": _flags(40, 30)}, created="2025-01-03")
    data = json.loads(_board([str(runs), "--format", "json", "--published", "none"]))
    assert "arith" not in data["benchmarks"] and data["groups"] == {"tiny": ["arith"]}
    assert data["columns"][-1] == "arith" and data["columns"].index("avg_paper") < data["columns"].index("arith")
    assert all("arith" not in members for members in data["averages"].values())
    rows = {r["label"]: r["cells"] for r in data["rows"]}
    assert rows["r3"]["arith"]["score"] == 0.75 and rows["r3"]["avg_paper"]["score"] == 0.5
    assert rows["r1"]["arith"]["score"] is None
    assert any(n.startswith("tiny: arith") for n in data["footnotes"])
    parser = _Cells()
    parser.feed(_board([str(runs), "--format", "html", "--published", "none"]))
    assert parser.rows[0][-1] == "arith"
    only = json.loads(_board([str(runs), "--format", "json", "--published", "none", "--benchmarks", "arith"]))
    assert only["benchmarks"] == [] and only["columns"] == ["arith"] and only["averages"] == {}


def test_numeric_groups_sort_as_numbers(tmp_path: Path) -> None:
    from harness.report.leaderboard import LeaderboardConfig, build
    from harness.store.reader import find_runs

    for size in ("1400", "128", "1M", "512", "0"):
        write_run(tmp_path, f"run-{size}", {"gsm8k": [True, False]}, tags={"size": size})
    write_run(tmp_path, "untagged", {"gsm8k": [True]})
    board = build(find_runs([tmp_path]), LeaderboardConfig(group_by="size"))
    assert [r.group for r in board.rows] == ["0", "128", "512", "1400", "1M", "—"]
