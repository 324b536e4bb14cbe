"""Command-line flags several commands share."""

from __future__ import annotations

import argparse
from typing import Any

from harness.config import SandboxConfig


def add_sandbox_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--sandbox` and `--no-fork-server`, shared by every command that runs generated code."""
    parser.add_argument("--sandbox", choices=("auto", "bwrap", "local"), default="auto",
                        help="code isolation: bwrap where it works (auto), or insist on one")
    parser.add_argument("--no-fork-server", action="store_true",
                        help="bwrap: start one sandbox per program instead of forking from long-lived ones")


def sandbox_config(args: argparse.Namespace, **overrides: Any) -> SandboxConfig:
    """The SandboxConfig those flags ask for."""
    return SandboxConfig(kind=args.sandbox, fork_server=not args.no_fork_server, **overrides)
