"""What this run may change: only the Users and Groups it created itself (issue 6 §1, issue 13 §2).

Every resource scimcheck creates carries the run's tag (``scimcheck-<run id>-…``) in its
``userName`` or ``displayName``. A resource is this run's only when its own representation says
so: the answer to a create this run sent (with a tagged name) names the tag, or, when that answer
carries an ``id`` but no name, a GET of that id does (:class:`Lookup`). An endpoint that answers
a create with somebody else's id must never lead scimcheck to change that resource.

Ids are unique and never reassigned (RFC 7643 §3.1). An id given for two creates, or given again
after this run deleted it, is a defect of the endpoint: it is recorded in :attr:`Ledger.defects`
and the id is never acted on twice (a contested id is owned by nobody until a GET shows which of
the run's creates it holds; an id the run deleted is never changed again). A PATCH, PUT or DELETE
to anything not owned is refused before it is sent, cleanup included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from scimcheck.http.transport import Exchange, Transport, TransportConfig
from scimcheck.scim import endpoints

MUTATING = frozenset({"PATCH", "PUT", "DELETE"})
NAME_OF = {endpoints.USERS: "userName", endpoints.GROUPS: "displayName"}
"""The attribute that carries a run's tag, per collection."""

Key = tuple[str, str]


def resource_key(path: str) -> Key | None:
    """``("/Users", id)`` for ``/Users/<id>`` (quoted or not); ``None`` for any other path."""
    parts = urlsplit(path).path.strip("/").split("/")
    if len(parts) != 2 or f"/{parts[0]}" not in NAME_OF or not parts[1]:
        return None
    return f"/{parts[0]}", unquote(parts[1])


def path_of(key: Key) -> str:
    """``/Users/<quoted id>`` for a key."""
    return f"{key[0]}/{quote(key[1], safe='')}"


@dataclass(frozen=True)
class Lookup:
    """A create answered with an ``id`` but no name: GET ``path`` to learn whose it is."""

    path: str
    sent: str
    """The tagged name the create sent."""


@dataclass
class RunIds:
    """The ids the endpoint gave a run's creates, and those the run deleted: shared by every
    sequence of the run in this process, so an id handed out again is noticed across them."""

    given: dict[Key, str] = field(default_factory=dict)
    """Key → the name sent by the create it was first given to."""
    deleted: set[Key] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


_RUNS: dict[str, RunIds] = {}
_RUNS_LOCK = threading.Lock()


def guarded(config: TransportConfig, tag: str,
            on_exchange: Callable[[Exchange], None] | None = None) -> Transport:
    """A transport that changes or deletes only what the run tagged ``tag`` created (its
    :class:`Ledger`, shared ids with every other ledger of the run in this process)."""
    return Transport(config, on_exchange, guard=Ledger(tag, run_ids(tag)))


def ledger_of(transport: Transport) -> Ledger | None:
    """The ledger guarding ``transport``, if any."""
    return transport.guard if isinstance(transport.guard, Ledger) else None


def run_ids(tag: str) -> RunIds:
    """The :class:`RunIds` of the run tagged ``tag`` in this process."""
    with _RUNS_LOCK:
        return _RUNS.setdefault(tag.lower(), RunIds())


