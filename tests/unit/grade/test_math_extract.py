"""Final-answer extraction: boxes, phrases, Minerva, ####, fallback and the multi-box policy."""

from __future__ import annotations

import pytest

from harness.extract.latex import find_boxed, last_boxed
from harness.extract.math import extract_last_expression, extract_math, math_extractor
from harness.types import ExtractStatus, Sample

CASES = [
    (r"so the answer is $\boxed{5}$.", "5", "boxed", "ok"),
    (r"$\boxed{\frac{1}{\sqrt{2}}}$", r"\frac{1}{\sqrt{2}}", "boxed", "ok"),
    (r"\fbox{7}", "7", "boxed", "ok"),
    (r"So the answer is \boxed 5$.", "5", "boxed", "ok"),
    (r"first \boxed{3}, but that was wrong, so \boxed{4}", "4", "boxed", "ok"),
    (r"$\boxed{3}$ and $\boxed{4}$", "3, 4", "boxed_multi", "ambiguous"),
    (r"$\boxed{3}$, $\boxed{3}$", "3", "boxed", "ok"),
    (r"\boxed{\text{even}}", r"\text{even}", "boxed", "ok"),
    ("Final Answer: The final answer is $x=5$. I hope it is correct.", "$x=5$", "minerva", "ok"),
    ("The answer is 18.\nQuestion: next", "18", "answer_is", "ok"),
    ("The final answer is $\\frac{1}{2}$. Done.", "$\\frac{1}{2}$", "answer_is", "ok"),
    ("Answer: 3.5", "3.5", "answer_is", "ok"),
    ("work\n#### 1,000\n", "1,000", "hashes", "ok"),
    ("The answer is 3.\nThen more work.\n#### 4", "4", "hashes", "ok"),
    ("I give up at 42", None, "none", "no_answer"),
    (r"\boxed{}", None, "boxed", "no_answer"),
    (r"$\boxed{\boxed{5}}$", "5", "boxed", "ok"),
    ("The answer is 72, in total, so the farmer earns that much.", "72", "answer_is", "ok"),
    ("The answer is 1, 2, and 3.", "1, 2, and 3", "answer_is", "ok"),
    ("Final Answer: **73**", "73", "answer_is", "ok"),
    ("Final Answer: The final answer is $$. I hope it is correct.", None, "minerva", "no_answer"),
    ("The final answer is 3. No.\nFinal Answer: The final answer is 5. I hope it is correct.", "5", "minerva", "ok"),
    # issue 13: several answers over several boxes, per-part boxes, an ellipsis kept
    (r"$x = \boxed{3}$ or $x = \boxed{7}$", "3, 7", "boxed_multi", "ambiguous"),
    ("(a) First, $\\boxed{4}$.\n(b) Then $\\boxed{9}$.", "(a) 4, (b) 9", "boxed_parts", "ok"),
    ("**(i)** $\\boxed{2}$\n**(ii)** $\\boxed{5}$\n**(iii)** $\\boxed{1}$",
     "(i) 2, (ii) 5, (iii) 1", "boxed_parts", "ok"),
    ("(b) $\\boxed{4}$ (c) $\\boxed{9}$", "9", "boxed", "ok"),
    ("(a) $\\boxed{4}$ (c) $\\boxed{9}$", "9", "boxed", "ok"),
    (r"$\boxed{3},\ \boxed{7}$", "3, 7", "boxed_multi", "ambiguous"),
    (r"\boxed{3} \qquad \boxed{7}", "3, 7", "boxed_multi", "ambiguous"),
    (r"\boxed{3}~\text{and}~\boxed{7}", "3, 7", "boxed_multi", "ambiguous"),
    (r"\boxed{3} \quadrant \boxed{4}", "4", "boxed", "ok"),
    (r"So $f(a) = \boxed{1}$, and then $f(b) = \boxed{2}$.", "2", "boxed", "ok"),
    ("The answer is 0.333...", "0.333...", "answer_is", "ok"),
    ("The answer is 0.5.", "0.5", "answer_is", "ok"),
]


@pytest.mark.parametrize(("output", "answer", "method", "status"), CASES)
def test_extract(output, answer, method, status):
    found = extract_math(output)
    assert (found.answer, found.method, found.status.value) == (answer, method, status)


def test_last_number_fallback_only_when_asked():
    assert extract_math("so it costs $1,234 in total").status is ExtractStatus.NO_ANSWER
    found = extract_math("so it costs $1,234 in total", last_number_fallback=True)
    assert (found.answer, found.method) == ("1,234", "last_number")


def test_math_extractor_is_a_benchmark_extractor():
    sample = Sample("gsm8k", "1", "0", "q", "18")
    assert math_extractor(last_number_fallback=True)("it is 18", sample).answer == "18"
    assert math_extractor()("it is 18", sample).answer is None


def test_find_boxed_keeps_gold_reading_behaviour():
    assert find_boxed(r"a \boxed{\frac{1}{2}} b \fbox{3} \boxed 5$") == [r"\frac{1}{2}", "3", "5"]
    assert last_boxed(r"\boxed{\{1,2\}}") == r"\{1,2\}"
    assert last_boxed(r"\boxed{{x}") is None
    assert last_boxed("no box") is None


@pytest.mark.parametrize(
    ("output", "answer", "method"),
    [
        ("So the total is $3 + 4 = 7$.", "3 + 4 = 7", "last_expression"),
        ("We get \\(x = \\frac{1}{2}\\) and then 5 more", "5", "last_expression"),
        ("Thus $$\\frac{3}{4}$$", "\\frac{3}{4}", "last_expression"),
        ("The result is 42 apples", "42", "last_expression"),
        ("no numbers here", None, "none"),
    ],
)
def test_last_expression(output, answer, method):
    found = extract_last_expression(output)
    assert (found.answer, found.method) == (answer, method)
