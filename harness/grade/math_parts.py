"""Several-part answers: `(a) 4, (b) 9` read as the list of its parts, in label order."""

from __future__ import annotations

import re

# A part label of a several-part answer: `(a) 4, (b) 9`, `\text{(i)} 2 \text{(ii)} 5` once unwrapped.
_PART_LABEL_RE = re.compile(r"(?:^|(?<=[\s,;]))(?:part\s*)?\(([a-h]|i{1,3}|iv|vi{0,3})\)\s*[:.]?\s*", re.I)
_LABEL_ORDER = ("abcdefgh", ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii"))
_PART_GLUE_RE = re.compile(r"^(?:[\s,;]|and\b|\\quad)+|(?:[\s,;]|\band|\\quad)+$")


def split_parts(s: str) -> list[str] | None:
    """The answers of `(a) 4, (b) 9` in label order; None unless the whole of `s` is two or more parts.

    Labels must run in order from the first (`(a), (b)` or `(i), (ii)`), with nothing before the first.
    """
    found = list(_PART_LABEL_RE.finditer(s))
    if len(found) < 2 or found[0].start() != 0:
        return None
    labels = [m.group(1).lower() for m in found]
    if not any(list(order[: len(labels)]) == labels for order in _LABEL_ORDER):
        return None
    ends = [m.start() for m in found[1:]] + [len(s)]
    parts = [_PART_GLUE_RE.sub("", s[m.end() : end]) for m, end in zip(found, ends, strict=True)]
    return parts if all(parts) else None
