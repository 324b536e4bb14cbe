"""Registry behaviour, and the hub loader exercised on a local parquet (no network)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.benchmark import HubSource
from harness.data import check_rows, fingerprint_rows, load_rows, read_jsonl
from harness.errors import ConfigError
from harness.registry import all_benchmarks, get_benchmark, suite


def test_unknown_benchmark_gets_a_close_match_hint() -> None:
    with pytest.raises(ConfigError, match="did you mean 'gsm8k'"):
        get_benchmark("gsm8kk")


def test_suites() -> None:
    assert [b.name for b in suite("scalequest")] == ["gsm8k", "math", "college_math", "olympiadbench"]
    assert len(suite("math")) == 7
    assert {b.name for b in suite("code")} == {"humaneval", "humaneval_plus", "mbpp", "mbpp_sanitized", "mbpp_plus"}
    assert len(suite("all")) == 13
    assert [b.name for b in suite("tiny")] == ["arith"]
    with pytest.raises(ConfigError, match="unknown suite"):
        suite("nope")


def test_every_declaration_is_complete() -> None:
    for bench in all_benchmarks():
        assert bench.citation.strip(), bench.name
        assert bench.version and bench.data.expected_rows > 0
        assert len(bench.data.fingerprint) == 64, f"{bench.name} fingerprint not filled in"
        sources = (bench.data.hub, bench.data.package, bench.data.generate)
        assert any(s is not None for s in sources) or bench.name == "college_math"


def test_hub_loader_on_a_local_parquet_agrees_with_the_jsonl(tmp_path: Path, data_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("datasets")
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    rows = read_jsonl(data_dir / "gsm8k" / "test.jsonl")
    (tmp_path / "hub" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "hub" / "data" / "test-00000-of-00001.parquet")
    bench = get_benchmark("gsm8k")
    spec = dataclasses.replace(bench.data, local="absent.jsonl", hub=HubSource(str(tmp_path / "hub"), "test", "main"))
    hub_rows, source = load_rows(spec, tmp_path)
    assert source.startswith("hub:")
    fingerprint, mismatch = check_rows(dataclasses.replace(bench, data=spec), hub_rows)
    assert mismatch is None
    assert fingerprint == fingerprint_rows(rows, spec.fields) == bench.data.fingerprint


def test_offline_hub_is_skipped_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from harness.errors import DataError

    with pytest.raises(DataError, match=r"hub openai/gsm8k \(offline\)"):
        load_rows(get_benchmark("gsm8k").data, tmp_path)


def test_manifest_counts_match_declarations(data_dir: Path) -> None:
    manifest = json.loads((data_dir / "MANIFEST.json").read_text())
    records = {f["file"]: f.get("records") for f in manifest["files"]}
    for bench in all_benchmarks():
        if bench.data.local in records:
            assert records[bench.data.local] == bench.data.expected_rows, bench.name
