"""Each filter on hand-written records: language, dedup (exact and near), decontamination, difficulty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.records import Dropped, Record
from synth.stages.decontam import NgramIndex, benchmark_questions
from synth.stages.dedup import DedupConfig, normalise, plan_dedup
from synth.stages.difficulty import bucket_of, majority_answer, sample_to_target
from synth.stages.filters import LanguageConfig, judge_says_yes, language_verdict

CASES = Path(__file__).resolve().parents[2] / "data" / "synth" / "language_cases.jsonl"
LANG = LanguageConfig(require_ascii=True, min_english_ratio=0.2, min_words=4)


def q(text: str, slot: int = 0) -> Record:
    return Record.new({"question": text, "slot": slot})


@pytest.mark.parametrize("case", [json.loads(x) for x in CASES.read_text().splitlines()], ids=lambda c: c["text"][:20])
def test_language_filter_cases(case: dict[str, object]) -> None:
    verdict = language_verdict(str(case["text"]), LANG)
    assert (verdict is None) == case["keep"]
    if not case["keep"]:
        assert verdict == case["reason"]


def test_paper_rule_is_ascii_only() -> None:
    paper = LanguageConfig(require_ascii=True, min_english_ratio=0.0, min_words=4)
    assert language_verdict("Calcule la somme de trois nombres entiers", paper) is None
    assert language_verdict("Quel âge a Paul ?", paper) == "non_ascii"


def test_dedup_collapses_exact_and_near_duplicates() -> None:
    recs = [
        q("What is the sum of the first ten positive integers?", 0),
        q("what is the SUM of the first ten positive integers ?", 1),  # exact after normalisation
        q("What is the sum of the first ten positive integers, please?", 2),  # near duplicate
        q("A rectangle has a perimeter of 30 cm and a width of 5 cm. What is its area?", 3),
        q("A rectangle has a perimeter of 30 cm and a width of 5 cm. Find its area.", 4),  # near
        q("How many primes are there below 100?", 5),
    ]
    drop = plan_dedup(iter(recs), DedupConfig(shingle_words=2, num_perm=128, threshold=0.6))
    assert drop == {recs[1].id: "exact_duplicate", recs[2].id: "near_duplicate", recs[4].id: "near_duplicate"}
    assert normalise("What is 2+2 ?") == normalise("what is 2 + 2")


def test_dedup_keeps_distinct_arithmetic() -> None:
    recs = [q("What is 3 + 4?"), q("What is 13 * 7?"), q("Compute 6 - 19.")]
    assert plan_dedup(iter(recs), DedupConfig(shingle_words=3, num_perm=128, threshold=0.8)) == {}


def test_decontamination_catches_a_verbatim_gsm8k_test_question(data_dir: Path) -> None:
    gsm8k = json.loads((data_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[7])["question"]
    questions = benchmark_questions(("gsm8k", "math500"), str(data_dir))
    assert len(questions["gsm8k"]) == 1319
    index = NgramIndex(13)
    for bench, texts in questions.items():
        index.add(bench, texts)
    assert index.hits(gsm8k) == {"gsm8k"}
    assert index.hits("Some preamble. " + gsm8k.upper() + " Answer quickly.") == {"gsm8k"}
    assert index.hits("A farmer has 3 cows and buys 4 more. How many cows does the farmer have now?") == set()


def test_short_benchmark_items_match_whole() -> None:
    index = NgramIndex(13)
    index.add("tiny", ["What is 2 + 2?"])
    assert index.hits("what is 2+2") == {"tiny"}
    assert index.hits("What is 2 + 3?") == set()


def test_judge_verdict_rules() -> None:
    assert judge_says_yes("Yes, it is solvable.", "contains_yes")
    assert judge_says_yes("Eyes on it... no", "contains_yes")  # the reference rule is lenient
    assert not judge_says_yes("Eyes on it... no", "last_word")
    assert judge_says_yes("It has all conditions.\nYes", "last_word")


def test_majority_and_target_sampling() -> None:
    from harness.types import Extraction, ExtractStatus

    ok = ExtractStatus.OK
    exts = [Extraction("4", "boxed", ok), Extraction("5", "boxed", ok), Extraction("4", "boxed", ok),
            Extraction(None, "none", ExtractStatus.NO_ANSWER)]
    assert majority_answer(exts) == "4"
    assert majority_answer([Extraction(None, "none", ExtractStatus.NO_ANSWER)]) is None
    assert [bucket_of(r) for r in (0.0, 0.34, 0.5, 0.9, 1.0)] == ["easy", "medium", "medium", "hard", "hard"]
    rates = [0.0] * 8 + [0.5] * 4 + [1.0] * 2
    recs = [Record.new({"question": f"q{i}", "fail_rate": rate}) for i, rate in enumerate(rates)]
    out = list(sample_to_target(recs, {"easy": 0.5, "medium": 0.25, "hard": 0.25}, seed=1))
    kept = [o for o in out if isinstance(o, Record)]
    assert sorted(bucket_of(float(r.data["fail_rate"])) for r in kept) == ["easy"] * 4 + ["hard"] * 2 + ["medium"] * 2
    assert {o.reason for o in out if isinstance(o, Dropped)} == {"over_target:easy", "over_target:medium"}


def test_fail_rates_grade_every_sample_against_the_majority() -> None:
    from harness.config import MathGradeConfig
    from harness.grade.env import GradeEnv
    from synth.stages.difficulty import fail_rates

    groups = [
        ("What is 1/2?", [r"\boxed{1/2}", r"\boxed{0.5}", r"\boxed{1/2}", r"\boxed{3}", "no idea"]),
        ("What is 2+2?", [r"\boxed{4}", r"\boxed{4}"]),
        ("Word salad", ["nothing here", "still nothing"]),
        ("What is 6?", ["it is 6", "it is 6", "it is 7"]),
    ]
    env = GradeEnv(math_config=MathGradeConfig(workers=1))
    try:
        # 0.5 equals the majority 1/2 (graded, not string-compared); 3 and the answerless one fail.
        assert fail_rates(groups, env, fallback=False) == [(0.4, "1/2"), (0.0, "4"), (1.0, None), (1.0, None)]
        assert fail_rates(groups[3:], env, fallback=True) == [(round(1 / 3, 6), "6")]
    finally:
        env.close()


def test_difficulty_threshold_keeps_the_closed_range(tmp_path: Path) -> None:
    import yaml

    from synth.plan import load_recipe
    from synth.stages import build_stage

    raw = yaml.safe_load((Path(__file__).resolve().parents[3] / "recipes" / "tiny.yaml").read_text())
    raw["stages"]["difficulty"].update(min_fail_rate=0.25, max_fail_rate=0.75)
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    recipe = load_recipe(path)
    stage = build_stage(recipe, recipe.stage_names.index("difficulty"))
    rates = [0.0, 0.2, 0.25, 0.5, 0.75, 0.8, 1.0]
    recs = [Record.new({"question": f"q{i}", "fail_rate": r}) for i, r in enumerate(rates)]
    stage._labelled = lambda records, ctx: iter(records)  # type: ignore[method-assign]
    out = list(stage.process(iter(recs), ctx=None))  # type: ignore[arg-type]
    verdicts = [o.reason if isinstance(o, Dropped) else "kept" for o in out]
    assert verdicts == ["too_easy", "too_easy", "kept", "kept", "kept", "too_hard", "too_hard"]
