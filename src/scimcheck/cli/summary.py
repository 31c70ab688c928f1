"""``scimcheck summary RESULTS.json``: a run's readiness table as Markdown, e.g. for a CI job
summary (:mod:`scimcheck.report.summary_markdown`)."""

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
    """``summary``'s argument."""
    summary = sub.add_parser(
        "summary",
        help="a run's readiness table as Markdown (for a CI job summary)",
        description="Print the verdict, one row per capability, the failed checks and what "
        "changed since a baseline, as Markdown (every value escaped), e.g. >> "
        "$GITHUB_STEP_SUMMARY. Exit 0, or 2 when the file is not a scimcheck results.json.",
    )
    summary.add_argument("results", help="a run's results.json")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck summary RESULTS.json``: the readiness table as Markdown."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.report import summary_markdown

    try:
        document = baseline.load(Path(args.results), "RESULTS")
    except ConfigError as exc:
        return fail(str(exc))
    print(summary_markdown.render(document), end="")
    return exitcodes.OK
