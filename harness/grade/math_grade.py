"""The math GradeFn: extractions checked against golds by the shared `MathChecker` of the GradeEnv."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.grade.env import GradeEnv
from harness.grade.math_compare import Hints
from harness.grade.math_equiv import GRADER_VERSION, EquivItem, Verdict
from harness.types import Extraction, ExtractStatus, Grade, Sample, Status

_STATUS = {
    Verdict.EQUAL: Status.CORRECT,
    Verdict.NOT_EQUAL: Status.INCORRECT,
    Verdict.TIMEOUT: Status.TIMEOUT,
    Verdict.ERROR: Status.ERROR,
}


def grade_math(pairs: Sequence[tuple[Sample, Extraction]], env: GradeEnv) -> list[Grade]:
    """One Grade per (sample, extraction); a missing answer is `no_answer`, never `incorrect`.

    An `ambiguous` extraction (several different boxed answers at the end) is graded as extracted
    (the joined multi-answer) and says so in `detail`, so its rate can be reported. A labelled
    several-part answer that does not match is also graded by its last part alone (the last box).
    """
    grades: list[Grade | None] = [None] * len(pairs)
    todo: list[int] = []
    for k, (_sample, extraction) in enumerate(pairs):
        if extraction.status is ExtractStatus.NO_ANSWER or not (extraction.answer or "").strip():
            grades[k] = Grade(Status.NO_ANSWER, "no_answer", GRADER_VERSION, f"extract:{extraction.method}")
        else:
            todo.append(k)
    if todo:
        items = [
            EquivItem(pairs[k][0].gold, pairs[k][1].answer or "", Hints.from_meta(pairs[k][0].meta)) for k in todo
        ]
        # A several-part answer (`(a) 4, (b) 9`) may answer only the last part: its last box, as before.
        last_part = {i: len(items) + n for n, i in enumerate(i for i, k in enumerate(todo) if _parts(pairs[k][1]))}
        items += [replace(items[i], answer=pairs[todo[i]][1].candidates[-1]) for i in last_part]
        results = env.math().check_many(items)
        for i, k in enumerate(todo):
            extraction, result = pairs[k][1], results[i]
            if not result.equal and i in last_part and results[last_part[i]].equal:
                result = replace(results[last_part[i]], rule="last_part:" + results[last_part[i]].rule)
            detail = result.detail
            if extraction.status is ExtractStatus.AMBIGUOUS:
                detail = "; ".join(x for x in ("ambiguous: several different boxed answers", detail) if x)
            grades[k] = Grade(_STATUS[result.verdict], result.rule, GRADER_VERSION, detail)
    final = [g for g in grades if g is not None]
    assert len(final) == len(pairs)  # every pair got a grade above
    return final


def _parts(extraction: Extraction) -> bool:
    return extraction.method == "boxed_parts" and len(extraction.candidates) > 1
