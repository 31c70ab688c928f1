"""One OAuth 2.0 client-credentials request to a token endpoint (RFC 6749 §4.4), recorded as an
:class:`~scimcheck.http.exchange.Exchange` with its secrets redacted.

The grant itself is oauthlib's (``BackendApplicationClient`` prepares the form body and parses
the answer, RFC 6749 §4.4.2-§4.4.3, §5.1-§5.2); the POST goes through requests. The client
authenticates by HTTP Basic (RFC 6749 §2.3.1, the default) or with ``client_id`` and
``client_secret`` in the form body (``--client-auth post``), as the token endpoint demands.

Neither the client secret nor the access token leaves this module in clear: the recorded request
shows ``Basic <redacted>`` and ``client_secret=<redacted>``, the recorded answer shows the
``access_token`` as ``<redacted>``, and every token received is registered with
:mod:`scimcheck.http.redaction` for every output of the process (RFC 6749 §10.3, RFC 6750 §5.3).
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error

from scimcheck.http import redaction
from scimcheck.http.exchange import Exchange
from scimcheck.http.reading import describe_network_error
from scimcheck.http.redactor import REDACTED, Redactor

CLIENT_AUTH_CHOICES = ("basic", "post")
"""How the client authenticates at the token endpoint: HTTP Basic, or the form body."""
CONNECT_TIMEOUT_S = 10.0
TOKEN_TIMEOUT_S = 60.0
MAX_ANSWER_BYTES = 64 * 1024
"""A token answer is a small JSON object; more is cut off (a hostile endpoint's padding)."""
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ClientCredentials:
    """Where and as whom to ask for an access token (``--oauth-token-url``, ``--client-id``,
    ``SCIM_CLIENT_SECRET``, ``--scope``, ``--client-auth``)."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    client_auth: str = "basic"
    timeout_s: float = TOKEN_TIMEOUT_S
    verify: bool | str = True
    proxy: str | None = None
    """``--proxy``: the token request goes through it too (else the environment's, as requests
    reads it)."""


@dataclass
class TokenAnswer:
    """What the token endpoint answered to one client-credentials request."""

    exchange: Exchange
    access_token: str | None = None
    """The access token the answer held (usable only when :attr:`problem` is ``None``)."""
    token_type: str | None = None
    expires_in: Any = None
    """``expires_in`` as the endpoint sent it (a number of seconds, RFC 6749 §5.1), or ``None``."""
    error: str | None = None
    """The OAuth error code (``invalid_client``, RFC 6749 §5.2), when the answer held one."""
    problem: str | None = None
    """Why no usable bearer token came back, in one line; ``None`` when one did."""

    @property
    def usable_token(self) -> str | None:
        """The access token of a 200 answer: a client sends it even when the answer breaks a
        rule (no token_type), as a lenient client would; ``auth.oauth.token-grant`` judges
        the rule."""
        return self.access_token if self.exchange.status == 200 else None

    @property
    def lifetime_s(self) -> float | None:
        """``expires_in`` as seconds when it is a positive number, else ``None``."""
        value = self.expires_in
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        return None


def request_token(
    credentials: ClientCredentials, session: requests.Session | None = None,
    *, secret: str | None = None, label: str = "OAuth: client-credentials grant",
) -> TokenAnswer:
    """Ask ``credentials.token_url`` for an access token once (``secret`` replaces the
    client secret: ``auth.oauth.invalid-client`` sends a wrong one). Never raises for what the
    endpoint does: a refusal, garbage or a network failure is :attr:`TokenAnswer.problem`."""
    secret = credentials.client_secret if secret is None else secret
    hidden = Redactor([credentials.client_secret, secret])
    client = BackendApplicationClient(credentials.client_id)
    post = credentials.client_auth == "post"
    extra = {"client_secret": secret} if post else {}
    body = client.prepare_request_body(scope=credentials.scope, include_client_id=post, **extra)
    headers = {"Content-Type": FORM, "Accept": "application/json"}
    shown = dict(headers)
    if not post:  # RFC 6749 §2.3.1: each part form-encoded, then Base64
        pair = f"{quote_plus(credentials.client_id)}:{quote_plus(secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        shown["Authorization"] = f"Basic {REDACTED}"
    exchange = Exchange(index=0, method="POST", url=credentials.token_url, request_headers=shown,
                        request_body=hidden.redact(body), label=label)
    started = time.perf_counter()
    try:
        response = (session or requests).post(
            credentials.token_url, data=body, headers=headers, allow_redirects=False,
            timeout=(CONNECT_TIMEOUT_S, credentials.timeout_s), verify=credentials.verify,
            stream=True,
            proxies={"http": credentials.proxy, "https": credentials.proxy}
            if credentials.proxy else None,
        )
        with response:
            raw = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            exchange.status = response.status_code
            exchange.reason = response.reason or ""
            exchange.response_headers = dict(response.headers)
    except (requests.RequestException, OSError, ValueError) as exc:
        exchange.error = describe_network_error(exc, credentials.token_url)
        exchange.elapsed_s = time.perf_counter() - started
        exchange.rewrite_answer(hidden.redact)
        return TokenAnswer(exchange, problem=f"the token endpoint: {exchange.error}")
    exchange.elapsed_s = time.perf_counter() - started
    exchange.body_truncated = len(raw) > MAX_ANSWER_BYTES
    exchange.response_body = raw[:MAX_ANSWER_BYTES].decode("utf-8", "replace")
    answer = _judged(client, credentials, exchange)
    redaction.register(answer.access_token)
    exchange.rewrite_answer(Redactor([credentials.client_secret, secret,
                                      answer.access_token]).redact)
    return answer


def _judged(
    client: BackendApplicationClient, credentials: ClientCredentials, exchange: Exchange,
) -> TokenAnswer:
    """The answer read by oauthlib (RFC 6749 §5.1 success, §5.2 error)."""
    answer = TokenAnswer(exchange)
    document: Any = None
    with contextlib.suppress(ValueError):
        document = json.loads(exchange.response_body)
    if isinstance(document, dict):
        token = document.get("access_token")
        answer.access_token = token if isinstance(token, str) and token else None
        kind = document.get("token_type")
        answer.token_type = kind if isinstance(kind, str) else None
        answer.expires_in = document.get("expires_in")
        error = document.get("error")
        answer.error = error if isinstance(error, str) else None
    where = f"the token endpoint {credentials.token_url} answered {exchange.status}"
    try:
        client.parse_request_body_response(exchange.response_body, scope=credentials.scope)
    except OAuth2Error as exc:
        answer.error = answer.error or exc.error
        answer.problem = redaction.one_line(f"{where}: {exc.error}"
                                            + (f" ({exc.description})" if exc.description else ""))
    except (Warning, ValueError) as exc:  # a scope other than asked for; not JSON
        answer.problem = redaction.one_line(f"{where}: {exc}")
    if answer.problem is None and not exchange.ok:
        answer.problem = f"{where}, not 200"
    if answer.problem is None and (answer.token_type or "").lower() != "bearer":
        answer.problem = (f"{where} with token_type {answer.token_type!r}, not Bearer "
                          "(RFC 6750; Entra sends the access token as a bearer token)")
    return answer
