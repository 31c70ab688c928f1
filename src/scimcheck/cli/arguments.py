"""What every ``scimcheck`` command shares on its command line: the parser that exits with the
usage code (docs/cli.md, exit code 2), the TLS options, and the check of every option value
before a command starts (numbers finite and in range, strings not empty, URLs usable)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, NoReturn

from scimcheck.cli import oauth_login
from scimcheck.core import exitcodes, numeric
from scimcheck.settings import options

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
    """What each command module's ``add_parser`` adds its sub-command to."""


class Parser(argparse.ArgumentParser):
    """argparse that exits with scimcheck's usage code and one clear line."""

    def error(self, message: str) -> NoReturn:
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def tls_arguments(parser: argparse.ArgumentParser, whose: str = "the target's") -> None:
    """--ca-bundle and --insecure (scimcheck.http.tls; verification is on by default)."""
    parser.add_argument("--ca-bundle", metavar="PATH",
                        help=f"trust the CA certificate(s) in this PEM file for {whose} TLS "
                        "certificate (env SCIM_CA_BUNDLE)")
    parser.add_argument("--insecure", action="store_true",
                        help=f"do not verify {whose} TLS certificate (env SCIM_INSECURE=1); "
                        "test servers only")


def connection_arguments(parser: argparse.ArgumentParser, whose: str = "the target") -> None:
    """--proxy, --header and --secret-header (scimcheck.settings.options; docs/cli.md)."""
    parser.add_argument("--proxy", metavar="URL",
                        help=f"send every request to {whose} through this proxy, "
                        "http(s)://[user:password@]host:port (env SCIM_PROXY; default: "
                        "HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as requests reads them)")
    parser.add_argument("--header", action="append", metavar="'NAME: VALUE'",
                        help=f"add this header to every request to {whose} (repeatable; env "
                        "SCIM_HEADERS, one a line); not Authorization, Content-Type or Host")
    parser.add_argument("--secret-header", action="append", metavar="NAME=VARIABLE",
                        help="like --header, its value from the environment variable VARIABLE "
                        "(or 'NAME: VALUE'), redacted like the token in every output "
                        "(repeatable; env SCIM_SECRET_HEADERS)")


def connection_secrets(args: argparse.Namespace) -> list[str]:
    """The proxy's password and the secret headers' values, to register before anything is
    printed (a bad value is reported later by :func:`option_problem`)."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import proxy_url

    if not hasattr(args, "secret_header"):
        return []
    found = proxy_url.secrets(args.proxy or os.environ.get(options.PROXY.env))
    try:
        headers = options.extra_headers(args.header, args.secret_header, os.environ)
    except ConfigError:
        return found
    return found + [header.value for header in headers if header.secret]


NUMBERS: dict[str, numeric.Range] = {
    **{option.name: option.number for option in options.NUMBERS if option.number},
    "port": numeric.LISTEN_PORT, "listen": numeric.LISTEN_PORT, "users": numeric.USERS,
    "groups": numeric.GROUPS, "rate": numeric.RATE, "duration": numeric.LOAD_DURATION,
    "tenants": numeric.TENANTS, "concurrency": numeric.CONCURRENCY,
    "expect_workers": numeric.TENANTS, "master_port": numeric.PORT,
    "oauth_lifetime": numeric.SECONDS,
}
"""Every numeric option (by argparse dest, any command) and the values it accepts: a run's
(--timeout, --seed, …) as scimcheck.settings.options defines them for the plugin too, then
those of serve, record and load."""
_FLAGS = {"listen": "--listen", "workers": "-n/--workers"}

_TEXTS = ("token", "profile", "report_dir", "baseline", "old", "new", "results", "host", "out",
          "run_id", "variant", "ca_bundle", "master_bind_host", "master_host", "file",
          "client_id", "scope")
"""String options that must not be empty: ``--host ''`` would bind every interface,
``--report-dir ''`` is the working directory, ``--token ''`` would silently be no token."""

TOKEN_COMMANDS = ("run", "serve", "replay", "cleanup", "load")
"""The commands that send or require the bearer token (scimcheck.http.bearer)."""

_URLS = {"url": "URL", "upstream": "--upstream"}
"""Options holding a SCIM base URL (scimcheck.http.target_url), and how a message names them."""


def option_problem(args: argparse.Namespace) -> str | None:
    """The first bad option value of any command as one line, or ``None``: numbers finite
    and in range (scimcheck.core.numeric), strings not empty, URLs usable
    (scimcheck.http.target_url)."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import target_url

    def flag(dest: str) -> str:
        return _FLAGS.get(dest, "--" + dest.replace("_", "-"))

    workers = getattr(args, "workers", None)
    if workers is not None and workers != "auto":
        try:
            args.workers = str(numeric.WORKERS.parse(workers))
        except ValueError:
            return numeric.WORKERS.message(f"{_FLAGS['workers']} {workers[:40]!r}")
    try:
        if args.command in oauth_login.COMMANDS:
            oauth_login.resolve(args)
        if hasattr(args, "secret_header"):  # a command that talks to an endpoint
            args.proxy = options.resolve(options.PROXY, args.proxy, os.environ)
            args.headers = options.extra_headers(args.header, args.secret_header, os.environ)
        if args.command in TOKEN_COMMANDS:
            if getattr(args, "token", None):
                options.TOKEN.given(args.token)
            options.check_environment((options.TOKEN,), os.environ)
        for dest, spec in NUMBERS.items():
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


def numeric_environment() -> str | None:
    """The first bad numeric ``SCIM_*`` variable of a run (scimcheck.settings.options) as one
    line, or ``None``: judged before anything starts, like their flags."""
    from scimcheck.core.errors import ConfigError

    try:
        options.check_environment(options.NUMBERS, os.environ)
    except ConfigError as exc:
        return str(exc)
    return None
