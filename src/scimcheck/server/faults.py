"""Fault injection for the reference server, and a log of the requests it saw.

``ReferenceServer(faults=Faults(rate=0.04, seed=7))`` answers a seeded fraction of the requests
to ``/Users`` and ``/Groups`` (and everything under them) with a fault instead of the real
answer:

* ``status``: an HTTP 500 with a SCIM Error body, as a crashing endpoint sends;
* ``reset``: no answer at all; the connection is closed with ``SO_LINGER`` 0, so the client
  sees ``ECONNRESET``.

Each fault happens at one of two stages: ``before`` the app handles the request (nothing
changed on the server), or ``after`` it (the change happened, the answer is lost: a create
whose answer never arrives, the case scimcheck's cleanup sweep exists for).

The choice is deterministic: the n-th eligible request is faulted, and how, as a function of
``(seed, n)`` alone. The first ``skip_first`` requests (of any path) are never faulted, so a
client's preflight probe gets through; discovery endpoints are never faulted either.
``enabled`` can be switched off and on while the server runs (the log keeps recording).

Every request, faulted or not, is logged as a :class:`Seen` (method, path, query, the fault if
any): tests use the log to prove which resources a client wrote to.
``Faults()`` with the default rate 0 injects nothing and only logs.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass

KINDS = ("status", "reset")
STAGES = ("before", "after")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ELIGIBLE = re.compile(r"/(?:Users|Groups)(?:/|$)")
_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass(frozen=True)
class Fault:
    """One injected fault: what (``status`` or ``reset``) and when (``before`` or ``after``)."""

    kind: str
    stage: str

    @property
    def before(self) -> bool:
        """The app never sees the request."""
        return self.stage == "before"

    def __str__(self) -> str:
        return f"{self.kind}-{self.stage}"

    def error_body(self) -> bytes:
        """The SCIM Error message a ``status`` fault answers with."""
        detail = f"injected fault ({self}): the reference server's fault injection"
        return json.dumps(
            {"schemas": [_ERROR_SCHEMA], "status": "500", "detail": detail}
        ).encode("utf-8")


@dataclass(frozen=True)
class Seen:
    """One request the server received, and the fault it got, if any."""

    method: str
    path: str
    fault: Fault | None = None
    query: str = ""
    """The query string as sent (percent-encoded), without the ``?``."""

    @property
    def write(self) -> bool:
        """A POST, PUT, PATCH or DELETE."""
        return self.method in WRITE_METHODS


class Faults:
    """Seeded fault injection and the request log of one server (thread-safe)."""

    def __init__(
        self,
        rate: float = 0.0,
        *,
        seed: int = 0,
        kinds: tuple[str, ...] = KINDS,
        stages: tuple[str, ...] = STAGES,
        skip_first: int = 1,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {rate!r} is not between 0 and 1")
        if not kinds or set(kinds) - set(KINDS):
            raise ValueError(f"fault kinds {kinds!r}: choose from {', '.join(KINDS)}")
        if not stages or set(stages) - set(STAGES):
            raise ValueError(f"fault stages {stages!r}: choose from {', '.join(STAGES)}")
        if skip_first < 0:
            raise ValueError("skip_first must be 0 or more")
        self.rate = rate
        self.seed = seed
        self.choices = tuple(Fault(k, s) for k in kinds for s in stages)
        self.skip_first = skip_first
        self.enabled = True
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        self._eligible = 0

    def decide(self, method: str, path: str) -> Fault | None:
        """Log the request; the fault to inject into it, or ``None`` to answer normally."""
        path, _, query = path.partition("?")
        with self._lock:
            fault = None
            if self.enabled and len(self._seen) >= self.skip_first and _ELIGIBLE.search(path):
                self._eligible += 1
                rng = random.Random(f"{self.seed}/{self._eligible}")
                if rng.random() < self.rate:
                    fault = rng.choice(self.choices)
            self._seen.append(Seen(method.upper(), path, fault, query))
            return fault

    @property
    def seen(self) -> list[Seen]:
        """Every request so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._seen)

    def writes(self) -> list[Seen]:
        """The POST, PUT, PATCH and DELETE requests so far."""
        return [s for s in self.seen if s.write]

    def injected(self) -> list[Seen]:
        """The requests that got a fault."""
        return [s for s in self.seen if s.fault is not None]

    @property
    def count(self) -> int:
        """How many requests the server has received so far."""
        with self._lock:
            return len(self._seen)
