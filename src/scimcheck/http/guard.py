"""What the transport asks before and after each request, without knowing SCIM.

The transport sends; deciding which resources a run may change is the SCIM layer's
(:class:`scimcheck.scim.ownership.Ledger` implements this protocol; docs/ci.md, "Safe on
staging"). A transport built without a guard sends everything it is asked to.
"""

from __future__ import annotations

from typing import Any, Protocol


class Pending(Protocol):
    """A create whose answer named no owner: GET :attr:`path` to decide it."""

    @property
    def path(self) -> str: ...


class Guard(Protocol):
    """Refuses requests to what the run did not create, and learns from every answer."""

    def refusal(self, method: str, path: str) -> str | None:
        """Why ``method path`` must not be sent, or ``None`` when it may."""

    def learn(
        self, method: str, path: str, sent: Any, status: int | None, answer: Any
    ) -> Pending | None:
        """Take note of a sent request's answer; a create to decide by a GET is returned."""

    def prove(self, lookup: Any, status: int | None, representation: Any) -> bool:
        """Decide a pending create from a GET of it."""

    def claim(self, path: str, name: Any) -> bool:
        """Own ``path``, whose own representation names it ``name``."""

    def adoptable(self, path: str, name: str, status: int | None, representation: Any) -> bool:
        """A GET of ``path`` (``status``, ``representation``) shows it is the run's ``name``."""

    def owns(self, path: str) -> bool:
        """``path`` is a resource this run created."""
