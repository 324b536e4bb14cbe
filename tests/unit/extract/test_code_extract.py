"""Program extraction for code benchmarks: completion style, fenced blocks, sanitiser, syntax errors."""

from __future__ import annotations

import ast

from harness.extract.code import extract_humaneval, extract_mbpp, sanitize
from harness.types import ExtractStatus, Sample

PROMPT = (
    "import math\n\n\ndef poly(xs: list, x: float):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n\n\n"
    "def find_zero(xs: list):\n    \"\"\"Find a zero.\"\"\"\n"
)
HE = Sample("humaneval", "1", "HumanEval/32", PROMPT, "", {"entry_point": "find_zero", "prompt": PROMPT})
MB = Sample("mbpp", "1", "11", "Remove chars.", "", {"entry_point": "remove_Occ", "code_prompt": ""})


def _names(code: str) -> set[str]:
    return {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}


def test_completion_is_cut_at_stop_sequences():
    out = "    return 0.0\n\n\ndef extra():\n    pass\n\nprint(find_zero([1, 2]))\n"
    ex = extract_humaneval(out, HE)
    assert ex.status == ExtractStatus.OK and ex.method == "prompt+completion"
    # The program is the prompt's definitions with the completion as find_zero's body, sanitised
    # (code-exec/3; before, prompt + completion cut at the first stop, verbatim).
    assert '    """Find a zero."""\n    return 0.0\n' in (ex.answer or "")
    assert _names(ex.answer or "") == {"poly", "find_zero"} and "import math" in (ex.answer or "")
    assert "extra" not in (ex.answer or "") and "print(" not in (ex.answer or "")


def test_fenced_block_defining_entry_point_wins_and_prompt_helpers_are_added():
    out = ("Here is a helper:\n```python\ndef unrelated():\n    return 1\n```\nAnd the answer:\n"
           "```python\ndef find_zero(xs):\n    return helper(xs)\n\ndef helper(xs):\n    return poly(xs, 0.0)\n\n"
           "assert find_zero([1, 1]) == 1\nprint('hi')\n```\n")
    ex = extract_humaneval(out, HE)
    assert ex.status == ExtractStatus.OK and ex.method == "fenced-block"
    assert _names(ex.answer or "") == {"poly", "find_zero", "helper"}
    assert "assert" not in (ex.answer or "") and "import math" in (ex.answer or "")


def test_syntax_error_is_a_status():
    ex = extract_humaneval("```python\ndef find_zero(xs)\n    return (\n```", HE)
    assert ex.status == ExtractStatus.SYNTAX_ERROR
    assert ex.answer is not None


def test_truncated_program_keeps_the_parsable_part():
    out = "```python\ndef find_zero(xs):\n    return 0.0\n\ndef more(:\n"
    ex = extract_humaneval(out, HE)
    assert ex.status == ExtractStatus.OK and "trimmed" in ex.method


def test_empty_completion_is_no_answer():
    assert extract_humaneval("\ndef other():\n    pass\n", HE).status == ExtractStatus.NO_ANSWER


def test_mbpp_until_done_and_sanitiser_drops_tests():
    out = ("import re\ndef remove_Occ(s, ch):\n    return s.replace(ch, '')\n"
           "assert remove_Occ('a', 'a') == ''\n[DONE]\nnext")
    ex = extract_mbpp(out, MB)
    assert ex.status == ExtractStatus.OK and ex.method == "completion-only"
    assert "assert" not in (ex.answer or "") and "import re" in (ex.answer or "") and "next" not in (ex.answer or "")


def test_sanitize_keeps_transitive_dependencies_and_constants():
    code = ("import os\nLIMIT = 3\nclass Box:\n    pass\ndef helper():\n    return Box(), LIMIT\n"
            "def unused():\n    return 1\ndef f():\n    return helper()\nif __name__ == '__main__':\n    f()\n")
    out = sanitize(code, "f")
    assert "unused" not in out and "__main__" not in out
    for needed in ("import os", "LIMIT = 3", "class Box", "def helper", "def f"):
        assert needed in out


def test_bare_first_fence_closes_a_block_only_after_code():
    from harness.extract.code import fenced_blocks

    assert fenced_blocks("def f(x):\n    return x\n```\n\nIt returns x.") == ["def f(x):\n    return x\n"]
    assert fenced_blocks("Sure\n```\ndef f():\n    pass\n```\n") == ["def f():\n    pass\n"]
    assert fenced_blocks("1. Code:\n   ```python\n   def f():\n       pass\n   ```\n") == ["def f():\n    pass\n"]


def test_other_blocks_give_only_what_the_program_uses():
    out = ("```python\nimport pytest\nimport math\n\ndef helper(x):\n    return math.floor(x)\n\n"
           "def test_it():\n    assert find_zero([1]) == 0\n```\nThen:\n"
           "```python\nfrom __future__ import annotations\n\ndef find_zero(xs: list):\n    return helper(xs[0])\n```")
    ex = extract_humaneval(out, HE)
    code = ex.answer or ""
    assert ex.method == "fenced-block" and code.startswith("from __future__ import annotations\n")
    assert "import pytest" not in code and "test_it" not in code
    assert _names(code) == {"poly", "helper", "find_zero"} and "import math" in code
