"""Serving the reference app on a socket: :class:`ReferenceServer`.

werkzeug's threaded server with a request handler that keeps HTTP/1.1 connections alive (the
stock werkzeug handler closes every connection), sets ``TCP_NODELAY`` (without it every
keep-alive request stalls ~40 ms on delayed ACKs) and logs nothing unless asked. Binds only to
the host given; loopback by default.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server, select_address_family

from scimcheck.http import deadlines
from scimcheck.server.app import BASE_PATH, MAX_BODY_BYTES, create_app
from scimcheck.server.faults import Fault, Faults
from scimcheck.server.oauth import LIFETIME_S, TOKEN_PATH, TokenIssuer
from scimcheck.server.responses import SCIM_CONTENT_TYPE
from scimcheck.server.variant_switches import behaviour_for
from scimcheck.server.variants import check_variant

if TYPE_CHECKING:
    import ssl

    from _typeshed.wsgi import WSGIApplication

_NO_BODY_STATUSES = frozenset({204, 304})
_DISCARD_LIMIT = 64 * 1024 * 1024
"""Oversized bodies up to this size are read and dropped, so the client sees the 413 instead
of a broken pipe, and the connection stays usable; beyond it the connection is closed."""


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive, TCP_NODELAY, quiet; one buffered response per request."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    _reading: deadlines.Attempt | None = None

    def setup(self) -> None:
        super().setup()
        _tracker(self.server).add(self.connection)

    def finish(self) -> None:
        _tracker(self.server).discard(self.connection)
        super().finish()

    def handle_one_request(self) -> None:
        """With a request deadline (``ReferenceServer(request_deadline_s=…)``), a client gets
        that long to send each request, from its first byte to the end of its body, and as
        long to start one on an idle connection: a client dripping bytes is cut off."""
        limit = getattr(self.server, "scimcheck_request_deadline_s", None)
        if limit is None:
            super().handle_one_request()
            return
        self.connection.settimeout(limit)  # an idle keep-alive connection is closed after it
        peek = getattr(self.rfile, "peek", None)  # a BufferedReader's: waits, reads nothing
        if peek is not None:
            peek(1)
        self._reading = deadlines.watch(limit, self.connection)
        try:
            super().handle_one_request()
        finally:
            self._reading.finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self.server, "scimcheck_log_requests", False):
            super().log_request(code, size)

    def run_wsgi(self) -> None:
        """Read the whole body first, run the app, answer with a Content-Length, keep alive."""
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        faults = getattr(self.server, "scimcheck_faults", None)
        fault = faults.decide(self.command, self.path) if isinstance(faults, Faults) else None
        try:
            body = self._read_body(environ)
        except (ValueError, OSError):
            self.close_connection = True
            if self._reading is not None and self._reading.expired:
                return  # cut off at the deadline: the socket is shut, nothing can be said
            self._send(400, "Bad Request", [("Content-Type", "text/plain")], b"bad request body\n")
            return
        if self._reading is not None:
            self._reading.finish()  # the request is in; the app's time is its own concern
            if self._reading.expired:
                self.close_connection = True
                return
        if body is None:  # too large: the app answers 413 from CONTENT_LENGTH
            body = b""
        else:
            environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # de-chunked above: the length is known
        if fault is not None and fault.before:
            self._inject(fault)
            return
        status: list[str] = []
        headers: list[tuple[str, str]] = []

        def start_response(
            status_line: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            status[:] = [status_line]
            headers[:] = response_headers
            return lambda data: None

        try:
            result: Iterable[bytes] = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            self.close_connection = True
            self._send(500, "Internal Server Error", [("Content-Type", "text/plain")],
                       b"internal server error\n")
            return
        if fault is not None:  # after: the app did its work, the answer is replaced
            self._inject(fault)
            return
        code_text, _, reason = status[0].partition(" ")
        self._send(int(code_text), reason, headers, payload)

    def _inject(self, fault: Fault) -> None:
        """Answer with an injected fault: a SCIM 500, or a reset connection and no answer."""
        if fault.kind == "status":
            self._send(500, "Internal Server Error", [("Content-Type", SCIM_CONTENT_TYPE)],
                       fault.error_body())
            return
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the last reference: closing the socket now sends RST, not FIN
        self.connection.close()

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """The request body, or ``None`` when it exceeds the limit (connection then closes)."""
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput
            data = bytearray()
            while len(data) <= MAX_BODY_BYTES:
                piece = stream.read(MAX_BODY_BYTES + 1 - len(data))
                if not piece:
                    break
                data += piece
            if len(data) > MAX_BODY_BYTES:
                environ["CONTENT_LENGTH"] = str(len(data))
                self._discard(stream, None)
                return None
            return bytes(data)
        length_text = environ.get("CONTENT_LENGTH") or "0"
        length = int(length_text)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_BODY_BYTES:
            self._discard(stream, length)
            return None
        body: bytes = stream.read(length) if length else b""
        if len(body) != length:
            raise OSError("connection closed before the whole body arrived")
        return bytes(body)

    def _discard(self, stream: Any, length: int | None) -> None:
        """Read and drop an oversized body (``None``: until EOF of a chunked body)."""
        remaining = _DISCARD_LIMIT if length is None else length
        if remaining > _DISCARD_LIMIT:
            self.close_connection = True
            return
        while remaining > 0:
            piece = stream.read(min(remaining, 65536))
            if not piece:
                break
            remaining -= len(piece)
        if length is None and remaining <= 0:
            self.close_connection = True  # chunked body still not over: give up on it

    def _send(self, code: int, reason: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(code, reason)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        bodyless = code in _NO_BODY_STATUSES or code < 200
        if not bodyless and "content-length" not in names:
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload and not bodyless and self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


class ConnectionTracker:
    """The open client connections of one server, so ``stop()`` can close idle keep-alives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def snapshot(self) -> list[socket.socket]:
        """The connections open right now."""
        with self._lock:
            return list(self._open)


