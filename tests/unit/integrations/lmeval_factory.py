"""Writes lm-eval output folders with lm-eval 0.4.13's own writer (EvaluationTracker), so the files are
byte-for-byte what `lm_eval --log_samples` writes; only the responses and metric values are ours."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DocResps = tuple[Mapping[str, Any], Sequence[str], Mapping[str, float]]
"""(doc, responses of its repeats, lm-eval's metric values for the doc)."""


def _hash(text: str) -> str:
    from lm_eval.utils import hash_string

    return str(hash_string(text))


def sample_rows(docs: Sequence[DocResps], filters: Sequence[str] = ("none",)) -> list[dict[str, Any]]:
    """In-memory samples as lm_eval.evaluator builds them: one per (doc, filter)."""
    rows = []
    for filt in filters:
        for doc_id, (doc, resps, metrics) in enumerate(docs):
            prompt = f"Question: {doc.get('question') or doc.get('problem') or doc.get('prompt') or doc_id}\nAnswer:"
            row = {
                "doc_id": doc_id, "doc": dict(doc), "target": str(doc.get("answer", "")),
                "arguments": [(prompt, {"until": ["Question:"], "do_sample": False})],
                "resps": [list(resps)], "filtered_resps": [resps[0]], "filter": filt,
                "metrics": list(metrics),
                "doc_hash": _hash(json.dumps(doc, indent=2, ensure_ascii=False)),
                "prompt_hash": _hash(prompt), "target_hash": _hash(str(doc.get("answer", ""))),
            }
            row.update(metrics)
            rows.append(row)
    return rows


def write_output(out: Path, model: str, tasks: Mapping[str, Sequence[DocResps]],
                 filters: Sequence[str] = ("none",), results: bool = True) -> Path:
    """An lm-eval output folder for `model` with one samples file per task (and results_<date>.json)."""
    from lm_eval.loggers import EvaluationTracker

    tracker = EvaluationTracker(output_path=str(out))
    tracker.general_config_tracker.log_experiment_args("hf", {"pretrained": model}, None, None, False)
    samples = {task: sample_rows(docs, filters) for task, docs in tasks.items()}
    aggregated = {
        "results": {t: {"alias": t} for t in tasks}, "configs": {t: {"task": t} for t in tasks},
        "versions": dict.fromkeys(tasks, 1.0), "n-shot": dict.fromkeys(tasks, 0),
        "config": {"model": "hf", "model_args": {"pretrained": model}, "limit": None},
        "lm_eval_version": "0.4.13",
    }
    tracker.save_results_aggregated(results=aggregated, samples=samples)
    for task, rows in samples.items():
        tracker.save_results_samples(task_name=task, samples=rows)
    folder = out / tracker.general_config_tracker.model_name_sanitized
    if not results:
        for p in folder.glob("results_*.json"):
            p.unlink()
    return folder
