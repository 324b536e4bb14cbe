"""The instant-rerun key moves with every input a run's scores derive from, and with nothing it can't read."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from harness.benchmark import DataSpec
from harness.config import BackendConfig, RunConfig, SamplingConfig
from harness.data import source_digest as data_digest
from harness.store.identity import checkpoint_fingerprint
from harness.store.rerun import folder_listing, package_versions, rerun_key, source_digest

CONFIG = RunConfig(benchmarks=("gsm8k",), backend=BackendConfig(kind="hf", model="/m"), limit=3)
VERSIONS = {"torch": "2.0", "transformers": "4.0"}


def make_ckpt(root: Path) -> Path:
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}')
    (root / "chat_template.jinja").write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    return root


def key_of(ckpt: Path, config: RunConfig = CONFIG, data: str | None = "d1", source: str = "s1",
           versions: dict[str, str | None] | None = None) -> str | None:
    return rerun_key(config, checkpoint_fingerprint(ckpt), str(ckpt), {"gsm8k": data}, source,
                     versions if versions is not None else VERSIONS)


def test_key_is_stable_and_moves_with_each_input(tmp_path: Path) -> None:
    ckpt = make_ckpt(tmp_path / "ckpt")
    base = key_of(ckpt)
    assert base is not None and base == key_of(ckpt)
    moved = {
        "sampling": key_of(ckpt, replace(CONFIG, sampling=SamplingConfig(max_tokens=17))),
        "limit": key_of(ckpt, replace(CONFIG, limit=4)),
        "preset": key_of(ckpt, replace(CONFIG, preset="minerva")),
        "data": key_of(ckpt, data="d2"),
        "source (grader, prompts)": key_of(ckpt, source="s2"),
        "backend versions": key_of(ckpt, versions={**VERSIONS, "transformers": "4.1"}),
    }
    assert all(k not in (None, base) for k in moved.values()), moved
    assert len(set(moved.values())) == len(moved)


def test_key_moves_with_checkpoint_files(tmp_path: Path) -> None:
    ckpt = make_ckpt(tmp_path / "ckpt")
    base = key_of(ckpt)
    (ckpt / "chat_template.jinja").write_text("{% for m in messages %}<s>{{ m.content }}{% endfor %}")
    template = key_of(ckpt)
    # A file the fingerprint does not read (an extra template folder) still shows through the listing.
    (ckpt / "additional_chat_templates").mkdir()
    (ckpt / "additional_chat_templates" / "tool.jinja").write_text("x")
    extra = key_of(ckpt)
    assert len({base, template, extra}) == 3


def test_key_none_when_data_comes_from_the_hub(tmp_path: Path) -> None:
    assert key_of(make_ckpt(tmp_path / "ckpt"), data=None) is None


def test_data_digest_covers_every_file_beside_the_data(tmp_path: Path) -> None:
    folder = tmp_path / "math"
    folder.mkdir()
    (folder / "test.jsonl").write_text('{"problem": "1+1", "solution": "2"}\n')
    (folder / "test_unique_ids.json").write_text('["a"]')
    spec = DataSpec(local="math/test.jsonl", expected_rows=1, fingerprint="x", fields=("problem",))
    first = data_digest(spec, tmp_path)
    (folder / "test_unique_ids.json").write_text('["b"]')  # the id file the reader joins
    second = data_digest(spec, tmp_path)
    (folder / "test.jsonl").write_text('{"problem": "1+2", "solution": "3"}\n')
    third = data_digest(spec, tmp_path)
    assert first is not None and len({first, second, third}) == 3
    hub_only = replace(spec, local="absent/test.jsonl")
    assert data_digest(hub_only, tmp_path) is None


def test_source_digest_moves_with_any_python_file(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "grade").mkdir(parents=True)
    (pkg / "grade" / "math.py").write_text('GRADER_VERSION = "1"\n')
    (pkg / "notes.txt").write_text("not code")
    first = source_digest([pkg])
    (pkg / "notes.txt").write_text("still not code")
    assert source_digest([pkg]) == first
    (pkg / "grade" / "math.py").write_text('GRADER_VERSION = "2"\n')
    assert source_digest([pkg]) != first


def test_folder_listing_and_versions(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("1")
    os.utime(tmp_path / "a", ns=(1, 5))
    assert folder_listing(tmp_path) == [("a", 1, 5)]
    versions = package_versions(("pytest", "surely-not-installed-pkg"))
    assert versions["pytest"] and versions["surely-not-installed-pkg"] is None
