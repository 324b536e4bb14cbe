"""Explicit benchmark registry: name -> declaration, loaded from the module list in `benchmarks`.

Modules are imported on first use, not when `harness` is imported. A duplicate name is an error;
an unknown name gets a close-match hint.
"""

from __future__ import annotations

import importlib
from functools import cache

from harness.benchmark import Benchmark
from harness.errors import ConfigError, close_match_hint


@cache
def _load() -> dict[str, Benchmark]:
    from benchmarks import MODULES

    found: dict[str, Benchmark] = {}
    for module_name in MODULES:
        bench = importlib.import_module(f"benchmarks.{module_name}").BENCHMARK
        if not isinstance(bench, Benchmark):
            raise TypeError(f"benchmarks.{module_name}.BENCHMARK is not a Benchmark")
        if bench.name in found:
            raise ValueError(f"duplicate benchmark name {bench.name!r} in benchmarks.{module_name}")
        found[bench.name] = bench
    return found


def all_benchmarks() -> list[Benchmark]:
    """Every registered benchmark, in registry order."""
    return list(_load().values())


def get_benchmark(name: str) -> Benchmark:
    """The declaration called `name`; ConfigError with a close-match hint when unknown."""
    table = _load()
    if name not in table:
        raise ConfigError(f"unknown benchmark {name!r}{close_match_hint(name, list(table))}")
    return table[name]


def suite_names() -> list[str]:
    """Every suite name: 'all' plus those the declarations name."""
    names = {"all"}
    for bench in all_benchmarks():
        names.update(bench.suites)
    return sorted(names)


def suite(name: str) -> list[Benchmark]:
    """The benchmarks of a suite ('all' is every benchmark)."""
    if name == "all":
        return all_benchmarks()
    members = [b for b in all_benchmarks() if name in b.suites]
    if not members:
        raise ConfigError(f"unknown suite {name!r}{close_match_hint(name, suite_names())}")
    return members
