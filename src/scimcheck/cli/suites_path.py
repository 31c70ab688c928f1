"""``scimcheck suites-path``: where the bundled suites are, to run them under plain pytest
(docs/cli.md)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scimcheck.cli.common import suites_path
from scimcheck.core import exitcodes

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``suites-path`` takes no options."""
    sub.add_parser("suites-path", help="print where the bundled suites are (for plain pytest)")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck suites-path``: print the directory."""
    print(suites_path())
    return exitcodes.OK
