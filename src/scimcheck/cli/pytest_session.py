"""How ``run`` and ``replay`` drive pytest: the report directory, the target (the embedded
reference server without a URL), Entra's Test Connection probe, then ``pytest.main()`` over the
bundled suites with only the plugins a run needs."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from scimcheck import TOKEN_ENV
from scimcheck.cli.common import fail, sigterm_as_interrupt, suites_path
from scimcheck.core import exitcodes
from scimcheck.http import redaction
from scimcheck.settings import options
from scimcheck.settings.oauth import CLIENT_SECRET_ENV

if TYPE_CHECKING:
    from scimcheck.http.oauth import OAuthClient

SHARDS = 4
"""Items each generated-user property is split into (``--scim-shards``), serial or ``-n``: the
same items with the same seeds either way, so one ``--seed`` gives one verdict."""


class _Stopped(Exception):
    """The run stopped before pytest; the message was printed, ``code`` is the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def run_pytest(
    args: argparse.Namespace, token: str | None, report_dir: Path,
    argv_for: Callable[[str], list[str]],
) -> int:
    """Create the report directory, start the target (the embedded server without a URL),
    probe it, and run pytest with ``argv_for(url)``; pytest's exit code. ``_Stopped`` when
    the report directory is unusable or the target unreachable."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.report import report_dir as reports

    try:
        reports.prepare(report_dir, reports.RUN_FILES, reports.RUN_DIRECTORIES,
                        reports.REPRO_PATTERNS)
    except ConfigError as exc:
        raise _Stopped(fail(str(exc))) from None
    with _target(args, token) as (url, target_token):
        from scimcheck.entra import dialects, preflight
        from scimcheck.http.oauth import SHARED_TOKEN_ENV
        from scimcheck.report import unreachable

        client, problem = _sign_in(args)
        if problem is None:
            problem = preflight.problem(url, target_token, args.timeout, verify=args.verify,
                                        auth=client, proxy=args.proxy, headers=args.headers)
        if problem is not None:
            unreachable.write_reports(
                report_dir, url, problem, embedded=not args.url,
                profile=getattr(args, "profile", None) or "entra-app",
                dialects=[d.value for d in dialects.parse_choice(args.dialect)],
            )
            raise _Stopped(fail(problem, exitcodes.TARGET_UNAVAILABLE))
        with contextlib.suppress(FileNotFoundError):
            (report_dir / "results.json").unlink()
        with (
            _environment(TOKEN_ENV, target_token),
            # the first access token, for the plugin and its -n workers: never on disk
            _environment(SHARED_TOKEN_ENV, client.shared() if client else None),
            # only the plugins a run needs (PLUGINS): another installed pytest or Hypothesis
            # plugin can neither change a verdict nor slow every run and worker down
            _environment("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"),
            _environment("HYPOTHESIS_NO_PLUGINS", "1"),
            # Hypothesis caches files (constants it read from local modules); with the reports,
            # not in the working directory
            _environment("HYPOTHESIS_STORAGE_DIRECTORY", str(report_dir.resolve() / ".hypothesis")),
            sigterm_as_interrupt(),
        ):
            import pytest

            return int(pytest.main(argv_for(url)))


def _sign_in(args: argparse.Namespace) -> tuple[OAuthClient | None, str | None]:
    """With OAuth options, a client holding the run's first access token (or why none)."""
    from scimcheck.cli import oauth_login

    given = oauth_login.resolve(args, getattr(args, "verify", True))
    if given is None:
        return None, None
    return oauth_login.sign_in(given)


@contextlib.contextmanager
def _target(args: argparse.Namespace, token: str | None) -> Iterator[tuple[str, str | None]]:
    """The URL to test: the given one, or a freshly started embedded reference server (with
    ``--oauth``, its token endpoint and client credentials become the run's)."""
    if args.url:
        yield args.url, token
        return
    from scimcheck.server import ReferenceServer

    embedded_token = token or secrets.token_urlsafe(24)
    redaction.register(embedded_token)
    oauth = bool(getattr(args, "oauth", False))
    with ReferenceServer(host="127.0.0.1", port=0, token=embedded_token, oauth=oauth) as server:
        print(f"scimcheck: testing the embedded reference server at {server.base_url}"
              + (f" (OAuth token endpoint {server.token_url})" if oauth else ""))
        secret = server.issuer.client_secret if server.issuer is not None else None
        if server.issuer is not None:
            redaction.register(secret)
            args.oauth_token_url, args.client_id = server.token_url, server.issuer.client_id
        with _environment(CLIENT_SECRET_ENV, secret or os.environ.get(CLIENT_SECRET_ENV)):
            yield server.base_url, embedded_token


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


