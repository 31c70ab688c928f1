"""The one place that sends SCIM requests: through requests, recording every exchange.

Requests are sent the way Entra sends them (docs/entra.md §1.0, §8): ``Authorization:
Bearer``; writes with ``Content-Type: application/scim+json; charset=utf-8``; GETs with no
``Accept``; no ``User-Agent`` and no ``Accept-Encoding``. The token never leaves this module
in clear: recorded headers carry ``Bearer <redacted>``, and an answer that repeats it in any
form (:mod:`scimcheck.http.redaction`: raw, escaped, URL-encoded, Base64; in the status line, a
header name or value, the body or the error it caused) is recorded with it redacted.

Beside it: :mod:`~scimcheck.http.exchange` (the record of one request),
:mod:`~scimcheck.http.pacing` (retries and ``--max-rps``), :mod:`~scimcheck.http.pools`
(requests' session and adapter: proxies, TLS trust), :mod:`~scimcheck.http.reading` (the capped
read and one-line network errors) and :mod:`~scimcheck.http.forwarder` (the recording proxy's
client).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from urllib3.util import SKIP_HEADER

from scimcheck.http import deadlines
from scimcheck.http.auth import Authorizer, StaticBearer
from scimcheck.http.batch import Outgoing, send_many
from scimcheck.http.exchange import SHOWN_BODY_CHARS, Exchange
from scimcheck.http.extra_headers import ExtraHeader
from scimcheck.http.guard import Guard
from scimcheck.http.pacing import pace, retry_wait
from scimcheck.http.pools import Client
from scimcheck.http.reading import (
    READ_FAILURES,
    declared_charset,
    decode_body,
    describe_network_error,
    describe_overrun,
    read_capped,
    timed_out,
)
from scimcheck.http.redactor import REDACTED, SHORT_SECRET, Redactor

__all__ = [
    "CONNECT_TIMEOUT_S", "DEADLINE_GRACE_S", "ENTRA_TIMEOUT_S", "HOSTILE_STREAK",
    "KEPT_BODY_CHARS", "MAX_BODY_BYTES", "SCIM_JSON", "Exchange", "Outgoing", "Transport",
    "TransportConfig", "join",
]
"""``Exchange`` is defined in :mod:`scimcheck.http.exchange` and named here too, since every
layer that sends a request reads its answer."""


def join(base_url: str, path: str) -> str:
    """Join a SCIM base URL (which may carry a path prefix) and a resource path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


ENTRA_TIMEOUT_S = 60.0
"""Entra gives up on a request after 60 seconds (docs/entra.md §1.0)."""

CONNECT_TIMEOUT_S = 10.0
DEADLINE_GRACE_S = 1.0
"""A request's total deadline is its timeout plus this (see :mod:`scimcheck.http.deadlines`)."""
MAX_BODY_BYTES = 4 * 1024 * 1024
KEPT_BODY_CHARS = 4 * 1024 * 1024
"""A transport keeps the whole response bodies of its newest exchanges up to this many
characters in all; older large ones are shortened to :data:`SHOWN_BODY_CHARS` in its transcript
(the code that sent a request holds the whole answer as long as it needs it). An endpoint that
pads every answer to the cap so costs a bounded amount of memory, not a body and its parse
(which can be 25 times the body: 10^6 empty objects) per request kept."""
HOSTILE_STREAK = 3
"""Requests cut off in a row (deadline, timeout, body cap) after which a transport calls the
endpoint hostile (:attr:`Transport.hostile`): a generated search then stops, since each more
example would cost as much again and judge nothing new."""
SCIM_JSON = "application/scim+json; charset=utf-8"


@dataclass(frozen=True)
class TransportConfig:
    """Where to send requests and how."""

    base_url: str
    token: str | None = None
    timeout_s: float = ENTRA_TIMEOUT_S
    verify: bool | str = True
    max_retries: int = 3
    """Retries of one idempotent request answered 429/503 or cut off (never a POST or PATCH)."""
    retry_budget_s: float = 120.0
    """The most this transport waits for Retry-After in total; past it the answer stands."""
    max_rps: float | None = None
    """Cap on requests per second from this process (None: no cap)."""
    auth: Authorizer | None = None
    """How requests are authenticated (:mod:`scimcheck.http.auth`); ``None``: the static
    ``token``, if any, as a bearer token."""
    proxy: str | None = None
    """Send through this proxy (``--proxy``); None: the environment's, as requests reads it."""
    headers: tuple[ExtraHeader, ...] = ()
    """Added to every request (``--header``, ``--secret-header``); secret ones are redacted."""
    in_flight: int = 1
    """At most this many requests of one :meth:`Transport.send_many` at once (1: serial)."""


