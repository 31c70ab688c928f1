"""A total time limit per request, which socket timeouts alone cannot give.

A socket timeout bounds each read, so an endpoint that drips a byte every second (headers or
body) would hold a request forever. Entra gives up on a request after 60 seconds in all
(docs/entra.md §1.0); so does scimcheck: one daemon thread shuts down the socket of any
request still running at its deadline, which ends the blocked read at once. The transport's
connection pools report each request's connection with :func:`note_connection`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Attempt:
    """One request under a deadline: the connection it got, and whether time ran out."""

    deadline: float
    connection: Any = None
    expired: bool = False
    done: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def expire(self) -> None:
        """Cut the request off: shut its socket down so the blocked read returns."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        """The request is over; a later deadline must not touch the (reused) connection."""
        with self._lock:
            self.done = True


class _Watchdog:
    """One thread for the whole process, waking at the earliest pending deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, attempt: Attempt) -> None:
        with self._wake:
            heapq.heappush(self._heap, (attempt.deadline, next(self._order), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="scimcheck-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is attempt:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                _, _, due = heapq.heappop(self._heap)
            due.expire()


_WATCHDOG = _Watchdog()
_current = threading.local()


def start(seconds: float) -> Attempt:
    """Begin a request on this thread that must be over within ``seconds``."""
    attempt = Attempt(deadline=time.monotonic() + seconds)
    _current.attempt = attempt
    _WATCHDOG.watch(attempt)
    return attempt


def watch(seconds: float, sock: Any) -> Attempt:
    """A deadline for reading one request from a client's socket (a server's side): at the
    deadline ``sock`` is shut down. Unlike :func:`start` it is not this thread's request, so
    the transport's pools never report a connection to it; end it with ``Attempt.finish``."""
    attempt = Attempt(deadline=time.monotonic() + seconds, connection=_Holder(sock))
    _WATCHDOG.watch(attempt)
    return attempt


@dataclass(frozen=True)
class _Holder:
    sock: Any


def stop(attempt: Attempt) -> None:
    """End the request begun by :func:`start`."""
    attempt.finish()
    _current.attempt = None


def note_connection(connection: Any) -> None:
    """The connection this thread's current request got (the transport's pools call this)."""
    attempt = getattr(_current, "attempt", None)
    if attempt is not None:
        attempt.connection = connection
