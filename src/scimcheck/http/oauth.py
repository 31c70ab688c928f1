"""OAuth 2.0 client credentials as an :class:`~scimcheck.http.auth.Authorizer`: the access
token is fetched once, refreshed before it expires and once after a 401 (docs/entra.md §2
"Authorisation"; RFC 6749 §4.4).

* **Before it expires**: a token is renewed :data:`REFRESH_MARGIN_S` (60 s) before its
  ``expires_in`` runs out, or at half its lifetime when it lives less than two minutes.
* **After a 401**: a request refused with the current token fetches a new one and is sent once
  more. A token fetched because of a 401 and refused too is a finding, not a loop: the 401
  stands and no other token is fetched for it (``refresh_after_401`` says no).
* **Shared by pytest-xdist workers without disk**: the process that starts the run fetches the
  token and hands it to its workers in the environment (:data:`SHARED_TOKEN_ENV`, ``expires_at
  token``), which the workers inherit; a worker fetches its own only when that one nears its
  expiry or is refused. Nothing is written to a file, and every token is registered with
  :mod:`scimcheck.http.redaction` in the process that holds it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import requests

from scimcheck.http import redaction
from scimcheck.http.oauth_grant import ClientCredentials, TokenAnswer, request_token

REFRESH_MARGIN_S = 60.0
SHARED_TOKEN_ENV = "SCIMCHECK_OAUTH_TOKEN"
"""The run's access token for pytest-xdist workers: ``<expires_at> <token>`` (Unix seconds)."""
RETRY_FETCH_S = 10.0
"""After a failed fetch, the old token (if any) is kept and no new fetch is tried this soon."""
DEFAULT_LIFETIME_S = 3600.0
"""Assumed when a token endpoint omits ``expires_in`` (RFC 6749 §5.1 makes it recommended)."""


class OAuthClient:
    """Access tokens from a token endpoint for the transport (thread-safe)."""

    def __init__(
        self, credentials: ClientCredentials, *, clock: Callable[[], float] = time.time,
        shared: str | None = None,
    ) -> None:
        self.credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._retry_at = 0.0
        self._after_401 = False
        """The current token was fetched because its predecessor was refused."""
        self.fetches = 0
        self.last: TokenAnswer | None = None
        """The latest answer of the token endpoint (its exchange is redacted)."""
        if shared:
            self._adopt_shared(shared)

    def _adopt_shared(self, shared: str) -> None:
        expires_at, _, token = shared.partition(" ")
        try:
            when = float(expires_at)
        except ValueError:
            return
        if token:
            redaction.register(token)
            self._set(token, when)

    def _set(self, token: str, expires_at: float) -> None:
        now = self._clock()
        self._token = token
        self._expires_at = expires_at
        margin = min(REFRESH_MARGIN_S, max(expires_at - now, 0.0) / 2)
        self._refresh_at = expires_at - margin

    def fetch(self) -> TokenAnswer:
        """Ask for a new token now; on success it becomes the current one."""
        self.fetches += 1
        answer = request_token(self.credentials, self._session)
        self.last = answer
        if answer.usable_token:
            lifetime = answer.lifetime_s or DEFAULT_LIFETIME_S
            self._set(answer.usable_token, self._clock() + lifetime)
        else:
            self._retry_at = self._clock() + RETRY_FETCH_S
        return answer

    @property
    def problem(self) -> str | None:
        """Why there is no token, when the latest fetch failed and none is held."""
        if self._token is None and self.last is not None:
            return self.last.problem
        return None

    def authorization(self) -> str | None:
        with self._lock:
            now = self._clock()
            due = self._token is None or now >= self._refresh_at
            if due and now >= self._retry_at and self.fetch().usable_token:
                self._after_401 = False
            return f"Bearer {self._token}" if self._token else None

    def refresh_after_401(self, rejected: str) -> bool:
        with self._lock:
            if self._token is None:
                return False
            if rejected != f"Bearer {self._token}":
                return True  # another request renewed it meanwhile: send with that one
            if self._after_401:
                return False  # a fresh token refused too: the 401 is the endpoint's answer
            if not self.fetch().usable_token:
                return False
            self._after_401 = True
            return True

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._token, self.credentials.client_secret) if s)

    def shared(self) -> str | None:
        """The current token for :data:`SHARED_TOKEN_ENV`, or ``None``."""
        if self._token is None:
            return None
        return f"{self._expires_at:.3f} {self._token}"

    @property
    def expires_at(self) -> float:
        """When the current token expires (the clock's seconds; 0 without one)."""
        return self._expires_at if self._token else 0.0


def from_environment(
    credentials: ClientCredentials, environ: Mapping[str, str],
) -> OAuthClient:
    """A client seeded with the token the run's first process shared, if any."""
    return OAuthClient(credentials, shared=environ.get(SHARED_TOKEN_ENV) or None)
