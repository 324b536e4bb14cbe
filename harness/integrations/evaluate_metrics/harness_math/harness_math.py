"""
Math accuracy with the harness grader, as an `evaluate` metric.

Load it offline with `evaluate.load(harness.integrations.evaluate_metric_path("math"))`.
`evaluate` reads this file's import lines to check dependencies: keep one module per import line.
"""

import datasets
import evaluate

from harness.integrations.evaluate_impl import CITATION, MATH_DESCRIPTION, compute_math

_INPUTS = """
Args:
    predictions: model outputs (or final answers, with answers_only=True), one string each.
    references: gold answers, one string each.
    benchmark: whose extractor and grader to use (default "math"; "gsm8k" for numeric answers).
    answers_only: predictions are already final answers.
Returns:
    accuracy, correct, total, status_counts, extract_status_counts, verdicts (per prediction), grader_version.
"""


class HarnessMath(evaluate.Metric):  # type: ignore[misc]
    """Accuracy under the harness math grader, with every grading status counted."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=MATH_DESCRIPTION,
            citation=CITATION,
            inputs_description=_INPUTS,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions: list[str], references: list[str], benchmark: str = "math",
                 answers_only: bool = False) -> dict[str, object]:
        return compute_math(predictions, references, benchmark=benchmark, answers_only=answers_only)
