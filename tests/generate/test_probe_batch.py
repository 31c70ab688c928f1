"""Probe.send_all: a generated example's independent reads at once (``--in-flight``), each
answer held to what :meth:`Probe.send` holds one to, in submission order: a 5xx fails
``generated.no-server-error`` at that answer, and where a serial run would have stopped (the
endpoint diagnosed hostile before that request) the search stops: ``RunStopped``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from scimcheck.core.errors import RunStopped
from scimcheck.generate.probe import Probe
from scimcheck.generate.search import NO_SERVER_ERROR, PropertyFailed
from scimcheck.http import transport as transport_module
from scimcheck.http.transport import HOSTILE_STREAK, Outgoing, Transport, TransportConfig
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer

TOKEN = "probe-batch-token-0123456789"
CAP = 64
"""The body cap in these tests (the transport's is 4 MiB): /Users/big answers more."""


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``/Users/crash`` answers 500; ``/Users/big…`` a body past :data:`CAP`."""
    path = environ["PATH_INFO"]
    name = path.rsplit("/", 1)[-1]
    answer: dict[str, Any] = {"id": name}
    if name.startswith("big"):
        answer["padding"] = "x" * (CAP * 4)
    body = json.dumps(answer).encode()
    status = "500 Oops" if name == "crash" else "200 OK"
    start_response(status, [("Content-Type", "application/scim+json"),
                            ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def probe() -> Iterator[Probe]:
    with ReferenceServer(host="127.0.0.1", port=0, app=_app) as server, \
            Transport(TransportConfig(server.base_url, TOKEN, 30, in_flight=3)) as transport:
        yield Probe(Sequence(transport, dialect=None, strict=False), [])


def test_a_5xx_fails_no_server_error_at_that_answer(probe: Probe) -> None:
    answers = probe.send_all([Outgoing("GET", "/Users/a"), Outgoing("GET", "/Users/crash"),
                              Outgoing("GET", "/Users/b")])
    assert next(answers).json() == {"id": "a"}
    with pytest.raises(PropertyFailed) as failed:
        next(answers)
    assert failed.value.check_id == NO_SERVER_ERROR
    assert failed.value.evidence is not None and failed.value.evidence.index == 2
    assert len(probe.scim.transport.exchanges) == 3, "every request sent is recorded"


def test_the_search_stops_where_a_serial_run_would_have(
    probe: Probe, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two answers cut off at the body cap, then a batch whose first is cut off too: a serial
    run would have called the endpoint hostile before the second request of the batch."""
    monkeypatch.setattr(transport_module, "MAX_BODY_BYTES", CAP)
    for n in range(HOSTILE_STREAK - 1):
        assert probe.send("GET", f"/Users/big{n}").cut_off
    answers = probe.send_all([Outgoing("GET", "/Users/big"), Outgoing("GET", "/Users/a"),
                              Outgoing("GET", "/Users/b")])
    assert next(answers).cut_off
    with pytest.raises(RunStopped, match="stopped early"):
        next(answers)


def test_a_hostile_endpoint_gets_no_batch(probe: Probe, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_BODY_BYTES", CAP)
    for n in range(HOSTILE_STREAK):
        probe.scim.transport.send("GET", f"/Users/big{n}")
    sent = len(probe.scim.transport.exchanges)
    with pytest.raises(RunStopped):
        probe.send_all([Outgoing("GET", "/Users/a")])
    assert len(probe.scim.transport.exchanges) == sent
