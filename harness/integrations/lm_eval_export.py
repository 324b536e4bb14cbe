"""Write our benchmarks as lm-eval tasks: `harness_<name>.yaml` each, groups `harness` and `harness_<suite>`.

The YAMLs hold no data and no prompt text: lm-eval calls harness.integrations.lm_eval_hooks (through
a two-line module written beside them) to load the items from HARNESS_DATA_DIR, render prompts with
the preset and grade responses. Generation settings (stop strings, max tokens, greedy) are the
preset's. Code tasks are marked `unsafe_code`, so lm-eval runs them only with
`--confirm_run_unsafe_code`; the programs then run in our sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness import __version__
from harness.benchmark import Benchmark
from harness.errors import ConfigError
from harness.integrations.lm_eval_hooks import metric_name
from harness.integrations.lm_eval_tasks import HARNESS_TASK_PREFIX
from harness.presets import get_preset
from harness.registry import all_benchmarks, suite
from harness.types import Sample

HOOKS_MODULE = "harness_lm_eval_hooks"
_HOOKS_SOURCE = (
    '"""Written by `harness lm-eval-tasks`: lm-eval finds the hooks of the harness_* tasks here."""\n\n'
    "from harness.integrations.lm_eval_hooks import dataset, process_results\n\n"
    '__all__ = ["dataset", "process_results"]\n'
)
GROUPS = ("harness", "harness_scalequest")


class _Function(str):
    """A `!function module.name` reference in the written YAML."""


def _function_representer(dumper: yaml.SafeDumper, value: _Function) -> yaml.Node:
    return dumper.represent_scalar("!function", str(value))


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


_Dumper.add_representer(_Function, _function_representer)


def _stops(bench: Benchmark, preset: str, base_model: bool) -> tuple[list[str], bool]:
    """The format's stop strings (fixed per format) and whether it opens the answer with a prefix,
    read off a placeholder item."""
    fmt = get_preset(preset).format_for(bench.prompt_family, chat=not base_model)
    probe = Sample(bench.name, bench.version, "probe", "", "", {"tests": ["assert f(1) == 1"], "text": "."})
    prompt = fmt(probe, bench.fewshot)
    return list(prompt.stop), prompt.assistant_prefix != ""


def task_config(bench: Benchmark, preset: str, base_model: bool) -> dict[str, Any]:
    """The lm-eval task config of one benchmark."""
    sampling = get_preset(preset).sampling
    stops, has_prefix = _stops(bench, preset, base_model)
    cfg: dict[str, Any] = {
        "task": f"{HARNESS_TASK_PREFIX}{bench.name}",
        "custom_dataset": _Function(f"{HOOKS_MODULE}.dataset"),
        "output_type": "generate_until",
        "test_split": "test",
        "doc_to_text": "{{harness_text}}",
        "doc_to_target": "{{harness_gold}}",
        "description": "{{harness_system}}",
        "target_delimiter": "",
        "process_results": _Function(f"{HOOKS_MODULE}.process_results"),
        "metric_list": [{"metric": metric_name(bench), "aggregation": "mean", "higher_is_better": True}],
        "generation_kwargs": {"until": stops, "do_sample": False, "temperature": 0.0,
                              "max_gen_toks": sampling.max_tokens},
        "repeats": 1,
        "num_fewshot": 0,
    }
    if has_prefix:
        cfg["gen_prefix"] = "{{harness_gen_prefix}}"
    if bench.kind == "code":
        cfg["unsafe_code"] = True
    cfg["metadata"] = {"version": bench.version, "benchmark": bench.name, "preset": preset,
                       "base_model": base_model, "harness_version": __version__}
    return cfg


def write_tasks(out: Path, preset: str, base_model: bool = False,
                names: Sequence[str] = ()) -> tuple[list[Path], list[str]]:
    """Write the task YAMLs, the groups and the hooks module into `out`. Returns the files written
    and one line per benchmark the preset cannot prompt (left out, with the reason)."""
    get_preset(preset)  # unknown preset: ConfigError before anything is written
    configs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for bench in all_benchmarks():
        if names and bench.name not in names:
            continue
        try:
            configs[bench.name] = task_config(bench, preset, base_model)
        except ConfigError as exc:
            skipped.append(f"{bench.name}: left out ({exc})")
    if not configs:
        raise ConfigError(f"preset {preset!r} prompts none of the chosen benchmarks: {'; '.join(skipped)}")
    out.mkdir(parents=True, exist_ok=True)
    hooks = out / f"{HOOKS_MODULE}.py"
    hooks.write_text(_HOOKS_SOURCE, encoding="utf-8")
    written = [hooks]
    for name, cfg in configs.items():
        path = out / f"{HARNESS_TASK_PREFIX}{name}.yaml"
        path.write_text(yaml.dump(cfg, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
        written.append(path)
    members = {"harness": list(configs),
               "harness_scalequest": [b.name for b in suite("scalequest") if b.name in configs]}
    for group in GROUPS:
        if not members[group]:
            continue
        doc = {"group": group, "task": [f"{HARNESS_TASK_PREFIX}{n}" for n in members[group]],
               "metadata": {"version": 1, "preset": preset}}
        path = out / f"{group}.yaml"
        path.write_text(yaml.dump(doc, Dumper=_Dumper, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written, skipped
