"""Run directory files, torn-tail repair, checkpoint fingerprints and run ids."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from harness.config import BackendConfig, RunConfig, SamplingConfig
from harness.errors import StoreError
from harness.store.codec import Generation, record_from_dict, record_key, record_to_dict
from harness.store.identity import checkpoint_fingerprint, checkpoint_name, identity_payload, make_run_id
from harness.store.resume import load_state
from harness.store.writer import RunStore
from harness.types import Extraction, ExtractStatus, Grade, SampleRecord, Status

REC = SampleRecord("gsm8k", "1", "7", 0, "ph", "so \\boxed{3}", "stop", 10, 5,
                   Extraction("3", "boxed", ExtractStatus.OK, ("3",)), Grade(Status.CORRECT, "numeric", "m1", "d"),
                   gold="3")


def test_record_round_trip() -> None:
    data = record_to_dict(REC)
    assert data["grade"]["status"] == "correct" and data["extraction"]["status"] == "ok"
    assert json.loads(json.dumps(data)) == data
    assert record_from_dict(data) == REC


def test_torn_tail_is_cut_and_appends_continue(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.append_records("gsm8k", [REC, replace(REC, item_id="8")])
    path = store.records_path("gsm8k")
    with path.open("a") as fh:
        fh.write('{"benchmark": "gsm8k", "vers')  # a kill during the batch write
    state = load_state(store, "gsm8k")
    assert sorted(k[2] for k in state.graded) == ["7", "8"]
    assert path.read_text().endswith("\n")
    store.append_records("gsm8k", [replace(REC, item_id="9")])
    assert sorted(k[2] for k in load_state(store, "gsm8k").graded) == ["7", "8", "9"]


def test_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.append_records("gsm8k", [REC])
    with store.records_path("gsm8k").open("a") as fh:
        fh.write("not json\n")
    store.append_records("gsm8k", [REC])
    with pytest.raises(StoreError, match=r"gsm8k.jsonl:2"):
        load_state(store, "gsm8k")


def test_generations_and_records_load_by_key(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    gens = [Generation("gsm8k", "1", i, 0, "ph", "out", "stop", 1, 1) for i in ("7", "8")]
    store.append_generations("gsm8k", gens)
    store.append_records("gsm8k", [REC])
    state = load_state(store, "gsm8k")
    assert state.generated == {g.key: g for g in gens}
    assert list(state.graded) == [record_key(REC)]


def write_ckpt(path: Path, weights: bytes, tokenizer: str = "{}") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text('{"model_type": "llama"}')
    (path / "tokenizer.json").write_text(tokenizer)
    header = json.dumps({"w": {"dtype": "F32", "shape": [len(weights) // 4], "data_offsets": [0, len(weights)]}})
    hb = header.encode()
    (path / "model.safetensors").write_bytes(struct.pack("<Q", len(hb)) + hb + weights)
    return path


def test_checkpoint_fingerprint(tmp_path: Path) -> None:
    base = checkpoint_fingerprint(write_ckpt(tmp_path / "a", b"\x01" * 400_000))
    assert base == checkpoint_fingerprint(write_ckpt(tmp_path / "b", b"\x01" * 400_000))
    # same shapes and sizes, different trained values (in the middle sample): different fingerprint
    moved = bytearray(b"\x01" * 400_000)
    moved[200_004] = 2
    assert base != checkpoint_fingerprint(write_ckpt(tmp_path / "c", bytes(moved)))
    assert base != checkpoint_fingerprint(write_ckpt(tmp_path / "d", b"\x01" * 400_000, tokenizer='{"x": 1}'))
    (tmp_path / "a" / "README.md").write_text("notes do not move results")
    assert base == checkpoint_fingerprint(tmp_path / "a")


@pytest.mark.parametrize(
    ("model", "name"),
    [("/ckpts/qwen2.5-7b-sq/", "qwen2.5-7b-sq"), ("runs/sft1/checkpoint-500", "sft1-checkpoint-500"),
     ("Qwen/Qwen2.5 Math 7B", "Qwen2.5_Math_7B")],
)
def test_checkpoint_name(model: str, name: str) -> None:
    assert checkpoint_name(model) == name


def test_run_id_moves_with_results_not_with_limit() -> None:
    cfg = RunConfig(benchmarks=("gsm8k",), backend=BackendConfig(kind="hf", model="/m/ck"))
    fmts, benches = {"gsm8k": "chat:abc"}, {"gsm8k": {"version": "1", "data_fingerprint": "f"}}

    def rid(c: RunConfig, fp: str = "fp") -> str:
        return make_run_id("/m/ck", identity_payload(c, fp, fmts, benches))[0]

    base = rid(cfg)
    assert base.startswith("ck-")
    same = [replace(cfg, limit=5), replace(cfg, out_dir="elsewhere"), replace(cfg, tags=(("a", "b"),)),
            replace(cfg, backend=replace(cfg.backend, batch_size=32, device="cpu"))]
    assert all(rid(c) == base for c in same)
    different = [replace(cfg, sampling=SamplingConfig(temperature=0.6)), replace(cfg, preset="minerva"),
                 replace(cfg, backend=replace(cfg.backend, kind="openai")),
                 replace(cfg, math=replace(cfg.math, truncation="strict"))]
    assert len({base, *(rid(c) for c in different), rid(cfg, "other-fp")}) == 6
