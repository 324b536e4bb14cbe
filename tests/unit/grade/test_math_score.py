"""`harness score`: records with ids (gold from the real data) or golds, graded by the benchmark's own path."""

from __future__ import annotations

import argparse
import json

import pytest

from harness.commands import score
from harness.errors import ConfigError, DataError


def _run(tmp_path, records, *extra, data_dir=None):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    parser = argparse.ArgumentParser()
    score.add_parser(parser.add_subparsers())
    argv = ["score", str(path), *extra]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return score.run(parser.parse_args(argv))


def test_score_ids_and_golds(tmp_path, data_dir, capsys):
    out = tmp_path / "out.jsonl"
    records = [
        {"id": "0", "output": "so she makes $\\boxed{18}$ dollars.", "model": "m1"},
        {"id": "1", "output": "The answer is 5."},
        {"gold": "0.5", "output": "\\boxed{50}"},
        {"gold": "3", "output": "no idea"},
    ]
    rc = _run(tmp_path, records, "--benchmark", "gsm8k", "--out", str(out), "--json", data_dir=data_dir)
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 4 and summary["correct"] == 1 and summary["accuracy"] == 0.25
    assert summary["incorrect"] == 2 and summary["no_answer"] == 1 and summary["grader_version"]
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert graded[0]["status"] == "correct" and graded[0]["model"] == "m1" and graded[0]["gold"] == "18"
    assert graded[1]["gold"] == "3" and graded[1]["status"] == "incorrect"
    assert {"extracted", "rule", "grader_version", "status", "gold"} <= set(graded[2])


def test_answers_only(tmp_path, capsys):
    rc = _run(tmp_path, [{"gold": "\\frac{1}{2}", "output": "0.5"}], "--benchmark", "math", "--answers-only", "--json")
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["correct"] == 1


def test_unknown_id_is_a_one_line_error(tmp_path, data_dir):
    with pytest.raises(DataError, match="not an item"):
        _run(tmp_path, [{"id": "no-such-id", "output": "1"}], "--benchmark", "gsm8k", data_dir=data_dir)


def test_bad_json_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"gold": "1", "output": "1"}\n{oops\n')
    parser = argparse.ArgumentParser()
    score.add_parser(parser.add_subparsers())
    with pytest.raises(DataError, match=":2:"):
        score.run(parser.parse_args(["score", str(path), "--benchmark", "gsm8k"]))


def test_strict_truncation_scores_length_cut_records(tmp_path, capsys):
    records = [
        {"gold": "2", "output": "\\boxed{2}", "finish_reason": "length"},
        {"gold": "2", "output": "\\boxed{2}", "finish_reason": "stop"},
    ]
    assert _run(tmp_path, records, "--benchmark", "math", "--json") == 0
    graded = json.loads(capsys.readouterr().out)
    assert graded["correct"] == 2 and graded["truncated_outputs"] == 1
    assert _run(tmp_path, records, "--benchmark", "math", "--json", "--truncation", "strict") == 0
    strict = json.loads(capsys.readouterr().out)
    assert strict["correct"] == 1 and strict["truncated"] == 1 and strict["accuracy"] == 0.5


def test_score_code_benchmark_runs_the_sandbox(tmp_path, data_dir, capsys):
    rows = [json.loads(line) for line in (data_dir / "humaneval" / "test.jsonl").read_text().splitlines()[:1]]
    good = "```python\n" + rows[0]["prompt"] + rows[0]["canonical_solution"] + "\n```"
    bad = "```python\ndef has_close_elements(numbers, threshold):\n    return 1 / 0\n```"
    records = [{"id": rows[0]["task_id"], "output": good}, {"id": rows[0]["task_id"], "output": bad}]
    out = tmp_path / "code.jsonl"
    rc = _run(tmp_path, records, "--benchmark", "humaneval", "--json", "--out", str(out), data_dir=data_dir)
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["n"], summary["correct"], summary["incorrect"]) == (2, 1, 1)
    assert [json.loads(line)["status"] for line in out.read_text().splitlines()] == ["correct", "incorrect"]


def test_fallback_last_expression_is_opt_in_and_named_in_the_rule(tmp_path, capsys):
    records = [
        {"gold": "\\frac{3}{4}", "output": "Dividing the shaded area by the total we get $\\frac{3}{4}$"},
        {"gold": "12", "output": "Adding them up gives 5 + 7 = 12 apples"},
        {"gold": "7", "output": "No final statement, the last number is 8"},
        {"gold": "5", "output": "So the answer is \\boxed{5}."},
    ]
    out = tmp_path / "graded.jsonl"
    assert _run(tmp_path, records, "--benchmark", "math", "--json") == 0
    plain = json.loads(capsys.readouterr().out)
    assert (plain["correct"], plain["no_answer"]) == (1, 3)
    rc = _run(tmp_path, records, "--benchmark", "math", "--json", "--fallback", "last-expression", "--out", str(out))
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["correct"], summary["incorrect"], summary["no_answer"]) == (3, 1, 0)
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["extract_method"] for g in graded] == ["last_expression"] * 3 + ["boxed"]
    assert all(g["rule"].startswith("fallback_last_expression:") for g in graded[:3])
    assert not graded[3]["rule"].startswith("fallback")


def test_fallback_is_refused_for_code(tmp_path):
    with pytest.raises(ConfigError, match="math benchmarks"):
        _run(tmp_path, [{"gold": "1", "output": "x"}], "--benchmark", "humaneval", "--fallback", "last-expression")
