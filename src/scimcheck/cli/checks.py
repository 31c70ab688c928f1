"""``scimcheck checks``: every check of the registry with its level, capability and source
(:mod:`scimcheck.checks.registry`; docs/checks.md is generated from the same registry)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scimcheck.core import exitcodes

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``checks`` takes no options."""
    sub.add_parser("checks", help="list every check with its level, capability and source")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck checks``: the registry as a table."""
    from scimcheck.checks import registry as checks

    for check in checks.all_checks():
        print(f"{check.id:<38} {check.level.value:<15} {check.capability.value:<16} {check.source}")
    return exitcodes.OK
