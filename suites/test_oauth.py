"""OAuth 2.0 client credentials as Entra's gallery apps use them (docs/entra.md §2
"Authorisation"; RFC 6749 §4.4): the token endpoint's grant, the token's lifetime, a wrong
secret refused, and an expired token refused by the SCIM endpoint.

Judged only when the run is given ``--oauth-token-url`` (``scimcheck run --oauth`` for the
embedded server); otherwise each check is not evaluated, with the reason, never passed.
"""

from __future__ import annotations

import secrets
import time
import uuid

from scimcheck.http.oauth_grant import ClientCredentials, TokenAnswer, request_token
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings

TOKEN_CHECKS = ("auth.oauth.token-grant", "auth.oauth.token-lifetime", "auth.oauth.invalid-client")
EXPIRED = "auth.oauth.expired-token-refused"
LIFETIME_RANGE_S = (3600, 21600)
"""Entra's gallery accepts access tokens living 60 minutes to 6 hours (docs/entra.md §2, S11)."""
EXPIRY_WAIT_MAX_S = 10.0
"""The longest token lifetime scimcheck waits out to see an expired token refused."""
NO_OAUTH = ("the run was given no OAuth client credentials (--oauth-token-url, "
            "--client-id, SCIM_CLIENT_SECRET; scimcheck run --oauth for the embedded server)")


def _credentials(scim: Sequence, settings: Settings, checks: tuple[str, ...]) -> \
        ClientCredentials | None:
    if settings.oauth is None:
        for check in checks:
            scim.not_evaluated(check, NO_OAUTH)
    return settings.oauth


def test_token_endpoint(scim: Sequence, scim_settings: Settings) -> None:
    """The grant answered with a bearer token and its lifetime; a wrong secret refused."""
    credentials = _credentials(scim, scim_settings, TOKEN_CHECKS)
    if credentials is None:
        return
    answer = request_token(credentials, label="OAuth: client-credentials grant")
    scim.check("auth.oauth.token-grant", answer.problem is None, answer.problem or "",
               answer.exchange)
    if answer.usable_token:
        _judge_lifetime(scim, answer)
    else:
        scim.not_evaluated("auth.oauth.token-lifetime",
                           "the token endpoint granted no token")
    wrong = request_token(credentials, secret=f"scimcheck-wrong-secret-{uuid.uuid4().hex}",
                          label="OAuth: the grant with a wrong client secret")
    status = wrong.exchange.status
    refused = status in (400, 401) and wrong.error == "invalid_client"
    scim.check(
        "auth.oauth.invalid-client", refused,
        f"{wrong.exchange.summary()}: a wrong client secret was answered "
        + ("with an access token" if wrong.access_token and status == 200
           else f"error {wrong.error!r}" if wrong.error else "without an OAuth error")
        + ", not 400/401 with error invalid_client (RFC 6749 §5.2)",
        wrong.exchange,
    )


def _judge_lifetime(scim: Sequence, answer: TokenAnswer) -> None:
    low, high = LIFETIME_RANGE_S
    lifetime = answer.lifetime_s
    if lifetime is None:
        message = (f"the answer holds no usable expires_in ({answer.expires_in!r}): the token "
                   "never says when it expires")
    else:
        message = (f"expires_in is {lifetime:g} s; Entra's gallery accepts {low}-{high} s "
                   "(60 minutes to 6 hours)")
    scim.check("auth.oauth.token-lifetime",
               lifetime is not None and low <= lifetime <= high, message, answer.exchange)


def test_expired_token_refused(scim: Sequence, scim_settings: Settings) -> None:
    """A token past its expires_in is refused (waited out when it lives a few seconds)."""
    credentials = _credentials(scim, scim_settings, (EXPIRED,))
    if credentials is None:
        return
    answer = request_token(credentials, label="OAuth: a token to let expire")
    lifetime = answer.lifetime_s
    token = answer.usable_token
    if token is None:
        scim.not_evaluated(EXPIRED, "the token endpoint granted no token")
        return
    if lifetime is None or lifetime > EXPIRY_WAIT_MAX_S:
        scim.not_evaluated(EXPIRED, f"the token endpoint's tokens live "
                           f"{'for ever' if lifetime is None else f'{lifetime:g} s'}; scimcheck "
                           f"waits out at most {EXPIRY_WAIT_MAX_S:g} s")
        return
    time.sleep(lifetime + 1.0)
    config = TransportConfig(scim_settings.base_url, token, scim_settings.timeout_s,
                             verify=scim_settings.verify)
    with Transport(config) as transport:
        seen = transport.send(
            "GET", "/Users", params={"filter": f'userName eq "{secrets.token_hex(8)}"'},
            label=f"the Test Connection query with a token that expired {lifetime + 1:g} s ago",
        )
    scim.check(EXPIRED, seen.status in (401, 403),
               f"{seen.summary()}: a token past its expires_in ({lifetime:g} s) was accepted; "
               "expected 401 (RFC 6750 §3.1 invalid_token)", seen)
