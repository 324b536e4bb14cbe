"""String normalisation and exact numeric literals for math answers (no sympy: runs in the parent).

Normalisation only removes notation that never changes a value (spacing, `\\left`, `\\dfrac`,
text wrappers, degree signs, dollar signs); it never deletes words such as "and" everywhere or
rescales numbers, the two classic sources of false positives in other graders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_UNICODE = {
    "−": "-", "–": "-", "—": "-", "π": "\\pi ", "∞": "\\infty ", "√": "\\sqrt", "×": "\\times ",
    "·": "\\cdot ", "≤": "\\le ", "≥": "\\ge ", "≠": "\\ne ", "±": "\\pm ", "∪": "\\cup ", "∩": "\\cap ",
    "°": "^\\circ", "∅": "\\emptyset ", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "…": "\\ldots ",
    "ℝ": "\\mathbb{R}",
}
# Commands that only affect layout or size: removed outright.
_DROP_RE = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|displaystyle|textstyle|"
    r"scriptstyle|limits|nolimits)(?![a-zA-Z])"
    r"|(?<!\\)\\[,;:!>]|\\q?quad(?![a-zA-Z])|\\(?:hspace|vspace)\*?\{[^{}]*\}|\\(?:tiny|small|large|Large|huge)"
    r"(?![a-zA-Z])"
)
_RENAME = [
    (re.compile(r"\\[dt]frac(?![a-zA-Z])"), r"\\frac"),
    (re.compile(r"\\leq?(?![a-zA-Z])|\\leqslant(?![a-zA-Z])|<="), r"\\le "),
    (re.compile(r"\\geq?(?![a-zA-Z])|\\geqslant(?![a-zA-Z])|>="), r"\\ge "),
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),
    (re.compile(r"\\neq?(?![a-zA-Z])"), r"\\ne "),
    (re.compile(r"\\lbrace(?![a-zA-Z])"), r"\\{"),
    (re.compile(r"\\rbrace(?![a-zA-Z])"), r"\\}"),
    (re.compile(r"\\(?:varnothing|emptyset|oslash)(?![a-zA-Z])|\\\{\s*\\\}"), r"\\emptyset"),
    (re.compile(r"\\infinity(?![a-zA-Z])|\+\s*\\infty"), r"\\infty"),
    (re.compile(r"\\mathbb\{R\}|\\mathbb R(?![a-zA-Z])"), r"(-\\infty,\\infty)"),
    (re.compile(r"\{,\}"), ","),
    (re.compile(r"\\(?:dots|ldots|cdots)(?![a-zA-Z])"), r"\\ldots"),
    (re.compile(r"\\langle(?![a-zA-Z])"), "("),  # a vector `\langle 8,4,-5 \rangle` is an ordered tuple
    (re.compile(r"\\rangle(?![a-zA-Z])"), ")"),
    (re.compile(r"\\operatorname\{([a-zA-Z]+)\}"), r"\\\1"),
    (re.compile(r"\\dot\s*\{?([0-9])\}?"), r"\\overline{\1}"),  # `0.\dot{3}`: one repeating digit
    (re.compile(r"\\overline\s*([0-9])(?![0-9])"), r"\\overline{\1}"),
]
# A degree sign, with the Celsius / Fahrenheit letter after it when there is one (`-3^\circ\text{C}`).
_DEGREE_RE = re.compile(
    r"(?:\^\s*\{?\s*\\circ\s*\}?|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z]))"
    r"(?:\s*(?:\\(?:text|mathrm|mbox)\s*\{\s*[CF]\s*\}|[CF](?![a-zA-Z])))?"
)
_TEXT_CMD_RE = re.compile(
    r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mathsf|mathtt|mbox|textnormal|boldsymbol|bm)\s*\{"
)
_MATH_DELIMS_RE = re.compile(r"(?<!\\)\\[()\[\]]|\$")
_ESCAPED_SPACE_RE = re.compile(r"(?<!\\)\\ ")
_DOLLAR_SIGN_RE = re.compile(r"\\\$")
_WS_RE = re.compile(r"\s+")
_TRAILING_PUNCT_RE = re.compile(r"[\s.。,;:!?]+$")
_BOXED_WHOLE_RE = re.compile(r"^\\(?:boxed|fbox)\s*\{(.*)\}$", re.S)
# `1,\!000`: the thin-space-negated comma is always a thousands separator, whatever spacing follows.
_THOUSANDS_MARK_RE = re.compile(r"(?:\{,\}|,)\s*\\!\s*|\{,\}")
_PLUS_MINUS_RE = re.compile(r"\+\s*-")
_MERIDIEM_RE = re.compile(r"(?<![a-zA-Z])([aApP])\.\s?[mM]\.?(?![a-zA-Z])")  # `9 a.m.` -> `9 am`
# Shorthand arguments (`\frac{270}7`, `\frac 59`, `\frac \pi4`, `\sqrt5`): braced so literals parse.
_ARG = r"(?:\{[^{}]*\}|\\[a-zA-Z]+|[0-9a-zA-Z])"
_FRAC_SHORTHAND_RE = re.compile(rf"\\frac\s*({_ARG})\s*({_ARG})")
_SQRT_SHORTHAND_RE = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_PLAIN_FUNC_RE = re.compile(r"(?<![\\a-zA-Z])(exp|ln|log|sin|cos|tan)\s*\(")
_PLAIN_PI_RE = re.compile(r"(?<![\\a-zA-Z])pi(?![a-zA-Z])")
_PLAIN_MARK_RE = re.compile(r"\*|(?<![a-zA-Z])(?:pi|sqrt|exp|ln|log|sin|cos|tan)(?![a-zA-Z])")
# An ordinal suffix on a number (`5th`, `2^{nd}`, `3\\text{rd}` once unwrapped): the number is the answer.
_ORDINAL_RE = re.compile(r"(?<=[0-9])\s*(?:\^\s*\{?\s*)?(?:st|nd|rd|th)\s*\}?(?![a-zA-Z])")
# A decimal whose digits repeat, written with an ellipsis (`0.4545...`, `0.1666\\ldots`): rewritten with
# `\\overline` once the repeating block is found, so one literal parser reads both spellings.
MAX_REPEAT_DIGITS = 40
_ELLIPSIS_DECIMAL_RE = re.compile(r"(?<![0-9.])([0-9]*)\.([0-9]+)\s*(?:\\ldots|\.\.\.)")
# Whole answers that name the set of all reals or the empty set in words.
_ALL_REALS_RE = re.compile(
    r"(?:the\s+set\s+of\s+)?(?:all|every)\s+real\s*(?:numbers?|values?(?:\s+of\s+[a-z])?|[a-z])?|all\s+reals"
)
_NO_SOLUTION_RE = re.compile(
    r"(?:there\s+(?:are|is)\s+)?no\s+(?:real\s+)?(?:solutions?|roots?|values?|such\s+[a-z]+)|none|empty\s+set"
    r"|the\s+empty\s+set"
)
_SET_WORD_HINT_RE = re.compile(r"real|no|empty")
# Words before a number that only qualify or label it (`about 42`, `\\approx 42`, `Total: 30`, `USD 7`):
# a closed list, so that `at least 42`, `not 42` or a variable `a + 5` keep their meaning.
_PREFIX_RE = re.compile(
    r"^(?:(?:the|a\s+total\s+of|total(?:\s+of)?|answer|about|approximately|approx\.?|around|roughly|exactly"
    r"|only|just|usd|eur|gbp|inr|rs\.?)\s*:?\s*|\\approx\s*|\\sim\s*|=\s*)+(?=[$\\0-9.]|-[0-9])",
    re.I,
)
_PERCENT_RE = re.compile(r"\s*\\?%\s*$|\s*\\text\{\s*percent\s*\}\s*$|\s+percent$")

# Units a plain-number answer may carry: known unit words (single letters only with a space before them,
# so `3s^2` stays an expression) and any other word of three or more letters (`3 bolts`, `81 teachers`).
_UNIT_CANON = {
    "cm": "cm", "centimeter": "cm", "centimetre": "cm", "mm": "mm", "millimeter": "mm", "km": "km",
    "kilometer": "km", "kilometre": "km", "m": "m", "meter": "m", "metre": "m", "kg": "kg", "kilogram": "kg",
    "g": "g", "gram": "g", "mg": "mg", "milligram": "mg", "s": "s", "sec": "s", "second": "s", "min": "min",
    "minute": "min", "h": "h", "hr": "h", "hour": "h", "day": "day", "week": "week", "month": "month",
    "year": "year", "yr": "year", "dollar": "dollar", "cent": "cent", "in": "in", "inch": "in",
    "inche": "in", "ft": "ft", "feet": "ft", "foot": "ft", "yd": "yd", "yard": "yd", "mi": "mi",
    "mile": "mi", "lb": "lb", "pound": "lb", "oz": "oz", "ounce": "oz", "l": "l", "liter": "l",
    "litre": "l", "ml": "ml", "milliliter": "ml", "degree": "deg", "deg": "deg", "radian": "rad",
    "rad": "rad", "mph": "mph", "unit": "unit", "percent": "%", "am": "am", "pm": "pm",
}
_SHORT_UNITS = "|".join(sorted((k for k in _UNIT_CANON if len(k) <= 2), key=len, reverse=True))
_UNIT_WORD = rf"(?:[a-zA-Z]{{3,}}|(?:{_SHORT_UNITS}|L)(?![a-zA-Z]))"
_UNIT_SUFFIX_RE = re.compile(
    rf"^(?P<num>.*?(?:[0-9}}]|\\pi))\s*(?P<unit>(?:(?<=\s){_UNIT_WORD}|[a-zA-Z]{{3,}})"
    rf"(?:\^\{{?[23]\}}?|\^[23])?(?:\s*/\s*{_UNIT_WORD}(?:\^\{{?[23]\}}?|\^[23])?|\s+[a-zA-Z]{{2,}}"
    rf"(?:\^\{{?[23]\}}?|\^[23])?){{0,3}})$"
)
_UNIT_TOKEN_RE = re.compile(r"([a-zA-Z]+)(?:\^\{?([23])\}?)?|(/)")


def clean_text(text: str) -> str:
    """Replace lone surrogates (they break encoders and parsers) and map common Unicode math."""
    text = _SURROGATE_RE.sub("\ufffd", text)
    for src, dst in _UNICODE.items():
        if src in text:
            text = text.replace(src, dst)
    return text


def unwrap_command(text: str, pattern: re.Pattern[str]) -> str:
    """Replace every `\\cmd{X}` matched by `pattern` (which ends at the `{`) with `X`, nesting-aware."""
    pos = 0
    for _ in range(200):  # bounded: each round removes one wrapper
        m = pattern.search(text, pos)
        if m is None:
            break
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            break
        text = text[: m.start()] + text[m.end() : j - 1] + text[j:]
        pos = m.start()
    return text


def normalize(text: str) -> str:
    """Canonical LaTeX spelling of an answer: layout, wrappers, delimiters and degrees removed."""
    s = clean_text(text).strip()
    boxed = _BOXED_WHOLE_RE.match(s)
    if boxed:
        s = boxed.group(1)
    s = _MATH_DELIMS_RE.sub(" ", _DOLLAR_SIGN_RE.sub("", s))
    s = _DEGREE_RE.sub("", s)
    s = _THOUSANDS_MARK_RE.sub(",", s.replace("\\%", "%"))
    s = unwrap_command(s, _TEXT_CMD_RE)
    s = _DROP_RE.sub(" ", s)
    for pattern, repl in _RENAME:
        s = pattern.sub(repl, s)
    s = _FRAC_SHORTHAND_RE.sub(_brace_frac, s)
    s = _SQRT_SHORTHAND_RE.sub(r"\\sqrt{\1}", s)
    s = _PLUS_MINUS_RE.sub("-", s)
    s = _MERIDIEM_RE.sub(lambda m: m.group(1).lower() + "m", s)
    if "\\" not in s and _PLAIN_MARK_RE.search(s):
        s = plain_to_latex(s)
    s = _ESCAPED_SPACE_RE.sub(" ", s.replace("~", " "))
    s = _WS_RE.sub(" ", s).strip()
    s = _ELLIPSIS_DECIMAL_RE.sub(_overline_repeat, s)
    s = _TRAILING_PUNCT_RE.sub("", s)
    if s.startswith("{") and s.endswith("}") and _balanced_span(s):
        s = s[1:-1].strip()
    return _set_words(_ORDINAL_RE.sub("", _PREFIX_RE.sub("", s)))


def _set_words(s: str) -> str:
    """`all real numbers` is `(-\\infty,\\infty)`; `no real solutions` is the empty set (whole answers only).

    A gold saying it twice (CollegeMATH's `No solution : \\oslash`) is the set both halves name.
    """
    low = s.lower().strip()
    if not _SET_WORD_HINT_RE.search(low):  # most answers: no regex work
        return s
    if _ALL_REALS_RE.fullmatch(low):
        return "(-\\infty,\\infty)"
    if _NO_SOLUTION_RE.fullmatch(low):
        return "\\emptyset"
    halves = low.split(":")
    if len(halves) == 2 and all(halves):
        named = {_set_words(h.strip()) for h in halves}
        if len(named) == 1 and named <= {"(-\\infty,\\infty)", "\\emptyset"}:
            return named.pop()
    return s


def _overline_repeat(m: re.Match[str]) -> str:
    """`0.1666...` -> `0.1\\overline{6}`: the shortest block that repeats at least twice to the end."""
    whole, digits = m.group(1), m.group(2)
    if len(digits) > MAX_REPEAT_DIGITS:  # the search is cubic in the digits: long runs stay as written
        return m.group(0)
    for start in range(len(digits)):
        tail = digits[start:]
        for period in range(1, len(tail) // 2 + 1):
            if all(tail[k] == tail[k % period] for k in range(len(tail))):
                return f"{whole}.{digits[:start]}\\overline{{{tail[:period]}}}"
    return m.group(0)


def _brace_frac(m: re.Match[str]) -> str:
    a, b = (x if x.startswith("{") else "{" + x + "}" for x in m.groups())
    return f"\\frac{a}{b}"


def plain_to_latex(s: str) -> str:
    """Plain-text math (`-1 + exp(16)`, `pi/2`, `-2*pi`, `sqrt(3)`, `2**10`) spelled as LaTeX for the parser."""
    s = s.replace("**", "^").replace("*", " \\cdot ")
    s = _PLAIN_PI_RE.sub(r"\\pi ", s)
    s = _PLAIN_FUNC_RE.sub(lambda m: "\\" + m.group(1) + "(", s)
    pos = s.find("sqrt(")
    while pos >= 0:
        depth, j = 0, pos + 4
        while j < len(s):
            depth += {"(": 1, ")": -1}.get(s[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            break
        s = s[:pos] + "\\sqrt{" + s[pos + 5 : j] + "}" + s[j + 1 :]
        pos = s.find("sqrt(", pos + 6)
    return s


def _balanced_span(s: str) -> bool:
    """True when the first `{` of `s` closes at its last character."""
    depth = 0
    for i, ch in enumerate(s):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return i == len(s) - 1
    return False


def compact(text: str) -> str:
    """The whitespace-free key used for exact string comparison."""
    return text.replace(" ", "")


def strip_percent(text: str) -> tuple[str, bool]:
    """Remove a trailing percent sign; report whether there was one."""
    stripped = _PERCENT_RE.sub("", text)
    return stripped, stripped != text


def split_units(text: str) -> tuple[str, str]:
    """(number, unit words) for `5 cm^2`; (text, "") when there is no unit suffix."""
    m = _UNIT_SUFFIX_RE.match(_TRAILING_PUNCT_RE.sub("", text))
    if m is None or m.group("unit").split()[0].lower() in ("and", "or", "times", "to", "of", "for"):
        return text, ""
    return m.group("num").strip(), m.group("unit").strip()


def unit_key(unit: str) -> tuple[str, ...] | None:
    """A canonical spelling of a unit (`square inches` and `inches^2` agree), or None for unknown words."""
    out: list[str] = []
    power = ""
    for word, exp, slash in _UNIT_TOKEN_RE.findall(unit):
        low = word.lower()
        if slash:
            out.append("/")
        elif low in ("square", "sq", "cubic"):
            power = "2" if low != "cubic" else "3"
        else:
            canon = _UNIT_CANON.get(low) or (_UNIT_CANON.get(low[:-1]) if low.endswith("s") else None)
            if canon is None:
                return None
            out.append(canon + "^" + (exp or power or "1"))
            power = ""
    return tuple(out)


def strip_units(text: str) -> str:
    """Drop unit words after a numeric answer (`5 cm` -> `5`); anything else is returned unchanged."""
    return split_units(text)[0]


def strip_unit_text(text: str, unit: str) -> str:
    """Remove the benchmark-declared unit (`meta.unit`, e.g. `km/h`) from the end of an answer."""
    unit_norm = compact(normalize(unit))
    if not unit_norm:
        return text
    body = compact(text)
    if body.endswith(unit_norm) and len(body) > len(unit_norm):
        # Cut the same number of non-space characters off the spaced text.
        keep, count = len(body) - len(unit_norm), 0
        for i, ch in enumerate(text):
            if ch != " ":
                count += 1
            if count == keep:
                return text[: i + 1].strip()
    return text


# ----- exact numeric literals -------------------------------------------------------------------

_INT = r"[0-9]+"
_DEC = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
_SCI_RE = re.compile(
    rf"^(?P<m>{_DEC})\s*(?:(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{{?\s*(?P<e1>[+-]?{_INT})\s*\}}?"
    rf"|[eE](?P<e2>[+-]?{_INT}))$"
)
_FRAC_RE = re.compile(rf"^\\frac\s*\{{\s*(?P<a>-?{_DEC})\s*\}}\s*\{{\s*(?P<b>-?{_DEC})\s*\}}$")
_FRAC_SHORT_RE = re.compile(r"^\\frac\s*(?P<a>[0-9])\s*(?P<b>[0-9])$")
_SLASH_RE = re.compile(rf"^(?P<a>{_DEC})\s*/\s*(?P<b>{_DEC})$")
_THOUSANDS_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_THOUSANDS_SPACE_RE = re.compile(r"^[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?$")
_DEC_RE = re.compile(rf"^{_DEC}$")
_REPEATING_RE = re.compile(r"^(?P<int>[0-9]*)\.(?P<pre>[0-9]*)\\overline\s*\{\s*(?P<rep>[0-9]+)\s*\}$")
MAX_EXPONENT = 400
NO_PRECISION = 99


@dataclass(frozen=True)
class Literal:
    """An exact rational read from a plain numeric answer.

    `decimal` marks a non-integer written with a decimal point (a possibly rounded value, so
    numeric tolerance applies to it); integers and fractions are exact and must match exactly.
    """

    value: Fraction
    decimal: bool
    percent: bool = False
    digits: int = 0
    """Fractional digits as written (`16.25` -> 2, `1.5e-3` -> 4): the precision a decimal claims."""


def _fraction_digits(mantissa: str, exponent: int = 0) -> int:
    return max(0, (len(mantissa) - mantissa.index(".") - 1 if "." in mantissa else 0) - exponent)


def _unsigned(body: str, thousands: bool) -> tuple[Fraction, bool, int] | None:
    """(value, is a decimal, fractional digits) of an unsigned literal, or None when `body` is not one."""
    if thousands and (_THOUSANDS_RE.match(body) or _THOUSANDS_SPACE_RE.match(body)):
        body = body.replace(",", "").replace(" ", "")
    repeating = _REPEATING_RE.match(body)
    if repeating:  # `0.1\overline{6}` is exactly 1/6: an exact value, not a rounded decimal
        whole, pre, rep = repeating.group("int", "pre", "rep")
        value = Fraction(int(whole or "0")) + Fraction(int(pre or "0"), 10 ** len(pre))
        return value + Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(pre)), False, 0
    if _DEC_RE.match(body):
        # 15+ significant digits is a printed float (GSM-Hard's `14053029.666666666`): no precision claimed.
        significant = len(body.replace(".", "").lstrip("0"))
        return Fraction(body), "." in body, _fraction_digits(body) if significant < 15 else NO_PRECISION
    m = _FRAC_RE.match(body) or _FRAC_SHORT_RE.match(body) or _SLASH_RE.match(body)
    if m:
        den = Fraction(m.group("b"))
        if den == 0:
            return None
        a, b = m.group("a"), m.group("b")
        return Fraction(a) / den, "." in a + b, max(_fraction_digits(a), _fraction_digits(b))
    m = _SCI_RE.match(body)
    if m:
        exp = int(m.group("e1") or m.group("e2"))
        if abs(exp) > MAX_EXPONENT:
            return None
        return Fraction(m.group("m")) * Fraction(10) ** exp, True, _fraction_digits(m.group("m"), exp)
    return None


def parse_literal(text: str, *, thousands: bool = True) -> Literal | None:
    """An exact value for integers, decimals, `a/b`, `\\frac{a}{b}`, scientific notation and percents.

    Thousands separators are accepted only in groups of three (`1,000` but never `1,3`), and only
    when `thousands` is set (a multi-answer gold turns it off: there `1,000` is two answers).
    """
    s, percent = strip_percent(text.strip())
    s = s.strip()
    sign = 1
    while s[:1] in ("-", "+") and len(s) > 1:
        sign = -sign if s[0] == "-" else sign
        s = s[1:].strip()
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1].strip()
    if s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1].strip()
    parsed = _unsigned(s, thousands)
    if parsed is None:
        return None
    value, decimal, digits = parsed
    return Literal(sign * value, decimal and value.denominator != 1, percent, digits)


BASE_N_RE = re.compile(r"^(-?[0-9A-Za-z.]+)_\{?([0-9]+)\}?$")
_BASE_RE = re.compile(r"^(?P<sign>-?)\(?(?P<digits>[0-9A-Za-z.]+)\)?_\{?\(?(?P<base>[0-9]+|[a-z]+)\)?\}?$")
_BASE_WORDS = {
    w: k + 2
    for k, w in enumerate(
        ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
         "fourteen", "fifteen", "sixteen")
    )
}
_PLAIN_DIGITS_RE = re.compile(r"^-?[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)?$")


@dataclass(frozen=True)
class BaseNumeral:
    """A numeral with a base subscript (`4123_5`, `152A_{11}`, `0.0011_{2}`, `4123_{\\text{five}}`)."""

    value: Fraction
    base: int


def base_value(digits: str, base: int) -> Fraction | None:
    """The value of `digits` (maybe signed, maybe with a radix point) read in `base`; None if not valid there."""
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("-")
    whole, _, frac = body.partition(".")
    try:
        value = Fraction(int(whole or "0", base))
        if frac:
            value += Fraction(int(frac, base), base ** len(frac))
    except ValueError:
        return None
    return sign * value


def parse_base(text: str) -> BaseNumeral | None:
    """A numeral with a base subscript between 2 and 36, or None (`a_1` is a variable, not a numeral)."""
    m = _BASE_RE.match(compact(text))
    if m is None:
        return None
    raw = m.group("base")
    base = int(raw) if raw.isdigit() else _BASE_WORDS.get(raw, 0)
    if not 2 <= base <= 36 or not _PLAIN_DIGITS_RE.match(m.group("digits")):
        return None
    value = base_value(m.group("sign") + m.group("digits"), base)
    return None if value is None else BaseNumeral(value, base)


def plain_digits(text: str) -> str | None:
    """`text` when it is a bare numeral (digits and letters, maybe a sign and a radix point), else None."""
    t = compact(text)
    return t if _PLAIN_DIGITS_RE.match(t) and any(ch.isdigit() for ch in t) else None
CHOICE_RE = re.compile(r"^\(?\s*([A-J])\s*\)?$")
WORD_RE = re.compile(r"^[A-Za-z][A-Za-z'\-]*$")
CLOCK_RE = re.compile(r"^[0-9]+(?::[0-9]+)+$")
