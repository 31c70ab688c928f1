"""``scimcheck run``: preflight, then pytest over the bundled suites, then the exit code
(docs/cli.md; exit codes in :mod:`scimcheck.core.exitcodes`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scimcheck import TOKEN_ENV
from scimcheck.cli import oauth_login
from scimcheck.cli.arguments import connection_arguments, numeric_environment, tls_arguments
from scimcheck.cli.common import fail, tls_verify
from scimcheck.cli.pytest_session import _Stopped, pytest_argv, run_pytest
from scimcheck.core import exitcodes
from scimcheck.report import baseline, repro
from scimcheck.settings import options

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``run``'s options."""
    run = sub.add_parser(
        "run",
        help="run the Entra suites against URL (or the embedded reference server)",
        description="Run the Entra provisioning suites. Without URL, the embedded reference "
        "server is started on a free loopback port and tested. Pytest options go after '--'.",
    )
    run.add_argument("url", nargs="?", help="SCIM base URL, e.g. https://app.example.com/scim/v2")
    run.add_argument("--token", help=f"bearer token (prefer the {TOKEN_ENV} environment variable)")
    run.add_argument("--profile", default=None, metavar="NAME|PATH",
                     help="attribute-mapping profile (default entra-app); 'auto' picks "
                     "what the endpoint's /Schemas declares")
    run.add_argument("--dialect", choices=("legacy", "compliant", "both"), default=None,
                     help="Entra PATCH dialect(s) to replay (default both)")
    run.add_argument("--report-dir", default="reports", metavar="DIR",
                     help="where report.html, junit.xml and results.json go (default reports/)")
    run.add_argument("--strict", action="store_true",
                     help="also fail the run on rfc-should checks")
    run.add_argument("--seed", type=int,
                     help="seed for generated users and Hypothesis (default random; shown, "
                     "so a run can be replayed exactly)")
    run.add_argument("--max-rps", type=float, metavar="N",
                     help="send at most N requests per second (default: no cap)")
    run.add_argument("--in-flight", type=int, metavar="N",
                     help="send at most N independent requests at once (default 4; 1: one "
                     "by one)")
    run.add_argument("--retry-budget", type=float, metavar="SECONDS",
                     help="most time to wait in all for Retry-After on 429/503 (default 120)")
    run.add_argument("--examples", type=int, metavar="N",
                     help="generated users to search, each serving every property "
                     "(default 40; 0 skips the generated searches)")
    run.add_argument("--timeout", type=float, metavar="SECONDS",
                     help="per-request timeout (default 60, Entra's limit)")
    run.add_argument("--deadline", type=float, metavar="SECONDS",
                     help="start no test after this many seconds; the rest are not evaluated and "
                     "the run fails (env SCIM_DEADLINE; default 1800)")
    run.add_argument("--baseline", metavar="RESULTS.json",
                     help="an earlier run's results.json: classify each finding as new, fixed "
                     "or still failing (summary, results.json)")
    run.add_argument("--fail-on", choices=("any", "new"), default="any",
                     help="with --baseline: fail on any failing-level finding (default) or only "
                     "on new ones")
    run.add_argument("-n", "--workers", metavar="N|auto",
                     help="run the tests in N parallel processes (pytest-xdist; 'auto': one "
                     "per CPU); reports are merged. Default: one process")
    run.add_argument("--oauth", action="store_true",
                     help="without URL: the embedded server requires OAuth 2.0 client "
                     "credentials, and the run gets its access tokens from its token endpoint")
    oauth_login.add_arguments(run)
    tls_arguments(run)
    connection_arguments(run)


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck run``: preflight, then pytest over the suites, then the exit code."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.scim import profiles

    if args.token:
        print(
            f"scimcheck: warning: --token is visible in process lists; prefer {TOKEN_ENV}",
            file=sys.stderr,
        )
    token = args.token or os.environ.get(TOKEN_ENV) or None
    problem = _settings_from_environment(args)
    if problem:
        return fail(problem)
    try:
        profile = profiles.load(args.profile)
        args.verify = tls_verify(args)
        previous = None if args.baseline is None else baseline.load(
            Path(args.baseline), "--baseline"
        )
    except ConfigError as exc:
        return fail(str(exc))
    if args.oauth and args.url:
        return fail("--oauth goes without URL (the embedded server's token endpoint); for URL "
                    "give --oauth-token-url and --client-id, and the secret in "
                    "SCIM_CLIENT_SECRET")
    if previous is None and args.fail_on != "any":
        return fail("--fail-on new needs --baseline: give the results.json of an earlier run")
    report_dir = Path(args.report_dir)
    try:
        pytest_code = run_pytest(
            args, token, report_dir,
            lambda url: pytest_argv(args, url, profile.source, report_dir, pytest_args),
        )
    except _Stopped as stopped:
        return stopped.code
    return _exit_code(pytest_code, report_dir / "results.json", report_dir, args.fail_on)


