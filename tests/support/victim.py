"""A loopback server that must receive nothing: the target of redirection attacks (issue 13).

Whatever arrives (a request line, a header, one byte) is kept in ``received``; a test that
expects scimcheck not to reach it asserts ``received == []``. It answers 200 to anything, so an
attack that does reach it looks like a success to the attacker.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class Victim:
    """A TCP listener on 127.0.0.1 that records the first bytes of every connection."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self.received: list[bytes] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="victim", daemon=True)
        self._closed = False

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._sock.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    data = connection.recv(65536)
                except OSError:
                    data = b"(connected)"
                with self._lock:
                    self.received.append(data or b"(connected)")
                with contextlib.suppress(OSError):
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                       b"Connection: close\r\n\r\n{}")

    def __enter__(self) -> Victim:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._sock.close()
        self._thread.join(timeout=5)
