"""What this run may change: only the Users and Groups it created itself (issue 6 §1).

Every resource scimcheck creates carries the run's tag (``scimcheck-<run id>-…``) in its
``userName`` or ``displayName``. The ledger learns a resource when a create this run sent, with a
tagged name, is answered 2xx with an ``id`` (and, if the answer names the resource, the name is
tagged too: an endpoint that answers a create with somebody else's account must not lead
scimcheck to change that account). A PATCH, PUT or DELETE to anything else is refused before it
is sent, cleanup included.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from scimcheck import endpoints

MUTATING = frozenset({"PATCH", "PUT", "DELETE"})
_NAME_OF = {endpoints.USERS: "userName", endpoints.GROUPS: "displayName"}


def resource_key(path: str) -> tuple[str, str] | None:
    """``("/Users", id)`` for ``/Users/<id>`` (quoted or not); ``None`` for any other path."""
    parts = urlsplit(path).path.strip("/").split("/")
    if len(parts) != 2 or f"/{parts[0]}" not in _NAME_OF or not parts[1]:
        return None
    return f"/{parts[0]}", unquote(parts[1])


class Ledger:
    """The resources this run created and may therefore change or delete."""

    def __init__(self, tag: str) -> None:
        self.tag = tag.lower()
        self._owned: set[tuple[str, str]] = set()

    def tagged(self, value: Any) -> bool:
        """``value`` is a name carrying this run's tag."""
        return isinstance(value, str) and self.tag in value.lower()

    def learn(self, method: str, path: str, sent: Any, status: int | None, answer: Any) -> None:
        """Note the resource a create made, or forget one a delete removed."""
        if method == "DELETE" and status is not None and (200 <= status < 300 or status == 404):
            key = resource_key(path)
            if key is not None:
                self._owned.discard(key)
            return
        collection = urlsplit(path).path.rstrip("/")
        name = _NAME_OF.get(collection)
        if method != "POST" or name is None or status is None or not 200 <= status < 300:
            return
        if not isinstance(sent, dict) or not self.tagged(sent.get(name)):
            return
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            return
        if name in answer and not self.tagged(answer[name]):
            return  # the endpoint answered with another resource: never ours to change
        self._owned.add((collection, answer["id"]))

    def claim(self, path: str, name: Any) -> bool:
        """Own a resource found by its tagged name (a create whose answer was lost)."""
        key = resource_key(path)
        if key is None or not self.tagged(name):
            return False
        self._owned.add(key)
        return True

    def owns(self, path: str) -> bool:
        """``path`` is a resource this run created."""
        return resource_key(path) in self._owned

    def refusal(self, method: str, path: str) -> str | None:
        """Why ``method path`` must not be sent, or ``None`` when it may."""
        if method not in MUTATING:
            return None
        if self.owns(path):
            return None
        return (
            f"scimcheck refused to send {method} {path}: this run did not create that resource "
            f"(only resources whose create it sent, tagged {self.tag!r}, are ever changed or "
            "deleted)"
        )

    def owned_paths(self) -> list[str]:
        """The paths of every resource owned now."""
        return [f"{collection}/{quote(rid, safe='')}" for collection, rid in sorted(self._owned)]
