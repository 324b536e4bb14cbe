"""The HTML report escapes untrusted model output and shows scores, breakdowns and every item."""

from __future__ import annotations

from pathlib import Path

from runfactory import cli, write_run

EVIL = '<script>alert("x")</script><img src=x onerror="alert(1)"> & </pre>'


def test_report_escapes_outputs_and_lists_items(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", {"math": [True, False, "no_answer"], "gsm8k": [True]},
                    outputs={("math", "1"): EVIL}, prompts={("math", "0"): "Find <b>x</b>."},
                    breakdown={"math": {"subject": {"Algebra": {"n": 2, "score": 0.5}},
                                        "level": {"Level 1": {"n": 3, "score": 1 / 3}}}})
    out = tmp_path / "r.html"
    code, _stdout, err = cli(["report", str(run), "--out", str(out)])
    assert code == 0, err
    page = out.read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "Find &lt;b&gt;x&lt;/b&gt;." in page and "prompt text not stored in this run" in page
    assert page.count('<details class="item"') == 4
    assert page.count("<script>") == 1 and "http://" not in page and "https://" not in page
    assert '<span class="score" data-bench="math">33.3</span>' in page
    assert "math by subject" in page and "Algebra" in page and "subject × level" in page
