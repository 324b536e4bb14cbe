"""Reading run directories: clear errors for non-runs, folders of runs, lazy and tolerant record reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from runfactory import write_run

from harness.errors import StoreError
from harness.store.reader import find_runs, load_run
from harness.types import Status


def test_not_a_run_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a run directory"):
        load_run(tmp_path)
    with pytest.raises(StoreError, match="no such directory"):
        load_run(tmp_path / "missing")
    with pytest.raises(StoreError, match="neither a run directory nor a folder of runs"):
        find_runs([tmp_path])


def test_find_runs_in_folders_oldest_first(tmp_path: Path) -> None:
    write_run(tmp_path, "late", {"gsm8k": [True]}, created="2025-02-01")
    early = write_run(tmp_path, "early", {"gsm8k": [False]}, created="2025-01-01")
    (tmp_path / "not-a-run").mkdir()
    runs = find_runs([tmp_path, early])
    assert [r.run_id for r in runs] == ["early", "late"]


def test_records_are_read_lazily_and_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = write_run(tmp_path, "r", {"math": [True, False, "no_answer"]}, prompts={("math", "1"): "What is 6*7?"})
    run = load_run(path)
    assert run._cache == {}
    with (path / "records" / "math.jsonl").open("a") as fh:
        fh.write('{"benchmark": "math", "item_id": "3", "outp')  # a run killed mid-write
    recs = run.records("math")
    assert [r.grade.status for r in recs] == [Status.CORRECT, Status.INCORRECT, Status.NO_ANSWER]
    assert recs[1].prompt == "What is 6*7?" and recs[0].prompt is None
    assert run.bench_info("math")["prompt_hash"] == "p0" and run.tags == {}


def test_a_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    path = write_run(tmp_path, "r", {"math": [True, False]})
    rec = path / "records" / "math.jsonl"
    lines = rec.read_text().splitlines()
    rec.write_text("not json\n" + "\n".join(lines) + "\n")
    with pytest.raises(StoreError, match=r"math\.jsonl:1"):
        load_run(path).records("math")
