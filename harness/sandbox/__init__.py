"""Isolated execution of untrusted generated code: bubblewrap where it works, else a local fallback."""

from __future__ import annotations

from harness.config import SandboxConfig
from harness.errors import SandboxError
from harness.sandbox.base import PYTHON, ExecResult, ExecStatus, Sandbox

__all__ = ["PYTHON", "ExecResult", "ExecStatus", "Sandbox", "select_sandbox"]


def select_sandbox(config: SandboxConfig) -> Sandbox:
    """The sandbox the config asks for; 'auto' takes bwrap when a self-test run works, else local."""
    from harness.sandbox.bwrap import BwrapSandbox, probe_bwrap
    from harness.sandbox.local import LocalSandbox

    cache = config.reference_cache_dir
    if config.kind == "local":
        return LocalSandbox(config.max_output_bytes, reason="requested (sandbox kind 'local')",
                            reference_cache_dir=cache)
    namespaces, why = probe_bwrap()
    if namespaces is not None:
        reason = f"{'requested' if config.kind == 'bwrap' else 'auto'}: bwrap self-test passed ({why})"
        return BwrapSandbox(namespaces, config.max_output_bytes, reason=reason, reference_cache_dir=cache,
                            fork_server=config.fork_server)
    if config.kind == "bwrap":
        raise SandboxError(f"sandbox kind 'bwrap' requested but bwrap does not work here: {why}")
    return LocalSandbox(config.max_output_bytes, reason=f"auto: bwrap unusable ({why})", reference_cache_dir=cache)
