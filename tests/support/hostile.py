"""A catalogue of hostile SCIM endpoints for the self-tests (issue 6 §3).

:class:`HostileServer` listens on 127.0.0.1 and answers in one hostile way: every request, or
only the requests a predicate picks (the rest are forwarded to an inner, correct reference
server, so a run gets past its preflight and meets the hostility mid-suite). Forwarding happens
first, so a hostile answer to a POST may hide a create that really happened, the case
scimcheck's cleanup sweep exists for.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

Send = Callable[["_Handler", bytes], None]
"""Writes a hostile answer; gets the handler and what the inner server answered (or b"")."""

SCIM = "application/scim+json"


def _head(handler: _Handler, status: str, headers: list[tuple[str, str]]) -> None:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "", ""]
    handler.wfile.write("\r\n".join(lines).encode("latin-1"))
    handler.wfile.flush()


def _plain(status: str, content_type: str, body: bytes) -> Send:
    def send(handler: _Handler, upstream: bytes) -> None:
        _head(handler, status, [("Content-Type", content_type),
                                ("Content-Length", str(len(body)))])
        handler.wfile.write(body)

    return send


def _html_page(handler: _Handler, upstream: bytes) -> None:
    page = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
            b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
    _head(handler, "502 Bad Gateway", [("Content-Type", "text/html"),
                                       ("Content-Length", str(len(page)))])
    handler.wfile.write(page)


def _invalid_utf8(handler: _Handler, upstream: bytes) -> None:
    body = b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], ' \
           b'"totalResults": 0, "Resources": [], "note": "caf\xe9 \xff\xfe"}'
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


def _truncated(handler: _Handler, upstream: bytes) -> None:
    body = b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "'
    _head(handler, "201 Created", [("Content-Type", SCIM), ("Content-Length", "4000")])
    handler.wfile.write(body)
    handler.close_connection = True


def _ten_megabytes(handler: _Handler, upstream: bytes) -> None:
    filler = b"x" * (10 * 1024 * 1024)
    body = b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "pad": "' + filler + b'"}'
    _head(handler, "201 Created", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    try:
        handler.wfile.write(body)
    except OSError:
        handler.close_connection = True


def _endless(handler: _Handler, upstream: bytes) -> None:
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Transfer-Encoding", "chunked")])
    chunk = b"[" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    handler.close_connection = True
    try:
        while not handler.server.stopping.is_set():  # type: ignore[attr-defined]
            handler.wfile.write(framed)
    except OSError:
        return


def _deep_nesting(handler: _Handler, upstream: bytes) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


def _reset(handler: _Handler, upstream: bytes) -> None:
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def _redirect_loop(handler: _Handler, upstream: bytes) -> None:
    _head(handler, "302 Found", [("Location", handler.path), ("Content-Length", "0")])


def _wrong_content_type(handler: _Handler, upstream: bytes) -> None:
    body = upstream or b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], ' \
                       b'"totalResults": 0, "Resources": []}'
    _head(handler, "200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


def _bomb() -> bytes:
    """256 MiB of spaces gzipped to about 250 KiB."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1024 * 1024)
    parts = [squeezer.compress(block) for _ in range(256)]
    return b"".join(parts) + squeezer.flush()


_BOMB: list[bytes] = []
_BOMB_LOCK = threading.Lock()


def _compression_bomb(handler: _Handler, upstream: bytes) -> None:
    body = _BOMB[0]
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Encoding", "gzip"),
                              ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


def _drip(handler: _Handler, start: bytes, unit: bytes) -> None:
    """Write ``start``, then ``unit`` every 50 ms until the server stops or the client leaves."""
    handler.close_connection = True
    try:
        handler.wfile.write(start)
        while not handler.server.stopping.is_set():  # type: ignore[attr-defined]
            handler.wfile.write(unit)
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        return


def _slow_drip(handler: _Handler, upstream: bytes) -> None:
    _drip(handler, f"HTTP/1.1 200 OK\r\nContent-Type: {SCIM}\r\nContent-Length: 100000\r\n"
                   "\r\n".encode(), b" ")


def _slow_headers(handler: _Handler, upstream: bytes) -> None:
    _drip(handler, b"HTTP/1.1 200 OK\r\n", b"X-Wait: .\r\n")


def _silent(handler: _Handler, upstream: bytes) -> None:
    handler.close_connection = True
    handler.server.stopping.wait()  # type: ignore[attr-defined]


