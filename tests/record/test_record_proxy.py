"""`scimcheck record` forwards only to its upstream (issue 13 §5).

The proxy passes each client request on with its Authorization header, so a request target
that reached another host, or a path outside the upstream's base, would hand the client's
token to whoever listens there. A loopback "victim" must receive nothing, whatever the path;
what the upstream receives stays under its base path; bodies and time are bounded.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from scimcheck.core.errors import ForwardError, Refused
from scimcheck.http.forwarder import Forwarder
from scimcheck.record.forward_target import Upstream, forward_url
from scimcheck.record.proxy import TrafficRecorder
from scimcheck.server import ReferenceServer
from support.hostile import HostileServer
from support.victim import Victim

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SERVED = "/scim/v2"
DRIP_DEADLINE_S: float | None = 0.5
BASES = ("/scim/v2", "", "/tenant/scim")
"""Upstream base paths: the proxy's own, none (where `@` once named another host), another."""


class _Echo:
    """An upstream that answers 200 to anything and keeps each request target it got."""

    def __init__(self) -> None:
        self.targets: list[str] = []

    def __call__(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        self.targets.append(str(environ.get("RAW_URI")))
        start("200 OK", [("Content-Type", "application/scim+json")])
        return [b'{"id": "1"}']


@pytest.fixture
def echo() -> Iterator[tuple[_Echo, str]]:
    app = _Echo()
    with ReferenceServer(host="127.0.0.1", port=0, app=app) as server:
        yield app, server.base_url.removesuffix(SERVED)


def _attacks(victim: int) -> list[str]:
    at = f"127.0.0.1:{victim}"
    return [
        f"/scim/v2@{at}/x", f"/scim/v2@{at}", "/scim/v2/../../admin", "/scim/v2/..",
        "/scim/v2/%2e%2e/%2e%2e/admin", "/scim/v2/%2E%2E/x", "/scim/v2/.%2e/x",
        "/scim/v2/Users/./../../../x", f"//{at}/x", f"/scim/v2//{at}/x",
        "/scim/v2/..\\..\\admin", "/scim/v2/Users%5c..%5c..%5cx", "/scim/v2/Users%2f..%2f..%2fx",
        f"http://{at}/scim/v2/Users", f"http://{at}", "/scim/v2/Users%00", "/scim/v2/Users\x00",
        "/scim/v2/Users%0d%0aHost:%20evil", "/admin", "/scim/v2x/Users", "/", "*",
        f"{at}", "/scim/v2/%zz", "/scim/v2/Users\x1b[2J", "/scim/v2/Users#frag",
    ]


def _send(port: int, target: str, headers: str = "", body: bytes = b"") -> bytes:
    """One raw HTTP/1.1 request (bytes exactly as given: no client library tidies them)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer secret-token\r\n{headers}Connection: close\r\n\r\n")
        sock.sendall(head.encode("latin-1") + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _under(base: str, target: str) -> bool:
    """The upstream received a request target under ``base``, with no segment that decodes
    to a dot segment or a separator."""
    path = urlsplit(target).path
    segments = [unquote(s) for s in path.split("/")[1:]]
    if any(s in {".", ".."} or "/" in s or "\\" in s for s in segments):
        return False
    return path == (base or "/") or path.startswith(base + "/")


@pytest.mark.parametrize("base", BASES)
def test_no_request_target_reaches_another_host_or_leaves_the_base(
    tmp_path: Path, echo: tuple[_Echo, str], base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app, origin = echo
    recorder = TrafficRecorder(origin + base, tmp_path / "r.yaml")
    with Victim() as victim, ReferenceServer(host="127.0.0.1", port=0, app=recorder) as proxy:
        port = int(urlsplit(proxy.base_url).port or 0)
        attacks = _attacks(victim.port)
        answers = {target: _send(port, target) for target in attacks}
    assert victim.received == []
    assert all(_under(base, got) for got in app.targets), app.targets
    for target, answer in answers.items():
        status = answer.split(b" ", 2)[1] if answer else b""
        assert status in {b"400", b"403"}, (target, answer[:200])
    assert app.targets == []  # every one of them was refused, none forwarded
    logs = capsys.readouterr().err.splitlines()
    refusals = [line for line in logs if "refused" in line]
    assert len(refusals) == len(attacks)
    assert all("\x1b" not in line and "\x00" not in line for line in logs)
    assert any("\\x1b[2J" in line for line in logs)  # shown escaped, not obeyed


def test_a_refusal_is_a_scim_error_and_an_ordinary_request_is_forwarded(
    tmp_path: Path, echo: tuple[_Echo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app, origin = echo
    recorder = TrafficRecorder(origin + "/tenant/scim", tmp_path / "r.yaml")
    client = Client(recorder)
    refused = client.get("/scim/v2/../admin", environ_overrides={"RAW_URI": "/scim/v2/../admin"})
    assert refused.status_code == 400
    error = refused.get_json()
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error["status"] == "400" and "dot segment" in error["detail"]
    assert capsys.readouterr().err.splitlines() == [
        "scimcheck record: refused GET '/scim/v2/../admin' (400): the request path has a dot "
        "segment (. or .., perhaps percent-encoded), which could leave the base path; nothing "
        "was forwarded"
    ]
    target = "/scim/v2/Users/a@b.example?filter=userName%20eq%20%22a%40b%22"
    ok = client.get("/scim/v2/Users/a@b.example", environ_overrides={"RAW_URI": target})
    assert ok.status_code == 200
    assert app.targets == ["/tenant/scim/Users/a%40b.example?filter=userName%20eq%20%22a%40b%22"]


_PIECES = st.sampled_from([
    "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "@", ":", "?", "#", "%",
    "%00", "%40", "scim", "v2", "/scim/v2", "Users", "http://", "127.0.0.1:1", "~", " ", "\x00",
    "\r\n", "é", "%c3%a9", "%ff", ";", "=", "&",
])
_PATHS = st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=12).map("".join)


@settings(max_examples=1000, deadline=None)
@given(target=_PATHS, base=st.sampled_from(BASES))
def test_property_a_forwarded_url_stays_at_the_upstream_origin_and_under_its_base(
    target: str, base: str
) -> None:
    upstream = Upstream.parse(f"http://upstream.test:8443{base}")
    try:
        url = forward_url(target, upstream, SERVED)
    except Refused as refused:
        assert refused.status in {400, 403}
        return
    for parsed in (urllib3.util.parse_url(url), urlsplit(url)):  # the sender's and the stdlib's
        assert (parsed.scheme, parsed.hostname if hasattr(parsed, "hostname") else parsed.host,
                parsed.port) == ("http", "upstream.test", 8443)
    assert urllib3.util.parse_url(url).auth is None and urlsplit(url).username is None
    sent = urllib3.util.parse_url(url).request_uri  # what urllib3 puts on the request line
    assert _under(base, sent), (target, url, sent)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(target=_PATHS)
def test_property_end_to_end_the_victim_gets_nothing_whatever_the_path(
    tmp_path: Path, echo: tuple[_Echo, str], target: str
) -> None:
    app, origin = echo
    recorder = TrafficRecorder(origin, tmp_path / "r.yaml")
    environ: dict[str, Any] = {"RAW_URI": target, "HTTP_HOST": "proxy.test"}
    app.targets.clear()
    with Victim() as victim:
        # the victim listens where an '@' or absolute-form trick would point
        attack = target.replace("127.0.0.1:1", f"127.0.0.1:{victim.port}")
        environ["RAW_URI"] = attack
        answer = Client(recorder).get("/scim/v2/", environ_overrides=environ)
    assert victim.received == []
    assert answer.status_code in {200, 400, 403}
    assert all(_under("", got) for got in app.targets)
    if answer.status_code == 200:
        assert len(app.targets) == 1 and _under("", app.targets[0])


def test_an_oversized_body_is_refused_unsent(
    tmp_path: Path, echo: tuple[_Echo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app, origin = echo
    recorder = TrafficRecorder(origin + SERVED, tmp_path / "r.yaml")
    with ReferenceServer(host="127.0.0.1", port=0, app=recorder) as proxy:
        port = int(urlsplit(proxy.base_url).port or 0)
        body = b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        answer = _send(port, "/scim/v2/Users",
                       f"Content-Type: application/scim+json\r\nContent-Length: {len(body)}\r\n",
                       body)
    assert answer.split(b" ", 2)[1] == b"413", answer[:200]
    assert app.targets == []
    assert "(413)" in capsys.readouterr().err


@pytest.mark.parametrize("drip", ["body", "headers"])
def test_a_client_dripping_its_request_is_cut_off(
    tmp_path: Path, echo: tuple[_Echo, str], drip: str
) -> None:
    app, origin = echo
    recorder = TrafficRecorder(origin + SERVED, tmp_path / "r.yaml")
    total = 2000
    with ReferenceServer(host="127.0.0.1", port=0, app=recorder,
                         request_deadline_s=DRIP_DEADLINE_S) as proxy:
        port = int(urlsplit(proxy.base_url).port or 0)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            head = f"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: {total}\r\n"
            sock.sendall(head.encode() + (b"\r\n" if drip == "body" else b"X-Wait: "))
            unit = b"x"  # one body byte, or one more byte of a header line that never ends
            sent = 0
            while sent < total:
                try:
                    sock.sendall(unit)
                except OSError:
                    break  # cut off
                sent += 1
                readable, _, _ = select.select([sock], [], [], 0.02)
                if readable and sock.recv(1) == b"":
                    break  # cut off: the proxy closed the connection
    assert sent < total  # never let it finish
    assert app.targets == []


def test_the_upstream_answer_is_bounded_in_size_and_time() -> None:
    with HostileServer("ten-megabytes") as big, pytest.raises(ForwardError, match="larger than"):
        Forwarder(timeout_s=5).forward("GET", f"{big.base_url}/Users", {}, b"")
    with HostileServer("slow-drip") as slow, pytest.raises(ForwardError, match="still sending"):
        Forwarder(timeout_s=0.5).forward("GET", f"{slow.base_url}/Users", {}, b"")


def test_the_upstream_error_keeps_its_scim_form(tmp_path: Path) -> None:
    recorder = TrafficRecorder("http://127.0.0.1:9/scim/v2", tmp_path / "r.yaml")
    answer = Client(recorder).get("/scim/v2/Users", environ_overrides={"RAW_URI": "/scim/v2/Users"})
    assert answer.status_code == 502
    assert json.loads(answer.data)["status"] == "502"


def test_the_upstream_is_reached_through_the_proxy_with_the_extra_headers(
    tmp_path: Path,
) -> None:
    """``record --proxy URL --header …``: each forwarded request goes through the proxy and
    carries the extra headers, replacing the client's own of the same name (issue 17 §2)."""
    from scimcheck.http.extra_headers import ExtraHeader
    from support.forward_proxy import forward_proxy

    with ReferenceServer(token="record-proxy-token-0001") as upstream, \
            forward_proxy() as (proxy, seen):
        recorder = TrafficRecorder(upstream.base_url, tmp_path / "r.yaml", proxy=proxy,
                                   headers=(ExtraHeader("X-Tenant", "t1"),))
        answer = Client(recorder).get("/scim/v2/Users", headers={
            "Authorization": "Bearer record-proxy-token-0001", "x-tenant": "client's"})
    assert answer.status_code == 200
    assert [method for method, _ in seen.forwarded] == ["GET"]
    assert [v for k, v in seen.headers[0].items() if k.lower() == "x-tenant"] == ["t1"]