_ENVIRONMENT = (options.URL, options.PROFILE, options.DIALECT, options.TIMEOUT)
"""``run`` options that an environment variable sets when the flag is absent (flag wins); the
plugin reads the others (scimcheck.settings.options defines them all)."""


def _settings_from_environment(args: argparse.Namespace) -> str | None:
    """Fill absent ``run`` options from SCIM_URL, SCIM_PROFILE, SCIM_DIALECT and SCIM_TIMEOUT,
    after judging the numeric variables and SCIM_STRICT; a bad value is the problem to report,
    else ``None``."""
    from scimcheck.core.errors import ConfigError

    problem = numeric_environment()
    if problem:
        return problem
    try:
        for option in _ENVIRONMENT:
            given = getattr(args, option.name)
            setattr(args, option.name, options.resolve(option, given, os.environ))
        options.check_environment((options.STRICT,), os.environ)
    except ConfigError as exc:
        return str(exc)
    return None


def _exit_code(
    pytest_code: int, results_path: Path, report_dir: Path, fail_on: baseline.FailOn = "any",
) -> int:
    """Map pytest's exit code and the verdict (or, with ``--fail-on new``, what is new since
    the baseline) onto scimcheck's exit codes."""
    import pytest

    if pytest_code == pytest.ExitCode.INTERRUPTED:
        return exitcodes.INTERRUPTED
    if pytest_code == pytest.ExitCode.USAGE_ERROR:
        return exitcodes.USAGE
    if pytest_code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return fail("no test was selected; check the -k/-m options given after '--'")
    if pytest_code == exitcodes.TARGET_UNAVAILABLE and not results_path.exists():
        return exitcodes.TARGET_UNAVAILABLE
    document: dict[str, Any] | None = None
    if results_path.exists():
        document = json.loads(results_path.read_text(encoding="utf-8"))
    if document is None or pytest_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return fail("scimcheck itself failed; see the output above", exitcodes.HARNESS_ERROR)
    print(f"Reports: {report_dir / 'report.html'}, {report_dir / 'junit.xml'}, {results_path}")
    scripts = list(repro.scripts_in(report_dir / "repro"))
    if scripts:
        print(f"Reproduce a failure: SCIM_TOKEN=… bash {scripts[0]}  "
              f"({len(scripts)} script(s) in {report_dir / 'repro'})")
    if document["tests"]["errors"]:
        return exitcodes.HARNESS_ERROR
    if fail_on == "new":
        fails = baseline.run_fails(document, fail_on)
        if document["verdict"] == "fail" and not fails:
            print("Verdict FAIL, but no new finding since the baseline: exit 0 (--fail-on new)")
        return exitcodes.CHECKS_FAILED if fails else exitcodes.OK
    return exitcodes.CHECKS_FAILED if document["verdict"] == "fail" else exitcodes.OK
