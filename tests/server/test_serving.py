"""The reference server on a real loopback socket: keep-alive, TCP_NODELAY, threads, lifecycle."""

from __future__ import annotations

import _thread
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from scimcheck.server import VARIANTS, ReferenceServer
from scimcheck.server.serving import ConnectionTracker

TOKEN = "socket-test-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}",
           "Content-Type": "application/scim+json; charset=utf-8"}


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(token=TOKEN) as running:
        yield running


def _connection(server: ReferenceServer) -> http.client.HTTPConnection:
    parts = urlsplit(server.base_url)
    assert parts.hostname == "127.0.0.1" and parts.port
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)


def _send(
    connection: http.client.HTTPConnection, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, "/scim/v2" + path, body=data, headers=HEADERS)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_base_url_and_binding(server: ReferenceServer) -> None:
    parts = urlsplit(server.base_url)
    assert parts.scheme == "http" and parts.path == "/scim/v2"
    assert parts.hostname == "127.0.0.1" and parts.port and parts.port > 0
    with urllib.request.urlopen(urllib.request.Request(
        server.base_url + "/ServiceProviderConfig", headers=HEADERS
    )) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/scim+json; charset=utf-8"
    assert ReferenceServer().host == "127.0.0.1"
    with pytest.raises(RuntimeError):
        _ = ReferenceServer().base_url


def test_auth_through_the_socket(server: ReferenceServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.base_url + "/Users")
    assert caught.value.code == 401
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(caught.value.read())["status"] == "401"


def test_keep_alive_and_tcp_nodelay(server: ReferenceServer) -> None:
    """One connection serves many requests, without the 40 ms delayed-ACK stall each."""
    connection = _connection(server)
    status, headers, body = _send(connection, "POST", "/Users", {"userName": "ka@example.com"})
    assert status == 201 and headers.get("Connection") != "close"
    user_id = json.loads(body)["id"]
    first_socket = connection.sock
    started = time.perf_counter()
    for n in range(40):
        status, _, body = _send(connection, "PATCH", f"/Users/{user_id}",
                                {"Operations": [{"op": "Replace", "path": "title",
                                                 "value": f"T{n}"}]})
        assert status == 200
        status, _, body = _send(connection, "GET", f"/Users/{user_id}")
        assert status == 200 and json.loads(body)["title"] == f"T{n}"
    elapsed = time.perf_counter() - started
    assert connection.sock is first_socket  # never reconnected
    assert elapsed < 1.5, f"80 keep-alive requests took {elapsed:.2f}s (Nagle/delayed ACK?)"
    status, headers, body = _send(connection, "DELETE", f"/Users/{user_id}")
    assert status == 204 and body == b"" and "Content-Type" not in headers
    assert _send(connection, "GET", f"/Users/{user_id}")[0] == 404
    tracker = server._server.scimcheck_connections  # type: ignore[union-attr]
    assert isinstance(tracker, ConnectionTracker)
    open_sockets = tracker.snapshot()
    assert open_sockets
    for sock in open_sockets:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    connection.close()


def test_unread_bodies_do_not_break_the_connection(server: ReferenceServer) -> None:
    """A 401 to a POST with a body, then a normal request on the same connection."""
    connection = _connection(server)
    connection.request("POST", "/scim/v2/Users", body=b'{"userName": "x"}',
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 401
    response.read()
    assert _send(connection, "GET", "/Users")[0] == 200
    connection.close()


def test_chunked_request_body(server: ReferenceServer) -> None:
    connection = _connection(server)
    chunks = iter([b'{"userName": ', b'"chunked@example.com"}'])
    connection.request("POST", "/scim/v2/Users", body=chunks, headers=HEADERS,
                       encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 201, response.read()
    response.read()
    assert _send(connection, "GET", "/Users")[0] == 200
    connection.close()


def test_oversized_body_is_413_and_the_connection_survives(server: ReferenceServer) -> None:
    connection = _connection(server)
    for _ in range(3):
        status, _, body = _send(connection, "POST", "/Users",
                                {"userName": "big", "x": "y" * (1024 * 1024)})
        assert status == 413
        assert json.loads(body)["status"] == "413"
        assert _send(connection, "GET", "/Users")[0] == 200
    chunks = iter([b'{"userName": "big", "x": "', b"y" * (1024 * 1024), b'"}'])
    connection.request("POST", "/scim/v2/Users", body=chunks, headers=HEADERS,
                       encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413
    response.read()
    assert _send(connection, "GET", "/Users")[0] == 200
    connection.close()


def test_parallel_creates_from_many_threads(server: ReferenceServer) -> None:
    """Thread safety: 8 clients x 25 distinct users → exactly 200 users, all distinct ids."""
    ids: list[str] = []
    errors: list[Any] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        connection = _connection(server)
        for n in range(25):
            status, _, body = _send(connection, "POST", "/Users",
                                    {"userName": f"t{index}-{n}@example.com"})
            with lock:
                if status == 201:
                    ids.append(json.loads(body)["id"])
                else:
                    errors.append((status, body))
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 200
    connection = _connection(server)
    body = _send(connection, "GET", "/Users?count=1")[2]
    assert json.loads(body)["totalResults"] == 200


def test_racing_duplicates_create_exactly_one(server: ReferenceServer) -> None:
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        connection = _connection(server)
        barrier.wait()
        statuses.append(_send(connection, "POST", "/Users", {"userName": "Race@x.com"})[0])
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7


def test_stop_releases_the_port_and_closes_idle_connections() -> None:
    server = ReferenceServer(token=TOKEN).start()
    connection = _connection(server)
    assert _send(connection, "GET", "/Users")[0] == 200
    port = urlsplit(server.base_url).port
    server.stop()
    server.stop()  # idempotent
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        _send(connection, "GET", "/Users")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_busy_port_and_bad_variant() -> None:
    with ReferenceServer() as first:
        port = urlsplit(first.base_url).port
        assert port is not None
        with pytest.raises(OSError):
            ReferenceServer(port=port).start()
    with pytest.raises(ValueError, match=r"valid variants: .*no-auth"):
        ReferenceServer(variant="nope")
    assert "no-auth" in VARIANTS


def test_serve_forever_stops_on_keyboard_interrupt() -> None:
    server = ReferenceServer()
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        server.serve_forever()  # returns once Ctrl-C (KeyboardInterrupt) arrives
    finally:
        timer.cancel()
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_quiet_by_default(server: ReferenceServer, capfd: pytest.CaptureFixture[str]) -> None:
    connection = _connection(server)
    _send(connection, "GET", "/Users")
    connection.close()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