_UNTRACKED = ConnectionTracker()


def _tracker(server: Any) -> ConnectionTracker:
    tracker = getattr(server, "scimcheck_connections", None)
    return tracker if isinstance(tracker, ConnectionTracker) else _UNTRACKED


def _with_latency(app: WSGIApplication, seconds: float) -> WSGIApplication:
    """``app`` answering every request ``seconds`` late (a slow or distant endpoint)."""

    def delayed(environ: Any, start_response: Any) -> Any:
        time.sleep(seconds)
        return app(environ, start_response)

    return delayed


class ReferenceServer:
    """The reference SCIM server on ``host:port`` (port 0: a free one), in a daemon thread.

    ``token`` enables bearer-token authentication; ``variant`` selects a deliberately broken
    variant (``VARIANTS``; ``ValueError`` for an unknown name); ``latency_s`` delays every
    answer, to stand in for a slow or distant endpoint; ``app`` serves another WSGI app the same
    way (``scimcheck record``'s proxy); ``ssl_context`` serves HTTPS (tests/http/test_tls.py);
    ``faults`` injects 500s and connection resets and logs every request
    (:mod:`scimcheck.server.faults`); ``request_deadline_s`` gives a client that long to send
    each request (``scimcheck record``: a client dripping bytes cannot hold a thread forever);
    ``oauth`` requires OAuth 2.0 access tokens from the server's own token endpoint
    (:mod:`scimcheck.server.oauth`: :attr:`token_url`, :attr:`issuer` holds the client id and
    secret), each living ``oauth_lifetime_s``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        variant: str | None = None,
        log_requests: bool = False,
        latency_s: float = 0.0,
        app: WSGIApplication | None = None,
        ssl_context: ssl.SSLContext | None = None,
        faults: Faults | None = None,
        request_deadline_s: float | None = None,
        oauth: bool = False,
        oauth_lifetime_s: float = LIFETIME_S,
    ) -> None:
        check_variant(variant)
        self.issuer = TokenIssuer(
            lifetime_s=oauth_lifetime_s, options=behaviour_for(variant).oauth,
        ) if oauth else None
        self.host = host
        self.port = port
        self.token = token
        self.variant = variant
        self.log_requests = log_requests
        self.faults = faults
        self.app: WSGIApplication = app or create_app(
            token=token, variant=variant, issuer=self.issuer)
        if latency_s > 0:
            self.app = _with_latency(self.app, latency_s)
        self.ssl_context = ssl_context
        self.request_deadline_s = request_deadline_s
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http(s)://<host>:<real port>/scim/v2``; the server must have been started."""
        if self._server is None:
            raise RuntimeError("the reference server is not started; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self._server.server_address[1]}{BASE_PATH}"

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint's URL (``oauth=True``; the server must have been started)."""
        return self.base_url.removesuffix(BASE_PATH) + TOKEN_PATH

    def _bind(self) -> BaseWSGIServer:
        if self._server is not None:
            raise RuntimeError("the reference server is already started")
        family = select_address_family(self.host, self.port)
        # Bind ourselves so a busy port raises OSError (werkzeug would print and sys.exit).
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=_Handler,
                fd=sock.fileno(), ssl_context=self.ssl_context,
            )
        finally:
            sock.close()
        server.scimcheck_log_requests = self.log_requests  # type: ignore[attr-defined]
        server.scimcheck_connections = ConnectionTracker()  # type: ignore[attr-defined]
        server.scimcheck_faults = self.faults  # type: ignore[attr-defined]
        server.scimcheck_request_deadline_s = self.request_deadline_s  # type: ignore[attr-defined]
        self._server = server
        return server

    def start(self) -> ReferenceServer:
        """Start serving in a daemon thread; returns ``self``."""
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"scimcheck-reference-server:{server.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt (``scimcheck serve``)."""
        server = self._server or self._bind()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop accepting, close open keep-alive connections and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        for connection in _tracker(server).snapshot():
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