class Ledger:
    """The resources this run created and may therefore change or delete."""

    def __init__(self, tag: str, run: RunIds | None = None) -> None:
        self.tag = tag.lower()
        self._run = run if run is not None else RunIds()
        self._owned: dict[Key, str] = {}
        """Owned key → the name its representation showed."""
        self._contested: set[Key] = set()
        """Keys the endpoint gave for two creates: owned only once a GET shows which."""
        self._why_not: dict[Key, str] = {}
        """Keys a representation showed to be another resource's (never ours), and why."""
        self._unproven: dict[Key, str] = {}
        """Keys a create was answered with that a GET could not decide, and why (a later GET by
        name may still show them ours)."""
        self.defects: list[str] = []
        """What the endpoint did wrong with ids (two creates, one id; an id reassigned)."""
        self.revoked: list[tuple[str, str]] = []
        """(collection, name) of creates whose proof a contested id took back: to be looked up
        by name at cleanup."""

    def tagged(self, value: Any) -> bool:
        """``value`` is a name carrying this run's tag."""
        return isinstance(value, str) and self.tag in value.lower()

    def learn(
        self, method: str, path: str, sent: Any, status: int | None, answer: Any
    ) -> Lookup | None:
        """Note the resource a create made, or forget one a delete removed. A create answered
        with an id but no name returns the :class:`Lookup` that decides it."""
        if method == "DELETE" and status is not None and (200 <= status < 300 or status == 404):
            key = resource_key(path)
            if key is not None and self._owned.pop(key, None) is not None:
                with self._run.lock:
                    self._run.deleted.add(key)
            return None
        collection = urlsplit(path).path.rstrip("/")
        name = NAME_OF.get(collection)
        if method != "POST" or name is None or status is None or not 200 <= status < 300:
            return None
        if not isinstance(sent, dict) or not self.tagged(sent.get(name)):
            return None
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str) \
                or not answer["id"]:
            return None
        key, sent_name = (collection, answer["id"]), str(sent[name])
        if self._reused(key, sent_name):
            return None
        if name not in answer:
            return Lookup(path_of(key), sent_name)
        if self.tagged(answer[name]):
            self._owned[key] = str(answer[name])
        else:  # the endpoint answered with another resource: never ours to change
            self._not_ours(key, sent_name, f"the answer names {answer[name]!r}")
        return None

    def _reused(self, key: Key, sent_name: str) -> bool:
        """A create answered with an id the run already holds or deleted: record the defect
        (RFC 7643 §3.1: ids are unique and never reassigned) and own nothing by it."""
        shown = path_of(key)
        with self._run.lock:
            earlier = self._run.given.get(key)
            if earlier is None:
                self._run.given[key] = sent_name
            deleted = key in self._run.deleted
        if deleted:
            self.defects.append(
                f"the endpoint answered the create of {sent_name!r} with id {key[1]!r}, which "
                "this run already deleted: an id must never be reassigned (RFC 7643 §3.1); "
                f"scimcheck will not change or delete {shown} again"
            )
            return True
        if earlier is None:
            return False
        first = self._owned.pop(key, None)
        self._contested.add(key)
        if first is not None:
            self.revoked.append((key[0], first))
        self.revoked.append((key[0], sent_name))
        self.defects.append(
            f"the endpoint answered two creates ({earlier!r} and {sent_name!r}) with the same "
            f"id {key[1]!r}: ids must be unique (RFC 7643 §3.1); scimcheck changes {shown} no "
            "more and looks the resource it created up by name at cleanup"
        )
        return True

    def _not_ours(self, key: Key, sent_name: str, seen: str, defect: bool = True) -> None:
        """``key``, given by the create of ``sent_name``, is not this run's (``seen`` says why);
        a representation naming another resource is a defect of the endpoint."""
        self._owned.pop(key, None)
        why = (f"the endpoint answered the create of {sent_name!r} with an id whose resource is "
               f"not ours ({seen})")
        (self._why_not if defect else self._unproven)[key] = why
        if defect:
            self.defects.append(f"{why}: a create must answer with the new resource's own id "
                                f"(RFC 7643 §3.1, RFC 7644 §3.3); scimcheck will not change "
                                f"{path_of(key)}")

    def prove(self, lookup: Lookup, status: int | None, representation: Any) -> bool:
        """Own ``lookup.path`` if a GET of it (``status``, ``representation``) shows a resource
        of this run with that id; otherwise remember why it is not ours."""
        key = resource_key(lookup.path)
        if key is None:
            return False
        name = NAME_OF[key[0]]
        shown = representation.get(name) if isinstance(representation, dict) else None
        same_id = isinstance(representation, dict) and representation.get("id") == key[1]
        if status == 200 and same_id and self.tagged(shown):
            self._owned[key] = str(shown)
            return True
        if status == 200 and same_id and isinstance(shown, str) and shown:
            self._not_ours(key, lookup.sent, f"a GET of it names {shown!r}")
        else:  # no representation: not proven ours, but no evidence of another resource either
            self._not_ours(key, lookup.sent, f"a GET of it answered {status or 'nothing'}",
                           defect=False)
        return False

    def claim(self, path: str, name: Any) -> bool:
        """Own a resource whose own representation (a GET of it) names it ``name``: a create
        whose answer was lost, or whose id was contested. Never an id this run deleted, or one
        already found to be somebody else's."""
        key = resource_key(path)
        if key is None or not self.tagged(name) or self._deleted(key) or key in self._why_not:
            return False
        self._contested.discard(key)
        self._unproven.pop(key, None)
        self._owned[key] = str(name)
        return True

    def adoptable(self, path: str, name: str, status: int | None, representation: Any) -> bool:
        """A GET of ``path`` answered ``status`` with ``representation``: own ``path`` if that
        representation is the resource ``name`` (a create whose answer was lost or whose id was
        contested, found by its exact tagged name)."""
        key = resource_key(path)
        attribute = NAME_OF[key[0]] if key else ""
        shown = representation.get(attribute) if isinstance(representation, dict) else None
        if status != 200 or not isinstance(representation, dict) or key is None \
                or representation.get("id") != key[1] or not isinstance(shown, str) \
                or shown.lower() != name.lower():
            return False
        return self.claim(path, shown)

    def accounted(self, path: str) -> bool:
        """``path`` is not owned for a reason the run already handles: deleted already, or the
        create it answered is looked up by name at cleanup (contested, or not ours)."""
        key = resource_key(path)
        return key is not None and key not in self._owned and (
            self._deleted(key) or key in self._contested or key in self._why_not
            or key in self._unproven)

    def _deleted(self, key: Key) -> bool:
        with self._run.lock:
            return key in self._run.deleted

    def owns(self, path: str) -> bool:
        """``path`` is a resource this run created."""
        return resource_key(path) in self._owned

    def refusal(self, method: str, path: str) -> str | None:
        """Why ``method path`` must not be sent, or ``None`` when it may."""
        if method not in MUTATING or self.owns(path):
            return None
        key = resource_key(path)
        why = "this run did not create that resource"
        if key is not None and self._deleted(key):
            why = "this run already deleted that id (an id is never acted on twice)"
        elif key in self._contested:
            why = "the endpoint gave that id to two creates, so whose it is is not known"
        elif key is not None and (key in self._why_not or key in self._unproven):
            why = self._why_not.get(key) or self._unproven[key]
        return (
            f"scimcheck refused to send {method} {path}: {why} (only resources whose own "
            f"representation names this run's tag {self.tag!r} are ever changed or deleted)"
        )

    def owned_paths(self) -> list[str]:
        """The paths of every resource owned now."""
        return [path_of(key) for key in sorted(self._owned)]
