"""``scimcheck diff OLD NEW``: the findings of two runs' results.json compared, new, fixed and
still failing (:mod:`scimcheck.report.baseline`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from scimcheck.cli.common import fail
from scimcheck.core import exitcodes
from scimcheck.report import baseline

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``diff``'s arguments."""
    diff = sub.add_parser(
        "diff",
        help="compare two runs' results.json: new, fixed and still-failing findings",
        description="Compare the findings of two runs (results.json files). Exit 0: no new "
        "finding at a failing level; 1: at least one.",
    )
    diff.add_argument("old", help="the earlier run's results.json")
    diff.add_argument("new", help="the later run's results.json")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck diff OLD NEW``: what changed between two runs."""
    from scimcheck.core.errors import ConfigError

    try:
        comparison, lines = baseline.diff(Path(args.old), Path(args.new))
    except ConfigError as exc:
        return fail(str(exc))
    print("\n".join(lines))
    return exitcodes.CHECKS_FAILED if comparison.fails("new") else exitcodes.OK
