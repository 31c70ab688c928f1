"""The transport sends Entra's exact headers, records every exchange and never shows the token."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scimcheck.http import transport as transport_module
from scimcheck.http.transport import Transport, TransportConfig

TOKEN = "tok-3f9a-never-shown"


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    seen: list[dict[str, Any]] = []
    reply: tuple[int, str, bytes] = (200, "application/scim+json", b"{}")

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Recorder.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        status, content_type, payload = _Recorder.reply
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    _Recorder.reply = (200, "application/scim+json", b"{}")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/scim/v2"
    httpd.shutdown()
    httpd.server_close()


def test_get_carries_only_host_and_authorization(server: str) -> None:
    with Transport(TransportConfig(server, TOKEN)) as t:
        t.send("GET", "/Users", params={"filter": 'userName eq "a b"'})
    headers = {k.lower(): v for k, v in _Recorder.seen[0]["headers"].items()}
    assert headers.pop("authorization") == f"Bearer {TOKEN}"
    assert set(headers) == {"host"}, headers
    assert _Recorder.seen[0]["path"] == "/scim/v2/Users?filter=userName+eq+%22a+b%22"


def test_write_has_entra_content_type_and_utf8_json(server: str) -> None:
    with Transport(TransportConfig(server, TOKEN)) as t:
        t.send("PATCH", "/Users/1", body={"displayName": "Zoë 😀"})
    seen = _Recorder.seen[0]
    assert seen["headers"]["Content-Type"] == "application/scim+json; charset=utf-8"
    assert json.loads(seen["body"].decode("utf-8")) == {"displayName": "Zoë 😀"}


def test_token_is_redacted_in_the_record_and_scrubbed_from_echoes(server: str) -> None:
    _Recorder.reply = (401, "application/json", json.dumps({"detail": f"bad {TOKEN}"}).encode())
    with Transport(TransportConfig(server, TOKEN)) as t:
        exchange = t.send("GET", "/Users")
    dumped = json.dumps(exchange.to_dict())
    assert TOKEN not in dumped
    assert exchange.request_headers["Authorization"] == "Bearer <redacted>"
    assert "<redacted>" in exchange.response_body


def test_unauthenticated_request_sends_no_authorization(server: str) -> None:
    with Transport(TransportConfig(server, TOKEN)) as t:
        t.send("GET", "/Users", authenticated=False)
    assert "Authorization" not in _Recorder.seen[0]["headers"]


def test_non_json_body_is_kept_as_text(server: str) -> None:
    _Recorder.reply = (500, "text/html", b"<html>oops</html>")
    with Transport(TransportConfig(server, TOKEN)) as t:
        exchange = t.send("GET", "/Users")
    assert exchange.status == 500
    assert exchange.json() is None
    assert exchange.response_body == "<html>oops</html>"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((401, "text/html; charset=utf-8", b""), "(empty body; status 401, Content-Type "
         "'text/html; charset=utf-8', Server 'BaseHTTP/"),
        ((500, "text/html", b"<html><head><title>500 Internal Server Error</title></head>"
          b"<body>\x1b[2J" + TOKEN.encode() + b"</body></html>"),
         'an HTML page titled "500 Internal Server Error" (status 500, Content-Type '
         "'text/html', Server 'BaseHTTP/"),
    ],
)
def test_a_non_scim_answer_is_described_by_what_was_seen_not_a_guess(
    server: str, reply: tuple[int, str, bytes], expected: str
) -> None:
    """An empty 401 or a framework's 500 page may come from the SCIM app itself: the
    description names status, Content-Type and Server (escaped, token redacted), and does not
    claim a proxy, gateway or login page answered (issue 14 §3)."""
    _Recorder.reply = reply
    with Transport(TransportConfig(server, TOKEN)) as t:
        said = t.send("GET", "/Users").describe_body()
    assert said.startswith(expected), said
    assert "proxy" not in said and "login" not in said
    assert TOKEN not in said and "\x1b" not in said and "\n" not in said


def test_large_bodies_are_capped(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_BODY_BYTES", 1000)
    _Recorder.reply = (200, "application/scim+json", b"x" * 5000)
    with Transport(TransportConfig(server, TOKEN)) as t:
        exchange = t.send("GET", "/Users")
    assert exchange.body_truncated
    assert len(exchange.response_body) == 1000


def test_closed_port_gives_a_one_line_diagnosis() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Transport(TransportConfig(f"http://127.0.0.1:{port}/scim", TOKEN)) as t:
        exchange = t.send("GET", "/Users")
    assert exchange.status is None
    assert exchange.error is not None
    assert "refused" in exchange.error and "\n" not in exchange.error


def test_every_exchange_is_recorded_in_order(server: str) -> None:
    with Transport(TransportConfig(server, None)) as t:
        t.send("GET", "/Users", label="one")
        t.send("DELETE", "/Users/1", label="two")
    assert [(x.index, x.method, x.label) for x in t.exchanges] == [
        (1, "GET", "one"), (2, "DELETE", "two")
    ]
    assert t.exchanges[1].summary().startswith("DELETE /scim/v2/Users/1 → 200")


def test_https_to_a_plain_http_port_says_so(server: str) -> None:
    with Transport(TransportConfig(server.replace("http://", "https://"), TOKEN)) as t:
        exchange = t.send("GET", "/Users")
    assert exchange.error is not None
    assert "does not speak TLS" in exchange.error and "http://" in exchange.error
    assert "\n" not in exchange.error
