"""The reference server's OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4), built on
oauthlib's server side, and the access tokens it issued, checked on every SCIM request.

``scimcheck serve --oauth`` prints a client id and secret; a client asks ``/oauth2/token`` for
an access token (HTTP Basic or the form body, RFC 6749 §2.3.1) and sends it as a bearer token
(RFC 6750 §2.1). A token lives :data:`LIFETIME_S` (3600 s, the short end of the 60 minutes to
6 hours Entra's gallery asks for: docs/entra.md §2 "Authorisation"), or what ``lifetime_s``
says (the self-tests use a few seconds to see a token expire). Wrong client credentials get
``invalid_client`` (RFC 6749 §5.2).

Four switches (:class:`OAuthOptions`) make the broken variants: tokens that never expire (no
``expires_in``, never refused), a token endpoint that ignores the secret, a SCIM endpoint that
accepts expired tokens, and a grant answered without ``token_type``.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2 import BackendApplicationServer, RequestValidator
from werkzeug.wrappers import Request, Response

TOKEN_PATH = "/oauth2/token"
LIFETIME_S = 3600
SCOPE = "scim"


@dataclass(frozen=True)
class OAuthOptions:
    """The switches of the token endpoint; the defaults are the correct one."""

    never_expires: bool = False
    ignore_secret: bool = False
    accept_expired: bool = False
    omit_token_type: bool = False


class _Validator(RequestValidator):
    """oauthlib's questions about one client (RFC 6749 §4.4 needs only these)."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def client_authentication_required(self, request: OAuthRequest, *a: Any, **k: Any) -> bool:
        return True

    def authenticate_client(self, request: OAuthRequest, *a: Any, **k: Any) -> bool:
        client_id, secret = _basic(request.headers.get("Authorization", ""))
        if client_id is None:
            client_id, secret = request.client_id, request.client_secret
        if not self.issuer.authentic(client_id, secret):
            return False
        request.client = type("Client", (), {"client_id": client_id})()
        request.client_id = client_id
        return True

    def validate_grant_type(self, client_id: str, grant_type: str, *a: Any, **k: Any) -> bool:
        return grant_type == "client_credentials"

    def get_default_scopes(self, client_id: str, request: OAuthRequest, *a: Any,
                           **k: Any) -> list[str]:
        return [SCOPE]

    def validate_scopes(self, client_id: str, scopes: list[str], *a: Any, **k: Any) -> bool:
        return set(scopes) <= {SCOPE}

    def save_bearer_token(self, token: Any, request: OAuthRequest, *a: Any, **k: Any) -> None:
        self.issuer.remember(token["access_token"])


def _basic(header: str) -> tuple[str | None, str | None]:
    """Client id and secret from ``Authorization: Basic`` (each form-encoded, RFC 6749 §2.3.1)."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None, None
    client_id, sep, secret = pair.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else (None, None)


class TokenIssuer:
    """One registered client, the token endpoint for it, and the tokens it issued."""

    def __init__(
        self, client_id: str | None = None, client_secret: str | None = None,
        lifetime_s: float = LIFETIME_S, options: OAuthOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id or f"scimcheck-client-{secrets.token_hex(4)}"
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        self.lifetime_s = lifetime_s
        self.options = options or OAuthOptions()
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._server = BackendApplicationServer(_Validator(self),
                                                token_expires_in=max(1, round(lifetime_s)))

    def authentic(self, client_id: str | None, secret: str | None) -> bool:
        """The registered client with its secret (any secret, variant ``oauth-secret-ignored``)."""
        if client_id != self.client_id:
            return False
        if self.options.ignore_secret:
            return True
        return hmac.compare_digest((secret or "").encode(), self.client_secret.encode())

    def remember(self, token: str) -> None:
        with self._lock:
            self._expiry[token] = self._clock() + self.lifetime_s

    def valid(self, token: str) -> bool:
        """``token`` was issued here and has not expired."""
        with self._lock:
            expires = self._expiry.get(token)
        if expires is None:
            return False
        return self.options.never_expires or self.options.accept_expired or (
            self._clock() < expires)

    def respond(self, request: Request) -> Response:
        """The token endpoint's answer (RFC 6749 §5.1 success, §5.2 error)."""
        headers, body, status = self._server.create_token_response(
            request.url, "POST", request.get_data(as_text=True), dict(request.headers),
        )
        if status == 200 and (self.options.never_expires or self.options.omit_token_type):
            document = json.loads(body)
            if self.options.never_expires:
                document.pop("expires_in", None)
            if self.options.omit_token_type:
                document.pop("token_type", None)
            body = json.dumps(document)
        return Response(body, status=status, headers=headers)

    def mounted(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """``app`` with this token endpoint answering at :data:`TOKEN_PATH`."""

        def dispatch(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == TOKEN_PATH:
                if environ.get("REQUEST_METHOD") != "POST":
                    response = Response(json.dumps({"error": "invalid_request"}), status=405,
                                        headers={"Allow": "POST"},
                                        content_type="application/json")
                else:
                    response = self.respond(Request(environ))
                return response(environ, start_response)
            return app(environ, start_response)

        return dispatch
