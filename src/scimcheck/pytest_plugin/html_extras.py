"""What report.html (pytest-html) shows of a SCIM item: its checks table, transcript and curl
repro scripts, and a skip's reason as a sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scimcheck.sequences.runner import Sequence


def attach_html_extras(report: pytest.TestReport, sequence: Sequence) -> None:
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency
        return
    from scimcheck.report.html import checks_table, inline_block
    from scimcheck.report.transcript import render_text

    text = render_text(sequence.transport.exchanges)
    existing = list(getattr(report, "extras", []))
    if sequence.evaluations:
        existing.append(extras.html(checks_table(sequence.evaluations)))
    existing.append(extras.html(inline_block("Transcript", text, copy=True)))
    for evaluation in sequence.evaluations:
        if evaluation.repro:
            existing.append(extras.html(inline_block(
                f"Replay {evaluation.check.id} (curl)", evaluation.repro, copy=True
            )))
    report.extras = existing  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """A skipped test's log in report.html is its reason as a sentence, not pytest's
    (path, line, reason) tuple with a site-packages path."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        from html import escape

        data[:] = [escape(f"Not run: {str(longrepr[2]).removeprefix('Skipped: ')}")]
