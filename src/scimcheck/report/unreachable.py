"""Reports for a run that stopped at its first request (exit code 3).

A nightly job reads ``junit.xml`` and ``results.json`` whatever happened, so a target that cannot
be reached, or answers its Test Connection query with no usable answer, still gets all three
reports: one errored test named ``preflight`` carrying the one-line diagnosis, and no check
judged (docs/entra.md §1.1: Test Connection is Entra's first request too).
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from scimcheck import __version__
from scimcheck.checks import registry as checks
from scimcheck.http import redaction
from scimcheck.report.results import aggregate, public_url, write

TEST_NAME = "preflight"


def document(
    url: str, problem: str, embedded: bool, profile: str, dialects: list[str]
) -> dict[str, Any]:
    """A results.json document: verdict fail, one errored test, every check unjudged."""
    return {
        "tool": "scimcheck",
        "version": __version__,
        "target": public_url(url),
        "embedded": embedded,
        "profile": profile,
        "dialects": dialects,
        "strict": False,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": 0.0,
        "verdict": "fail",
        "unreachable": problem,
        "summary": {"passed": 0, "failed": 0, "skipped": len(checks.all_checks()), "errors": 0},
        "tests": {"passed": 0, "failed": 0, "skipped": 0, "errors": 1},
        "checks": [
            {**entry, "message": "not evaluated: the target gave no usable answer"}
            for entry in aggregate((), strict=False)
        ],
    }


def junit(url: str, problem: str) -> bytes:
    """A JUnit XML file with one errored test case."""
    suites = ElementTree.Element("testsuites", name="scimcheck", tests="1", errors="1")
    suite = ElementTree.SubElement(
        suites, "testsuite", name="scimcheck", tests="1", errors="1", failures="0", skipped="0"
    )
    case = ElementTree.SubElement(suite, "testcase", classname="scimcheck", name=TEST_NAME)
    error = ElementTree.SubElement(case, "error", message=problem, type="TargetUnavailable")
    error.text = f"{public_url(url)}: {problem}"
    return bytes(ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True))


def page(url: str, problem: str) -> str:
    """A self-contained report.html saying why nothing was judged."""
    target = html.escape(public_url(url))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>scimcheck: {target} not tested</title></head><body>"
        f"<h1>scimcheck · {target}</h1>"
        "<p><strong>Not tested:</strong> the first request, Entra's Test Connection query, got "
        f"no usable answer.</p><p id='problem'>{html.escape(problem)}</p>"
        "<p>No check was judged. Fix the problem above and run again.</p></body></html>\n"
    )


def write_reports(
    report_dir: Path, url: str, problem: str, *, embedded: bool, profile: str,
    dialects: list[str],
) -> None:
    """results.json, junit.xml and report.html for a run that could not start."""
    problem = redaction.redact(problem)
    write(report_dir / "results.json", document(url, problem, embedded, profile, dialects))
    redaction.write_text(report_dir / "junit.xml", junit(url, problem).decode("utf-8"))
    redaction.write_text(report_dir / "report.html", page(url, problem))