class Transport:
    """Sends SCIM requests as Entra does and keeps a transcript of every exchange."""

    def __init__(
        self,
        config: TransportConfig,
        on_exchange: Callable[[Exchange], None] | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.config = config
        self.exchanges: list[Exchange] = []
        self._whole: deque[Exchange] = deque()
        """Exchanges in ``exchanges`` whose large bodies are still whole, oldest first."""
        self._whole_chars = 0
        self._cut_streak: list[Exchange] = []
        self.sent = 0
        """Requests sent so far (exchanges may be trimmed; indexes keep counting)."""
        self.retries = 0
        self.retry_wait_s = 0.0
        self._on_exchange = on_exchange
        self.guard = guard
        """Decides what may be changed (:func:`scimcheck.scim.ownership.guarded`: PATCH, PUT
        and DELETE only to what the run created); without one everything is sent."""
        self._client = Client(config.verify, config.proxy, pool_size=config.in_flight)
        self._timeout = (CONNECT_TIMEOUT_S, config.timeout_s)
        self._auth = config.auth or (StaticBearer(config.token) if config.token else None)
        self._secrets = Redactor([config.token])
        self._secrets_of: tuple[str, ...] = (config.token,) if config.token else ()
        self._lock = threading.RLock()  # the guard, retry budget, redactor: send_many's threads
        self._local = threading.local()  # the last credential sent; a batch's kept exchanges
        self._hostile_before: dict[int, str | None] = {}
        self._extra = {header.name: header.value for header in config.headers}
        self._secret_names = [header.name for header in config.headers if header.secret]
        self._header_secrets = Redactor([h.value for h in config.headers if h.secret])

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """Absolute URL of a SCIM path, with the query encoded as Entra does (space as +)."""
        full = join(self.config.base_url, path)
        if params:
            full += "?" + urlencode(dict(params))
        return full

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        authenticated: bool = True,
        headers: Mapping[str, str] | None = None,
        label: str = "",
    ) -> Exchange:
        """Send one request and record it; network failures come back as ``Exchange.error``.

        An idempotent request (GET, PUT, DELETE) answered 429 or 503, or cut off mid-way, is
        sent again after its ``Retry-After`` (RFC 9110 §10.2.3; 1 s, then doubling, when absent),
        at most ``max_retries`` times and within ``retry_budget_s`` in all. Each attempt is its
        own exchange in the transcript; a POST or PATCH is never repeated. A request answered
        401 is sent once more when the authorizer renewed its credential (an OAuth access token,
        :mod:`scimcheck.http.oauth`): a 401 means the endpoint did not act on it.
        """
        with self._lock:
            refusal = self.guard.refusal(method, path) if self.guard else None
        if refusal is not None:
            return self._attempt(method, path, params, body, authenticated, headers, label,
                                 refusal=refusal)
        attempt = 0
        while True:
            pace(self.config.max_rps)
            shown = f"{label} (retry {attempt})".strip() if attempt else label
            exchange = self._attempt(method, path, params, body, authenticated, headers, shown)
            sent_with = getattr(self._local, "authorization", None)
            if (exchange.status == 401 and sent_with and self._auth is not None
                    and self._auth.refresh_after_401(sent_with)):
                # a new access token (scimcheck.http.oauth): the refused request once more
                exchange = self._attempt(method, path, params, body, authenticated, headers,
                                         f"{shown} (again, with a new access token)".strip())
            with self._lock:  # the budget is the transport's: taken before waiting
                wait = retry_wait(
                    method, exchange, attempt, max_retries=self.config.max_retries,
                    waited_s=self.retry_wait_s, budget_s=self.config.retry_budget_s,
                )
                if wait is not None:
                    self.retries += 1
                    self.retry_wait_s += wait
            if wait is None:
                if self.guard is not None:
                    self._learn(method, path, body, exchange)
                return exchange
            cause = exchange.status or "no answer"
            exchange.label = f"{exchange.label} (answered {cause}; retried after {wait:g} s)"
            time.sleep(wait)
            attempt += 1

    def send_many(self, requests: Iterable[Outgoing]) -> list[Exchange]:
        """Send independent requests, at most ``in_flight`` at once, each as :meth:`send`
        would; the answers, and their exchanges in the transcript, in submission order
        (:func:`scimcheck.http.batch.send_many`)."""
        answers, self._hostile_before = send_many(self, list(requests), self.config.in_flight)
        return answers

    def keep_here(self, kept: list[Exchange] | None) -> None:
        """This thread's exchanges go to ``kept``, for :meth:`record` later (``None``: now)."""
        self._local.kept = kept

    def record(self, exchange: Exchange) -> None:
        """Record an exchange kept by :meth:`keep_here`: numbered, in the transcript."""
        self._recorded(exchange)

    def hostile_before(self, answer: Exchange) -> str | None:
        """:attr:`hostile` as it stood before ``answer``'s request, had the last
        :meth:`send_many` sent its requests one after another (a caller judging a batch
        stops where a serial run would have)."""
        return self._hostile_before.get(answer.index)

    def _learn(self, method: str, path: str, body: Any, exchange: Exchange) -> None:
        """Tell the guard what a request did; a create answered with an id but no name is
        decided by a GET of that id (its own representation; GET changes nothing)."""
        assert self.guard is not None
        with self._lock:
            lookup = self.guard.learn(method, path, body, exchange.status, exchange.json())
        if lookup is not None:
            seen = self.send("GET", lookup.path, label="ownership: read the resource a create "
                             "answered with an id but no name")
            with self._lock:
                self.guard.prove(lookup, seen.status, seen.json())

    def adopt(self, path: str, name: str) -> bool:
        """Take ``path``, found by its exact tagged ``name`` (a create whose answer was lost
        or whose id was contested), as this run's, if a GET of it names it ``name``. Always
        true without a guard."""
        if self.guard is None:
            return True
        seen = self.send("GET", path, label=f"ownership: read {name!r} before deleting it")
        return self.guard.adoptable(path, name, seen.status, seen.json())

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Any,
        authenticated: bool,
        headers: Mapping[str, str] | None,
        label: str,
        refusal: str | None = None,
    ) -> Exchange:
        url = self.url(path, params)
        wire_headers: dict[str, str] = {
            "User-Agent": SKIP_HEADER,
            "Accept-Encoding": SKIP_HEADER,
            **self._extra,
        }
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            wire_headers["Content-Type"] = SCIM_JSON
        elif method not in ("GET", "HEAD"):
            wire_headers["Content-Length"] = "0"  # as requests' Session sends it
        authorization = self._auth.authorization() if authenticated and self._auth else None
        if authorization:
            wire_headers["Authorization"] = authorization
        if headers:
            wire_headers.update(headers)
        # only the authorizer's own credential may be renewed after a 401
        self._local.authorization = (
            authorization if authorization and wire_headers["Authorization"] == authorization
            else None)
        exchange = Exchange(
            index=0,  # numbered when recorded (_recorded), in the order requests were given
            method=method,
            url=url,
            request_headers=self._shown_headers(wire_headers),
            request_body=data.decode("utf-8") if data is not None else None,
            label=label,
        )
        if refusal is not None:  # recorded, never sent
            exchange.error = refusal
            exchange.refused = True
            return self._recorded(exchange)
        started = time.perf_counter()
        # a little past the read timeout, so a silent endpoint is told apart from a slow drip
        attempt = deadlines.start(self.config.timeout_s + DEADLINE_GRACE_S)
        try:
            response = self._client.send(method, url, wire_headers, data, self._timeout).raw
            raw, cut = read_capped(response, MAX_BODY_BYTES)
            exchange.status = response.status
            exchange.reason = response.reason or ""
            headers = dict(response.headers.itermerged())
            text, undecodable = decode_body(raw, declared_charset(headers))
            exchange.response_headers = headers
            exchange.response_body = text
            exchange.body_truncated = cut is not None
            exchange.valid_utf8 = undecodable is None
            exchange.body_problem = cut or undecodable
            exchange.cut_off = cut is not None
            if attempt.expired:
                raise TimeoutError("the deadline cut the answer short")
        except READ_FAILURES as exc:
            exchange.status = None
            exchange.cut_off = attempt.expired or timed_out(exc)
            exchange.error = (
                describe_overrun(url, self.config.timeout_s + DEADLINE_GRACE_S)
                if attempt.expired
                else describe_network_error(exc, url)
            )
        finally:
            deadlines.stop(attempt)
        exchange.elapsed_s = time.perf_counter() - started
        self._redact_echo(exchange)
        return self._recorded(exchange)

    def _redact_echo(self, exchange: Exchange) -> None:
        """Look for the token once in everything the endpoint chose (reason phrase, header names
        and values, body, and the error text that quotes a malformed answer); only an echo is
        rewritten. ``auth.token-not-echoed`` judges ``token_echoed``."""
        secrets = self._current_secrets()
        headers = exchange.response_headers
        chosen = (exchange.reason, exchange.response_body, exchange.error or "",
                  *headers, *headers.values())
        exchange.token_echoed = any(secrets.found(text) for text in chosen)
        if exchange.token_echoed and min(map(len, self._secrets_of), default=0) < SHORT_SECRET:
            # a short token turns up inside words by chance: only one standing apart is an echo
            exchange.token_echoed = any(secrets.found_apart(text) for text in chosen)
        if self._secret_names and any(self._header_secrets.found(text) for text in chosen):
            exchange.rewrite_answer(self._header_secrets.redact)  # a secret header's value
        if not exchange.token_echoed:
            return
        exchange.rewrite_answer(secrets.redact)

    def _current_secrets(self) -> Redactor:
        """The redactor for the credentials in use (an OAuth access token changes)."""
        if self._auth is not None:
            now = self._auth.secrets()
            with self._lock:
                if now != self._secrets_of:
                    self._secrets_of = now
                    self._secrets = Redactor(list(now))
        return self._secrets

    def _recorded(self, exchange: Exchange) -> Exchange:
        kept = getattr(self._local, "kept", None)
        if kept is not None:  # a batch's: recorded by send_many, in submission order
            kept.append(exchange)
            return exchange
        self.sent += 1
        exchange.index = self.sent
        self.exchanges.append(exchange)
        if self._on_exchange is not None:
            self._on_exchange(exchange)
        self._note_cut_off(exchange)
        self._bound_bodies(exchange)
        return exchange

    @property
    def hostile(self) -> str | None:
        """Why this endpoint is diagnosed hostile (the last :data:`HOSTILE_STREAK` requests
        were all cut off), or ``None``."""
        if len(self._cut_streak) < HOSTILE_STREAK:
            return None
        last = self._cut_streak[-1]
        return (f"the endpoint's last {len(self._cut_streak)} requests were cut off by "
                f"scimcheck (the last: {last.error or last.body_problem})")

    @property
    def last_cut_off(self) -> Exchange | None:
        """The latest exchange of the current run of cut-off answers, if any."""
        return self._cut_streak[-1] if self._cut_streak else None

    def _note_cut_off(self, exchange: Exchange) -> None:
        if exchange.cut_off:
            self._cut_streak = [*self._cut_streak[-(HOSTILE_STREAK - 1):], exchange]
        elif exchange.status is not None:
            self._cut_streak = []

    def _bound_bodies(self, newest: Exchange) -> None:
        """Keep whole large bodies up to :data:`KEPT_BODY_CHARS` (the newest always); shorten
        the older ones in the transcript."""
        size = len(newest.response_body)
        if size <= SHOWN_BODY_CHARS:
            return
        self._whole.append(newest)
        self._whole_chars += size
        while self._whole_chars > KEPT_BODY_CHARS and len(self._whole) > 1:
            old = self._whole.popleft()
            self._whole_chars -= len(old.response_body)
            for position in range(len(self.exchanges) - 1, -1, -1):
                if self.exchanges[position] is old:
                    self.exchanges[position] = old.shortened()
                    break

    def _shown_headers(self, wire: Mapping[str, str]) -> dict[str, str]:
        shown = {k: v for k, v in wire.items() if v is not SKIP_HEADER}
        if "Authorization" in shown:
            shown["Authorization"] = f"Bearer {REDACTED}"
        for name in self._secret_names:
            if name in shown:
                shown[name] = REDACTED
        return shown

    def owns(self, path: str) -> bool:
        """This run created ``path`` and may change it (always true without a guard)."""
        return self.guard.owns(path) if self.guard else True

    def claim(self, path: str, name: Any) -> bool:
        """Take ``path``, found by its tagged ``name``, as this run's (a create whose answer
        was lost); ``False`` when the name is not tagged. Always true without a guard."""
        return self.guard.claim(path, name) if self.guard else True
