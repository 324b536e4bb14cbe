"""Bridges to the tools people already run: lm-eval (both ways) and `evaluate` metrics.

Nothing here is imported by `import harness`; lm-eval, `evaluate` and `datasets` load only when used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

METRICS = {"math": "harness_math", "code": "harness_code"}


def evaluate_metric_path(kind: str) -> str:
    """The folder to pass to `evaluate.load` for our `math` or `code` metric (works offline)."""
    if kind not in METRICS:
        from harness.errors import ConfigError

        raise ConfigError(f"unknown metric {kind!r}; choose one of: {', '.join(METRICS)}")
    return str(Path(__file__).resolve().parent / "evaluate_metrics" / METRICS[kind])


def math_compute_metrics(tokenizer: Any, benchmark: str = "math", answers_only: bool = False,
                         metric: Any = None) -> Callable[[Any], dict[str, float]]:
    """A transformers / trl `compute_metrics`: decodes predictions (token ids, or logits -> argmax) and
    labels (-100 = ignored), grades them with the math metric, returns accuracy and status counts."""
    import numpy as np

    if metric is None:
        import evaluate

        metric = evaluate.load(evaluate_metric_path("math"))

    def decode(ids: Any) -> list[str]:
        arr = np.asarray(ids[0] if isinstance(ids, tuple) else ids)
        if arr.ndim == 3:
            arr = arr.argmax(-1)
        arr = np.where(arr < 0, tokenizer.pad_token_id or 0, arr)
        return [str(t).strip() for t in tokenizer.batch_decode(arr, skip_special_tokens=True)]

    def compute_metrics(eval_pred: Any) -> dict[str, float]:
        preds, labels = eval_pred.predictions, eval_pred.label_ids
        res = metric.compute(predictions=decode(preds), references=decode(labels), benchmark=benchmark,
                             answers_only=answers_only)
        return {"accuracy": float(res["accuracy"]),
                **{f"status_{k}": float(v) for k, v in res["status_counts"].items()}}

    return compute_metrics
