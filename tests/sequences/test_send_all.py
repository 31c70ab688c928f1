"""Sequence.send_all: independent requests sent at once (``--in-flight``), each answer judged
as :meth:`Sequence.send` judges one, in submission order, when the caller takes it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from scimcheck.core.errors import HarnessError, RunStopped
from scimcheck.http.transport import Outgoing, Transport, TransportConfig
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer

TOKEN = "send-all-token-0123456789"


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Users/1 answers as text/plain (response.scim-content-type fails); the rest as SCIM."""
    path = environ["PATH_INFO"]
    body = json.dumps({"id": path.rsplit("/", 1)[-1]}).encode()
    media = "text/plain" if path.endswith("/1") else "application/scim+json"
    start_response("200 OK", [("Content-Type", media), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def sequence() -> Iterator[Sequence]:
    with ReferenceServer(host="127.0.0.1", port=0, app=_app) as server, \
            Transport(TransportConfig(server.base_url, TOKEN, 30, in_flight=3)) as transport:
        yield Sequence(transport, dialect=None, strict=False)


def _reads() -> list[Outgoing]:
    return [Outgoing("GET", f"/Users/{n}", label=f"read {n}") for n in range(3)]


def _judged(sequence: Sequence) -> list[int]:
    """The exchanges judged, in the order their verdicts were recorded (once each)."""
    return list(dict.fromkeys(e.exchange for e in sequence.evaluations if e.exchange))


def test_answers_are_judged_in_submission_order_as_they_are_taken(sequence: Sequence) -> None:
    answers = sequence.send_all(_reads())
    assert len(sequence.transport.exchanges) == 3, "all three were sent at once"
    first = next(answers)
    assert first.index == 1 and _judged(sequence) == [1]
    assert sequence.failures() == []
    rest = list(answers)
    assert [a.index for a in rest] == [2, 3]
    assert _judged(sequence) == [1, 2, 3], "the generic checks ran in submission order"
    assert [(f.check.id, f.exchange) for f in sequence.failures()] == [
        ("response.scim-content-type", 2)]


def test_a_caller_that_stops_leaves_the_later_answers_unjudged(sequence: Sequence) -> None:
    answers = sequence.send_all(_reads())
    next(answers)
    del answers  # as a property that failed on the first answer
    assert _judged(sequence) == [1]


def test_a_create_is_never_batched(sequence: Sequence) -> None:
    create = Outgoing("POST", "/Users", body={"userName": "someone"})
    with pytest.raises(HarnessError, match="cannot go in a batch"):
        sequence.send_all([*_reads(), create])
    assert sequence.transport.exchanges == []


def test_past_the_run_deadline_nothing_of_a_batch_is_sent(sequence: Sequence) -> None:
    sequence.stop_at = time.time() - 1
    with pytest.raises(RunStopped):
        sequence.send_all(_reads())
    assert sequence.transport.exchanges == []
