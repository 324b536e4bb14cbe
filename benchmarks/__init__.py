"""The explicit benchmark registry: one module per benchmark, each defining `BENCHMARK`.

Order here is the order of tables and reports. Add a module, then a line.
"""

MODULES: tuple[str, ...] = (
    "gsm8k",
    "gsm_hard",
    "math",
    "math500",
    "college_math",
    "olympiadbench",
    "aime24",
    "humaneval",
    "humaneval_plus",
    "mbpp",
    "mbpp_sanitized",
    "mbpp_plus",
    "arith",
)