def _gzip_json(handler: _Handler, upstream: bytes) -> None:
    """Not hostile: a gzipped SCIM body, which a client that sent no Accept-Encoding must
    still accept (RFC 9110 §12.5.3); kept here to prove it is no false alarm."""
    body = gzip.compress(upstream or b"{}")
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Encoding", "gzip"),
                              ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


PADDED_SIZE = 4 * 1024 * 1024 - 64 * 1024
"""Just under the 4 MiB the transport reads, so the padded answer is parsed and judged whole."""


def _padded(upstream: bytes) -> bytes:
    """The true answer, padded with an extension attribute to :data:`PADDED_SIZE` bytes."""
    try:
        document = json.loads(upstream or b"{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    document["urn:example:padding"] = ""
    size = len(json.dumps(document).encode())
    document["urn:example:padding"] = "x" * max(0, PADDED_SIZE - size)
    return json.dumps(document).encode()


def _million_empty_users_body() -> bytes:
    """A valid-looking 3 MB ListResponse of 10^6 empty objects: cheap to send, costly to walk."""
    return (b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], '
            b'"totalResults": 1000000, "Resources": [' + b"{}," * 999_999 + b"{}]}")


_CACHED: dict[str, bytes] = {}
_CACHED_LOCK = threading.Lock()


def _cached(name: str, build: Callable[[], bytes]) -> bytes:
    with _CACHED_LOCK:
        if name not in _CACHED:
            _CACHED[name] = build()
        return _CACHED[name]


def _padded_answer(handler: _Handler, upstream: bytes) -> None:
    body = _padded(upstream)
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    try:
        handler.wfile.write(body)
    except OSError:
        handler.close_connection = True


def _gzip_padded_answer(handler: _Handler, upstream: bytes) -> None:
    """The padded answer gzipped: about 4 KB on the wire, 4 MB once decoded (a small bomb
    that stays under the cap, so every answer is parsed whole)."""
    body = gzip.compress(_padded(upstream))
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Encoding", "gzip"),
                              ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


SLOW_ANSWER_S = 1.0
"""How long :func:`_slow_answer` takes over each answer."""


