"""The recording proxy's one HTTP client (``scimcheck record``, docs/cli.md): it forwards a
request unchanged to the upstream, under the transport's limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scimcheck.core.errors import ForwardError
from scimcheck.http import deadlines
from scimcheck.http.pools import Client
from scimcheck.http.reading import (
    READ_FAILURES,
    describe_network_error,
    describe_overrun,
    read_capped,
)
from scimcheck.http.transport import (
    CONNECT_TIMEOUT_S,
    DEADLINE_GRACE_S,
    ENTRA_TIMEOUT_S,
    MAX_BODY_BYTES,
)


@dataclass(frozen=True)
class Forwarded:
    """An upstream's answer to a forwarded request (``scimcheck record``)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or ``None``."""
        try:
            return json.loads(self.content)
        except ValueError:
            return None


class Forwarder:
    """Forwards requests unchanged to an upstream (the recording proxy's one HTTP client),
    under the transport's limits: an answer over ``MAX_BODY_BYTES`` or still arriving after
    ``timeout_s`` + ``DEADLINE_GRACE_S`` is not passed on."""

    def __init__(
        self, verify: bool | str = True, timeout_s: float = ENTRA_TIMEOUT_S,
        proxy: str | None = None,
    ) -> None:
        self._client = Client(verify, proxy)
        self._timeout_s = timeout_s
        self._timeout = (CONNECT_TIMEOUT_S, timeout_s)

    def forward(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Forwarded:
        """Send; ``ForwardError`` (with a one-line diagnosis) when no whole answer came."""
        attempt = deadlines.start(self._timeout_s + DEADLINE_GRACE_S)
        try:
            answer = self._client.send(method, url, dict(headers), body or None,
                                       self._timeout).raw
            content, cut = read_capped(answer, MAX_BODY_BYTES)
            if attempt.expired:
                raise TimeoutError("the deadline cut the answer short")
        except READ_FAILURES as exc:
            raise ForwardError(
                describe_overrun(url, self._timeout_s + DEADLINE_GRACE_S) if attempt.expired
                else describe_network_error(exc, url)
            ) from None
        finally:
            deadlines.stop(attempt)
        if cut is not None:
            raise ForwardError(f"the upstream's answer was not passed on: {cut}")
        return Forwarded(answer.status, answer.reason or "", list(answer.headers.itermerged()),
                         content)


