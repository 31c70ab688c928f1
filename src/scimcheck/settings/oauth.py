"""OAuth 2.0 client credentials resolved from the options (docs/cli.md "OAuth 2.0 client
credentials"; docs/entra.md §2 "Authorisation"; RFC 6749 §4.4).

``--oauth-token-url`` and ``--client-id`` go together; the client secret comes from
``SCIM_CLIENT_SECRET`` only, never a flag (a flag's value shows up in process lists). A missing
half or a bad value is a :class:`~scimcheck.core.errors.ConfigError` (exit 2) in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scimcheck.core.errors import ConfigError
from scimcheck.http import bearer
from scimcheck.settings import options

if TYPE_CHECKING:
    from scimcheck.http.oauth_grant import ClientCredentials

CLIENT_SECRET_ENV = "SCIM_CLIENT_SECRET"
"""The OAuth client secret: from the environment only."""


def credentials(
    given: Mapping[str, Any], environ: Mapping[str, str], *, plugin: bool = False,
    timeout_s: float | None = None, verify: bool | str = True,
) -> ClientCredentials | None:
    """The client credentials ``given`` (option name → command-line value) and the environment
    name, or ``None`` when no token URL is given; ``ConfigError`` when they are incomplete or
    bad. ``plugin``: the flags are named ``--scim-*``."""
    from scimcheck.http.oauth_grant import TOKEN_TIMEOUT_S, ClientCredentials

    def value(option: options.Option) -> Any:
        flag = option.plugin_flag if plugin else option.flag
        return options.resolve(option, given.get(option.name), environ, flag=flag)

    token_url, client_id = value(options.OAUTH_TOKEN_URL), value(options.CLIENT_ID)
    scope, client_auth = value(options.SCOPE), value(options.CLIENT_AUTH)
    proxy = value(options.PROXY)
    url_flag, id_flag = (o.plugin_flag if plugin else o.flag
                         for o in (options.OAUTH_TOKEN_URL, options.CLIENT_ID))
    if not token_url:
        if client_id:
            raise ConfigError(f"{id_flag} needs {url_flag} (or SCIM_OAUTH_TOKEN_URL): the token "
                              "endpoint to ask for an access token")
        return None
    if not client_id:
        raise ConfigError(f"{url_flag} needs {id_flag} (or SCIM_CLIENT_ID): the OAuth client "
                          "to ask as")
    secret = environ.get(CLIENT_SECRET_ENV, "")
    if not secret:
        raise ConfigError(f"{url_flag} needs the client secret in {CLIENT_SECRET_ENV} (never a "
                          "flag: its value would show in process lists)")
    bearer.check(secret, CLIENT_SECRET_ENV, what="an OAuth client secret")
    return ClientCredentials(
        token_url=str(token_url), client_id=str(client_id), client_secret=secret,
        scope=scope or None, client_auth=str(client_auth),
        timeout_s=timeout_s or TOKEN_TIMEOUT_S, verify=verify, proxy=proxy or None,
    )
