"""Independent requests in flight at once, at most ``--in-flight`` of them (issue 18 §2).

Entra itself works on different users and groups at the same time; so may scimcheck, for
requests whose answers do not depend on one another (the reads that compare an endpoint with the
lifecycle model, say). :class:`Outgoing` is one such request; :func:`run_bounded` runs jobs on a
bounded thread pool and gives back each job's outcome in submission order, whatever order they
finish in; :func:`send_many` sends a batch through a transport that way and records its exchanges
in submission order, so a transcript reads as a serial run's. The transport sends; this module
speaks no HTTP itself.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from scimcheck.http.exchange import Exchange

_T = TypeVar("_T")
_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter (malloc.h)."""
MAPPED_ABOVE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Outgoing:
    """One request of a batch: what :meth:`Transport.send` takes, as data."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    body: Any = None
    authenticated: bool = True
    headers: Mapping[str, str] | None = None
    label: str = ""

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``Transport.send`` after ``method`` and ``path``."""
        return {"params": self.params, "body": self.body, "authenticated": self.authenticated,
                "headers": self.headers, "label": self.label}


@dataclass
class Outcome(Generic[_T]):
    """What one job came to: its value, or the exception it raised (``ran`` false: never
    started, the batch was interrupted first)."""

    value: _T | None = None
    error: BaseException | None = None
    ran: bool = False


def run_bounded(jobs: Sequence[Callable[[], _T]], in_flight: int) -> list[Outcome[_T]]:
    """Run ``jobs`` with at most ``in_flight`` at once; their outcomes in submission order.
    A job's exception is its outcome, not raised here. Interrupted while waiting (Ctrl-C),
    the jobs not yet started are cancelled, the running ones finish (each request is bounded
    by its deadline), and the interruption is raised."""
    outcomes: list[Outcome[_T]] = [Outcome() for _ in jobs]

    def run(position: int) -> None:
        outcome = outcomes[position]
        outcome.ran = True
        try:
            outcome.value = jobs[position]()
        except Exception as exc:  # the caller's, raised in submission order
            outcome.error = exc

    workers = max(1, min(in_flight, len(jobs)))
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="scimcheck-send")
    try:
        futures = [pool.submit(run, position) for position in range(len(jobs))]
        concurrent.futures.wait(futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes


class Sender(Protocol):
    """What :func:`send_many` needs of a transport
    (:class:`scimcheck.http.transport.Transport`)."""

    def send(
        self, method: str, path: str, *, params: Mapping[str, str] | None = ...,
        body: Any = ..., authenticated: bool = ..., headers: Mapping[str, str] | None = ...,
        label: str = ...,
    ) -> Exchange: ...

    @property
    def hostile(self) -> str | None: ...

    def keep_here(self, kept: list[Exchange] | None) -> None: ...

    def record(self, exchange: Exchange) -> None: ...


def send_many(
    sender: Sender, batch: Sequence[Outgoing], in_flight: int,
) -> tuple[list[Exchange], dict[int, str | None]]:
    """Send ``batch``, at most ``in_flight`` at once, each as ``sender.send`` would (the guard
    asked first, ``--max-rps`` paced, 429/503 retried); the answers in submission order, and
    by each answer's index the sender's ``hostile`` as it stood before that request in
    submission order (a caller judging the answers stops where a serial run would have).

    Each request's exchanges (its attempts, retries and ownership look-ups) are kept on its
    thread and recorded after all are answered, request by request in submission order, so
    the transcript, its indexes and the repro scripts are a serial run's whatever order the
    answers came in. ``in_flight`` 1 sends them one by one. Should any raise, all are recorded
    first, then the first one's exception is raised."""
    hostile: dict[int, str | None] = {}
    if in_flight <= 1 or len(batch) <= 1:
        answers = []
        for request in batch:
            before = sender.hostile
            answers.append(sender.send(request.method, request.path, **request.arguments()))
            hostile[answers[-1].index] = before
        return answers, hostile
    kept: list[list[Exchange]] = [[] for _ in batch]

    def job(position: int) -> Exchange:
        sender.keep_here(kept[position])
        try:
            request = batch[position]
            return sender.send(request.method, request.path, **request.arguments())
        finally:
            sender.keep_here(None)

    befores: list[str | None] = []
    try:
        outcomes = run_bounded([functools.partial(job, p) for p in range(len(batch))],
                               in_flight)
    finally:  # interrupted or not, every request sent is recorded, in submission order
        for exchanges in kept:
            befores.append(sender.hostile)
            for exchange in exchanges:
                sender.record(exchange)
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
    answers = [outcome.value for outcome in outcomes if outcome.value is not None]
    assert len(answers) == len(batch)
    hostile.update((answer.index, before) for answer, before in zip(answers, befores,
                                                                     strict=True))
    return answers, hostile


@functools.cache
def map_large_buffers() -> None:
    """Have glibc give every allocation over :data:`MAPPED_ABOVE_BYTES` a mapping of its own,
    returned to the system when freed (done once, when this module is imported). glibc gives
    each thread a malloc arena of its own and raises its mapping threshold after each large
    free, so answer bodies read on several threads at once (up to 4 MiB each, and their text)
    stayed in those arenas once freed: 70 MB more peak memory against an endpoint listing 10^6
    users (tests/http/test_bounds.py). Elsewhere (another C library) nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MAPPED_ABOVE_BYTES)


map_large_buffers()
