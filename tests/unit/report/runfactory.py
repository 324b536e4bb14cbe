"""Writes run directories in the documented format (docs/CONTRACTS.md) from per-item outcomes.

`outcomes` per benchmark: one entry per item, either a bool / status string (one sample) or a list
of them (n samples). Item ids are '0'..'N-1' unless `ids` are given.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scipy import stats

Outcome = bool | str


def _status(o: Outcome) -> str:
    if isinstance(o, bool):
        return "correct" if o else "incorrect"
    return o


def _record(bench: str, version: str, item: str, k: int, status: str, prompt_hash: str,
            output: str | None, prompt: str | None) -> dict[str, Any]:
    answer = None if status == "no_answer" else ("42" if status == "correct" else "41")
    rec: dict[str, Any] = {
        "benchmark": bench, "version": version, "item_id": item, "k": k, "prompt_hash": prompt_hash,
        "output": output if output is not None else f"Reasoning for item {item}. The answer is \\boxed{{{answer}}}.",
        "finish_reason": "length" if status == "truncated" else "stop",
        "prompt_tokens": 20, "completion_tokens": 30,
        "extraction": {"answer": answer, "method": "boxed" if answer else "none",
                       "status": "ok" if answer else "no_answer", "candidates": [answer] if answer else []},
        "grade": {"status": status, "rule": "string-equal" if status == "correct" else "numeric",
                  "grader_version": "math-1", "detail": ""},
        "gold": "42",
    }
    if prompt is not None:
        rec["prompt"] = prompt
    return rec


def write_run(
    root: Path,
    run_id: str,
    outcomes: Mapping[str, Sequence[Outcome | Sequence[Outcome]]],
    *,
    tags: Mapping[str, str] | None = None,
    versions: Mapping[str, str] | None = None,
    fingerprints: Mapping[str, str] | None = None,
    prompt_hashes: Mapping[str, str] | None = None,
    limited: Sequence[str] = (),
    outputs: Mapping[tuple[str, str], str] | None = None,
    prompts: Mapping[tuple[str, str], str] | None = None,
    breakdown: Mapping[str, Any] | None = None,
    created: str = "2025-01-01T00:00:00Z",
) -> Path:
    """Write manifest.json, records/<bench>.jsonl and metrics.json; return the run directory."""
    run = root / run_id
    (run / "records").mkdir(parents=True, exist_ok=True)
    versions = versions or {}
    fingerprints = fingerprints or {}
    prompt_hashes = prompt_hashes or {}
    manifest_benches: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for bench, items in outcomes.items():
        version = versions.get(bench, "1")
        phash = prompt_hashes.get(bench, "p0")
        lines, hits, counts, n_samples = [], [], Counter[str](), 0
        for i, item in enumerate(items):
            samples = list(item) if isinstance(item, (list, tuple)) else [item]
            for k, o in enumerate(samples):
                status = _status(o)
                counts[status] += 1
                hits.append(status == "correct")
                lines.append(_record(bench, version, str(i), k, status, phash,
                                     (outputs or {}).get((bench, str(i))), (prompts or {}).get((bench, str(i)))))
            n_samples = max(n_samples, len(samples))
        (run / "records" / f"{bench}.jsonl").write_text(
            "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
        score = sum(hits) / len(hits) if hits else 0.0
        ci = stats.binomtest(sum(hits), len(hits)).proportion_ci(method="wilson") if hits else None
        manifest_benches[bench] = {"version": version, "data_fingerprint": fingerprints.get(bench, "fp0"),
                                   "rows": len(items), "source": "test", "mismatch": None,
                                   "prompt_hash": phash, "prompt_format": "test-format"}
        metrics[bench] = {"version": version, "kind": "math", "n_items": len(items), "n_samples": n_samples,
                          "limited": bench in limited, "primary": "accuracy", "score": score,
                          "ci95": [ci.low, ci.high] if ci else None, "pass_at_k": {}, "maj_at_k": None,
                          "status_counts": dict(counts), "truncation_rate": counts["truncated"] / max(1, len(hits)),
                          "extraction_failure_rate": counts["no_answer"] / max(1, len(hits)),
                          "breakdown": (breakdown or {}).get(bench, {})}
    manifest = {"run_id": run_id, "created": created, "checkpoint": {"path": f"ckpt/{run_id}", "fingerprint": "c0"},
                "config": {}, "config_hash": "h0", "harness_version": "0.1.0", "git_sha": "0" * 40,
                "grader_versions": {"math": "math-1"}, "benchmarks": manifest_benches, "backend": {"kind": "fake"},
                "hardware": {}, "timings": {}, "tags": dict(tags or {}), "sandbox": None, "warnings": []}
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (run / "metrics.json").write_text(json.dumps({"run_id": run_id, "benchmarks": metrics}, indent=2),
                                      encoding="utf-8")
    return run


def cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """Run one of the report commands the way `harness.cli.main` does: (exit code, stdout, stderr)."""
    import argparse
    import contextlib
    import importlib
    import io

    from harness.errors import HarnessError

    parser = argparse.ArgumentParser(prog="harness")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("leaderboard", "compare", "report", "plot"):
        module = importlib.import_module(f"harness.commands.{name}")
        module.add_parser(sub)
        sub.choices[name].set_defaults(run=module.run)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        args = parser.parse_args(list(argv))
        try:
            code = int(args.run(args))
        except HarnessError as exc:
            print(f"harness: error: {exc}", file=err)
            code = exc.exit_code
    return code, out.getvalue(), err.getvalue()
