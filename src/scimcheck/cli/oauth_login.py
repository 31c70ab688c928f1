"""OAuth 2.0 client credentials on the command line: the options every command that talks to
an endpoint shares (``run``, ``replay``, ``cleanup``, ``load``, ``record``), and the first
access token, fetched before anything is sent (docs/cli.md "OAuth 2.0 client credentials").

The options are defined once in :mod:`scimcheck.settings.options` (``OAUTH``) and resolved by
:mod:`scimcheck.settings.oauth`; the client secret comes from ``SCIM_CLIENT_SECRET`` only.
A token endpoint that refuses or cannot be reached stops the command with exit code 3, like an
unreachable SCIM endpoint.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from scimcheck.settings import options
from scimcheck.settings.oauth import CLIENT_SECRET_ENV, credentials

if TYPE_CHECKING:
    from scimcheck.http.oauth import OAuthClient
    from scimcheck.http.oauth_grant import ClientCredentials

COMMANDS = ("run", "replay", "cleanup", "load", "record")
"""The commands that take the OAuth options."""


def add_arguments(parser: argparse.ArgumentParser, whose: str = "the endpoint") -> None:
    """``--oauth-token-url``, ``--client-id``, ``--scope`` and ``--client-auth``."""
    parser.add_argument(options.OAUTH_TOKEN_URL.flag, metavar="URL",
                        help=f"OAuth 2.0 client credentials for {whose}: the token endpoint; "
                        "requests then carry its access token, refreshed before it expires "
                        f"(env {options.OAUTH_TOKEN_URL.env}; the client secret comes from "
                        f"{CLIENT_SECRET_ENV} only)")
    parser.add_argument(options.CLIENT_ID.flag, metavar="ID",
                        help=f"the OAuth client id (env {options.CLIENT_ID.env})")
    parser.add_argument(options.SCOPE.flag, metavar="SCOPE",
                        help=f"the OAuth scope to ask for (env {options.SCOPE.env}; default: "
                        "the token endpoint's)")
    parser.add_argument(options.CLIENT_AUTH.flag, choices=options.CLIENT_AUTH.choices,
                        help="how the client authenticates at the token endpoint: HTTP Basic "
                        f"or the form body (env {options.CLIENT_AUTH.env}; default basic)")


def resolve(
    args: argparse.Namespace, verify: bool | str = True,
) -> ClientCredentials | None:
    """The command's client credentials, or ``None`` without a token URL; ``ConfigError``
    (exit 2) when they are incomplete or bad."""
    given = {option.name: getattr(args, option.name, None)
             for option in (*options.OAUTH, options.PROXY)}
    return credentials(given, os.environ, timeout_s=getattr(args, "timeout", None),
                       verify=verify)


def sign_in(client_credentials: ClientCredentials) -> tuple[OAuthClient, str | None]:
    """A client holding its first access token, and why it holds none (one line) if so."""
    from scimcheck.http.oauth import OAuthClient

    client = OAuthClient(client_credentials)
    answer = client.fetch()
    if answer.usable_token:
        return client, None
    return client, f"cannot get an OAuth access token: {answer.problem}"
