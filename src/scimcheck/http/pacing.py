"""When the transport sends a request again, and how fast it sends at all.

An idempotent request (RFC 9110 §9.2.2: GET, HEAD, PUT, DELETE, OPTIONS) answered 429 (RFC 6585
§4) or 503, or cut off mid-way, is sent again after its ``Retry-After`` (RFC 9110 §10.2.3:
delay-seconds or an HTTP date; 1 s, then doubling, when absent), within a count and a total
wait; a POST or PATCH is never repeated. ``--max-rps`` caps the requests one process sends per
second (in any window, not as an even spacing: requests in flight at once may start together).
"""

from __future__ import annotations

import collections
import datetime
import email.utils
import threading
import time

from scimcheck.http.exchange import Exchange

RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_PACE_LOCK = threading.Lock()
_sent: collections.deque[float] = collections.deque()
"""When the requests of the current window started (this process)."""


def retry_after(value: str | None) -> float | None:
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


def cut_off_mid_request(error: str | None) -> bool:
    """A connection that broke mid-request (reset, closed, cut off): worth one more try.
    Timeouts, slow drips, refusals, DNS and TLS failures are not: a retry would only wait
    longer for the same."""
    if not error or "refused" in error or "timed out" in error or "within the timeout" in error:
        return False
    return error.startswith(("connection to", "request to")) or any(
        phrase in error for phrase in _CUT_OFF
    )


def retry_wait(
    method: str,
    exchange: Exchange,
    attempt: int,
    *,
    max_retries: int,
    waited_s: float,
    budget_s: float,
) -> float | None:
    """Seconds to wait before sending ``exchange``'s request again, or ``None`` when its answer
    stands: not idempotent, out of retries, not a 429/503 nor cut off, or past the budget
    (``waited_s`` already waited of ``budget_s`` in all)."""
    if method not in IDEMPOTENT or attempt >= max_retries:
        return None
    if exchange.status in RETRY_STATUSES:
        wait = retry_after(exchange.header("Retry-After"))
    elif exchange.status is None and cut_off_mid_request(exchange.error):
        wait = None
    else:
        return None
    if wait is None:
        wait = float(2**attempt)
    if waited_s + wait > budget_s:
        return None
    return wait


def pace(max_rps: float | None) -> None:
    """Keep this process at or under ``max_rps`` requests per second: in any window of
    :func:`rate_window` seconds at most its count of requests start (25 a second at 25; one
    every 2 s at 0.5). Requests in flight at once (``--in-flight``) may start together as long
    as the window holds them, so a rate cap costs a run time only where the rate binds."""
    if not max_rps:
        return
    allowed, window = rate_window(max_rps)
    with _PACE_LOCK:  # held while waiting: senders queue in order behind the window
        now = time.monotonic()
        while _sent and now - _sent[0] >= window:
            _sent.popleft()
        if len(_sent) >= allowed:
            time.sleep(max(0.0, window - (now - _sent[0])))
            _sent.popleft()
        _sent.append(time.monotonic())


def rate_window(max_rps: float) -> tuple[int, float]:
    """``(requests, seconds)``: at most that many requests start in any window that long."""
    allowed = max(1, int(max_rps))
    return allowed, allowed / max_rps
