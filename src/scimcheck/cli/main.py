"""The ``scimcheck`` command: ``run``, ``serve``, ``replay``, ``record``, ``cleanup``, ``load``,
``diff``, ``summary``, ``checks`` and ``suites-path`` (docs/cli.md is the manual).

Each command is a module of this package (``cli/run.py``, ``cli/serve.py``, … with its options
in ``add_parser`` and its work in ``execute``); this one assembles the parser, checks every
option value once (``cli/arguments.py``) and runs the chosen command with its output cleaned
of secrets. ``run`` wraps ``pytest.main()`` over the bundled suites, so every pytest option
works after ``--``. Exit codes are in :mod:`scimcheck.core.exitcodes` and docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from scimcheck import TOKEN_ENV, __version__
from scimcheck.cli import (
    checks,
    cleanup,
    diff,
    load,
    record,
    replay,
    run,
    serve,
    suites_path,
    summary,
)
from scimcheck.cli.arguments import Parser, connection_secrets, option_problem
from scimcheck.cli.common import fail
from scimcheck.cli.common import suites_path as _suites_path  # noqa: F401  (tests, docs)
from scimcheck.core import exitcodes
from scimcheck.http import redaction

COMMANDS: dict[str, ModuleType] = {
    "run": run, "serve": serve, "replay": replay, "record": record, "cleanup": cleanup,
    "load": load, "diff": diff, "summary": summary, "checks": checks,
    "suites-path": suites_path,
}
"""Every command and its module, in the order ``--help`` lists them."""

_WARN_SHORT_TOKEN = ("run", "replay", "cleanup", "load")
"""The commands that send the token to an endpoint: a guessable one is worth a warning."""


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar (docs/cli.md is its manual)."""
    parser = Parser(
        prog="scimcheck",
        description="SCIM 2.0 conformance harness that replays Microsoft Entra ID provisioning.",
    )
    parser.add_argument("--version", action="version", version=f"scimcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


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
    from scimcheck.settings.oauth import CLIENT_SECRET_ENV

    secrets_ = [token, os.environ.get(CLIENT_SECRET_ENV),
                *(s for url in urls for s in redaction.url_secrets(url)),
                *connection_secrets(args)]
    with redaction.registered(*secrets_), redaction.redacted_std_streams():
        redaction.install_log_redaction()
        try:
            warning = redaction.short_secret_warning(token)
            if warning and args.command in _WARN_SHORT_TOKEN:
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
    """Run the chosen command once every option value is known to be usable."""
    problem = option_problem(args)
    if problem:
        return fail(problem)
    try:
        code: int = COMMANDS[args.command].execute(args, pytest_args)
        return code
    except KeyboardInterrupt:
        print("scimcheck: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
