"""User-facing errors: one clear line, exit code 2. Anything else is a bug and keeps its traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """A problem with the user's input or environment, reported as one line (exit code 2)."""

    exit_code = 2


class ConfigError(HarnessError):
    """Bad flags, conflicting options, unknown names."""


class DataError(HarnessError):
    """Benchmark data missing, corrupt, or not what the declaration expects."""


class BackendError(HarnessError):
    """A model backend could not be loaded or reached."""


class SandboxError(HarnessError):
    """No usable sandbox for running generated code."""


class StoreError(HarnessError):
    """A results directory is unreadable or inconsistent."""


def close_match_hint(name: str, choices: list[str]) -> str:
    """The tail of an unknown-name error: the closest known name, else every known name."""
    import difflib

    close = difflib.get_close_matches(name, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(choices))}"
