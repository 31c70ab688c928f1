"""429/503 with Retry-After are honoured for idempotent requests only, within a budget, and
every retry is visible in the transcript and counted in the summary."""

from __future__ import annotations

import datetime
import email.utils
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from scimcheck.http.pacing import retry_after
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.server import ReferenceServer
from support.harness import RunSuites, failed_checks

Answers = list[tuple[int, dict[str, str]]]


def _app(answers: Answers, seen: list[str]) -> Callable[..., Iterable[bytes]]:
    """A WSGI endpoint answering with the statuses given, then 200."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["REQUEST_METHOD"])
        status, headers = answers.pop(0) if answers else (200, {})
        body = json.dumps({"ok": status == 200}).encode()
        start_response(f"{status} X", [("Content-Type", "application/scim+json"),
                                       ("Content-Length", str(len(body))), *headers.items()])
        return [body]

    return app


def _send(method: str, answers: Answers, **config: Any) -> tuple[Transport, list[str]]:
    seen: list[str] = []
    with ReferenceServer(host="127.0.0.1", port=0, app=_app(answers, seen)) as server:
        transport = Transport(TransportConfig(server.base_url, "t" * 12, 10, **config))
        transport.send(method, "/Users", body={} if method in ("POST", "PATCH") else None,
                       label="probe")
    return transport, seen


def test_a_get_answered_429_is_retried_after_retry_after() -> None:
    started = time.monotonic()
    transport, seen = _send("GET", [(429, {"Retry-After": "0.2"}), (503, {})])
    assert seen == ["GET", "GET", "GET"]
    assert transport.retries == 2 and time.monotonic() - started >= 0.2 + 1.0
    labels = [x.label for x in transport.exchanges]
    assert labels[0] == "probe (answered 429; retried after 0.2 s)"
    assert labels[-1] == "probe (retry 2)" and transport.exchanges[-1].status == 200


def test_a_post_or_patch_is_never_repeated() -> None:
    for method in ("POST", "PATCH"):
        transport, seen = _send(method, [(429, {"Retry-After": "0"})])
        assert seen == [method] and transport.retries == 0
        assert transport.exchanges[0].status == 429


def test_retries_stop_at_the_budget_and_the_count() -> None:
    transport, seen = _send("GET", [(429, {"Retry-After": "30"})], retry_budget_s=5)
    assert seen == ["GET"] and transport.exchanges[0].status == 429  # 30 s > the budget
    transport, seen = _send("DELETE", [(503, {"Retry-After": "0"})] * 10, max_retries=2)
    assert seen == ["DELETE"] * 3 and transport.exchanges[-1].status == 503


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=20)
    waited = retry_after(email.utils.format_datetime(later, usegmt=True))
    assert waited is not None and 15 < waited <= 20


def test_the_request_rate_can_be_capped() -> None:
    """At most two requests start in any second at --max-rps 2: the fifth and sixth of six
    sent one after another start two seconds after the first at the earliest (a lower bound)."""
    seen: list[str] = []
    with ReferenceServer(host="127.0.0.1", port=0, app=_app([], seen)) as server:
        transport = Transport(TransportConfig(server.base_url, None, 10, max_rps=2))
        started = time.monotonic()
        for _ in range(6):
            transport.send("GET", "/Users")
    assert time.monotonic() - started >= 2.0


@pytest.mark.parametrize(("max_rps", "window"), [(25, (25, 1.0)), (0.5, (1, 2.0)),
                                                 (2.5, (2, 0.8))])
def test_the_rate_is_a_count_in_a_window(max_rps: float, window: tuple[int, float]) -> None:
    """25 a second allows 25 in any second (bursts of requests in flight included), never 26;
    below one a second, one request per 1/rate seconds."""
    from scimcheck.http.pacing import rate_window

    allowed, seconds = rate_window(max_rps)
    assert (allowed, round(seconds, 6)) == window


def test_a_rate_limited_endpoint_passes_and_the_retries_are_counted(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    document = run_suites(broken_server("rate-limited-gets").base_url)
    assert failed_checks(document) == set(), document["_stdout"]
    assert document["retries"]["count"] > 5
    assert "repeated after 429/503" in document["_stdout"]
