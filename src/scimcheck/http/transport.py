"""The one place that sends HTTP: urllib3's connection pools, recording every exchange.

Requests are sent the way Entra sends them (docs/entra.md §1.0, §8): ``Authorization:
Bearer``; writes with ``Content-Type: application/scim+json; charset=utf-8``; GETs with no
``Accept``; no ``User-Agent`` and no ``Accept-Encoding``. The token never leaves this module
in clear: recorded headers carry ``Bearer <redacted>``, and an answer that repeats it in any
form (:mod:`scimcheck.http.redaction`: raw, escaped, URL-encoded, Base64; in the status line, a
header name or value, the body or the error it caused) is recorded with it redacted.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import http.client
import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3
import urllib3.exceptions
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import SKIP_HEADER

from scimcheck.core.errors import ForwardError
from scimcheck.http import deadlines
from scimcheck.http.guard import Guard
from scimcheck.http.redaction import REDACTED, SHORT_SECRET, Redactor, one_line


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
SHOWN_BODY_CHARS = 20_000
"""How much of a body a transcript shows (:mod:`scimcheck.report.transcript`), and keeps of an older
large one."""
SCIM_JSON = "application/scim+json; charset=utf-8"

_NO_BODY = object()


@dataclass
class Exchange:
    """One request and what came back, ready to show to a person."""

    index: int
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    body_truncated: bool = False
    body_problem: str | None = None
    """Why the body shown is not what was sent: cut off at the cap, or not valid UTF-8."""
    valid_utf8: bool = True
    token_echoed: bool = False
    """The answer (status line, a header, the body, or the error it caused) held the bearer
    token in some form; it is shown as <redacted>."""
    elapsed_s: float = 0.0
    error: str | None = None
    label: str = ""
    refused: bool = False
    """scimcheck refused to send this request (:mod:`scimcheck.scim.ownership`): it never left."""
    cut_off: bool = False
    """scimcheck cut the answer off: at the request's deadline, a timeout, or the body cap."""
    _parsed: Any = field(default=_NO_BODY, repr=False)

    @property
    def ok(self) -> bool:
        """A response arrived with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The response's Content-Type header, or an empty string."""
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        for key, value in self.response_headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """The response body parsed as JSON; ``None`` when it is empty or not JSON."""
        if self._parsed is _NO_BODY:
            self._parsed = None
            if self.response_body and not self.body_truncated:
                try:
                    self._parsed = json.loads(self.response_body)
                except ValueError:
                    pass
                except RecursionError:
                    self.body_problem = self.body_problem or "the JSON is nested too deeply"
        return self._parsed

    @property
    def is_json(self) -> bool:
        """The body is non-empty, valid JSON."""
        return self.json() is not None

    def target(self) -> str:
        """Path and query of the request, for one-line summaries."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def summary(self) -> str:
        """One line: ``PATCH /scim/v2/Users/1 → 204 (12 ms)``; a redirect names its target."""
        outcome = self.error or f"{self.status} {self.reason}".strip()
        if self.status is not None and 300 <= self.status < 400:
            outcome += (f", a redirect to {self.header('Location') or '(no Location)'!r} "
                        "that Entra does not follow")
        return f"{self.method} {self.target()} → {outcome} ({self.elapsed_s * 1000:.0f} ms)"

    def describe_body(self, limit: int = 600) -> str:
        """The response body shortened for a message, saying what it is when that is not
        obvious (an HTML page, an empty body, a body cut off at the cap, bytes that are not
        UTF-8). An answer that is not SCIM JSON is described by what was seen (status, Server
        header, Content-Type, an escaped excerpt), never by a guess at who sent it: an empty
        401 or a framework's own 500 page may well come from the SCIM app itself."""
        self.json()  # notes a body nested too deeply to parse
        text = self.response_body.strip()
        shown = "(empty body)" if not text else (
            text if len(text) <= limit else text[:limit] + "…"
        )
        title = _HTML_TITLE.search(text[:4096]) if text.startswith("<") else None
        if not text and self.status is not None:
            shown = f"(empty body; {self.seen()})"
        elif title or "html" in self.content_type.lower():
            name = one_line(" ".join(title["title"].split()), 120) if title else ""
            titled = f' titled "{name}"' if name else ""
            shown = (f"an HTML page{titled} ({self.seen()}), not SCIM JSON: "
                     f"{one_line(shown, 160)}")
        if self.body_problem:
            shown += f" [{self.body_problem}]"
        return shown

    def seen(self) -> str:
        """What the answer says about itself, escaped: ``status 401, Content-Type 'text/html',
        Server 'gunicorn'`` (each header, or that it was absent)."""
        parts = [f"status {self.status}"]
        for name in ("Content-Type", "Server"):
            value = self.header(name)
            parts.append(f"{name} '{one_line(value, 80)}'" if value else f"no {name} header")
        return ", ".join(parts)

    def shortened(self, limit: int = SHOWN_BODY_CHARS) -> Exchange:
        """This exchange as a transcript keeps it once it is old: a response body longer than
        ``limit`` characters cut there (so no longer parsed), and said so; else itself."""
        size = len(self.response_body)
        if size <= limit:
            return self
        note = (f"scimcheck kept the first {limit:,} of its {size:,} characters in the "
                "transcript")
        return dataclasses.replace(
            self, response_body=self.response_body[:limit], body_truncated=True,
            body_problem=f"{self.body_problem}; {note}" if self.body_problem else note,
            _parsed=_NO_BODY,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready transcript entry (already redacted)."""
        return {
            "index": self.index,
            "label": self.label,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "reason": self.reason,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "body_truncated": self.body_truncated,
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
            "error": self.error,
        }


_HTML_TITLE = re.compile(r"<title[^>]*>(?P<title>[^<]{1,120})</title>", re.IGNORECASE)
_RETRY_STATUSES = frozenset({429, 503})
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_PACE_LOCK = threading.Lock()
_last_sent = [0.0]


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


_CUT_OFF = ("reset the connection", "closed the connection without answering", "was cut off")


def _cut_off(error: str | None) -> bool:
    """A connection that broke mid-request (reset, closed, cut off): worth one more try.
    Timeouts, slow drips, refusals, DNS and TLS failures are not: a retry would only wait
    longer for the same."""
    if not error or "refused" in error or "timed out" in error or "within the timeout" in error:
        return False
    return error.startswith(("connection to", "request to")) or any(
        phrase in error for phrase in _CUT_OFF
    )


def _pace(max_rps: float | None) -> None:
    """Keep this process under ``max_rps`` requests per second."""
    if not max_rps:
        return
    with _PACE_LOCK:
        gap = 1.0 / max_rps - (time.monotonic() - _last_sent[0])
        if gap > 0:
            time.sleep(gap)
        _last_sent[0] = time.monotonic()


class _NotingPool:
    """A connection pool that tells the request's deadline which connection it got."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        deadlines.note_connection(connection)
        return connection


class _HTTPPool(_NotingPool, HTTPConnectionPool):
    pass


class _HTTPSPool(_NotingPool, HTTPSConnectionPool):
    pass


def _pools(verify: bool | str) -> urllib3.PoolManager:
    """urllib3's pools (the library requests is built on), trusting what requests trusts
    (certifi's CAs; ``--ca-bundle``'s file instead; nothing checked with ``--insecure``), whose
    pools report each request's connection to its deadline."""
    if verify is False:
        tls: dict[str, Any] = {"cert_reqs": "CERT_NONE", "assert_hostname": False}
    elif isinstance(verify, str) and os.path.isdir(verify):
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_cert_dir": verify}
    else:
        tls = {"cert_reqs": "CERT_REQUIRED",
               "ca_certs": verify if isinstance(verify, str) else certifi.where()}
    pools = urllib3.PoolManager(num_pools=10, maxsize=10, **tls)
    pools.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pools


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
        self._pools = _pools(config.verify)
        self._by_origin: dict[str, HTTPConnectionPool] = {}
        self._timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=config.timeout_s)
        self._secrets = Redactor([config.token])

    def close(self) -> None:
        """Release pooled connections."""
        self._by_origin.clear()
        self._pools.clear()

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
        own exchange in the transcript; a POST or PATCH is never repeated.
        """
        refusal = self.guard.refusal(method, path) if self.guard else None
        if refusal is not None:
            return self._attempt(method, path, params, body, authenticated, headers, label,
                                 refusal=refusal)
        attempt = 0
        while True:
            _pace(self.config.max_rps)
            shown = f"{label} (retry {attempt})".strip() if attempt else label
            exchange = self._attempt(method, path, params, body, authenticated, headers, shown)
            wait = self._retry_wait(method, exchange, attempt)
            if wait is None:
                if self.guard is not None:
                    self._learn(method, path, body, exchange)
                return exchange
            cause = exchange.status or "no answer"
            exchange.label = f"{exchange.label} (answered {cause}; retried after {wait:g} s)"
            time.sleep(wait)
            self.retries += 1
            self.retry_wait_s += wait
            attempt += 1

    def _learn(self, method: str, path: str, body: Any, exchange: Exchange) -> None:
        """Tell the guard what a request did; a create answered with an id but no name is
        decided by a GET of that id (its own representation; GET changes nothing)."""
        assert self.guard is not None
        lookup = self.guard.learn(method, path, body, exchange.status, exchange.json())
        if lookup is not None:
            seen = self.send("GET", lookup.path, label="ownership: read the resource a create "
                             "answered with an id but no name")
            self.guard.prove(lookup, seen.status, seen.json())

    def adopt(self, path: str, name: str) -> bool:
        """Take ``path``, found by its exact tagged ``name`` (a create whose answer was lost
        or whose id was contested), as this run's, if a GET of it names it ``name``. Always
        true without a guard."""
        if self.guard is None:
            return True
        seen = self.send("GET", path, label=f"ownership: read {name!r} before deleting it")
        return self.guard.adoptable(path, name, seen.status, seen.json())

    def _retry_wait(self, method: str, exchange: Exchange, attempt: int) -> float | None:
        if method not in _IDEMPOTENT or attempt >= self.config.max_retries:
            return None
        if exchange.status in _RETRY_STATUSES:
            wait = _retry_after(exchange.header("Retry-After"))
        elif exchange.status is None and _cut_off(exchange.error):
            wait = None
        else:
            return None
        if wait is None:
            wait = float(2**attempt)
        if self.retry_wait_s + wait > self.config.retry_budget_s:
            return None
        return wait

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
        }
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            wire_headers["Content-Type"] = SCIM_JSON
        elif method not in ("GET", "HEAD"):
            wire_headers["Content-Length"] = "0"  # as requests sent it, so servers see no change
        if authenticated and self.config.token:
            wire_headers["Authorization"] = f"Bearer {self.config.token}"
        if headers:
            wire_headers.update(headers)
        exchange = Exchange(
            index=self.sent + 1,
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
            origin, target = _split(url)
            pool = self._by_origin.get(origin)
            if pool is None:  # resolving a pool parses the URL: once per origin, not per request
                pool = self._by_origin[origin] = self._pools.connection_from_url(url)
            response = pool.urlopen(
                method,
                target,
                body=data,
                headers=wire_headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                timeout=self._timeout,
                preload_content=False,
            )
            raw, cut = _read_capped(response)
            exchange.status = response.status
            exchange.reason = response.reason or ""
            headers = dict(response.headers.itermerged())
            text, undecodable = _decode(raw, _declared_charset(headers))
            exchange.response_headers = headers
            exchange.response_body = text
            exchange.body_truncated = cut is not None
            exchange.valid_utf8 = undecodable is None
            exchange.body_problem = cut or undecodable
            exchange.cut_off = cut is not None
            if attempt.expired:
                raise TimeoutError("the deadline cut the answer short")
        except _READ_FAILURES as exc:
            exchange.status = None
            exchange.cut_off = attempt.expired or _timed_out(exc)
            exchange.error = (
                _describe_overrun(url, self.config.timeout_s + DEADLINE_GRACE_S)
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
        secrets = self._secrets
        headers = exchange.response_headers
        chosen = (exchange.reason, exchange.response_body, exchange.error or "",
                  *headers, *headers.values())
        exchange.token_echoed = any(secrets.found(text) for text in chosen)
        if exchange.token_echoed and len(self.config.token or "") < SHORT_SECRET:
            # a short token turns up inside words by chance: only one standing apart is an echo
            exchange.token_echoed = any(secrets.found_apart(text) for text in chosen)
        if not exchange.token_echoed:
            return
        exchange.reason = secrets.redact(exchange.reason)
        exchange.response_headers = {
            secrets.redact(k): secrets.redact(v) for k, v in headers.items()
        }
        exchange.response_body = secrets.redact(exchange.response_body)
        exchange.error = secrets.redact(exchange.error) if exchange.error else exchange.error
        exchange._parsed = _NO_BODY

    def _recorded(self, exchange: Exchange) -> Exchange:
        self.sent += 1
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
        return shown

    def owns(self, path: str) -> bool:
        """This run created ``path`` and may change it (always true without a guard)."""
        return self.guard.owns(path) if self.guard else True

    def claim(self, path: str, name: Any) -> bool:
        """Take ``path``, found by its tagged ``name``, as this run's (a create whose answer
        was lost); ``False`` when the name is not tagged. Always true without a guard."""
        return self.guard.claim(path, name) if self.guard else True


def _split(url: str) -> tuple[str, str]:
    """The origin (``scheme://host:port``) of ``url``, and the request target (path and query)
    the pool sends."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", target


_CHARSET = re.compile(r"""charset\s*=\s*["']?(?P<name>[^"';\s]+)""", re.IGNORECASE)


def _declared_charset(headers: Mapping[str, str]) -> str | None:
    """The charset a Content-Type names (``text/*`` without one is ISO-8859-1, RFC 2616 §3.7.1,
    as requests read it)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = _CHARSET.search(content_type)
    if match:
        return match["name"]
    return "ISO-8859-1" if content_type.lower().startswith("text/") else None


class _BodyBroken(Exception):
    """Reading the body failed part-way (the connection broke, or the encoding was garbled)."""


_READ_FAILURES = (
    _BodyBroken, http.client.HTTPException, urllib3.exceptions.HTTPError, OSError, ValueError,
)
"""What reading a hostile answer can raise (cut-off sockets, malformed status lines, more than
100 headers, broken gzip…): each becomes a one-line ``Exchange.error``, never a crash."""


def _read_capped(response: urllib3.BaseHTTPResponse) -> tuple[bytes, str | None]:
    """The body, decompressed as it streams (urllib3 bounds each step, so a compression bomb
    costs at most the cap), and why it was cut at ``MAX_BODY_BYTES`` if it was. The connection
    goes back to the pool when the whole body was read, and is closed otherwise."""
    chunks: list[bytes] = []
    size = 0
    complete = False
    try:
        for chunk in response.stream(65536, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                coding = response.headers.get("Content-Encoding")
                unpacked = f" once {coding}-decoded" if coding else ""
                return b"".join(chunks)[:MAX_BODY_BYTES], (
                    f"the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB{unpacked}; "
                    "scimcheck read that much and cut it off"
                )
        complete = True
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
        raise _BodyBroken(str(exc)) from exc
    finally:
        if not complete:
            response.close()
        response.release_conn()
    return b"".join(chunks), None


def _decode(raw: bytes, declared: str | None) -> tuple[str, str | None]:
    """The body as text, and a note when its bytes are not valid UTF-8, which every JSON body
    must be (RFC 8259 §8.1) whatever charset it claims. Such a body is shown decoded with the
    declared charset when there is one, else with U+FFFD for the bad bytes."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        note = (f"the body is not valid UTF-8 (byte 0x{raw[exc.start : exc.start + 1].hex()} "
                f"at offset {exc.start})")
    if declared:
        try:
            return raw.decode(declared), note
        except (LookupError, UnicodeDecodeError):
            pass
    return raw.decode("utf-8", errors="replace"), note


def _describe_overrun(url: str, seconds: float) -> str:
    host = urlsplit(url).netloc or url
    return (
        f"{host} was still sending its answer after {seconds:g} s (a slow drip of bytes); "
        "scimcheck gave up, as Entra does after 60 s"
    )


def _timed_out(exc: BaseException) -> bool:
    """A connect or read timeout (a refused connection is not one, though urllib3's class tree
    puts it under connect timeouts)."""
    return isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError
    )


