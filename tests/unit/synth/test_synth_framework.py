"""The stage framework: ids, stage keys, markers, resume, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synth.cli import main
from synth.errors import RecipeError
from synth.io import atomic_write_json, atomic_write_lines
from synth.plan import load_recipe, stage_dirs
from synth.records import Record, content_id

REPO = Path(__file__).resolve().parents[3]
TINY = REPO / "recipes" / "tiny.yaml"
QUESTIONS = [
    "What is 3 + 4?", "Combien font trois plus quatre ?", "What is 3 + 4?",
    "A shop sells 12 pens. How many pens are in 3 shops?", "What is 7 * 8?", "Quel est le résultat de 9 - 2 ?",
]


def recipe_copy(tmp_path: Path, edit: dict[str, object] | None = None, drop: tuple[str, str] | None = None) -> Path:
    raw = yaml.safe_load(TINY.read_text())
    for key, value in (edit or {}).items():
        raw["stages"][key].update(value)  # type: ignore[union-attr]
    if drop:
        del raw["stages"][drop[0]][drop[1]]
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def named_dirs(recipe: object, out: Path) -> dict[str, object]:
    return {d.name: d for d in stage_dirs(recipe, out)}  # type: ignore[arg-type]


def seed_generate(recipe_path: Path, out: Path, version: str | None = None) -> None:
    """Write a completed generate stage by hand (no model), 2 shards."""
    recipe = load_recipe(recipe_path)
    gen = named_dirs(recipe, out)["generate"]
    for shard in range(recipe.shards):
        recs = [Record.new({"question": t, "slot": f"{shard}:{i}"}) for i, t in enumerate(QUESTIONS) if i % 2 == shard]
        digest = atomic_write_lines(gen.data(shard), (r.to_json() for r in recs))
        atomic_write_json(gen.marker(shard), {"stage": "generate", "version": version or gen.version, "key": gen.key,
                                              "shard": shard, "records": len(recs), "sha256": digest})


def test_record_ids_are_content_hashes() -> None:
    a = Record.new({"question": "x", "slot": 1})
    assert a.id == content_id({"slot": 1, "question": "x"})
    assert Record.from_json(a.to_json()) == a
    child = a.derive({"question": "x", "response": "y"}, "respond@1")
    assert child.parents == (a.id,) and child.trail == ("respond@1",) and child.id != a.id


def test_a_config_change_moves_that_stage_and_later_ones_only(tmp_path: Path) -> None:
    base = stage_dirs(load_recipe(TINY), tmp_path)
    changed = stage_dirs(load_recipe(recipe_copy(tmp_path, {"respond": {"k": 3}})), tmp_path)
    names = [d.name for d in base]
    at = names.index("respond")
    assert [d.root for d in base[:at]] == [d.root for d in changed[:at]]
    assert all(b.root != c.root for b, c in zip(base[at:], changed[at:], strict=True))


def test_missing_recipe_key_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"stages\.respond is missing key 'top_p'"):
        load_recipe(recipe_copy(tmp_path, drop=("respond", "top_p")))
    with pytest.raises(RecipeError, match="unknown key 'tempratur'"):
        load_recipe(recipe_copy(tmp_path, {"respond": {"tempratur": 1.0}}))


@pytest.mark.parametrize(("edit", "message"), [
    ({"filter_solvability": {"keep_rule": "contains_yess"}},
     r"^stages\.filter_solvability\.keep_rule: unknown rule 'contains_yess'"),
    ({"filter_solvability": {"prompt": "shrt"}}, r"^stages\.filter_solvability\.prompt: unknown prompt 'shrt'"),
    ({"difficulty": {"select": "target", "target": {"easy": 0.5, "medum": 0.5}}},
     r"^stages\.difficulty\.target: unknown bucket 'medum'"),
    ({"difficulty": {"select": "target"}}, r"^stages\.difficulty\.target: select 'target' needs a mapping"),
    ({"difficulty": {"select": "thresold"}}, r"^stages\.difficulty\.select: must be 'threshold' or 'target'"),
    ({"difficulty": {"instruction": "boxd"}}, r"^stages\.difficulty\.instruction: unknown prompt 'boxd'"),
    ({"respond": {"instruction": "boxd"}}, r"^stages\.respond\.instruction: unknown prompt 'boxd'"),
    ({"reward": {"dtype": "fp16"}}, r"^stages\.reward\.dtype: unknown dtype 'fp16'"),
])
def test_bad_stage_value_fails_at_load(tmp_path: Path, edit: dict[str, object], message: str) -> None:
    with pytest.raises(RecipeError, match=message) as info:
        load_recipe(recipe_copy(tmp_path, edit))
    assert "\n" not in str(info.value)


def test_cli_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(recipe_copy(tmp_path, drop=("generate", "top_p"))), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing key 'top_p'" in err
    os.environ["SYNTH_TINY_DIR"] = str(tmp_path / "nowhere")
    try:
        assert main(["run", str(TINY), "--out", str(tmp_path / "o")]) == 2
    finally:
        del os.environ["SYNTH_TINY_DIR"]
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "checkpoint writer not found" in err
    assert main(["run", str(TINY), "--stages", "filter_language", "--out", str(tmp_path / "o")]) == 2
    assert "run stage generate first" in capsys.readouterr().err
    assert main(["run", str(TINY), "--stages", "filtr_language"]) == 2
    assert "not a stage" in capsys.readouterr().err


def test_shard_from_another_stage_version_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed_generate(TINY, tmp_path, version="0")
    assert main(["run", str(TINY), "--stages", "filter_language", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "written by generate v0" in err and "runs generate v1" in err


def _limited_run(out: Path, limit: int) -> subprocess.CompletedProcess[str]:
    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-c", "import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
         "from synth.cli import main; raise SystemExit(main())", "run", str(TINY),
         "--stages", "filter_language,dedup", "--out", str(out)],
        capture_output=True, text=True, preexec_fn=limit_file_size, timeout=300, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_full_disk_leaves_no_marker_and_rerun_completes(tmp_path: Path) -> None:
    seed_generate(TINY, tmp_path)
    recipe = load_recipe(TINY)
    dirs = named_dirs(recipe, tmp_path)
    gen, lang = dirs["generate"], dirs["filter_language"]
    before = [gen.marker(s).stat().st_mtime_ns for s in range(2)]
    proc = _limited_run(tmp_path, 300)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert err.count("\n") == 0 and "no space left while writing" in err
    assert not any(lang.marker(s).exists() for s in range(2))
    for s in range(2):  # a data file may have been committed before the disk filled: then it is whole
        if lang.data(s).exists():
            assert all(Record.from_json(line) for line in lang.data(s).read_text().splitlines())
    assert not list(lang.root.rglob(".*.tmp-*"))

    assert main(["run", str(TINY), "--stages", "filter_language,dedup", "--out", str(tmp_path)]) == 0
    assert [gen.marker(s).stat().st_mtime_ns for s in range(2)] == before
    stats = [json.loads(lang.stats(s).read_text()) for s in range(2)]
    assert sum(s["in"] for s in stats) == 6
    assert sum(s["dropped"].get("non_ascii", 0) for s in stats) == 1
    assert sum(s["dropped"].get("not_english", 0) for s in stats) == 1
    dedup = named_dirs(recipe, tmp_path)["dedup"]
    dropped = [d for s in range(2) for d in dedup.read_dropped(s)]
    assert [d["reason"] for d in dropped] == ["exact_duplicate"]
    assert dropped[0]["record"]["data"]["question"] == "What is 3 + 4?"
    marker = json.loads(dedup.marker(0).read_text())
    assert marker["version"] == dedup.version and marker["records"] == len(list(dedup.read_records(0)))


def test_export_finalize_skips_when_the_card_has_its_key(tmp_path: Path) -> None:
    from synth.stages import build_stage

    recipe = load_recipe(TINY)
    dirs = stage_dirs(recipe, tmp_path)
    at = recipe.stage_names.index("export")
    export = dirs[at]
    for shard in range(recipe.shards):
        row = Record.new({"prompt": [{"role": "user", "content": f"q{shard}"}],
                          "completion": [{"role": "assistant", "content": "\\boxed{1}"}]})
        digest = atomic_write_lines(export.data(shard), [row.to_json()])
        atomic_write_json(export.marker(shard), {"stage": "export", "version": export.version, "key": export.key,
                                                 "shard": shard, "records": 1, "sha256": digest})
    stage = build_stage(recipe, at)
    dirs = dirs[: at + 1]
    stage.finalize(export, dirs, tmp_path)
    sft, card = tmp_path / "export" / "sft.jsonl", tmp_path / "export" / "data_card.json"
    assert len(sft.read_text().splitlines()) == 2 and json.loads(card.read_text())["key"] == export.key
    sft.write_text("stale\n")
    stage.finalize(export, dirs, tmp_path)
    assert sft.read_text() == "stale\n", "same key: nothing rebuilt"
    atomic_write_json(card, {**json.loads(card.read_text()), "key": "other"})
    stage.finalize(export, dirs, tmp_path)
    assert len(sft.read_text().splitlines()) == 2 and json.loads(card.read_text())["key"] == export.key