def _slow_answer(handler: _Handler, upstream: bytes) -> None:
    """The inner server's true answer, slowly: half the time before the status line, the rest
    spread over the body. Each request completes well within a timeout of a few seconds, so
    only a run-wide deadline bounds a run against it."""
    assert handler.upstream is not None, "a slow answer forwards to an inner server"
    status, headers, body = handler.upstream
    time.sleep(SLOW_ANSWER_S / 2)
    _head(handler, status, [*headers, ("Content-Length", str(len(body)))])
    pieces = 5
    step = -(-len(body) // pieces) or 1
    for start in range(0, len(body), step):
        time.sleep(SLOW_ANSWER_S / 2 / pieces)
        handler.wfile.write(body[start:start + step])
        handler.wfile.flush()


def _million_empty_users(handler: _Handler, upstream: bytes) -> None:
    body = _cached("million-empty-users", _million_empty_users_body)
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


@dataclass(frozen=True)
class Hostility:
    """One hostile way to answer, and the words scimcheck's diagnosis must contain."""

    send: Send
    diagnosis: str


CATALOGUE: dict[str, Hostility] = {
    "non-json": Hostility(_plain("200 OK", "text/plain", b"OK"), "not JSON"),
    "html-error-page": Hostility(_html_page, "HTML page"),
    "invalid-utf8": Hostility(_invalid_utf8, "not valid UTF-8"),
    "truncated": Hostility(_truncated, "cut off"),
    "ten-megabytes": Hostility(_ten_megabytes, "larger than"),
    "endless-body": Hostility(_endless, "larger than"),
    "deep-nesting": Hostility(_deep_nesting, "nested too deeply"),
    "connection-reset": Hostility(_reset, "reset"),
    "redirect-loop": Hostility(_redirect_loop, "redirect"),
    "wrong-content-type": Hostility(_wrong_content_type, "image/png"),
    "compression-bomb": Hostility(_compression_bomb, "larger than"),
    "slow-drip": Hostility(_slow_drip, "still sending"),
    "slow-headers": Hostility(_slow_headers, "still sending"),
    "silent": Hostility(_silent, "no answer"),
}
"""Each entry: how to answer, and a phrase scimcheck's one-line diagnosis must contain."""


# --- endpoints that give the bearer token away (issue 13 §4) ------------------------------------

def _bearer(handler: _Handler) -> str:
    """The token the request carried (what a debug echo repeats)."""
    return (handler.headers.get("Authorization") or "").removeprefix("Bearer ").strip()


def _with_fields(payload: bytes, fields: str) -> bytes:
    """The inner server's JSON object with raw JSON ``fields`` text added at its end."""
    text = payload.rstrip()
    if not text.endswith(b"}") or text == b"{}":
        return payload
    return text[:-1] + b", " + fields.encode("utf-8") + b"}"


def _leak(channel: str) -> Send:
    """Answer as the inner server did, but give the token away through ``channel``."""

    def send(handler: _Handler, upstream: bytes) -> None:
        token = _bearer(handler)
        status, headers, payload = handler.upstream or ("200 OK", [], b"")
        if channel == "reason-phrase":
            status = f"{status} (debug: Bearer {token})"
        elif channel == "header-name":
            headers = [*headers, (f"X-Debug-{token}", "1")]
        elif channel == "json-escaped-slash":  # as PHP's json_encode writes every "/"
            escaped = json.dumps(f"Bearer {token}")[1:-1].replace("/", "\\/")
            payload = _with_fields(payload, f'"debug": "{escaped}"')
        elif channel == "json-unicode-escapes":
            escaped = "".join(f"\\u{ord(c):04X}" for c in token)
            payload = _with_fields(payload, f'"debug": "{escaped}"')
        elif channel == "url-encoded":
            link = f"https://idp.example/next?access_token={quote(token, safe='')}"
            headers = [*headers, ("Link", f"<{link}>; rel=next")]
            payload = _with_fields(payload, f'"next": "{link.lower()}"')
        elif channel == "base64":
            basic = base64.b64encode(f"scim:{token}".encode()).decode()
            blob = base64.urlsafe_b64encode(f'{{"a": "{token}"}}'.encode()).decode()
            headers = [*headers, ("X-Debug-Auth", f"Basic {basic}")]
            payload = _with_fields(payload, f'"trace": "{blob}"')
        _head(handler, status, [*headers, ("Content-Length", str(len(payload)))])
        handler.wfile.write(payload)

    return send


def _status_line_leak(handler: _Handler, upstream: bytes) -> None:
    """A malformed status line holding the token: the client quotes it in its exception."""
    handler.wfile.write(f"HTTP/1.1 2OO Bearer {_bearer(handler)}\r\n\r\n".encode("latin-1"))
    handler.close_connection = True


LEAK_CHANNELS = ("reason-phrase", "header-name", "json-escaped-slash", "json-unicode-escapes",
                 "url-encoded", "base64")

ESCAPES = "\x1b[2J\x1b[H\x1b[1;32mPASSED: all checks\x1b[0m\r\x08\u202e"
"""What a hostile endpoint puts in its names and errors to take over the terminal."""


def _terminal_tricks(handler: _Handler, upstream: bytes) -> None:
    """The inner server's answer with ANSI escapes, CR, backspace and a bidi override in the
    userName, an error detail and the reason phrase."""
    status, headers, payload = handler.upstream or ("200 OK", [], b"")
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    if isinstance(body, dict):
        if "userName" in body:
            body["userName"] = str(body["userName"]) + ESCAPES
        body["detail"] = "rejected" + ESCAPES
        payload = json.dumps(body).encode()
    code = status.split(" ", 1)[0]
    _head(handler, f"{code} OK\x1b[2J\r", [*headers, ("Content-Length", str(len(payload)))])
    handler.wfile.write(payload)


def _tagged_leftovers(handler: _Handler, upstream: bytes) -> None:
    """A user list that holds one tagged user, two days old, whose id and userName carry
    terminal escapes; a GET of that user by its id answers it (cleanup reads each candidate
    before it would delete it), and an empty list of groups."""
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "evil" + ESCAPES, "userName": "scimcheck-0badc0de-" + ESCAPES,
            "meta": {"resourceType": "User", "created": "2020-01-01T00:00:00Z",
                     "lastModified": "2020-01-01T00:00:00Z"}}
    path = urlsplit(handler.path).path.rstrip("/")
    listed = [user] if path.endswith("/Users") else []
    document: dict[str, Any] = user if "/Users/" in path else {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(listed), "startIndex": 1, "itemsPerPage": len(listed),
        "Resources": listed}
    body = json.dumps(document).encode()
    _head(handler, "200 OK", [("Content-Type", SCIM), ("Content-Length", str(len(body)))])
    handler.wfile.write(body)


