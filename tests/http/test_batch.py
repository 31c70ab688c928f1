"""Independent requests in flight at once (``--in-flight``, issue 18 §2): at most N at once and
more than one when N > 1, recorded in submission order whatever order the answers come in,
paced by ``--max-rps``, refused by the guard unsent in their place, redacted as when serial.

The loopback endpoint makes concurrency deterministic with barriers and events (a request waits
until the others of its group have arrived); their timeouts only guard against a hang. Nothing
asserts a duration but a lower bound the pacing guarantees.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from scimcheck.http import batch
from scimcheck.http.transport import Outgoing, Transport, TransportConfig
from scimcheck.server import ReferenceServer

TOKEN = "batch-token-0123456789"
HANG_GUARD_S = 20.0
"""How long the endpoint waits for the other requests of a group before giving up (a test that
gets there has failed: the requests were not in flight together)."""


@dataclass
class Endpoint:
    """A WSGI endpoint counting the requests inside it at once."""

    barrier: threading.Barrier | None = None
    """Each request waits here for the others of its group before it is answered."""
    reverse: int = 0
    """Answer the first ``reverse`` requests (by the number in their path) last one first."""
    echo_token: bool = False
    retry_first: set[str] = field(default_factory=set)
    """Paths answered 429 (Retry-After: 0) the first time."""
    inside: int = 0
    most: int = 0
    started: list[tuple[float, str]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _done: dict[int, threading.Event] = field(default_factory=dict)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        with self._lock:
            self.started.append((time.monotonic(), path))
            again = any(path == earlier for _, earlier in self.seen)  # a retry: no waiting
            self.seen.append((environ["REQUEST_METHOD"], path))
            self.inside += 1
            self.most = max(self.most, self.inside)
            retry = path in self.retry_first
            self.retry_first.discard(path)
        number = int(path.rsplit("/", 1)[-1]) if path[-1].isdigit() and not again else -1
        try:
            if self.barrier is not None and not again:
                self.barrier.wait(HANG_GUARD_S)
            if 0 <= number < self.reverse - 1:  # the later one first
                self._event(number + 1).wait(HANG_GUARD_S)
        finally:
            with self._lock:
                self.inside -= 1
        with self._lock:
            self.answered.append(path)
        status, headers = ("429 Too Many", [("Retry-After", "0")]) if retry else ("200 OK", [])
        answer: dict[str, Any] = {"id": path.rsplit("/", 1)[-1]}
        if self.echo_token:
            answer["seen"] = environ.get("HTTP_AUTHORIZATION", "")
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/scim+json"),
                                ("Content-Length", str(len(body))), *headers])
        if 0 <= number < self.reverse:
            self._event(number).set()
        return [body]

    def _event(self, number: int) -> threading.Event:
        with self._lock:
            return self._done.setdefault(number, threading.Event())


@pytest.fixture
def serve() -> Iterator[Callable[[Endpoint], str]]:
    servers: list[ReferenceServer] = []

    def start(endpoint: Endpoint) -> str:
        server = ReferenceServer(host="127.0.0.1", port=0, app=endpoint)
        server.start()
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        server.stop()


def _transport(url: str, in_flight: int, **config: Any) -> Transport:
    return Transport(TransportConfig(url, TOKEN, 30, in_flight=in_flight, **config))


def _reads(count: int) -> list[Outgoing]:
    return [Outgoing("GET", f"/Users/{n}", label=f"read {n}") for n in range(count)]


def test_at_most_in_flight_requests_are_sent_at_once_and_more_than_one(
    serve: Callable[[Endpoint], str],
) -> None:
    """Nine reads, three at once: each group of three meets at the endpoint's barrier (so three
    were in flight together), and never a fourth."""
    endpoint = Endpoint(barrier=threading.Barrier(3))
    with _transport(serve(endpoint), in_flight=3) as transport:
        answers = transport.send_many(_reads(9))
    assert [a.status for a in answers] == [200] * 9
    assert endpoint.most == 3


def test_exchanges_are_recorded_in_submission_order_when_answered_in_reverse(
    serve: Callable[[Endpoint], str],
) -> None:
    endpoint = Endpoint(barrier=threading.Barrier(4), reverse=4)
    with _transport(serve(endpoint), in_flight=4) as transport:
        answers = transport.send_many(_reads(4))
    paths = [f"/scim/v2/Users/{n}" for n in range(4)]
    assert endpoint.answered == paths[::-1], "the endpoint answered the last one first"
    assert [a.json()["id"] for a in answers] == ["0", "1", "2", "3"]
    assert [x.index for x in transport.exchanges] == [1, 2, 3, 4]
    assert [x.label for x in transport.exchanges] == [f"read {n}" for n in range(4)]
    assert [x.url.rsplit("/", 1)[-1] for x in transport.exchanges] == ["0", "1", "2", "3"]
    assert transport.sent == 4


def test_a_retried_request_keeps_its_attempts_together_in_its_place(
    serve: Callable[[Endpoint], str],
) -> None:
    endpoint = Endpoint(retry_first={"/scim/v2/Users/1"})
    with _transport(serve(endpoint), in_flight=4) as transport:
        answers = transport.send_many(_reads(3))
    assert [a.status for a in answers] == [200, 200, 200]
    assert [(x.index, x.status, x.label) for x in transport.exchanges] == [
        (1, 200, "read 0"),
        (2, 429, "read 1 (answered 429; retried after 0 s)"),
        (3, 200, "read 1 (retry 1)"),
        (4, 200, "read 2"),
    ]
    assert transport.retries == 1
    assert transport.hostile_before(answers[2]) is None


def test_in_flight_one_is_serial(serve: Callable[[Endpoint], str]) -> None:
    endpoint = Endpoint()
    with _transport(serve(endpoint), in_flight=1) as transport:
        transport.send_many(_reads(5))
    assert endpoint.most == 1
    assert [path for _, path in endpoint.seen] == [f"/scim/v2/Users/{n}" for n in range(5)]


def test_max_rps_bounds_the_rate_of_concurrent_senders(serve: Callable[[Endpoint], str]) -> None:
    """Six reads, four at once, at most 2 a second: in any second at most two start, so the
    k-th request (from 0) goes no sooner than k // 2 seconds after the batch began, and the
    endpoint sees it start no sooner either (a lower bound: it cannot flake)."""
    rps = 2.0
    endpoint = Endpoint()
    with _transport(serve(endpoint), in_flight=4, max_rps=rps) as transport:
        began = time.monotonic()
        transport.send_many(_reads(6))
    starts = sorted(when for when, _ in endpoint.started)
    assert len(starts) == 6
    for k, when in enumerate(starts):
        assert when - began >= k // 2


class _RefuseDeletes:
    """A guard that lets nothing be deleted (as the ownership ledger refuses what the run did
    not create)."""

    def refusal(self, method: str, path: str) -> str | None:
        return f"scimcheck refused to send {method} {path}" if method == "DELETE" else None

    def learn(self, method: str, path: str, sent: Any, status: int | None, answer: Any) -> None:
        return None

    def prove(self, lookup: Any, status: int | None, representation: Any) -> bool:
        return False

    def claim(self, path: str, name: Any) -> bool:
        return False

    def adoptable(self, path: str, name: str, status: int | None, representation: Any) -> bool:
        return False

    def owns(self, path: str) -> bool:
        return False


def test_a_refusal_inside_a_batch_is_recorded_unsent_in_its_place(
    serve: Callable[[Endpoint], str],
) -> None:
    endpoint = Endpoint()
    requests = [Outgoing("GET", "/Users/0"), Outgoing("DELETE", "/Users/1", label="delete"),
                Outgoing("GET", "/Users/2")]
    url = serve(endpoint)
    with Transport(TransportConfig(url, TOKEN, 30, in_flight=3),
                   guard=_RefuseDeletes()) as transport:
        answers = transport.send_many(requests)
    assert [x.method for x in transport.exchanges] == ["GET", "DELETE", "GET"]
    refused = transport.exchanges[1]
    assert refused.refused and refused.status is None and answers[1] is refused
    assert "refused to send DELETE" in (refused.error or "")
    assert sorted(endpoint.seen) == [("GET", "/scim/v2/Users/0"), ("GET", "/scim/v2/Users/2")]


def _shown(transport: Transport) -> list[tuple[Any, ...]]:
    return [(x.index, x.method, x.url.partition("/scim/v2")[2], x.request_headers,
             x.request_body, x.status, x.response_body, x.label, x.token_echoed, x.refused)
            for x in transport.exchanges]


def test_a_batch_records_what_a_serial_run_records_secrets_redacted(
    serve: Callable[[Endpoint], str],
) -> None:
    """The same batch, one by one and four at once (answered in reverse, one retried, each
    answer repeating the token): the same transcript, the token redacted everywhere."""
    transcripts = []
    for in_flight in (1, 4):
        endpoint = Endpoint(echo_token=True, retry_first={"/scim/v2/Users/2"},
                            barrier=threading.Barrier(4) if in_flight > 1 else None,
                            reverse=4 if in_flight > 1 else 0)
        with _transport(serve(endpoint), in_flight=in_flight) as transport:
            transport.send_many(_reads(4))
        transcripts.append(_shown(transport))
    assert transcripts[0] == transcripts[1]
    assert all(row[8] for row in transcripts[1] if row[5] == 200), "every echo was seen"
    assert TOKEN not in repr(transcripts[1])
    assert all(row[3]["Authorization"] == "Bearer <redacted>" for row in transcripts[1])


class _Renewing:
    """An authorizer whose first credential is refused: renewed once after a 401, as
    :class:`scimcheck.http.oauth.OAuthClient` is (another request may have renewed it)."""

    def __init__(self) -> None:
        self.current = "Bearer old"
        self.renewals = 0
        self._lock = threading.Lock()

    def authorization(self) -> str | None:
        return self.current

    def refresh_after_401(self, rejected: str) -> bool:
        with self._lock:
            if rejected != self.current:
                return True
            self.current, self.renewals = "Bearer new", self.renewals + 1
            return True

    def secrets(self) -> tuple[str, ...]:
        return ("old", "new")


def test_a_401_in_a_batch_is_sent_again_with_the_renewed_credential(
    serve: Callable[[Endpoint], str],
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        ok = environ.get("HTTP_AUTHORIZATION") == "Bearer new"
        start_response("200 OK" if ok else "401 Unauthorized",
                       [("Content-Type", "application/scim+json"), ("Content-Length", "2")])
        return [b"{}"]

    server = ReferenceServer(host="127.0.0.1", port=0, app=app)
    with server:
        authorizer = _Renewing()
        with Transport(TransportConfig(server.base_url, None, 30, in_flight=4,
                                       auth=authorizer)) as transport:
            answers = transport.send_many(_reads(4))
    assert [a.status for a in answers] == [200] * 4
    assert authorizer.renewals == 1
    for n, answer in enumerate(answers):  # each request's 401, if any, just before it
        position = transport.exchanges.index(answer)
        earlier = transport.exchanges[position - 1] if position else None
        assert answer.label.startswith(f"read {n}")
        if answer.label.endswith("(again, with a new access token)"):
            assert earlier is not None and earlier.status == 401 and earlier.label == f"read {n}"


def test_an_exception_in_a_batch_is_raised_after_every_request_is_recorded(
    serve: Callable[[Endpoint], str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = Endpoint()
    with _transport(serve(endpoint), in_flight=3) as transport:
        sending = transport.send

        def failing(method: str, path: str, **kwargs: Any) -> Any:
            if path.endswith("/1"):
                raise RuntimeError("boom")
            return sending(method, path, **kwargs)

        monkeypatch.setattr(transport, "send", failing)
        with pytest.raises(RuntimeError, match="boom"):
            transport.send_many(_reads(3))
    assert [x.label for x in transport.exchanges] == ["read 0", "read 2"]


def test_run_bounded_gives_outcomes_in_submission_order() -> None:
    gate = threading.Event()

    def slow() -> str:
        gate.wait(HANG_GUARD_S)
        return "first"

    def fast() -> str:
        gate.set()
        return "second"

    outcomes = batch.run_bounded([slow, fast], in_flight=2)
    assert [o.value for o in outcomes] == ["first", "second"]
    assert all(o.ran and o.error is None for o in outcomes)
