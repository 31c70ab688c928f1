"""Running a SCIM item: not started past the run deadline, failed when a check at a failing
level failed (checks themselves are soft), and its verdicts, transcript and request count
carried on the test report (so JUnit and pytest-xdist see them), cleaned of secrets."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from scimcheck.core.errors import ConformanceFailure, RunStopped, SequenceAborted
from scimcheck.pytest_plugin.configure import resolve_settings
from scimcheck.pytest_plugin.html_extras import attach_html_extras
from scimcheck.pytest_plugin.options import SEQUENCE_KEY, STOPPED_KEY
from scimcheck.pytest_plugin.sequence_items import SequenceItem


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past the run deadline, a SCIM test is not started: skipped as not evaluated."""
    if item.get_closest_marker("scim") is None:
        return
    settings = resolve_settings(item.config)
    import time

    if settings.stop_at is not None and time.time() >= settings.stop_at:
        item.stash[STOPPED_KEY] = settings.stop_reason
        pytest.skip(settings.stop_reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the item when a check at a failing level failed (checks themselves are soft); a
    test stopped early (``RunStopped``) is skipped as not evaluated unless it failed first."""
    aborted: str | None = None
    stopped: str | None = None
    try:
        yield
    except SequenceAborted as exc:
        aborted = str(exc)
    except RunStopped as exc:
        stopped = str(exc)
        item.stash[STOPPED_KEY] = stopped
    sequence = item.stash.get(SEQUENCE_KEY, None)
    if sequence is None:
        if aborted:
            raise SequenceAborted(aborted)
        if stopped:
            pytest.skip(stopped)
        return
    from scimcheck.sequences.runner import describe_failures

    failures = sequence.run_failures()
    if failures or aborted:
        text = describe_failures(failures)
        if aborted or stopped:
            text += f"\n(sequence stopped early: {aborted or stopped})"
        raise ConformanceFailure(text)
    if stopped:
        pytest.skip(stopped)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Put verdicts and the transcript on the report; show our failures without a traceback."""
    report = yield
    if item.get_closest_marker("scim") is not None:
        # said on the report itself: its keywords also hold every folder name of its path,
        # and a folder called scim (tests/scim/) is no SCIM test
        report.scimcheck_item = True  # type: ignore[attr-defined]
    stopped = item.stash.get(STOPPED_KEY, None)
    if stopped is not None:  # said once, on the report of the phase that stopped
        del item.stash[STOPPED_KEY]
        report.scimcheck_not_evaluated = stopped  # type: ignore[attr-defined]
    if report.skipped and isinstance(item, SequenceItem) and isinstance(report.longrepr, tuple):
        # at the sequence file, not at the Python line that skipped it
        report.longrepr = (*item.skip_location(), report.longrepr[2])
    sequence = item.stash.get(SEQUENCE_KEY, None)
    if sequence is not None and call.when == "teardown":
        # every request the test sent, its cleanup included (exchanges may have been trimmed)
        report.scimcheck_requests = sequence.transport.sent  # type: ignore[attr-defined]
        # items live as long as the run: a test's answers must not (its report has them)
        del item.stash[SEQUENCE_KEY]
    if sequence is None or call.when != "call":
        _clean_report(report)
        return report
    if call.excinfo is not None:
        if call.excinfo.errisinstance(ConformanceFailure):
            report.longrepr = str(call.excinfo.value)
            if isinstance(item, SequenceItem):  # with the failing steps of its YAML file
                report.longrepr = item.describe(report.longrepr, sequence)
        elif not call.excinfo.errisinstance(pytest.skip.Exception):
            report.scimcheck_harness_error = True  # type: ignore[attr-defined]
    if sequence.failures():
        from scimcheck.report import repro

        sequence.evaluations = repro.attach(sequence, item.nodeid)
    labels = {x.index: x.label for x in sequence.transport.exchanges if x.label}
    evaluations = [
        {
            "id": e.check.id,
            "passed": e.passed,
            "message": e.message,
            "dialect": e.dialect,
            "exchange": e.exchange,
            **({"step": labels[e.exchange]} if not e.passed and e.exchange in labels else {}),
            **({"repro": e.repro} if e.repro else {}),
            **({} if e.evaluated else {"evaluated": False}),
            **({"workaround": e.workaround} if e.workaround and e.evaluated else {}),
        }
        for e in sequence.evaluations
    ]
    report.scimcheck_evaluations = evaluations  # type: ignore[attr-defined]
    report.scimcheck_retries = [  # type: ignore[attr-defined]
        sequence.transport.retries, round(sequence.transport.retry_wait_s, 3),
    ]
    report.scimcheck_transcript = [  # type: ignore[attr-defined]
        x.shortened().to_dict() for x in sequence.transport.exchanges  # reports live all run
    ]
    # junitxml writes properties from the teardown report, which copies item.user_properties.
    for check_id, outcome in _per_check(evaluations).items():
        item.user_properties.append((f"check:{check_id}", outcome))
    attach_html_extras(report, sequence)
    _clean_report(report)
    return report


def _clean_report(report: pytest.TestReport) -> None:
    """What pytest, junit.xml and report.html show of a test, cleaned before any of them sees
    it: secrets redacted everywhere, control characters escaped in what reaches a terminal
    (the failure text and captured output). A traceback that needs neither is left as is."""
    from scimcheck.http.redaction import current, for_terminal

    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, for_terminal(reason, multiline=True))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        if for_terminal(text, multiline=True) != text:
            report.longrepr = for_terminal(text, multiline=True)
    report.sections = [
        (title, for_terminal(content, multiline=True)) for title, content in report.sections
    ]
    redactor = current()
    if redactor:
        report.user_properties = [
            (redactor.redact(str(k)), redactor.redact_data(v)) for k, v in report.user_properties
        ]
        for extra in getattr(report, "extras", []):
            if isinstance(extra, dict) and isinstance(extra.get("content"), str):
                extra["content"] = redactor.redact(extra["content"])


def _per_check(evaluations: list[dict[str, Any]]) -> dict[str, str]:
    from scimcheck.checks import registry as checks

    # a failure outweighs a pass, which outweighs a pass only with a workaround (a diagnostic
    # retry changed Entra's request), which outweighs "not evaluated" (a precondition failed)
    rank = ("not evaluated", "workaround", "passed", "failed")
    found: dict[str, str] = {}
    for e in evaluations:
        now = "failed" if not e["passed"] else (
            "not evaluated" if not e.get("evaluated", True)
            else "workaround" if e.get("workaround") else "passed")
        before = found.get(e["id"], now)
        found[e["id"]] = max(before, now, key=rank.index)
    outcome: dict[str, str] = {}
    for check_id, verdict in found.items():
        check = checks.get(check_id)
        outcome[check_id] = f"{verdict} | {check.level} | {check.capability}"
    return outcome
