"""Read lm-eval `--log_samples` files and match each doc to one of our items by its content.

lm-eval 0.4.13 writes `samples_<task>_<date>.jsonl`: one row per (doc, filter), each with `doc_id`,
`doc`, `arguments` ({"gen_args_0": {"arg_0": prompt, "arg_1": gen_kwargs}}), `resps` (per request,
the list of responses: several with `repeats`), `filtered_resps`, `filter`, `metrics` (names) and
the metric values, `prompt_hash` (sha256 of the prompt). A doc's responses are the same in every
filter's row; lm-eval's metric differs per filter and is kept as `"<metric>,<filter>"`.

Matching is by content, not position: `task_id` for code; the question or problem text for math
(compared as lower-case letters and digits only, without Asymptote diagrams, so whitespace,
punctuation and diagram differences between copies of a dataset do not matter), narrowed by the
doc's own answer when two items share a text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.integrations.lm_eval_tasks import TaskMap
from harness.types import Sample

SAMPLES_FILE = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d.-]+)\.jsonl$")
HARNESS_ID_FIELD = "harness_id"
"""Doc field of our own tasks holding the item id (matched before any content)."""
_ID_FIELDS = ("task_id",)
_TEXT_FIELDS = ("question", "problem", "Problem", "Question")
_ANSWER_FIELDS = ("answer", "Answer", "final_answer")
_REQUIRED = ("doc_id", "doc", "resps")


@dataclass(frozen=True)
class LmEvalDoc:
    """One doc of a samples file: its responses (all repeats, in order) and lm-eval's metrics."""

    task: str
    doc_id: int
    doc: Mapping[str, Any]
    outputs: tuple[str, ...]
    prompt: str
    prompt_hash: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    """lm-eval's per-doc metric values, keyed `"<metric>,<filter>"`."""


def task_from_filename(path: str | Path) -> str | None:
    """The task of a `samples_<task>_<date>.jsonl` file name, or None for another name."""
    m = SAMPLES_FILE.match(Path(path).name)
    return m.group("task") if m else None


