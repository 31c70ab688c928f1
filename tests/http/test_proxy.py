"""The transport sends through requests as requests users expect: ``HTTP_PROXY``/``HTTPS_PROXY``
and ``NO_PROXY`` from the environment, ``--proxy`` over them, ``REQUESTS_CA_BUNDLE`` unless
``--ca-bundle``/``--insecure`` says otherwise; and through a proxy it keeps its guarantees
(Entra's exact headers, the deadline watching the connection, the proxy password redacted).
A real forwarding proxy on loopback (tests/support/forward_proxy.py) counts what passes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from scimcheck.http import deadlines, pools, redaction
from scimcheck.http.forwarder import Forwarder
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.server import ReferenceServer
from support.forward_proxy import forward_proxy
from support.harness import TEST_TOKEN

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                    "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN) as reference:
        yield reference


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _three_requests(base_url: str, **config: Any) -> list[int | None]:
    with Transport(TransportConfig(base_url, TEST_TOKEN, **config)) as transport:
        return [transport.send("GET", "/Users").status,
                transport.send("GET", "/Groups").status,
                transport.send("DELETE", "/Users/nobody").status]


def test_http_proxy_from_the_environment_carries_every_request(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests sends a request for 127.0.0.1 through HTTP_PROXY when NO_PROXY is unset."""
    with forward_proxy() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        assert _three_requests(server.base_url) == [200, 200, 404]
    assert [method for method, _ in seen.forwarded] == ["GET", "GET", "DELETE"]
    assert seen.forwarded[0][1] == server.base_url + "/Users"


def test_through_a_proxy_the_wire_carries_only_entras_headers(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No User-Agent, Accept, Accept-Encoding or Connection added by requests or urllib3."""
    with forward_proxy() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        with Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
            transport.send("GET", "/Users")
            transport.send("PATCH", "/Users/x", body={"schemas": []})
    get, patch = ({k.lower() for k in headers} for headers in seen.headers)
    assert get == {"host", "authorization"}
    assert patch == {"host", "authorization", "content-type", "content-length"}


def test_no_proxy_covering_the_target_sends_nothing_through_it(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert _three_requests(server.base_url) == [200, 200, 404]
    assert seen.forwarded == []


def test_the_proxy_option_overrides_the_environment(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_dead_port()}")
    with forward_proxy() as (proxy, seen):
        assert _three_requests(server.base_url, proxy=proxy) == [200, 200, 404]
    assert len(seen.forwarded) == 3


def test_a_proxy_password_is_sent_to_the_proxy_and_never_recorded(
    server: ReferenceServer,
) -> None:
    password = "pr0xy-pa55-never-shown"
    with forward_proxy(credentials=f"alice:{password}") as (proxy, seen):
        with_credentials = proxy.replace("http://", f"http://alice:{password}@")
        with Transport(TransportConfig(server.base_url, TEST_TOKEN,
                                       proxy=with_credentials)) as transport:
            answered = transport.send("GET", "/Users")
        with Transport(TransportConfig(server.base_url, TEST_TOKEN,
                                       proxy=proxy)) as transport:
            refused = transport.send("GET", "/Users")
    assert answered.status == 200 and refused.status == 407
    assert len(seen.forwarded) == 1 and seen.refused == 1
    assert password not in json.dumps([answered.to_dict(), refused.to_dict()])


def test_an_unreachable_proxy_is_one_line_without_its_password() -> None:
    url = f"http://bob:hunter2-proxy@127.0.0.1:{_dead_port()}"
    with redaction.registered(*redaction.url_secrets(url)), \
            Transport(TransportConfig("http://127.0.0.1:9/scim", TEST_TOKEN, proxy=url)) as t:
        exchange = t.send("GET", "/Users")
        shown = redaction.redact(exchange.error or "")
    assert exchange.status is None and exchange.error is not None
    assert "proxy" in shown and "\n" not in shown and "hunter2-proxy" not in shown


def test_connections_through_a_proxy_are_watched_by_the_deadline(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    noted: list[Any] = []
    original = deadlines.note_connection
    monkeypatch.setattr(deadlines, "note_connection",
                        lambda connection: (noted.append(connection), original(connection)))
    with forward_proxy() as (proxy, _):
        _three_requests(server.base_url, proxy=proxy)
    proxy_port = int(proxy.rpartition(":")[2])
    assert [connection.port for connection in noted] == [proxy_port] * 3


def test_the_record_proxys_forwarder_uses_the_environment_too(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        answer = Forwarder().forward("GET", server.base_url + "/Users",
                                     {"Authorization": f"Bearer {TEST_TOKEN}"}, b"")
    assert answer.ok and len(seen.forwarded) == 1


# --- HTTPS: a CONNECT tunnel, and which CA bundle wins ------------------------------------------

def test_https_goes_through_a_connect_tunnel_trusting_requests_ca_bundle(
    https_server: ReferenceServer, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with forward_proxy() as (proxy, seen):
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_pem)
        assert _three_requests(https_server.base_url) == [200, 200, 404]
    assert seen.tunnels == [https_server.base_url.split("/")[2]]  # one kept-alive tunnel


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_ca_bundle_and_insecure_win_over_requests_ca_bundle(
    https_server: ReferenceServer, ca_pem: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    assert _three_requests(https_server.base_url, verify=ca_pem) == [200, 200, 404]
    assert _three_requests(https_server.base_url, verify=False) == [200, 200, 404]
    with Transport(TransportConfig(https_server.base_url, TEST_TOKEN)) as transport:
        refused = transport.send("GET", "/Users")
    assert refused.status is None and "not trusted" in (refused.error or "")


def test_the_environment_is_read_once_per_origin(
    server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests' merge of the environment (proxies, CA bundle) costs a scan of the environment:
    a transport does it once per origin, not per request."""
    merges: list[str] = []
    original = pools.requests.Session.merge_environment_settings

    def counting(self: Any, url: str, *args: Any) -> Any:
        merges.append(url)
        return original(self, url, *args)

    monkeypatch.setattr(pools.requests.Session, "merge_environment_settings", counting)
    _three_requests(server.base_url)
    assert len(merges) == 1


def test_the_tls12_probe_goes_through_the_proxys_tunnel(
    https_server: ReferenceServer, ca_pem: str
) -> None:
    """transport.tls12 makes Entra's handshake where the run's requests go: behind a proxy that
    is the only way out, so the probe tunnels through it (CONNECT, with the proxy's password)."""
    from scimcheck.http import tls

    with forward_proxy(credentials="alice:tunnel-pw") as (proxy, seen):
        with_password = proxy.replace("http://", "http://alice:tunnel-pw@")
        through = tls.probe_tls12(https_server.base_url, ca_pem, 10, with_password)
        refused = tls.probe_tls12(https_server.base_url, ca_pem, 10, proxy)
    assert through.ok, through.problem
    assert len(seen.tunnels) == 1 and seen.refused == 1
    assert refused.problem is not None and "proxy refused a tunnel" in refused.problem
    assert "407" in refused.problem and "\n" not in refused.problem
