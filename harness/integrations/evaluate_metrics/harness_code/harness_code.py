"""
pass@k with every program run in the harness sandbox, as an `evaluate` metric.

A drop-in for evaluate's `code_eval`: the same arguments and the same `(pass_at_k, results)` return,
but the untrusted programs never run in the caller's process. Load it offline with
`evaluate.load(harness.integrations.evaluate_metric_path("code"))`.
`evaluate` reads this file's import lines to check dependencies: keep one module per import line.
"""

import datasets
import evaluate

from harness.integrations.evaluate_impl import CITATION, CODE_DESCRIPTION, compute_code

_INPUTS = """
Args:
    predictions: for each problem, a list of candidate programs.
    references: for each problem, a test program (asserts) run after each candidate.
    k: the pass@k values wanted (default [1, 10, 100]; a k above the candidates per problem is left out).
    num_workers: programs run at once (default 4).
    timeout: seconds per program (default 3.0).
    sandbox: "auto" (bubblewrap where it works), "bwrap" or "local".
Returns:
    (pass_at_k, results) as code_eval: {"pass@k": value}, and per problem index the list of
    (completion_id, {"task_id", "passed", "result", "completion_id"}).
"""


class HarnessCode(evaluate.Metric):  # type: ignore[misc]
    """pass@k through the harness sandbox."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=CODE_DESCRIPTION,
            citation=CITATION,
            inputs_description=_INPUTS,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("string")),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions: list[list[str]], references: list[str],
                 k: list[int] | tuple[int, ...] | int = (1, 10, 100), num_workers: int = 4, timeout: float = 3.0,
                 sandbox: str = "auto") -> object:
        ks = [k] if isinstance(k, int) else list(k)
        return compute_code(predictions, references, k=ks, num_workers=num_workers, timeout=timeout,
                            sandbox=sandbox)
