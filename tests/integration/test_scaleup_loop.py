"""`synth scale-up` end to end on real tiny models: SFT per size, `harness eval`, `harness compare`,
leaderboard and plot; an unchanged rerun does nothing; grown data and a new size run only that point."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from synth.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "synth"))
from scaleup_recipe import rows, write_recipe


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path]:
    from harness.tiny import build_tiny_checkpoint

    root = tmp_path_factory.mktemp("scaleup")
    base = build_tiny_checkpoint(root / "base", seed=5, train_steps=1)
    recipe = write_recipe(root, base)
    assert main(["scale-up", str(recipe)]) == 0
    return root, recipe


def _mtimes(out: Path) -> dict[Path, int]:
    files = [*out.glob("points/*/sft/checkpoint/model.safetensors"), *out.glob("points/*/eval/*/records/*.jsonl")]
    return {p: p.stat().st_mtime_ns for p in files}


def test_every_point_is_trained_scored_and_compared(loop: tuple[Path, Path]) -> None:
    root, _ = loop
    out = root / "out"
    doc = json.loads((out / "scale_up.json").read_text())
    assert [p["size"] for p in doc["points"]] == [0, 10, 20]
    first, second = doc["points"][1:]
    assert first["subset_fingerprint"] != second["subset_fingerprint"]
    card = json.loads(Path(second["training_card"]).read_text())
    assert card["data"]["rows"] == 20 and card["lineage"]["subset_fingerprint"] == second["subset_fingerprint"]
    manifest = json.loads((Path(second["run"]) / "manifest.json").read_text())
    assert manifest["tags"]["subset"] == second["subset_fingerprint"]
    assert manifest["tags"]["training_card"] == second["training_card"]
    assert second["vs_previous"]["gsm8k"]["verdict"] in ("better", "worse", "no significant change")
    assert "gsm8k" in second["vs_base"] and doc["gate"]["passed"] is True
    png = (out / "scaling.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    table = [line.split("|")[1:-1] for line in (out / "leaderboard.md").read_text().splitlines()
             if line.startswith("|") and "---" not in line]
    header = [c.strip() for c in table[0]]
    sizes = [row[header.index("size")].strip() for row in table[1:4]]
    assert header[:3] == ["size", "run", "checkpoint"] and "gsm8k" in header and sizes == ["0", "10", "20"]
    assert any("[published]" in "".join(row) for row in table), "published rows sit beside the points"
    assert (out / "report.html").read_text().count("report.html'") == 3


def test_unchanged_rerun_trains_and_generates_nothing(loop: tuple[Path, Path]) -> None:
    root, recipe = loop
    before = _mtimes(root / "out")
    start = time.monotonic()
    assert main(["scale-up", str(recipe)]) == 0
    assert time.monotonic() - start < 15 and _mtimes(root / "out") == before


def test_grown_data_runs_only_the_new_point(loop: tuple[Path, Path]) -> None:
    root, _ = loop
    before = _mtimes(root / "out")
    recipe = write_recipe(root, root / "base", sizes=[10, 20, 50])  # the same 40 rows, one more size
    data = root / "rows.jsonl"
    data.write_text(data.read_text() + "".join(json.dumps(r) + "\n" for r in rows(20, start=100)))  # appended
    assert main(["scale-up", str(recipe)]) == 0
    after = _mtimes(root / "out")
    assert all(after[p] == t for p, t in before.items()), "points already computed stay valid"
    doc = json.loads((root / "out" / "scale_up.json").read_text())
    assert [p["size"] for p in doc["points"]] == [0, 10, 20, 50]
    assert len(list((root / "out").glob("points/*/sft/checkpoint"))) == 3


def test_a_changed_sft_setting_retrains_into_new_points(loop: tuple[Path, Path]) -> None:
    root, _ = loop
    before = set((root / "out").glob("points/*/sft/checkpoint"))
    recipe = write_recipe(root, root / "base", sft__learning_rate=2e-3)  # same rows and sizes, another lr
    assert main(["scale-up", str(recipe)]) == 0
    new = set((root / "out").glob("points/*/sft/checkpoint")) - before
    assert len(new) == 2, "each size trains again, beside the old points (no clash with their markers)"