PLUGINS = (
    "scimcheck.pytest_plugin.plugin", "pytest_metadata.plugin", "pytest_html.plugin",
    "_hypothesis_pytestplugin",
)
"""The pytest plugins a run loads; autoloading of the others is off (``run_pytest``). Extra
ones can be named after ``--`` (``scimcheck run URL -- -p NAME``)."""


def pytest_argv(
    args: argparse.Namespace, url: str, profile: str, report_dir: Path, extra: list[str]
) -> list[str]:
    """pytest's command line for the suites: the ``--scim-*`` options from ``args``."""
    suites = suites_path()
    argv = [
        suites,
        *(option for plugin in PLUGINS for option in ("-p", plugin)),
        "-c", str(Path(suites) / "pytest.ini"),
        f"--rootdir={suites}",
        "-o", f"cache_dir={report_dir.resolve() / '.pytest_cache'}",
        "--import-mode=importlib",
        # verdicts are scimcheck's own messages, so pytest's assertion rewriting of every
        # plugin's modules (hypothesis alone has ~150) would only cost each worker ~1.5 s
        "--assert=plain",
        "--no-header",
        # the CLI imported scimcheck before pytest could mark it for assertion rewriting
        "-W", "ignore:Module already imported:pytest.PytestAssertRewriteWarning",
        "--scim-url", url,
        "--scim-preflight-done",
        "--scim-profile", profile,
        "--scim-dialect", args.dialect,
        "--scim-results", str(report_dir / "results.json"),
        "--scim-junit", str(report_dir / "junit.xml"),
        f"--html={report_dir / 'report.html'}",
        "--self-contained-html",
    ]
    if not args.url:
        argv.append("--scim-embedded")
    if args.strict:
        argv.append("--scim-strict")
    if args.seed is not None:
        argv += ["--scim-seed", str(args.seed)]
    if getattr(args, "baseline", None):
        argv += ["--scim-baseline", str(args.baseline)]
    if args.timeout is not None:
        argv += ["--scim-timeout", str(args.timeout)]
    if args.examples is not None:
        argv += ["--scim-examples", str(args.examples)]
    if getattr(args, "max_rps", None) is not None:
        argv += ["--scim-max-rps", str(args.max_rps)]
    if getattr(args, "in_flight", None) is not None:
        argv += ["--scim-in-flight", str(args.in_flight)]
    if getattr(args, "retry_budget", None) is not None:
        argv += ["--scim-retry-budget", str(args.retry_budget)]
    if getattr(args, "deadline", None) is not None:
        argv += ["--scim-deadline", str(args.deadline)]
    # the four properties take most of a run: in quarters, which workers can share; a serial
    # run searches the same quarters, so a seed gives the same verdict with or without -n
    argv += ["--scim-shards", str(SHARDS)]
    if getattr(args, "workers", None) not in (None, "1"):
        argv += ["-p", "xdist.plugin", "-n", args.workers]
    for option in options.OAUTH:  # the plugin reads the secret from SCIM_CLIENT_SECRET
        value = getattr(args, option.name, None)
        if value:
            argv += [option.plugin_flag, str(value)]
    if args.proxy:
        argv += ["--scim-proxy", args.proxy]
    argv += [f"--scim-header={header}" for header in args.header or ()]
    argv += [f"--scim-secret-header={header}" for header in args.secret_header or ()]
    verify = getattr(args, "verify", True)
    if verify is False:
        argv.append("--scim-insecure")
    elif isinstance(verify, str):
        argv += ["--scim-ca-bundle", verify]
    return argv + extra
