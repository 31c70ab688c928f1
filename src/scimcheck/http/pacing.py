"""When the transport sends a request again, and how fast it sends at all.

An idempotent request (RFC 9110 §9.2.2: GET, HEAD, PUT, DELETE, OPTIONS) answered 429 (RFC 6585
§4) or 503, or cut off mid-way, is sent again after its ``Retry-After`` (RFC 9110 §10.2.3:
delay-seconds or an HTTP date; 1 s, then doubling, when absent), within a count and a total
wait; a POST or PATCH is never repeated. ``--max-rps`` caps the requests one process sends per
second.
"""

from __future__ import annotations

import datetime
import email.utils
import threading
import time

from scimcheck.http.exchange import Exchange

RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_PACE_LOCK = threading.Lock()
_last_sent = [0.0]


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
    """Keep this process under ``max_rps`` requests per second."""
    if not max_rps:
        return
    with _PACE_LOCK:
        gap = 1.0 / max_rps - (time.monotonic() - _last_sent[0])
        if gap > 0:
            time.sleep(gap)
        _last_sent[0] = time.monotonic()
