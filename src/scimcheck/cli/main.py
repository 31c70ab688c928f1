"""The ``scimcheck`` command: ``run``, ``serve``, ``replay``, ``record``, ``cleanup``, ``load``,
``diff``, ``summary``, ``checks`` and ``suites-path`` (docs/cli.md is the manual).

``run`` wraps ``pytest.main()`` over the bundled suites, so every pytest option works after
``--``. Exit codes are in :mod:`scimcheck.core.exitcodes` and docs/cli.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from scimcheck import TOKEN_ENV, __version__
from scimcheck.core import exitcodes, numeric
from scimcheck.core.errors import ReplayFileError
from scimcheck.http import redaction
from scimcheck.report import baseline, repro


class _Parser(argparse.ArgumentParser):
    """argparse that exits with scimcheck's usage code and one clear line."""

    def error(self, message: str) -> NoReturn:
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar (docs/cli.md is its manual)."""
    parser = _Parser(
        prog="scimcheck",
        description="SCIM 2.0 conformance harness that replays Microsoft Entra ID provisioning.",
    )
    parser.add_argument("--version", action="version", version=f"scimcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    run.add_argument("--retry-budget", type=float, metavar="SECONDS",
                     help="most time to wait in all for Retry-After on 429/503 (default 120)")
    run.add_argument("--examples", type=int, metavar="N",
                     help="Hypothesis examples per generated-user property (default 200; "
                     "0 skips the properties)")
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
    _tls_arguments(run)

    serve = sub.add_parser(
        "serve",
        help="run the reference SCIM server in the foreground",
        description="Serve the reference SCIM 2.0 server until Ctrl-C. The token comes from "
        f"--token or {TOKEN_ENV}; without one the server accepts anonymous requests.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    serve.add_argument("--token", help=f"bearer token to require (or {TOKEN_ENV})")
    serve.add_argument("--variant", help="serve a deliberately broken variant (names: "
                       "--list-variants)")
    serve.add_argument("--list-variants", action="store_true",
                       help="list every broken variant and what it breaks, then exit")

    replay = sub.add_parser(
        "replay",
        help="re-run a failure (reports/repro/*.json) or a sequence file and say if it still fails",
        description="Re-run a failure record written by 'scimcheck run' (reports/repro/*.json: "
        "the same test, seed and profile) or a sequence file (e.g. one 'scimcheck record' "
        "wrote), printing every request and answer. Exit 0: fixed / passes; 1: still failing. "
        "A failure record needs URL (or --embedded); a sequence file without URL runs against "
        "the embedded reference server.",
    )
    replay.add_argument("file", help="a failure record (.json) or a sequence file (.yaml/.json)")
    replay.add_argument("url", nargs="?", help="SCIM base URL (a sequence file's default: the "
                        "embedded server)")
    replay.add_argument("--embedded", action="store_true",
                        help="replay against the embedded reference server (how a correct "
                        "server answers)")
    replay.add_argument("--profile", default=None, metavar="NAME|PATH",
                        help="attribute-mapping profile (default: the failure's, or entra-app)")
    replay.add_argument("--dialect", choices=("legacy", "compliant", "both"), default="both",
                        help="dialect(s) for a sequence file (default both)")
    replay.add_argument("--report-dir", default="reports/replay", metavar="DIR",
                        help="where the replay's reports go (default reports/replay)")
    replay.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="per-request timeout (default 60, Entra's limit)")
    _tls_arguments(replay)

    record = sub.add_parser(
        "record",
        help="a recording reverse proxy: forward to --upstream, write the traffic as a sequence",
        description="Forward every request to the upstream SCIM endpoint and write what was sent "
        "and answered as a sequence file (Authorization never written), for 'scimcheck replay' "
        "and --scim-sequences. Point Entra (or anything) at the printed URL; Ctrl-C stops.",
    )
    record.add_argument("--upstream", required=True, metavar="URL",
                        help="the SCIM base URL to forward to, e.g. https://app.example.com/scim/v2")
    record.add_argument("--listen", type=int, default=8081, metavar="PORT",
                        help="port to listen on (default 8081; 0 = any free port)")
    record.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1)")
    record.add_argument("--out", required=True, metavar="FILE",
                        help="the sequence file to write (YAML)")
    _tls_arguments(record, whose="the upstream's")

    cleanup = sub.add_parser(
        "cleanup",
        help="delete what earlier runs left behind, selected by their tag only",
        description="Find users and groups whose userName/displayName carries a scimcheck run "
        "tag (scimcheck-<run id>-…) and delete them; nothing else is touched. The run id is "
        "printed by every run and stored in results.json.",
    )
    cleanup.add_argument("url", help="SCIM base URL (the token comes from SCIM_TOKEN)")
    which = cleanup.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", metavar="ID", help="the run whose leftovers to delete")
    which.add_argument("--all", action="store_true",
                       help="leftovers of every scimcheck run older than --older-than")
    cleanup.add_argument("--older-than", metavar="DURATION",
                         help="with --all: only runs whose newest resource is older than this, "
                         "by the endpoint's meta timestamps (e.g. 30m, 2h, 7d; default 24h)")
    cleanup.add_argument("--dry-run", action="store_true",
                         help="list what would be deleted; delete nothing")
    cleanup.add_argument("--timeout", type=float, metavar="SECONDS",
                         help="per-request timeout (default 60)")
    _tls_arguments(cleanup)

    load = sub.add_parser(
        "load",
        help="replay Entra's provisioning cycles at a target rate (needs scimcheck[load])",
        description="Replay an Entra initial cycle (match-then-create, groups, member adds) and "
        "incremental cycles at --rate requests per second for --duration seconds on Locust, "
        "then judge Entra's gallery requirement of 25 requests per second per tenant. "
        "Everything created is deleted. Without URL the embedded reference server is loaded.",
    )
    load.add_argument("url", nargs="?", help="SCIM base URL (default: the embedded server)")
    load.add_argument("--users", type=int, default=100, metavar="N",
                      help="users per tenant (default 100)")
    load.add_argument("--groups", type=int, default=5, metavar="M",
                      help="groups per tenant, each holding every user (default 5)")
    load.add_argument("--rate", type=float, metavar="R",
                      help="requests per second offered in all (default 30 per tenant)")
    load.add_argument("--duration", type=float, default=60.0, metavar="SECONDS",
                      help="how long to load (default 60)")
    load.add_argument("--tenants", type=int, default=1, metavar="T",
                      help="independent Entra jobs; the verdict asks T x 25 req/s (default 1)")
    load.add_argument("--concurrency", type=int, metavar="C",
                      help="connections, each one request at a time (default rate/2, at most "
                      "200)")
    load.add_argument("--seed", type=int, help="seed for the generated users (default random)")
    load.add_argument("--timeout", type=float, metavar="SECONDS",
                      help="per-request timeout (default 60, Entra's limit)")
    load.add_argument("--report-dir", default="reports", metavar="DIR",
                      help="where load.json goes (default reports/)")
    load.add_argument("--master", action="store_true",
                      help="be a Locust master: wait for --expect-workers workers, report")
    load.add_argument("--expect-workers", type=int, default=1, metavar="N",
                      help="workers a master waits for (default 1)")
    load.add_argument("--master-bind-host", default="127.0.0.1", metavar="HOST",
                      help="address a master listens on for workers (default 127.0.0.1)")
    load.add_argument("--master-port", type=int, default=5557, metavar="PORT",
                      help="the master's port (default 5557)")
    load.add_argument("--worker", action="store_true",
                      help="be a Locust worker of the master at --master-host")
    load.add_argument("--master-host", default="127.0.0.1", metavar="HOST",
                      help="the master a worker connects to (default 127.0.0.1)")
    _tls_arguments(load)

    diff = sub.add_parser(
        "diff",
        help="compare two runs' results.json: new, fixed and still-failing findings",
        description="Compare the findings of two runs (results.json files). Exit 0: no new "
        "finding at a failing level; 1: at least one.",
    )
    diff.add_argument("old", help="the earlier run's results.json")
    diff.add_argument("new", help="the later run's results.json")

    summary = sub.add_parser(
        "summary",
        help="a run's readiness table as Markdown (for a CI job summary)",
        description="Print the verdict, one row per capability, the failed checks and what "
        "changed since a baseline, as Markdown (every value escaped), e.g. >> "
        "$GITHUB_STEP_SUMMARY. Exit 0, or 2 when the file is not a scimcheck results.json.",
    )
    summary.add_argument("results", help="a run's results.json")

    sub.add_parser("checks", help="list every check with its level, capability and source")
    sub.add_parser("suites-path", help="print where the bundled suites are (for plain pytest)")
    return parser


def _tls_arguments(parser: argparse.ArgumentParser, whose: str = "the target's") -> None:
    """--ca-bundle and --insecure (scimcheck.http.tls; verification is on by default)."""
    parser.add_argument("--ca-bundle", metavar="PATH",
                        help=f"trust the CA certificate(s) in this PEM file for {whose} TLS "
                        "certificate (env SCIM_CA_BUNDLE)")
    parser.add_argument("--insecure", action="store_true",
                        help=f"do not verify {whose} TLS certificate (env SCIM_INSECURE=1); "
                        "test servers only")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, pytest_args = args_in[:cut], args_in[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(args_in)
    if args.command is None:
        parser.print_help()
        return exitcodes.USAGE
    if pytest_args and args.command != "run":
        parser.error("arguments after '--' are pytest options and only go with 'run'")
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV) or None
    urls = (getattr(args, "url", None), getattr(args, "upstream", None))
    secrets_ = [token, *(s for url in urls for s in redaction.url_secrets(url))]
    with redaction.registered(*secrets_), redaction.redacted_std_streams():
        redaction.install_log_redaction()
        try:
            warning = redaction.short_secret_warning(token)
            if warning and args.command in ("run", "replay", "cleanup", "load"):
                print(warning, file=sys.stderr)
            return _command(args, pytest_args)
        except Exception:  # a bug: its traceback, cleaned of secrets, and the documented code
            import traceback

            print(redaction.for_terminal(traceback.format_exc(), multiline=True),
                  file=sys.stderr)
            return exitcodes.HARNESS_ERROR
        finally:
            redaction.uninstall_log_redaction()


def _command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Run the chosen command."""
    problem = _option_problem(args)
    if problem:
        return _fail(problem)
    try:
        if args.command == "run":
            return run(args, pytest_args)
        if args.command == "serve":
            return serve(args)
        if args.command == "replay":
            return replay_file(args)
        if args.command == "record":
            return record_traffic(args)
        if args.command == "cleanup":
            return clean_up(args)
        if args.command == "load":
            return load_test(args)
        if args.command == "checks":
            return list_checks()
        if args.command == "diff":
            return compare_runs(args)
        if args.command == "summary":
            return summarise(args)
        print(_suites_path())
        return exitcodes.OK
    except KeyboardInterrupt:
        print("scimcheck: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED


_NUMBERS = {
    "timeout": numeric.SECONDS, "deadline": numeric.RUN_DEADLINE,
    "retry_budget": numeric.WAIT_BUDGET,
    "max_rps": numeric.RATE, "examples": numeric.EXAMPLES, "seed": numeric.SEED,
    "port": numeric.LISTEN_PORT, "listen": numeric.LISTEN_PORT, "users": numeric.USERS,
    "groups": numeric.GROUPS, "rate": numeric.RATE, "duration": numeric.LOAD_DURATION,
    "tenants": numeric.TENANTS, "concurrency": numeric.CONCURRENCY,
    "expect_workers": numeric.TENANTS, "master_port": numeric.PORT,
}
"""Every numeric option (by argparse dest, any command) and the values it accepts."""
_FLAGS = {"listen": "--listen", "workers": "-n/--workers"}

_TEXTS = ("token", "profile", "report_dir", "baseline", "old", "new", "results", "host", "out",
          "run_id", "variant", "ca_bundle", "master_bind_host", "master_host", "file")
"""String options that must not be empty: ``--host ''`` would bind every interface,
``--report-dir ''`` is the working directory, ``--token ''`` would silently be no token."""

_TOKEN_COMMANDS = ("run", "serve", "replay", "cleanup", "load")
"""The commands that send or require the bearer token (scimcheck.http.bearer)."""

_URLS = {"url": "URL", "upstream": "--upstream"}
"""Options holding a SCIM base URL (scimcheck.http.target_url), and how a message names them."""


def _option_problem(args: argparse.Namespace) -> str | None:
    """The first bad option value of any command as one line, or ``None``: numbers finite
    and in range (scimcheck.core.numeric), strings not empty, URLs usable
    (scimcheck.http.target_url)."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import bearer, target_url

    def flag(dest: str) -> str:
        return _FLAGS.get(dest, "--" + dest.replace("_", "-"))

    workers = getattr(args, "workers", None)
    if workers is not None and workers != "auto":
        try:
            args.workers = str(numeric.WORKERS.parse(workers))
        except ValueError:
            return numeric.WORKERS.message(f"{_FLAGS['workers']} {workers[:40]!r}")
    try:
        if args.command in _TOKEN_COMMANDS:
            if getattr(args, "token", None):
                bearer.check(args.token, "--token")
            bearer.check(os.environ.get(TOKEN_ENV, ""), TOKEN_ENV)
        for dest, spec in _NUMBERS.items():
            value = getattr(args, dest, None)
            if value is not None:
                numeric.check_option(flag(dest), value, spec)
        for dest, what in _URLS.items():
            value = getattr(args, dest, None)
            if value is not None:
                target_url.check(value, what)
    except ConfigError as exc:
        return str(exc)
    for dest in _TEXTS:
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            if dest == "file":
                return "FILE is empty; pass the failure record or sequence file to replay"
            if dest in ("old", "new", "results"):
                return f"{dest.upper()} is empty; pass the results.json of a scimcheck run"
            return f"{flag(dest)} is empty; pass a value, or leave the option out for its default"
    return None


def _fail(message: str, code: int = exitcodes.USAGE) -> int:
    print(f"scimcheck: {redaction.for_terminal(message)}", file=sys.stderr)
    return code


def _tls_verify(args: argparse.Namespace) -> bool | str:
    """The run's TLS setting (--ca-bundle/--insecure > SCIM_CA_BUNDLE/SCIM_INSECURE > on);
    with verification off, the one loud warning (urllib3's per-request ones are silenced).
    ``ConfigError`` for a missing CA file or both options at once."""
    from scimcheck.http import tls

    verify = tls.resolve(args.ca_bundle, args.insecure, os.environ)
    if verify is False:
        print(tls.insecure_warning("--insecure" if args.insecure else f"{tls.INSECURE_ENV}=1"),
              file=sys.stderr, flush=True)
        tls.quiet_insecure_warnings()
    return verify


def _suites_path() -> str:
    from scimcheck.core import bundled

    return str(bundled.suites_dir())


def run(args: argparse.Namespace, pytest_args: list[str]) -> int:
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
        return _fail(problem)
    try:
        profile = profiles.load(args.profile)
        args.verify = _tls_verify(args)
        previous = None if args.baseline is None else baseline.load(
            Path(args.baseline), "--baseline"
        )
    except ConfigError as exc:
        return _fail(str(exc))
    if previous is None and args.fail_on != "any":
        return _fail("--fail-on new needs --baseline: give the results.json of an earlier run")
    report_dir = Path(args.report_dir)
    try:
        pytest_code = _run_pytest(
            args, token, report_dir,
            lambda url: _pytest_argv(args, url, profile.source, report_dir, pytest_args),
        )
    except _Stopped as stopped:
        return stopped.code
    return _exit_code(pytest_code, report_dir / "results.json", report_dir, args.fail_on)


def compare_runs(args: argparse.Namespace) -> int:
    """``scimcheck diff OLD NEW``: what changed between two runs."""
    from scimcheck.core.errors import ConfigError

    try:
        comparison, lines = baseline.diff(Path(args.old), Path(args.new))
    except ConfigError as exc:
        return _fail(str(exc))
    print("\n".join(lines))
    return exitcodes.CHECKS_FAILED if comparison.fails("new") else exitcodes.OK


def summarise(args: argparse.Namespace) -> int:
    """``scimcheck summary RESULTS.json``: the readiness table as Markdown."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.report import summary_markdown

    try:
        document = baseline.load(Path(args.results), "RESULTS")
    except ConfigError as exc:
        return _fail(str(exc))
    print(summary_markdown.render(document), end="")
    return exitcodes.OK


SHARDS = 4
"""Items each generated-user property is split into (``--scim-shards``), serial or ``-n``: the
same items with the same seeds either way, so one ``--seed`` gives one verdict."""

_ENVIRONMENT = {"url": "SCIM_URL", "profile": "SCIM_PROFILE", "dialect": "SCIM_DIALECT",
                "timeout": "SCIM_TIMEOUT"}
"""``run`` options that an environment variable sets when the flag is absent (flag wins)."""


def _settings_from_environment(args: argparse.Namespace) -> str | None:
    """Fill absent ``run`` options from SCIM_URL, SCIM_PROFILE, SCIM_DIALECT and SCIM_TIMEOUT
    (the plugin reads the others); a bad value is the problem to report, else ``None``."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import target_url

    problem = _numeric_environment()
    if problem:
        return problem
    for name, env in _ENVIRONMENT.items():
        value = os.environ.get(env, "").strip()
        if getattr(args, name) is not None or not value:
            continue
        if name == "timeout":
            args.timeout = numeric.from_environment(env, numeric.SECONDS, os.environ)
        elif name == "url":
            try:
                args.url = target_url.check(value, env)
            except ConfigError as exc:
                return str(exc)
        elif name == "dialect" and value not in ("legacy", "compliant", "both"):
            return f"{env}={value!r} is not one of legacy, compliant, both"
        else:
            setattr(args, name, value)
    if args.dialect is None:
        args.dialect = "both"
    strict = os.environ.get("SCIM_STRICT", "").strip().lower()
    if strict not in ("", "0", "false", "no", "1", "true", "yes"):
        return f"SCIM_STRICT={strict!r} is not 1/true/yes or 0/false/no"
    return None


_NUMERIC_ENVIRONMENT = {
    "SCIM_TIMEOUT": numeric.SECONDS, "SCIM_RETRY_BUDGET": numeric.WAIT_BUDGET,
    "SCIM_MAX_RPS": numeric.RATE, "SCIM_EXAMPLES": numeric.EXAMPLES, "SCIM_SEED": numeric.SEED,
}
"""The numeric variables a run or replay reads (the plugin reads most): checked before
anything starts, like their flags."""


def _numeric_environment() -> str | None:
    """The first bad numeric ``SCIM_*`` variable as one line, or ``None``."""
    from scimcheck.core.errors import ConfigError

    for name, spec in _NUMERIC_ENVIRONMENT.items():
        try:
            numeric.from_environment(name, spec, os.environ)
        except ConfigError as exc:
            return str(exc)
    return None


class _Stopped(Exception):
    """The run stopped before pytest; the message was printed, ``code`` is the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _run_pytest(
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
        raise _Stopped(_fail(str(exc))) from None
    with _target(args.url, token) as (url, target_token):
        from scimcheck.entra import dialects
        from scimcheck.report import unreachable
        from scimcheck.scim import preflight

        problem = preflight.problem(url, target_token, args.timeout, verify=args.verify)
        if problem is not None:
            unreachable.write_reports(
                report_dir, url, problem, embedded=not args.url,
                profile=getattr(args, "profile", None) or "entra-app",
                dialects=[d.value for d in dialects.parse_choice(args.dialect)],
            )
            raise _Stopped(_fail(problem, exitcodes.TARGET_UNAVAILABLE))
        with contextlib.suppress(FileNotFoundError):
            (report_dir / "results.json").unlink()
        with (
            _environment(TOKEN_ENV, target_token),
            # only the plugins a run needs (_PLUGINS): another installed pytest or Hypothesis
            # plugin can neither change a verdict nor slow every run and worker down
            _environment("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"),
            _environment("HYPOTHESIS_NO_PLUGINS", "1"),
            # Hypothesis caches files (constants it read from local modules); with the reports,
            # not in the working directory
            _environment("HYPOTHESIS_STORAGE_DIRECTORY", str(report_dir.resolve() / ".hypothesis")),
            _sigterm_as_interrupt(),
        ):
            import pytest

            return int(pytest.main(argv_for(url)))


def clean_up(args: argparse.Namespace) -> int:
    """``scimcheck cleanup``: leftovers of earlier runs, by tag only."""
    import re

    from scimcheck.core.errors import ConfigError
    from scimcheck.http.transport import ENTRA_TIMEOUT_S, Transport, TransportConfig
    from scimcheck.scim import cleanup

    run_id = args.run_id.removeprefix("scimcheck-") if args.run_id else None
    if run_id is not None and not re.fullmatch(r"[0-9a-f]{8}", run_id):
        return _fail(f"--run-id {args.run_id!r} is not a run id: 8 hex digits, as printed by "
                     "'scimcheck run' (run tag scimcheck-<id>) and stored in results.json")
    if args.older_than is not None and run_id is not None:
        return _fail("--older-than applies to --all only: --run-id deletes that run's "
                     "leftovers whatever their age")
    older_than_s: float | None = None
    if args.all:
        try:
            older_than_s = cleanup.parse_duration(args.older_than) \
                if args.older_than is not None else cleanup.DEFAULT_OLDER_THAN_S
        except ValueError as exc:
            return _fail(f"--older-than: {exc}")
    try:
        verify = _tls_verify(args)
    except ConfigError as exc:
        return _fail(str(exc))
    token = os.environ.get(TOKEN_ENV) or None
    code = _preflight(args.url, token, args.timeout, verify)
    if code is not None:
        return code
    config = TransportConfig(args.url, token, args.timeout or ENTRA_TIMEOUT_S, verify=verify)
    with Transport(config) as transport:
        found = cleanup.find(transport, run_id, older_than_s)
        for note in found.notes:
            print(f"scimcheck: {redaction.for_terminal(note)}")
        which = f"run {run_id}" if run_id else (
            f"any scimcheck run older than {cleanup.describe_duration(older_than_s or 0)}")
        for kept in found.kept:  # reasons, paths and names quote the endpoint: shown inert
            print(f"scimcheck: kept {len(kept.leftovers)} resource(s): "
                  f"{redaction.for_terminal(kept.reason)}")
            for leftover in kept.leftovers:
                print(f"  {redaction.for_terminal(leftover.path)}  "
                      f"{redaction.for_terminal(leftover.name)}")
        unsearched = (f"{' and '.join(found.unsearched)} could not be searched to the end: "
                      "more may be left; run cleanup again") if found.unsearched else ""
        if not unsearched and any(kept.unread for kept in found.kept):
            unsearched = "some resources could not be read: they may be left; run cleanup again"
        if not found.leftovers:
            if unsearched:
                return _fail(f"found nothing to delete left by {which}, but {unsearched}",
                             exitcodes.CHECKS_FAILED)
            print(f"scimcheck: nothing {'else ' if found.kept else ''}left by {which}")
            return exitcodes.OK
        verb = "would delete" if args.dry_run else "deleting"
        print(f"scimcheck: {verb} {len(found.leftovers)} resource(s) left by {which}:")
        for leftover in found.leftovers:  # both chosen by the endpoint: shown inert
            print(f"  {redaction.for_terminal(leftover.path)}  "
                  f"{redaction.for_terminal(leftover.name)}")
        if args.dry_run:
            return _fail(unsearched, exitcodes.CHECKS_FAILED) if unsearched else exitcodes.OK
        problems = cleanup.delete(transport, found.leftovers)
    for problem in problems:
        print(f"scimcheck: could not delete {redaction.for_terminal(problem)}", file=sys.stderr)
    if problems:
        return exitcodes.CHECKS_FAILED
    print(f"scimcheck: deleted {len(found.leftovers)} resource(s)")
    if unsearched:
        return _fail(unsearched, exitcodes.CHECKS_FAILED)
    return exitcodes.OK


def load_test(args: argparse.Namespace) -> int:
    """``scimcheck load``: Entra's cycles at a rate on Locust, and a verdict (in a process of
    its own: scimcheck.load.launch)."""
    import math
    import random

    from scimcheck.core.errors import ConfigError

    tenants, rate = args.tenants, args.rate
    workers = args.expect_workers if args.master else 1
    concurrency = args.concurrency
    if rate is None:
        rate = 30.0 * max(tenants, 1)
    if concurrency is None:
        concurrency = max(tenants * workers, min(200, math.ceil(rate / 2)))
    problem = (  # the ranges of single options are checked in main (_option_problem)
        "--master and --worker exclude each other" if args.master and args.worker
        else f"--concurrency must be at least {tenants * workers} (one connection per tenant"
        f"{' on each worker' if args.master else ''})" if concurrency < tenants * workers
        else None
    )
    if problem:
        return _fail(problem)
    from scimcheck.load import launch as load_launch
    from scimcheck.report import report_dir as reports

    if not load_launch.locust_installed():
        return _fail("scimcheck load needs Locust: pip install 'scimcheck[load]'")
    try:
        reports.prepare(Path(args.report_dir), ("load.json",))
        verify = _tls_verify(args)
    except ConfigError as exc:
        return _fail(str(exc))
    options = load_launch.Options(
        url=args.url, verify=verify, users=args.users, groups=args.groups, rate=rate,
        duration_s=args.duration, tenants=tenants, concurrency=concurrency,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        timeout_s=args.timeout or 60.0, report_dir=args.report_dir, master=args.master,
        expect_workers=args.expect_workers, master_bind_host=args.master_bind_host,
        master_port=args.master_port, worker=args.worker, master_host=args.master_host,
    )
    return load_launch.launch(options)


def record_traffic(args: argparse.Namespace) -> int:
    """``scimcheck record``: the recording proxy, in the foreground until Ctrl-C."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.record.proxy import REQUEST_DEADLINE_S, TrafficRecorder
    from scimcheck.server import ReferenceServer

    try:
        verify = _tls_verify(args)
    except ConfigError as exc:
        return _fail(str(exc))
    out = Path(args.out)
    if not out.parent.is_dir():
        return _fail(f"--out {args.out!r}: the directory {str(out.parent)!r} does not exist")
    try:
        recorder = TrafficRecorder(args.upstream, out, verify=verify)
    except OSError as exc:
        return _fail(f"cannot write {args.out!r}: {exc.strerror or exc}")
    proxy = ReferenceServer(host=args.host, port=args.listen, app=recorder,
                            request_deadline_s=REQUEST_DEADLINE_S)
    try:
        proxy.start()
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.listen}: {exc.strerror or exc}")
    try:  # from the banner on, as in serve
        print(f"scimcheck: recording; point the client at {proxy.base_url} (forwarding to "
              f"{args.upstream}); Ctrl-C stops", flush=True)
        with _sigterm_as_interrupt():
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    print(f"scimcheck: {len(recorder.steps)} exchange(s) written to {out}; replay with "
          f"'scimcheck replay {out} [URL]'")
    return exitcodes.OK


def replay_file(args: argparse.Namespace) -> int:
    """``scimcheck replay``: the failure or sequence in FILE again, verbosely; its verdict."""
    from scimcheck.cli import replay as rerun
    from scimcheck.core.errors import ConfigError
    from scimcheck.scim import profiles

    try:
        target = rerun.load(Path(args.file), Path(_suites_path()),
                            profile_given=args.profile is not None)
    except ReplayFileError as exc:
        return _fail(str(exc))
    problem = _numeric_environment()
    if problem:
        return _fail(problem)
    try:
        profile = profiles.load(args.profile or target.profile)
        verify = _tls_verify(args)
    except ConfigError as exc:
        return _fail(str(exc))
    token = os.environ.get(TOKEN_ENV) or None
    settings = argparse.Namespace(
        url=args.url, dialect=args.dialect, strict=False, seed=None, timeout=args.timeout,
        examples=None, verify=verify,
    )
    report_dir = Path(args.report_dir)
    results_path = report_dir / "results.json"

    def argv_for(url: str) -> list[str]:
        argv = _pytest_argv(settings, url, profile.source, report_dir, target.options)
        argv[0:1] = target.nodes
        return argv

    if args.url and args.embedded:
        return _fail("give URL or --embedded, not both")
    if target.check is not None and not args.url and not args.embedded:
        # a record never chooses where requests go, and the embedded (correct) server would
        # say "fixed" about an endpoint it never contacted
        recorded = (f"the failure was recorded against {target.recorded_target}; "
                    if target.recorded_target else "")
        return _fail(f"{recorded}pass the endpoint to replay against: scimcheck replay "
                     f"{args.file} URL (or --embedded for the reference server)")
    if target.names_target and not args.url:  # --embedded: a record never chooses the target
        print("scimcheck: replaying against the embedded reference server, not the endpoint "
              "the record was written against")
    print(f"scimcheck: replaying {redaction.for_terminal(target.label)}")  # the file's words
    try:
        _run_pytest(settings, token, report_dir, argv_for)
    except _Stopped as stopped:
        return stopped.code
    if not results_path.exists():
        return _fail("the replay did not run; see the output above", exitcodes.HARNESS_ERROR)
    exit_code, sentence = rerun.verdict(
        target, json.loads(results_path.read_text(encoding="utf-8"))
    )
    print(f"scimcheck: {redaction.for_terminal(sentence)}")
    return exit_code


@contextlib.contextmanager
def _target(url: str | None, token: str | None) -> Iterator[tuple[str, str | None]]:
    """The URL to test: the given one, or a freshly started embedded reference server."""
    if url:
        yield url, token
        return
    from scimcheck.server import ReferenceServer

    embedded_token = token or secrets.token_urlsafe(24)
    redaction.register(embedded_token)
    with ReferenceServer(host="127.0.0.1", port=0, token=embedded_token) as server:
        print(f"scimcheck: testing the embedded reference server at {server.base_url}")
        yield server.base_url, embedded_token


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C, so pytest tears fixtures down and cleanup runs."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


def _preflight(
    url: str, token: str | None, timeout: float | None, verify: bool | str = True
) -> int | None:
    from scimcheck.scim import preflight

    problem = preflight.problem(url, token, timeout, verify=verify)
    return None if problem is None else _fail(problem, exitcodes.TARGET_UNAVAILABLE)


_PLUGINS = (
    "scimcheck.pytest_plugin.plugin", "pytest_metadata.plugin", "pytest_html.plugin",
    "_hypothesis_pytestplugin",
)
"""The pytest plugins a run loads; autoloading of the others is off (``_run_pytest``). Extra
ones can be named after ``--`` (``scimcheck run URL -- -p NAME``)."""


def _pytest_argv(
    args: argparse.Namespace, url: str, profile: str, report_dir: Path, extra: list[str]
) -> list[str]:
    suites = _suites_path()
    argv = [
        suites,
        *(option for plugin in _PLUGINS for option in ("-p", plugin)),
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
    if getattr(args, "retry_budget", None) is not None:
        argv += ["--scim-retry-budget", str(args.retry_budget)]
    if getattr(args, "deadline", None) is not None:
        argv += ["--scim-deadline", str(args.deadline)]
    # the four properties take most of a run: in quarters, which workers can share; a serial
    # run searches the same quarters, so a seed gives the same verdict with or without -n
    argv += ["--scim-shards", str(SHARDS)]
    if getattr(args, "workers", None) not in (None, "1"):
        argv += ["-p", "xdist.plugin", "-n", args.workers]
    verify = getattr(args, "verify", True)
    if verify is False:
        argv.append("--scim-insecure")
    elif isinstance(verify, str):
        argv += ["--scim-ca-bundle", verify]
    return argv + extra


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
        return _fail("no test was selected; check the -k/-m options given after '--'")
    if pytest_code == exitcodes.TARGET_UNAVAILABLE and not results_path.exists():
        return exitcodes.TARGET_UNAVAILABLE
    document: dict[str, Any] | None = None
    if results_path.exists():
        document = json.loads(results_path.read_text(encoding="utf-8"))
    if document is None or pytest_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return _fail("scimcheck itself failed; see the output above", exitcodes.HARNESS_ERROR)
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


def serve(args: argparse.Namespace) -> int:
    """``scimcheck serve``: the reference server in the foreground."""
    from scimcheck.server import VARIANTS, ReferenceServer

    if args.list_variants:
        width = max(map(len, VARIANTS))
        print("\n".join(f"{name:<{width}}  {VARIANTS[name]}" for name in sorted(VARIANTS)))
        return exitcodes.OK
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if args.variant and args.variant not in VARIANTS:
        return _fail(
            f"unknown variant {args.variant!r}; 'scimcheck serve --list-variants' lists them"
        )
    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is not a port number (0-65535)")
    try:
        server = ReferenceServer(
            host=args.host, port=args.port, token=token, variant=args.variant
        ).start()
    except OSError as exc:
        return _fail(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "pick another --port"
        )
    auth = "bearer token required" if token else (
        f"no token: anonymous requests are accepted (pass --token or set {TOKEN_ENV})"
    )
    variant = f" [broken variant: {args.variant}]" if args.variant else ""
    try:  # from the banner on: a Ctrl-C as soon as it is read is the normal stop
        print(f"scimcheck reference server{variant} at {server.base_url} ({auth}); "
              "Ctrl-C stops it", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return exitcodes.OK


def list_checks() -> int:
    """``scimcheck checks``: the registry as a table."""
    from scimcheck.checks import registry as checks

    for check in checks.all_checks():
        print(f"{check.id:<38} {check.level.value:<15} {check.capability.value:<16} {check.source}")
    return exitcodes.OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
