"""The batch loop: batching, resume by sample key, strict truncation, regrade after a grading crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_helpers import ScriptedBackend, ToyGrader, answer_script, toy_benchmark, toy_format, toy_samples

from harness.config import SamplingConfig
from harness.grade.env import GradeEnv
from harness.prompts import prompt_hash
from harness.runner import BenchJob, PreparedItem, RunSettings, run_benchmark
from harness.store.resume import load_state
from harness.store.writer import RunStore
from harness.types import Status


@pytest.fixture
def scripted() -> ScriptedBackend:
    return ScriptedBackend(answer_script)


def make_job(grader: ToyGrader, n_items: int, fmt=toy_format) -> BenchJob:
    items = []
    for s in toy_samples(n_items):
        p = fmt(s, ())
        items.append(PreparedItem(s, p, prompt_hash(p.text), p.text))
    return BenchJob(toy_benchmark(grader), tuple(items))


def run(job: BenchJob, backend: ScriptedBackend, store: RunStore, *, n: int = 1, batch: int = 4,
        truncation: str = "grade"):
    settings = RunSettings(SamplingConfig(n=n, temperature=0.7 if n > 1 else 0.0), truncation, batch)  # type: ignore[arg-type]
    return run_benchmark(job, backend=backend, settings=settings, env=GradeEnv(), store=store)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_batches_and_records(tmp_path: Path, scripted: ScriptedBackend) -> None:
    store = RunStore(tmp_path)
    out = run(make_job(ToyGrader(), 10), scripted, store, batch=4)
    assert [len(c) for c in scripted.calls] == [4, 4, 2]
    # longest prompts first: every prompt of the first batch is at least as long as any later one
    assert min(map(len, scripted.calls[0])) >= max(map(len, scripted.calls[2]))
    assert out.generated == 10 and out.skipped == 0 and out.regraded == 0
    assert [r.item_id for r in out.records] == [str(i) for i in range(10)]  # selection order, not batch order
    by_id = {r.item_id: r.grade.status for r in out.records}
    assert by_id["0"] == Status.CORRECT and by_id["1"] == Status.INCORRECT
    assert lines(store.records_path("toy")) == 10 and lines(store.generations_path("toy")) == 10
    assert out.grader_versions == ("toy-1",)
    first = json.loads(store.records_path("toy").read_text().splitlines()[0])
    assert first["prompt"] == f"Q: {toy_samples(10)[int(first['item_id'])].question}\nA:"


def test_rerun_skips_every_stored_key(tmp_path: Path) -> None:
    store, grader = RunStore(tmp_path), ToyGrader()
    first = ScriptedBackend(answer_script)
    run(make_job(grader, 6), first, store)
    second = ScriptedBackend(answer_script)
    out = run(make_job(grader, 10), second, store)  # a larger limit continues the run
    assert sorted(second.generated_prompts) == sorted(f"Q: {s.question}\nA:" for s in toy_samples(10)[6:])
    assert out.skipped == 6 and out.generated == 4 and len(out.records) == 10
    third = ScriptedBackend(answer_script)
    again = run(make_job(grader, 10), third, store)
    assert third.calls == [] and again.records == out.records
    assert lines(store.records_path("toy")) == 10  # nothing duplicated


def test_interrupt_keeps_finished_batches(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    dying = ScriptedBackend(answer_script, fail_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        run(make_job(ToyGrader(), 10), dying, store, batch=4)
    assert lines(store.records_path("toy")) == 4
    resumed = ScriptedBackend(answer_script)
    out = run(make_job(ToyGrader(), 10), resumed, store, batch=4)
    assert sum(map(len, resumed.calls)) == 6
    assert not set(dying.generated_prompts) & set(resumed.generated_prompts)
    clean = ScriptedBackend(answer_script)
    reference = run(make_job(ToyGrader(), 10), clean, RunStore(tmp_path / "clean"), batch=4)
    assert [(r.item_id, r.grade.status, r.output) for r in out.records] == [
        (r.item_id, r.grade.status, r.output) for r in reference.records
    ]


@pytest.mark.parametrize(("policy", "expected"), [("strict", Status.TRUNCATED), ("grade", Status.CORRECT)])
def test_truncation_policy(tmp_path: Path, scripted: ScriptedBackend, policy: str, expected: Status) -> None:
    grader = ToyGrader()
    out = run(make_job(grader, 6), scripted, RunStore(tmp_path), truncation=policy)
    # item 2 ("2 plus one pad pad") runs to the length limit with a correct answer
    rec = next(r for r in out.records if r.item_id == "2")
    assert rec.finish_reason == "length" and rec.grade.status == expected
    assert ("2" in grader.graded) == (policy == "grade")  # strict never asks the grader
    if policy == "strict":
        assert rec.grade.rule == "strict-truncation"


def test_grading_crash_regrades_without_regenerating(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = ScriptedBackend(answer_script)
    with pytest.raises(RuntimeError, match="grader crashed"):
        run(make_job(ToyGrader(crash_on_call=2), 10), first, store, batch=4)
    assert lines(store.generations_path("toy")) == 8 and lines(store.records_path("toy")) == 4
    second = ScriptedBackend(answer_script)
    out = run(make_job(ToyGrader(), 10), second, store, batch=4)
    assert out.regraded == 4 and out.generated == 2 and out.skipped == 4
    assert sum(map(len, second.calls)) == 2
    assert len(out.records) == 10 and lines(store.generations_path("toy")) == 10


def test_n_samples_per_item(tmp_path: Path, scripted: ScriptedBackend) -> None:
    out = run(make_job(ToyGrader(), 3), scripted, RunStore(tmp_path), n=3)
    assert [(r.item_id, r.k) for r in out.records] == [(str(i), k) for i in range(3) for k in range(3)]


def test_changed_prompt_is_regenerated(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run(make_job(ToyGrader(), 4), ScriptedBackend(answer_script), store)

    def other_format(sample, fewshot):
        p = toy_format(sample, fewshot)
        return type(p)(text=p.text + " ", stop=p.stop)

    again = ScriptedBackend(answer_script)
    out = run(make_job(ToyGrader(), 4, other_format), again, store)
    assert sum(map(len, again.calls)) == 4 and out.skipped == 0
    new_hashes = {it.prompt_hash for it in make_job(ToyGrader(), 4, other_format).items}
    assert {r.prompt_hash for r in out.records} == new_hashes
    assert {r.prompt_hash for r in load_state(store, "toy").graded.values()} == new_hashes  # newer wins


def test_a_partly_stored_item_generates_only_its_missing_keys(tmp_path: Path) -> None:
    """A torn batch left one of an item's two samples: the rerun must not generate or grade that
    key again (it did: every key of the item was regenerated and written twice)."""
    store = RunStore(tmp_path)
    run(make_job(ToyGrader(), 2), ScriptedBackend(answer_script), store, n=2)
    gens = store.generations_path("toy").read_text().splitlines()
    keep = [g for g in gens if (json.loads(g)["item_id"], json.loads(g)["k"]) == ("0", 0)]
    store.generations_path("toy").write_text("\n".join(keep) + "\n")
    store.records_path("toy").unlink()
    again = ScriptedBackend(answer_script)
    out = run(make_job(ToyGrader(), 2), again, store, n=2)
    assert out.regraded == 1 and out.generated == 3
    keys = [(json.loads(r)["item_id"], json.loads(r)["k"]) for r in store.records_path("toy").read_text().splitlines()]
    assert sorted(keys) == [("0", 0), ("0", 1), ("1", 0), ("1", 1)]
