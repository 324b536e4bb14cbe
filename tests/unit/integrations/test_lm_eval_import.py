"""lm-eval -> harness: `harness score` on lm-eval samples files and `harness import-lm-eval`, on files
written by lm-eval 0.4.13's own writer (tests/unit/integrations/lmeval_factory.py) with real docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lmeval_factory import write_output

from harness.cli import main
from harness.data import load_benchmark, load_rows
from harness.registry import get_benchmark


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _gsm8k_docs(data_dir: Path, n: int) -> list[tuple[dict[str, Any], str]]:
    rows, _ = load_rows(get_benchmark("gsm8k").data, data_dir)
    samples = load_benchmark(get_benchmark("gsm8k"), data_dir).samples
    return [(rows[i], samples[i].gold) for i in range(n)]


def _samples_file(folder: Path, task: str) -> Path:
    return next(folder.glob(f"samples_{task}_*.jsonl"))


def test_score_grades_every_repeat_with_pass_and_maj_at_k(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = _gsm8k_docs(data_dir, 3)
    right, wrong = "So the answer is {}.", "So the answer is {}1."
    resps = [  # doc 0: 2 of 4 right, majority wrong; doc 1: 4 of 4; doc 2: 1 of 4, majority wrong
        [right, wrong, wrong, right], [right] * 4, [wrong, wrong, right, "no idea"]]
    metric = [{"exact_match": 0.0}, {"exact_match": 1.0}, {"exact_match": 0.0}]
    task_docs = [(d, [r.format(g) for r in rs], m) for (d, g), rs, m in zip(docs, resps, metric, strict=True)]
    folder = write_output(tmp_path / "out", "org/model-a", {"gsm8k_cot_self_consistency": task_docs},
                          filters=("score-first", "maj@4"))
    path = _samples_file(folder, "gsm8k_cot_self_consistency")
    graded = tmp_path / "graded.jsonl"
    code, out, err = _cli(capsys, "score", str(path), "--benchmark", "gsm8k", "--json", "--out", str(graded),
                          "--data-dir", str(data_dir))
    assert code == 0, err
    got = json.loads(out)
    assert (got["n"], got["correct"], got["n_items"]) == (12, 7, 3)
    assert got["pass_at_k"]["1"] == pytest.approx((2 / 4 + 4 / 4 + 1 / 4) / 3)
    assert got["pass_at_k"]["4"] == pytest.approx(1.0)
    # maj@4: doc 0 ties 2-2, the answer seen first (right) wins; doc 2's majority is wrong.
    assert got["maj_at_k"]["4"] == pytest.approx(2 / 3)
    third = pytest.approx(1 / 3)
    assert got["lm_eval"] == {"exact_match,maj@4": third, "exact_match,score-first": third}
    lines = [json.loads(x) for x in graded.read_text().splitlines()]
    assert [(r["id"], r["k"]) for r in lines] == [(str(i), k) for i in range(3) for k in range(4)]
    assert [r["status"] for r in lines[:4]] == ["correct", "incorrect", "incorrect", "correct"]
    assert lines[0]["lm_eval"]["task"] == "gsm8k_cot_self_consistency"
    # Detected without --format; the same verdicts with --format lm-eval.
    code, out2, _ = _cli(capsys, "score", str(path), "--benchmark", "gsm8k", "--json", "--format", "lm-eval",
                         "--data-dir", str(data_dir))
    assert code == 0 and json.loads(out2)["correct"] == 7


def test_unsupported_task_is_one_line_naming_it_and_the_supported_ones(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = [(d, ["The answer is 1."], {}) for d, _ in _gsm8k_docs(data_dir, 1)]
    folder = write_output(tmp_path / "out", "m", {"arc_easy": docs, "gsm8k_platinum": docs})
    for task in ("arc_easy", "gsm8k_platinum"):
        code, out, err = _cli(capsys, "score", str(_samples_file(folder, task)), "--benchmark", "gsm8k",
                              "--data-dir", str(data_dir))
        assert code == 2 and out == "" and err.count("\n") == 1
        assert f"lm-eval task '{task}' is not supported" in err and "gsm8k_cot_zeroshot, " in err
        assert "minerva_math500" in err and "harness_gsm8k" in err
    assert "revision of GSM8K" in err
    # import: both tasks unsupported -> one line each, then exit 2.
    code, out, err = _cli(capsys, "import-lm-eval", str(tmp_path / "out"), "--out", str(tmp_path / "res"),
                          "--data-dir", str(data_dir))
    assert code == 2 and "arc_easy" in out and "gsm8k_platinum" in out and "no supported lm-eval task" in err


def test_docs_that_match_no_item_say_how_many_matched(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (d0, g0), (d1, g1) = _gsm8k_docs(data_dir, 2)
    edited = {**d1, "question": d1["question"] + " And then some."}
    folder = write_output(tmp_path / "out", "m", {"gsm8k": [(d0, [g0], {}), (edited, [g1], {})]})
    path = _samples_file(folder, "gsm8k")
    code, _, err = _cli(capsys, "score", str(path), "--benchmark", "gsm8k", "--data-dir", str(data_dir))
    assert code == 2 and "1 of 2 docs matched an item of gsm8k" in err and err.count("\n") == 1
    code, _, err = _cli(capsys, "score", str(path), "--benchmark", "math500", "--data-dir", str(data_dir))
    assert code == 2 and "0 of 2 docs matched an item of math500" in err
    code, _, err = _cli(capsys, "score", str(path), "--benchmark", "gsm8k", "--answers-only")
    assert code == 2 and "--answers-only does not apply to lm-eval samples" in err


def test_a_folder_without_samples_asks_for_log_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out" / "m").mkdir(parents=True)
    (tmp_path / "out" / "m" / "results_2026-12-02T08-00-00.000001.json").write_text("{}")
    code, _, err = _cli(capsys, "import-lm-eval", str(tmp_path / "out"), "--out", str(tmp_path / "res"))
    assert code == 2 and "rerun lm-eval with --log_samples" in err and err.count("\n") == 1


def test_math_items_sharing_a_problem_text_are_told_apart_by_the_docs_answer(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # MATH test items intermediate_algebra/1033 and /2047 have the same problem text (answers D and B).
    bench = get_benchmark("math")
    rows, _ = load_rows(bench.data, data_dir)
    wanted = ("test/intermediate_algebra/2047.json", "test/intermediate_algebra/1033.json")
    by_id = {r["unique_id"]: r for r in rows if r["unique_id"] in wanted}
    docs = [({"problem": by_id[i]["problem"], "solution": by_id[i]["solution"]}, ["\\boxed{B}"], {}) for i in wanted]
    folder = write_output(tmp_path / "out", "m", {"minerva_math_intermediate_algebra": docs})
    graded = tmp_path / "g.jsonl"
    code, _, err = _cli(capsys, "score", str(_samples_file(folder, "minerva_math_intermediate_algebra")),
                        "--benchmark", "math", "--out", str(graded), "--data-dir", str(data_dir))
    assert code == 0, err
    lines = [json.loads(x) for x in graded.read_text().splitlines()]
    assert [(r["id"], r["status"]) for r in lines] == [(wanted[0], "correct"), (wanted[1], "incorrect")]


def test_math_subject_tasks_match_only_their_subjects_items(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # algebra/598 and intermediate_algebra/1449 share problem text and answer; the task's subject decides.
    rows, _ = load_rows(get_benchmark("math").data, data_dir)
    by_id = {r["unique_id"]: r for r in rows}
    tasks = {"minerva_math_algebra": "test/algebra/598.json",
             "minerva_math_intermediate_algebra": "test/intermediate_algebra/1449.json"}
    docs = {t: [({"problem": by_id[i]["problem"], "solution": by_id[i]["solution"]}, ["\\boxed{3/2}"], {})]
            for t, i in tasks.items()}
    folder = write_output(tmp_path / "out", "m", docs)
    for task, item in tasks.items():
        graded = tmp_path / f"{task}.jsonl"
        code, _, err = _cli(capsys, "score", str(_samples_file(folder, task)), "--benchmark", "math",
                            "--out", str(graded), "--data-dir", str(data_dir))
        assert code == 0, err
        assert [(r["id"], r["status"]) for r in map(json.loads, graded.read_text().splitlines())] == [
            (item, "correct")]
    # Imported together they make one `math` run with both items.
    code, out, err = _cli(capsys, "import-lm-eval", str(tmp_path / "out"), "--out", str(tmp_path / "res"),
                          "--data-dir", str(data_dir))
    assert code == 0 and "math           (minerva_math_algebra, minerva_math_intermediate_algebra) 2 items" in out


def test_aime24_docs_match_without_diagrams_and_frac_spelling(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # lm-eval's aime24 reads Maxwell-Jia/AIME_2024 (ID, Problem, Solution, Answer); a copy may drop the
    # [asy] diagram and spell \\tfrac as \\frac. Both still name the same item.
    import re

    item = next(s for s in load_benchmark(get_benchmark("aime24"), data_dir).samples
                if s.question.startswith("Torus"))
    problem = re.sub(r"\[asy\].*?\[/asy\]", "", item.question, flags=re.S).replace("\\tfrac", "\\frac").strip()
    assert problem != item.question
    doc = {"ID": "2024-II-8", "Problem": problem, "Solution": "...", "Answer": int(item.gold)}
    folder = write_output(tmp_path / "out", "m", {"aime24": [(doc, [f"So $m+n = \\boxed{{{int(item.gold)}}}$."],
                                                             {"exact_match": 1.0})]})
    graded = tmp_path / "g.jsonl"
    code, _, err = _cli(capsys, "score", str(_samples_file(folder, "aime24")), "--benchmark", "aime24",
                        "--out", str(graded), "--data-dir", str(data_dir))
    assert code == 0, err
    assert [(r["id"], r["status"]) for r in map(json.loads, graded.read_text().splitlines())] == [(item.id, "correct")]


def test_code_tasks_map_by_task_id_and_put_the_generation_prefix_back(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    he_rows, _ = load_rows(get_benchmark("humaneval").data, data_dir)
    he = he_rows[0]
    # humaneval_instruct's gen_prefix already holds the prompt: the response is the function body.
    he_docs = [({k: he[k] for k in ("task_id", "prompt", "entry_point", "test")},
                [he["canonical_solution"] + "```", "    return True\n```"], {"pass@1": 0.5})]
    plus_rows, _ = load_rows(get_benchmark("mbpp_plus").data, data_dir)
    mp = plus_rows[0]  # "Mbpp/2"; evalplus/mbppplus on the hub gives task_id as the int 2
    mp_docs = [({"task_id": 2, "prompt": "Write a function ...", "test_list": []},
                [mp["canonical_solution"].strip() + "\n```"], {"pass_at_1": 1.0})]
    folder = write_output(tmp_path / "out", "m", {"humaneval_instruct": he_docs, "mbpp_plus_instruct": mp_docs})
    for task, bench, want in (("humaneval_instruct", "humaneval", [("HumanEval/0", "correct"),
                                                                   ("HumanEval/0", "incorrect")]),
                              ("mbpp_plus_instruct", "mbpp_plus", [("Mbpp/2", "correct")])):
        graded = tmp_path / f"{task}.jsonl"
        code, _, err = _cli(capsys, "score", str(_samples_file(folder, task)), "--benchmark", bench,
                            "--out", str(graded), "--data-dir", str(data_dir), "--sandbox", "local")
        assert code == 0, err
        assert [(r["id"], r["status"]) for r in map(json.loads, graded.read_text().splitlines())] == want


def test_import_writes_runs_that_leaderboard_and_compare_read(
        tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = _gsm8k_docs(data_dir, 4)
    good = [(d, [f"The answer is {g}."], {"exact_match": 1.0}) for d, g in docs]
    bad = [(d, [f"The answer is {g}." if i == 0 else "The answer is -1."], {"exact_match": float(i == 0)})
           for i, (d, g) in enumerate(docs)]
    write_output(tmp_path / "out", "org/model-a", {"gsm8k": good, "gsm8k_cot": bad},
                 filters=("strict-match", "flexible-extract"))
    write_output(tmp_path / "out", "org/model-b", {"gsm8k": bad})
    res = tmp_path / "results"
    code, out, err = _cli(capsys, "import-lm-eval", str(tmp_path / "out"), "--out", str(res),
                          "--data-dir", str(data_dir))
    assert code == 0, err
    runs = sorted(p for p in res.iterdir() if p.is_dir())
    # model-a's gsm8k and gsm8k_cot grade the same items with different prompts: two runs.
    assert len(runs) == 3 and "lm-eval exact_match,flexible-extract 100.00%" in out
    by_task = {}
    for run in runs:
        manifest = json.loads((run / "manifest.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text())["benchmarks"]["gsm8k"]
        assert manifest["produced_by"]["harness"] == "lm-eval"
        assert manifest["produced_by"]["version"] == "0.4.13"
        assert manifest["harness_version"] and manifest["benchmarks"]["gsm8k"]["data_fingerprint"]
        task = manifest["benchmarks"]["gsm8k"]["prompt_format"]
        model = manifest["checkpoint"]["model"]
        by_task[(model, task)] = metrics
        assert metrics["lm_eval"] and all(v == pytest.approx(metrics["score"]) for v in metrics["lm_eval"].values())
    assert by_task[("org/model-a", "lm-eval:gsm8k")]["score"] == 1.0
    assert by_task[("org/model-b", "lm-eval:gsm8k")]["score"] == 0.25
    code, out, err = _cli(capsys, "leaderboard", str(res), "--published", "none")
    assert code == 0, err
    assert "lm-eval-model-a-" in out and "lm-eval-model-b-" in out
    a = next(r for r in runs if "model-a" in r.name and json.loads(
        (r / "manifest.json").read_text())["benchmarks"]["gsm8k"]["prompt_format"].split(":")[1] == "gsm8k")
    b = next(r for r in runs if "model-b" in r.name)
    code, out, err = _cli(capsys, "compare", str(a), str(b), "--n-boot", "200")
    assert code == 0, err
    assert "gsm8k" in out and "100.0" in out and "25.0" in out
    # Re-importing rewrites the same runs instead of appending twice.
    assert _cli(capsys, "import-lm-eval", str(tmp_path / "out"), "--out", str(res), "--data-dir", str(data_dir))[0] == 0
    assert len((a / "records" / "gsm8k.jsonl").read_text().splitlines()) == 4
