"""The paper's other headline tables and its digitized scaling curves in results/published/: as
printed, cited to the paper only, beside our runs where benchmarks match, never averaged when foreign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runfactory import cli, write_run

from harness.errors import ConfigError
from harness.report.leaderboard import AVERAGES, LeaderboardConfig, build
from harness.report.published import CHECKOUT_PUBLISHED, read_published, scaling_points

FILES = sorted(CHECKOUT_PUBLISHED.glob("*.json"))
TABLES = {p.name: read_published(p) for p in FILES if read_published(p).get("kind", "table") == "table"}
FOREIGN = {"amc", "bigcodebench", "mathchat_followup_r1", "mathchat_followup_r2", "mathchat_followup_r3",
           "mathchat_error_correction"}


def _flags(n: int, correct: int) -> list[bool]:
    return [i < correct for i in range(n)]


def _board(args: list[str]) -> dict:
    code, out, err = cli(["leaderboard", *args, "--format", "json"])
    assert code == 0, err
    return json.loads(out)


def test_every_headline_figure_has_its_file_citing_the_paper_only() -> None:
    names = {p.name for p in FILES}
    assert {"scalequest_table1.json", "scalequest_table8_long_cot.json", "scalequest_table9_code.json",
            "scalequest_table10_ood.json", "scalequest_fig1_scaling.json"} <= names
    for path in FILES:
        text = path.read_text()
        doc = json.loads(text)
        assert "arXiv 2410.18693" in doc["source"] and "Scalable Question Synthesis from Scratch" in doc["source"]
        assert "/work" not in text and "reference" not in text and ".md" not in text, path.name


def test_printed_averages_are_the_mean_of_the_printed_scores() -> None:
    checked = 0
    for name, doc in TABLES.items():
        for row in doc["rows"]:
            if row["published_avg"] is None or "note" in row:
                continue  # a blank in the paper, or the one row whose printed Avg is off (noted in the file)
            scores = list(row["scores"].values())
            assert sum(scores) / len(scores) == pytest.approx(row["published_avg"], abs=0.06), (name, row["model"])
            checked += 1
    assert checked == 22 + 2 + 3 + 2


def test_headline_values_as_printed() -> None:
    t8 = {r["model"]: r["scores"] for r in TABLES["scalequest_table8_long_cot.json"]["rows"]}
    assert t8["DeepSeek-R1-Distill-Qwen-7B"] == {"gsm8k": 91.5, "math500": 90.2, "aime24": 43.3, "amc": 75.0}
    t9 = {r["model"]: r["scores"] for r in TABLES["scalequest_table9_code.json"]["rows"]}
    assert t9["Qwen2.5-Coder-7B-ScaleQuest"] == {"humaneval": 86.6, "mbpp": 83.1, "bigcodebench": 40.0}
    t10 = {r["model"]: r["scores"]["gsm_hard"] for r in TABLES["scalequest_table10_ood.json"]["rows"]}
    assert t10 == {"Qwen2-Math-7B-Instruct": 68.3, "Qwen2-Math-7B-ScaleQuest": 66.3}


def test_code_rows_sit_beside_code_runs_and_bigcodebench_is_never_a_column(tmp_path: Path) -> None:
    write_run(tmp_path, "coder", {"humaneval": _flags(20, 17), "mbpp": _flags(20, 16)})
    data = _board([str(tmp_path)])
    assert data["benchmarks"] == ["humaneval", "mbpp"] and data["averages"] == {}
    rows = {r["label"]: r["cells"] for r in data["rows"]}
    assert rows["Qwen2.5-Coder-7B-ScaleQuest"]["humaneval"]["score"] == pytest.approx(0.866)
    assert rows["coder"]["humaneval"]["score"] == pytest.approx(0.85)
    assert not any("Table 1 " in r["origin"] for r in data["rows"])  # math-only rows: nothing to sit beside
    assert all("bigcodebench" not in cells for cells in rows.values())
    assert any("bigcodebench" in n and "never averaged" in n for n in data["footnotes"])
    shown = _board([str(tmp_path), "--benchmarks", "humaneval", "bigcodebench"])
    scores = {r["label"]: r["cells"]["bigcodebench"]["score"] for r in shown["rows"]}
    assert scores["Qwen2.5-Coder-7B-ScaleQuest"] == pytest.approx(0.40) and scores["coder"] is None


def test_long_cot_and_gsm_hard_rows_beside_math_runs(tmp_path: Path) -> None:
    write_run(tmp_path, "mine", {b: _flags(10, 5) for b in ("gsm8k", "math500", "aime24", "gsm_hard")})
    board = _board([str(tmp_path)])
    rows = {r["label"]: r["cells"] for r in board["rows"]}
    long_cot = rows["DeepSeek-R1-Distill-Qwen-7B-ScaleQuest (long CoT)"]
    assert long_cot["aime24"]["score"] == pytest.approx(0.533) and long_cot["gsm_hard"]["score"] is None
    (t10,) = [r["cells"] for r in board["rows"]
              if r["label"] == "Qwen2-Math-7B-ScaleQuest" and "Table 10" in r["origin"]]
    assert t10["gsm_hard"]["score"] == pytest.approx(0.663) and t10["gsm8k"]["score"] is None


def test_published_only_board_keeps_foreign_columns_out_of_columns_and_averages() -> None:
    board = build([], LeaderboardConfig(published=tuple(FILES)))
    assert not FOREIGN & set(board.benchmarks) and {"gsm8k", "humaneval", "gsm_hard"} <= set(board.benchmarks)
    assert all(not FOREIGN & set(members) for members in AVERAGES.values())
    assert any("amc" in n and "bigcodebench" in n for n in board.footnotes)
    assert len([r for r in board.rows if r.source == "published"]) == 28 + 2 + 3 + 2


def test_scaling_points_per_dataset_and_benchmark() -> None:
    math = scaling_points("math")
    assert set(math.series) == {"ScaleQuest", "NuminaMath", "DART-Math", "MetaMath"}
    assert math.uncertainty == 0.5 and math.unit == "percent" and math.base == "Llama3-8B-Base"
    assert "2410.18693" in math.source and "0.5" in math.note
    sq = math.series["ScaleQuest"]
    assert [p.samples for p in sq] == [125_000, 250_000, 500_000, 750_000, 1_000_000]
    assert sq[-1].accuracy == 60.7 and not any(p.estimated for p in sq)
    assert [p.samples for p in math.series["DART-Math"] if p.estimated] == [400_000]
    ob = scaling_points("olympiadbench")
    assert [(p.samples, p.accuracy) for p in ob.series["MetaMath"]][:2] == [(80_000, 2.4), (160_000, 5.3)]
    assert all(len(points) == 5 for points in ob.series.values())
    with pytest.raises(ConfigError, match="math, olympiadbench"):
        scaling_points("gsm8k")
