"""Reference runs cached on disk: a fresh process reuses them, a changed item or a failure is measured again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.config import SandboxConfig
from harness.grade import code_exec
from harness.grade.code_exec import REFERENCES, grade_code
from harness.grade.env import GradeEnv
from harness.types import Extraction, ExtractStatus, Sample

ADD = "def add(a, b):\n    return a + b\n"
ASSERT_META = {"mode": "assert", "entry_point": "add", "reference": ADD,
               "test": "assert add(2, 3) == 5\n"}
IO_META = {"mode": "io", "entry_point": "add", "reference": ADD, "base_inputs": [[2, 3]],
           "plus_inputs": [[10**20, (1)]], "atol": 0.0, "oracle": "humaneval", "mbpp_task": None}
BROKEN_META = {**ASSERT_META, "reference": "def add(a, b):\n    return a - b\n"}


def _pairs(*metas: dict[str, Any]) -> list[tuple[Sample, Extraction]]:
    return [(Sample("cachetest", "1", f"t/{i}", "", "", meta), Extraction(ADD, "reference", ExtractStatus.OK))
            for i, meta in enumerate(metas)]


def _grade(cache_dir: str, pairs: list[tuple[Sample, Extraction]]) -> tuple[list[str], dict[str, Any]]:
    """Grade in a fresh process's state (memo emptied); returns statuses and the cache's report."""
    REFERENCES.__init__()  # type: ignore[misc]
    env = GradeEnv(sandbox_config=SandboxConfig(kind="local", reference_cache_dir=cache_dir, workers=2))
    try:
        grades = grade_code(pairs, env)
        return [g.status.value for g in grades], env.sandbox().describe()["reference_cache"]
    finally:
        env.close()
        REFERENCES.__init__()  # type: ignore[misc]


def test_cache_reused_invalidated_and_failures_not_stored(tmp_path: Path) -> None:
    cache = str(tmp_path)
    pairs = _pairs(ASSERT_META, IO_META, BROKEN_META)
    statuses, info = _grade(cache, pairs)
    # The broken reference fails its own test: the io item still grades, the failure is not cached.
    assert statuses == ["correct", "correct", "correct"]
    assert info["hits"] == 0 and info["stored"] == 2

    statuses, info = _grade(cache, pairs)
    assert statuses == ["correct", "correct", "correct"]
    assert info["hits"] == 2 and info["stored"] == 0  # the broken one was measured again

    # A changed item (its reference now differs) misses; the unchanged one still hits.
    changed = [(replace(pairs[0][0], meta={**ASSERT_META, "reference": ADD + "\n# v2\n"}), pairs[0][1]),
               pairs[1]]
    statuses, info = _grade(cache, changed)
    assert statuses == ["correct", "correct"]
    assert info["hits"] == 1 and info["stored"] == 1


def test_cached_io_outputs_are_the_truth(tmp_path: Path) -> None:
    """Outputs read back from the cache judge programs exactly as freshly measured ones do."""
    cache = str(tmp_path)
    wrong = "def add(a, b):\n    return a + b if a < 100 else 0\n"
    _grade(cache, _pairs(IO_META))
    pairs = [(s, Extraction(wrong, "reference", ExtractStatus.OK)) for s, _ in _pairs(IO_META)]
    statuses, info = _grade(cache, pairs)
    assert info["hits"] == 1
    assert statuses == ["incorrect"]


def test_empty_dir_disables_cache() -> None:
    statuses, info = _grade("", _pairs(ASSERT_META))
    assert statuses == ["correct"] and info == {"dir": None, "hits": 0, "stored": 0}
    assert code_exec.workers(SandboxConfig(workers=3)) == 3


def test_an_items_programs_run_as_soon_as_its_own_reference_is_in(tmp_path: Path) -> None:
    """A slow reference holds up only its own item's programs (and known items go first)."""
    import marshal
    import time

    slow = {**ASSERT_META, "reference": "import time\ntime.sleep(1.5)\n" + ADD}
    pairs = _pairs(slow, ASSERT_META)
    REFERENCES.__init__()  # type: ignore[misc]
    env = GradeEnv(sandbox_config=SandboxConfig(reference_cache_dir="", workers=2))
    sandbox = env.sandbox()
    ends: dict[str, float] = {}
    real_run = sandbox.run

    def run(files: Any, argv: Any, *args: Any, **kw: Any) -> Any:
        res = real_run(files, argv, *args, **kw)
        program = marshal.loads(kw["stdin"])["program"]
        ends["slow reference" if "sleep" in program else f"fast #{len(ends)}"] = time.monotonic()
        return res

    sandbox.run = run  # type: ignore[method-assign]
    try:
        assert [g.status.value for g in grade_code(pairs, env)] == ["correct", "correct"]
    finally:
        env.close()
        REFERENCES.__init__()  # type: ignore[misc]
    fast = [t for name, t in ends.items() if name.startswith("fast")]
    assert len(fast) == 3  # the fast item's reference, its program, the slow item's program
    assert sorted(fast)[1] < ends["slow reference"], "the fast item waited for the slow item's reference"