def describe_network_error(exc: BaseException, url: str) -> str:
    """One line saying what failed on the network and the one thing to check."""
    host = urlsplit(url).netloc or url
    text = str(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return _describe_tls(text, host)
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError  # a refusal, in urllib3's class tree
    ):
        return f"connecting to {host} timed out; check the host, port and firewall"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"{host} sent no answer within the timeout (Entra gives up after 60 s)"
    cut = _INCOMPLETE.search(text)
    if cut:
        return (f"the answer from {host} was cut off: the connection closed after "
                f"{cut['got']} of {int(cut['got']) + int(cut['more'])} body bytes")
    if isinstance(exc, _BodyBroken) or "InvalidChunkLength" in text:
        return f"the answer from {host} was cut off or garbled mid-body ({_short(text, 80)})"
    if "reset by peer" in text.lower():
        return f"{host} reset the connection (ECONNRESET) before its answer was complete"
    if "RemoteDisconnected" in text or "without response" in text:
        return f"{host} closed the connection without answering"
    if isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ProtocolError):
        if "Name or service not known" in text or "getaddrinfo" in text:
            return f"cannot resolve the host name {urlsplit(url).hostname!r}; check the URL"
        if "refused" in text.lower():
            return f"connection to {host} refused; is the SCIM server running on that port?"
        return f"connection to {host} failed ({_short(text)})"
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return f"invalid URL {url!r}; use http(s)://host[:port]/base-path"
    return f"request to {host} failed: {_short(text)}"