LEAKING: dict[str, Hostility] = {
    **{f"leaks-token-{c}": Hostility(_leak(c), "token") for c in LEAK_CHANNELS},
    "leaks-token-status-line": Hostility(_status_line_leak, "target unreachable"),
    "terminal-tricks": Hostility(_terminal_tricks, ""),
    "tagged-leftovers": Hostility(_tagged_leftovers, ""),
}
"""Hostile endpoints kept out of :data:`CATALOGUE` (their harm is not a diagnosis): the token
given away in one channel each, and text that would take over a terminal."""


def leaks_everywhere(handler: _Handler, upstream: bytes) -> None:
    """Each request answered with the next of the :data:`LEAK_CHANNELS` in turn."""
    turn = handler.server.hostile_answers % len(LEAK_CHANNELS)
    LEAKING[f"leaks-token-{LEAK_CHANNELS[turn]}"].send(handler, upstream)


LEAKING["leaks-token-everywhere"] = Hostility(leaks_everywhere, "token")

COSTLY: dict[str, Hostility] = {
    "padded-answers": Hostility(_padded_answer, "padding"),
    "gzip-padded-answers": Hostility(_gzip_padded_answer, "padding"),
    "slow-answers": Hostility(_slow_answer, ""),
    "million-empty-users": Hostility(_million_empty_users, "Resources"),
}
"""Well-formed answers that cost the client memory or CPU (issue 13 §6): for the bounds tests,
not the whole-catalogue runs."""

Picks = Callable[[str, str], bool]
"""(method, path) → answer this request in the hostile way."""


def every(method: str, path: str) -> bool:
    """Every request is answered in the hostile way."""
    return True


def lists(method: str, path: str) -> bool:
    """Only queries of a collection (GET /Users, GET /Groups, with or without a filter)."""
    return method == "GET" and urlsplit(path).path.rstrip("/").endswith(("/Users", "/Groups"))


def user_creates(method: str, path: str) -> bool:
    """Only POST /Users (after the inner server created the user)."""
    return method == "POST" and urlsplit(path).path.rstrip("/").endswith("/Users")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server
    upstream: tuple[str, list[tuple[str, str]], bytes] | None = None
    """What the inner server answered (status line, headers, body), for answers that keep it."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        picked = self.server.picks(self.command, self.path)
        upstream = self._forward(body) if self.server.inner else None
        self.upstream = upstream
        if not picked:
            assert upstream is not None, "nothing to forward to"
            status, headers, payload = upstream
            _head(self, status, [*headers, ("Content-Length", str(len(payload)))])
            self.wfile.write(payload)
            return
        self.server.hostile_answers += 1
        self.upstream = upstream
        self.server.hostility.send(self, upstream[2] if upstream else b"")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _forward(self, body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        inner = urlsplit(self.server.inner)
        connection = http.client.HTTPConnection(inner.hostname or "", inner.port, timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection", "content-length")}
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
        finally:
            connection.close()
        kept = [(k, v) for k, v in answer.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        return f"{answer.status} {answer.reason}", kept, payload

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """The client hung up on a hostile answer: expected, not worth a traceback."""
    hostility: Hostility
    picks: Picks
    inner: str | None
    stopping: threading.Event
    hostile_answers: int


class HostileServer:
    """Answers ``picks``-chosen requests in the ``name`` way; forwards the rest to ``inner``
    (a reference server's origin, e.g. ``http://127.0.0.1:1234``)."""

    def __init__(self, name: str, picks: Picks = every, inner: str | None = None) -> None:
        if name == "compression-bomb":
            with _BOMB_LOCK:
                if not _BOMB:
                    _BOMB.append(_bomb())
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hostility = {**CATALOGUE, **LEAKING, **COSTLY}[name]
        self._server.picks = picks
        self._server.inner = inner
        self._server.stopping = threading.Event()
        self._server.hostile_answers = 0
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def base_url(self) -> str:
        """The SCIM base URL to test."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/scim/v2"

    @property
    def hostile_answers(self) -> int:
        """How many requests got the hostile answer."""
        return self._server.hostile_answers

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TlsDropServer:
    """Accepts TCP on 127.0.0.1 and hangs up in the middle of the TLS handshake."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        """An https:// base URL pointing here."""
        return f"https://127.0.0.1:{self._sock.getsockname()[1]}/scim/v2"

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                continue
            client.settimeout(2)
            try:
                client.recv(512)  # the ClientHello
                client.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # alert: handshake_failure
            except OSError:
                pass
            client.close()

    def __enter__(self) -> TlsDropServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
