"""Scaling plot: a real PNG with one series per benchmark; bad tags are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.image import imread
from runfactory import cli, write_run

from harness.errors import ConfigError
from harness.report.plot import parse_size, scaling_figure, scaling_series
from harness.store.reader import find_runs


def _runs(root: Path) -> Path:
    for i, size in enumerate(("125K", "250K", "1M")):
        write_run(root, f"s{i}", {"math": [j < 10 + 5 * i for j in range(40)],
                                  "olympiadbench": [j < 2 + 2 * i for j in range(40)],
                                  "gsm8k": [j < 20 + i for j in range(40)]}, tags={"size": size})
    return root


def test_png_has_one_series_per_benchmark(tmp_path: Path) -> None:
    root = _runs(tmp_path / "runs")
    out = tmp_path / "plot.png"
    code, _stdout, err = cli(["plot", "scaling", str(root), "--x", "size", "--out", str(out),
                             "--benchmarks", "math", "olympiadbench"])
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(out).shape
    assert width > 300 and height > 200
    series = scaling_series(find_runs([root]), "size", ("math", "olympiadbench"))
    assert [s.benchmark for s in series] == ["math", "olympiadbench"]
    assert series[0].xs == (125_000.0, 250_000.0, 1_000_000.0)
    assert series[0].ys == pytest.approx((25.0, 37.5, 50.0))
    assert all(lo <= y <= hi for s in series for y, lo, hi in zip(s.ys, s.lo, s.hi, strict=True))
    ax = scaling_figure(series, "size").axes[0]
    assert len(ax.containers) == 2  # one errorbar container per benchmark
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["math", "olympiadbench"]


@pytest.mark.parametrize(("text", "value"), [("125000", 125000.0), ("125K", 125000.0), ("1M", 1e6), ("1.5e5", 1.5e5)])
def test_parse_size(text: str, value: float) -> None:
    assert parse_size(text) == value


def test_missing_or_bad_tag_is_a_user_error(tmp_path: Path) -> None:
    root = _runs(tmp_path)
    code, _, err = cli(["plot", "scaling", str(root), "--x", "epochs", "--out", str(tmp_path / "x.png")])
    assert code == 2 and "has no tag 'epochs'" in err
    write_run(tmp_path, "dup", {"math": [True]}, tags={"size": "1M"})
    with pytest.raises(ConfigError, match="share one size"):
        scaling_series(find_runs([tmp_path]), "size")
    with pytest.raises(ConfigError, match="not a number"):
        parse_size("lots")