_INCOMPLETE = re.compile(r"IncompleteRead\((?P<got>\d+) bytes read, (?P<more>\d+) more expected")
_SSL_REASON = re.compile(r"\[SSL: (?P<code>[A-Z_]+)\] (?P<detail>[^(]+?)\s*\(")


def _describe_tls(text: str, host: str) -> str:
    """One line for a failed TLS handshake; an untrusted certificate names the two ways out
    (``--ca-bundle`` for a private CA, ``--insecure`` for a throwaway test server)."""
    match = _SSL_REASON.search(text)
    code, detail = (match["code"], match["detail"].strip()) if match else ("", _short(text))
    if code == "WRONG_VERSION_NUMBER":
        return f"{host} does not speak TLS on that port; is the URL http:// rather than https://?"
    if code == "CERTIFICATE_VERIFY_FAILED" and "mismatch" in detail:
        return (f"the TLS certificate of {host} is not issued for that host ({detail}); use "
                "the host name the certificate names in the URL")
    if code == "CERTIFICATE_VERIFY_FAILED":
        return (f"the TLS certificate of {host} is not trusted ({detail}); if a private CA "
                "signed it, pass --ca-bundle CA.pem (or SCIM_CA_BUNDLE), else fix its chain; "
                "--insecure skips verification (test servers only)")
    return f"TLS handshake with {host} failed ({detail}); check the server's TLS setup"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


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

    def __init__(self, verify: bool | str = True, timeout_s: float = ENTRA_TIMEOUT_S) -> None:
        self._pools = _pools(verify)
        self._timeout_s = timeout_s
        self._timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=timeout_s)

    def forward(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Forwarded:
        """Send; ``ForwardError`` (with a one-line diagnosis) when no whole answer came."""
        attempt = deadlines.start(self._timeout_s + DEADLINE_GRACE_S)
        try:
            answer = self._pools.urlopen(
                method, url, body=body or None, headers=dict(headers), redirect=False,
                retries=False, timeout=self._timeout, preload_content=False,
            )
            content, cut = _read_capped(answer)
            if attempt.expired:
                raise TimeoutError("the deadline cut the answer short")
        except _READ_FAILURES as exc:
            raise ForwardError(
                _describe_overrun(url, self._timeout_s + DEADLINE_GRACE_S) if attempt.expired
                else describe_network_error(exc, url)
            ) from None
        finally:
            deadlines.stop(attempt)
        if cut is not None:
            raise ForwardError(f"the upstream's answer was not passed on: {cut}")
        return Forwarded(answer.status, answer.reason or "", list(answer.headers.itermerged()),
                         content)