def _first_row(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return None
                return row if isinstance(row, dict) else None
    return None


def is_lm_eval_samples(path: str | Path) -> bool:
    """True when the file's first record has lm-eval's sample keys (doc_id, doc, resps)."""
    p = Path(path)
    if not p.is_file():
        return False
    row = _first_row(p)
    return row is not None and all(k in row for k in _REQUIRED)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row; a row that is not an lm-eval sample is a DataError naming it."""
    from harness.data import read_jsonl

    rows = read_jsonl(path)
    for n, row in enumerate(rows, 1):
        if any(k not in row for k in _REQUIRED):
            raise DataError(f"{path} row {n}: not an lm-eval sample (needs {', '.join(_REQUIRED)})")
    return rows


def _flatten(resps: Any) -> tuple[str, ...]:
    """`resps` is one list per request of that request's responses; all of them, in order."""
    out: list[str] = []
    for group in resps if isinstance(resps, list) else [resps]:
        out.extend(str(r) for r in (group if isinstance(group, list) else [group]))
    return tuple(out)


def _prompt(row: Mapping[str, Any]) -> str:
    args = row.get("arguments")
    if isinstance(args, Mapping):
        first = args.get("gen_args_0")
        if isinstance(first, Mapping):
            return str(first.get("arg_0", ""))
    if isinstance(args, list) and args and isinstance(args[0], list | tuple) and args[0]:
        return str(args[0][0])
    return ""


def _metric_values(row: Mapping[str, Any]) -> dict[str, float]:
    filt = str(row.get("filter", "none"))
    out: dict[str, float] = {}
    for name in row.get("metrics") or []:
        value = row.get(name)
        if isinstance(value, bool | int | float):
            out[f"{name},{filt}"] = float(value)
    return out


def group_docs(rows: Sequence[Mapping[str, Any]], task: str) -> list[LmEvalDoc]:
    """One LmEvalDoc per doc_id (filters merged), in doc order."""
    by_id: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_id[int(row["doc_id"])].append(row)
    docs = []
    for doc_id in sorted(by_id):
        group = by_id[doc_id]
        first = group[0]
        metrics: dict[str, float] = {}
        for row in group:
            metrics.update(_metric_values(row))
        prompt = _prompt(first)
        docs.append(LmEvalDoc(task, doc_id, dict(first["doc"]), _flatten(first["resps"]), prompt,
                              str(first.get("prompt_hash") or ""), metrics))
    return docs


_ASY = re.compile(r"\[asy\].*?\[/asy\]", re.S)
_FRAC = re.compile(r"\\[dt]frac\b")


def text_key(text: str) -> str:
    """The content key of a question: NFKC, Asymptote diagrams dropped, \\dfrac and \\tfrac read as
    \\frac (copies of a dataset differ in these), then letters and digits only, lower-case."""
    text = _FRAC.sub(r"\\frac", _ASY.sub(" ", unicodedata.normalize("NFKC", text)))
    return re.sub(r"[\W_]+", "", text.lower())


def id_key(value: Any) -> str:
    """`HumanEval/3`, `Mbpp/3` and `3` all key as `3` (within one benchmark ids are unique)."""
    return str(value).strip().rsplit("/", 1)[-1]


def _doc_answer_keys(doc: Mapping[str, Any]) -> set[str]:
    from harness.extract.latex import last_boxed

    keys = {text_key(str(doc[f])) for f in _ANSWER_FIELDS if doc.get(f) not in (None, "")}
    boxed = last_boxed(str(doc.get("solution") or ""))
    if boxed:
        keys.add(text_key(boxed))
    return keys


@dataclass
class _Index:
    """Our items by id, by id key and by question key (private, built once per match)."""

    by_id: dict[str, Sample]
    by_id_key: dict[str, list[Sample]]
    by_text: dict[str, list[Sample]]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> _Index:
        by_id_key: dict[str, list[Sample]] = defaultdict(list)
        by_text: dict[str, list[Sample]] = defaultdict(list)
        for s in samples:
            by_id_key[id_key(s.id)].append(s)
            by_text[text_key(s.question)].append(s)
        return cls({s.id: s for s in samples}, by_id_key, by_text)

    def candidates(self, doc: Mapping[str, Any], kind: str) -> list[Sample]:
        hid = doc.get(HARNESS_ID_FIELD)
        if hid is not None and str(hid) in self.by_id:
            return [self.by_id[str(hid)]]
        if kind == "code":
            for f in _ID_FIELDS:
                if doc.get(f) is not None:
                    return list(self.by_id_key.get(id_key(doc[f]), []))
            return []
        for f in _TEXT_FIELDS:
            if isinstance(doc.get(f), str):
                return list(self.by_text.get(text_key(doc[f]), []))
        return []


def _raw_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def _pick(cands: list[Sample], doc: Mapping[str, Any], used: set[str]) -> Sample | None:
    """One unused candidate. Several items can share a text key (MATH repeats some problems, or
    differs only in a diagram): the doc's own answer, then its text with diagrams, tell them apart."""
    doc_text = next((str(doc[f]) for f in _TEXT_FIELDS if isinstance(doc.get(f), str)), "")
    if len(cands) > 1:
        answers = _doc_answer_keys(doc)
        cands = [s for s in cands if text_key(s.gold) in answers] or cands
    if len(cands) > 1:
        cands = [s for s in cands if _raw_key(s.question) == _raw_key(doc_text)] or cands
    free = [s for s in cands if s.id not in used]
    return free[0] if free else None


def match_docs(
    docs: Sequence[LmEvalDoc], samples: Sequence[Sample], kind: str, where: str, benchmark: str,
    item_meta: Mapping[str, str] | None = None,
) -> list[tuple[LmEvalDoc, Sample]]:
    """Each doc with its item (among items with `item_meta`, when given); DataError (saying how many
    matched) when any doc matches no item."""
    wanted = dict(item_meta or {})
    index = _Index.of([s for s in samples if all(str(s.meta.get(k)) == v for k, v in wanted.items())])
    used: set[str] = set()
    pairs: list[tuple[LmEvalDoc, Sample]] = []
    for d in docs:
        got = _pick(index.candidates(d.doc, kind), d.doc, used)
        if got is not None:
            used.add(got.id)
            pairs.append((d, got))
    if len(pairs) != len(docs):
        how = "task_id" if kind == "code" else "question / problem text"
        among = f" ({', '.join(f'{k} {v}' for k, v in wanted.items())})" if wanted else ""
        raise DataError(
            f"{where}: {len(pairs)} of {len(docs)} docs matched an item of {benchmark}{among} (by {how}); "
            f"is {benchmark} the benchmark these docs come from?"
        )
    return pairs


def to_score_inputs(pairs: Sequence[tuple[LmEvalDoc, Sample]], task_map: TaskMap) -> list[dict[str, Any]]:
    """`harness score` records, one per response: item id, sample index k, output (with the task's
    generation prefix put back), and lm-eval's own view of the doc under `lm_eval`."""
    out = []
    for d, s in pairs:
        prefix = task_map.output_prefix(d.doc)
        info = {"task": d.task, "doc_id": d.doc_id, "prompt_hash": d.prompt_hash, "metrics": dict(d.metrics)}
        for k, text in enumerate(d.outputs):
            out.append({"id": s.id, "k": k, "output": prefix + text, "lm_eval": info})
    return out
