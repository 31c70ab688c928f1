"""OAuth client credentials resolved from the options (scimcheck.settings.oauth): flag >
environment > default, the secret from SCIM_CLIENT_SECRET only, a missing half one line."""

from __future__ import annotations

import pytest

from scimcheck.core.errors import ConfigError
from scimcheck.settings.oauth import credentials

URL = "https://login.example.com/oauth2/token"
SECRET = {"SCIM_CLIENT_SECRET": "s3cret-value"}


def test_no_token_url_is_no_oauth() -> None:
    assert credentials({}, SECRET) is None


def test_from_the_environment_with_defaults() -> None:
    given = credentials({}, {**SECRET, "SCIM_OAUTH_TOKEN_URL": URL, "SCIM_CLIENT_ID": "app"})
    assert given is not None
    assert (given.token_url, given.client_id, given.client_secret) == (URL, "app", "s3cret-value")
    assert given.client_auth == "basic" and given.scope is None
    assert "s3cret" not in repr(given)  # the secret stays out of reprs and tracebacks


def test_a_flag_wins_over_its_variable() -> None:
    given = credentials(
        {"oauth_token_url": URL, "client_id": "flag", "client_auth": "post", "scope": "scim"},
        {**SECRET, "SCIM_CLIENT_ID": "env", "SCIM_CLIENT_AUTH": "basic"},
    )
    assert given is not None
    assert (given.client_id, given.client_auth, given.scope) == ("flag", "post", "scim")


@pytest.mark.parametrize(("given", "environ", "plugin", "message"), [
    ({"oauth_token_url": URL}, SECRET, False, "--oauth-token-url needs --client-id"),
    ({"client_id": "app"}, SECRET, False, "--client-id needs --oauth-token-url"),
    ({"oauth_token_url": URL, "client_id": "app"}, {}, False, "needs the client secret in "
     "SCIM_CLIENT_SECRET"),
    ({"oauth_token_url": URL}, SECRET, True, "--scim-oauth-token-url needs --scim-client-id"),
    ({}, {**SECRET, "SCIM_OAUTH_TOKEN_URL": URL, "SCIM_CLIENT_ID": "app",
          "SCIM_CLIENT_AUTH": "jwt"}, False, "SCIM_CLIENT_AUTH='jwt' is not one of basic, post"),
    ({"oauth_token_url": "https://h/token?client_secret=x", "client_id": "app"}, SECRET, False,
     "set SCIM_TOKEN"),
])
def test_bad_or_missing_input_is_one_line(
    given: dict[str, str], environ: dict[str, str], plugin: bool, message: str,
) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")) as raised:
        credentials(given, environ, plugin=plugin)
    assert "\n" not in str(raised.value) and "s3cret" not in str(raised.value)
