"""A small forwarding proxy on loopback, as a corporate network puts between a vendor and its
endpoint: absolute-form requests (``GET http://host/path``, RFC 9112 §3.2.2) are forwarded and
answered, ``CONNECT host:port`` (RFC 9110 §9.3.6) opens a tunnel. It counts what passes through
and can demand ``Proxy-Authorization`` (RFC 9110 §11.7.1)."""

from __future__ import annotations

import base64
import http.client
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te",
               "trailer", "transfer-encoding", "upgrade"}


@dataclass
class Seen:
    """What passed through the proxy."""

    forwarded: list[tuple[str, str]] = field(default_factory=list)
    """(method, absolute URL) of each forwarded request."""
    tunnels: list[str] = field(default_factory=list)
    """``host:port`` of each CONNECT."""
    refused: int = 0
    """Requests refused for want of the right Proxy-Authorization."""
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ProxyServer

    def log_message(self, *args: Any) -> None:
        pass

    def _authorized(self) -> bool:
        wanted = self.server.credentials
        if wanted is None:
            return True
        expected = "Basic " + base64.b64encode(wanted.encode()).decode()
        if self.headers.get("Proxy-Authorization") == expected:
            return True
        with self.server.seen.lock:
            self.server.seen.refused += 1
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="test"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:
        if not self._authorized():
            return
        host, _, port = self.path.rpartition(":")
        with self.server.seen.lock:
            self.server.seen.tunnels.append(self.path)
        try:
            upstream = socket.create_connection((host, int(port)), timeout=30)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        with upstream:
            while True:
                ready, _, _ = select.select(sockets, [], [], 30)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        self.close_connection = True
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        self.close_connection = True

    def _forward(self) -> None:
        if not self._authorized():
            return
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self.send_error(400, "absolute-form http:// requests only")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with self.server.seen.lock:
            self.server.seen.forwarded.append((self.command, self.path))
            self.server.seen.headers.append(dict(self.headers))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body)
            answer = upstream.getresponse()
            payload = answer.read()
        except OSError:
            self.send_error(502)
            return
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: Seen
    credentials: str | None


@contextmanager
def forward_proxy(credentials: str | None = None) -> Iterator[tuple[str, Seen]]:
    """A proxy on 127.0.0.1: its URL (``http://127.0.0.1:PORT``) and what it saw.
    ``credentials`` (``user:password``) makes it answer 407 without them."""
    server = _ProxyServer(("127.0.0.1", 0), _Handler)
    server.seen = Seen()
    server.credentials = credentials
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()
