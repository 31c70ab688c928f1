"""The run's collector on the controller: gathers the verdicts every test report carries
(under pytest-xdist too), writes results.json, the per-check junit.xml and the repro scripts,
and adds the Entra readiness summary to the terminal and report.html."""

from __future__ import annotations

from typing import Any

import pytest

from scimcheck.core.errors import DEADLINE_REACHED
from scimcheck.pytest_plugin.configure import resolve_settings
from scimcheck.pytest_plugin.options import SETTINGS_KEY, STARTED_INPUT, STATE_KEY
from scimcheck.pytest_plugin.outputs import guard_outputs


class RunCollector:
    """Gathers verdicts and outcomes on the controller (works under pytest-xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = config.stash[STATE_KEY]
        self.baseline: dict[str, Any] | None = None
        self.final: dict[str, Any] | None = None
        path = config.getoption("scim_baseline")
        if path:
            from pathlib import Path

            from scimcheck.core.errors import ConfigError
            from scimcheck.report import baseline

            try:
                self.baseline = baseline.load(Path(path), "--scim-baseline")
            except ConfigError as exc:
                raise pytest.UsageError(str(exc)) from None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect the verdicts each test report carries, and count outcomes."""
        if not self.state.collected_scim and getattr(report, "scimcheck_item", False):
            # under pytest-xdist the workers collect: the first SCIM report says it ran here
            resolve_settings(self.config)
            guard_outputs(self.config)
            self.state.collected_scim = True
        evaluations = getattr(report, "scimcheck_evaluations", None)
        if evaluations:
            self.state.evaluations.extend({**e, "test": report.nodeid} for e in evaluations)
        stopped = getattr(report, "scimcheck_not_evaluated", None)
        if stopped:
            self.state.not_evaluated.append({"test": report.nodeid, "reason": str(stopped)})
            self.state.deadline_reached |= str(stopped).startswith(DEADLINE_REACHED)
        sent = getattr(report, "scimcheck_requests", None)
        if sent is not None:
            self.state.requests[report.nodeid] = int(sent)
        retried = getattr(report, "scimcheck_retries", None)
        if retried:
            self.state.retries += int(retried[0])
            self.state.retry_wait_s += float(retried[1])
        tests = self.state.tests
        if getattr(report, "scimcheck_harness_error", False):
            tests["errors"] += 1
        elif report.when == "call":
            key = "passed" if report.passed else "failed" if report.failed else "skipped"
            tests[key] += 1
        elif report.failed:
            tests["errors"] += 1
        elif report.skipped and report.when == "setup":
            tests["skipped"] += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Give each pytest-xdist worker the run's start, so all share one deadline."""
        node.workerinput[STARTED_INPUT] = self.state.started

    def _document(self) -> dict[str, Any] | None:
        """The results document; once the session has finished, the one built then (the HTML
        summary and the terminal summary come after it, and nothing changes it any more)."""
        if self.final is not None:
            return self.final
        settings = self.config.stash.get(SETTINGS_KEY, None)
        if settings is None or not self.state.collected_scim:
            return None
        from scimcheck.report import baseline, results

        document = results.build(settings, self.state)
        if self.baseline is not None:
            baseline.attach(document, self.baseline, str(self.config.getoption("scim_baseline")))
        return document

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write results.json and the per-check junit.xml."""
        settings = self.config.stash.get(SETTINGS_KEY, None)
        document = self.final = self._document()
        junit = self.config.getoption("scim_junit")
        if document is not None and junit:
            from scimcheck.http import redaction
            from scimcheck.report import junit as junit_checks

            redaction.write_text(junit, junit_checks.render(document).decode("utf-8"))
        if document is not None and settings is not None and settings.results_path:
            from pathlib import Path

            from scimcheck.report import repro, results

            results.write(settings.results_path, document)
            folder = Path(settings.results_path).parent / "repro"
            for stale in repro.files_in(folder):  # a report directory shows one run
                stale.unlink()
            repro.write(document, folder, settings.profile.source, settings.examples,
                        self.config.getoption("scim_shards"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        """The page is scimcheck's: its name and version now, the verdict and target at the
        end (pytest-html asks at the start of the session)."""
        from scimcheck import __version__

        self.html_report = report
        report.title = f"scimcheck {__version__}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        """The Entra readiness summary on top of report.html, and the page's title."""
        document = self._document()
        if document is not None:
            from scimcheck.report import html as report_html

            prefix.extend(report_html.summary(document))
            report = getattr(self, "html_report", None)
            if report is not None:
                report.title = report_html.title(document)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A scimcheck run's report has no Python/plugin environment table (pytest-metadata's):
        the readiness summary says what was tested, with what."""
        if not self.config.getoption("scim_junit"):  # plain pytest keeps its own report
            return
        try:
            from pytest_metadata.plugin import metadata_key  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - pytest-html depends on it
            return
        self.config.stash[metadata_key].clear()

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        """The verdict by capability, in Entra's terms, after pytest's own summary."""
        document = self._document()
        if document is None:
            return
        from scimcheck.http.redaction import for_terminal
        from scimcheck.report import results

        for line in results.summary_lines(document):
            terminalreporter.write_line(for_terminal(line))
        if self.state.cleanup_problems:
            settings = self.config.stash[SETTINGS_KEY]
            terminalreporter.write_line(
                f"  ! {self.state.cleanup_problems} resource(s) this run created may be left on "
                f"the endpoint (see the warnings above); remove them with: scimcheck cleanup "
                f"{results.public_url(settings.base_url)} --run-id {settings.run_id}"
            )

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str,
                                location: Any) -> None:
        """Count cleanup problems (workers' warnings arrive here too under pytest-xdist)."""
        if str(getattr(warning_message, "message", "")).startswith("scimcheck cleanup:"):
            self.state.cleanup_problems += 1
