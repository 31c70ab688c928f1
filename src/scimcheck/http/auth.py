"""How the transport authenticates a request: an :class:`Authorizer` gives the
``Authorization`` header's value and may renew it once after a 401.

Two kinds: :class:`StaticBearer`, the long-lived secret token Entra has always supported
(docs/entra.md §2 "Authorisation"; RFC 6750 §2.1), and
:class:`scimcheck.http.oauth.OAuthClient`, OAuth 2.0 client credentials (RFC 6749 §4.4), whose
access token is fetched, refreshed before it expires and once after a 401.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Authorizer(Protocol):
    """What the transport asks before each request and after a 401."""

    def authorization(self) -> str | None:
        """The ``Authorization`` header's value for the next request (``None``: none)."""

    def refresh_after_401(self, rejected: str) -> bool:
        """A request sent with ``rejected`` was answered 401: ``True`` when a new credential
        is ready and the request may be sent once more; ``False`` when the 401 stands (a
        fresh credential was refused too: a finding, never a loop)."""

    def secrets(self) -> tuple[str, ...]:
        """The credentials an answer must never repeat (``auth.token-not-echoed``)."""


class StaticBearer:
    """The bearer token given by ``--token``/``SCIM_TOKEN``: sent as it is, never renewed."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"
        self._token = token

    def authorization(self) -> str | None:
        return self._header

    def refresh_after_401(self, rejected: str) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)
