"""The OAuth client (scimcheck.http.oauth) against the reference server's token endpoint on
loopback: the token is fetched once, refreshed before it expires, renewed once after a 401, and
a fresh token refused too is the endpoint's answer, not a loop. Clocks are the tests' own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scimcheck.http.oauth import REFRESH_MARGIN_S, OAuthClient
from scimcheck.http.oauth_grant import ClientCredentials, request_token
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.server import ReferenceServer
from scimcheck.server.app import create_app
from scimcheck.server.oauth import TokenIssuer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer(lifetime_s=3600, clock=Clock())


@pytest.fixture
def server(issuer: TokenIssuer) -> Iterator[ReferenceServer]:
    with ReferenceServer(app=create_app(issuer=issuer)) as running:
        yield running


def _credentials(server: ReferenceServer, issuer: TokenIssuer, **changes: str) -> \
        ClientCredentials:
    fields = {"token_url": server.token_url, "client_id": issuer.client_id,
              "client_secret": issuer.client_secret, **changes}
    return ClientCredentials(**fields)


def _transport(server: ReferenceServer, client: OAuthClient) -> Transport:
    return Transport(TransportConfig(server.base_url, auth=client))


@pytest.mark.parametrize("client_auth", ["basic", "post"])
def test_the_grant_by_basic_and_by_form_body(
    server: ReferenceServer, issuer: TokenIssuer, client_auth: str,
) -> None:
    answer = request_token(_credentials(server, issuer, client_auth=client_auth))
    assert answer.problem is None and answer.usable_token and answer.lifetime_s == 3600
    shown = answer.exchange
    assert issuer.client_secret not in repr(shown.to_dict())
    assert answer.usable_token not in repr(shown.to_dict())
    if client_auth == "basic":
        assert shown.request_headers["Authorization"] == "Basic <redacted>"
    else:
        assert "client_secret=<redacted>" in (shown.request_body or "")


def test_a_wrong_secret_is_a_problem_with_the_error_code(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    answer = request_token(_credentials(server, issuer), secret="wrong")
    assert answer.exchange.status == 401 and answer.error == "invalid_client"
    assert answer.usable_token is None and "invalid_client" in (answer.problem or "")


def test_the_token_is_fetched_once_and_refreshed_before_it_expires(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    clock = Clock()
    client = OAuthClient(_credentials(server, issuer), clock=clock)
    transport = _transport(server, client)
    for _ in range(3):
        assert transport.send("GET", "/Users").status == 200
    assert client.fetches == 1
    first = client.authorization()
    clock.now += 3600 - REFRESH_MARGIN_S - 1  # not yet within the margin
    assert client.authorization() == first and client.fetches == 1
    clock.now += 2  # within 60 s of expiry: a new token before the old one runs out
    assert transport.send("GET", "/Users").status == 200
    assert client.fetches == 2 and client.authorization() != first


def test_a_401_renews_the_token_once_and_the_request_is_sent_again(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    client = OAuthClient(_credentials(server, issuer), clock=Clock())
    transport = _transport(server, client)
    assert transport.send("GET", "/Users").status == 200
    issuer._expiry.clear()  # the endpoint forgets (revokes) every token it issued
    answer = transport.send("GET", "/Users", label="list")
    assert answer.status == 200 and client.fetches == 2
    assert [e.status for e in transport.exchanges] == [200, 401, 200]
    assert transport.exchanges[-1].label == "list (again, with a new access token)"


def test_a_fresh_token_refused_too_is_a_finding_not_a_loop() -> None:
    """Tokens the SCIM endpoint refuses from the start: one renewal, then the 401 stands, for
    this request and every later one."""
    refusing = TokenIssuer(lifetime_s=0, clock=Clock())  # every token expired when issued
    with ReferenceServer(app=create_app(issuer=refusing)) as other:
        client = OAuthClient(_credentials(other, refusing), clock=Clock())
        transport = _transport(other, client)
        assert transport.send("GET", "/Users").status == 401
        assert client.fetches == 2  # the first token, and one renewal after its 401
        assert transport.send("GET", "/Users").status == 401
        assert client.fetches == 2
        assert len(transport.exchanges) == 3


def test_a_deliberately_wrong_token_is_not_renewed(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    client = OAuthClient(_credentials(server, issuer), clock=Clock())
    transport = _transport(server, client)
    answer = transport.send("GET", "/Users", headers={"Authorization": "Bearer wrong"})
    assert answer.status == 401 and client.fetches == 1 and len(transport.exchanges) == 1


def test_a_shared_token_is_used_without_a_fetch(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    """pytest-xdist workers start with the token the run's first process fetched."""
    clock = Clock()
    first = OAuthClient(_credentials(server, issuer), clock=clock)
    assert first.authorization()
    shared = first.shared()
    assert shared is not None
    worker = OAuthClient(_credentials(server, issuer), clock=clock, shared=shared)
    assert _transport(server, worker).send("GET", "/Users").status == 200
    assert worker.fetches == 0 and worker.authorization() == first.authorization()


def test_the_static_bearer_token_is_never_renewed(server: ReferenceServer) -> None:
    transport = Transport(TransportConfig(server.base_url, token="not-a-token-it-issued"))
    assert transport.send("GET", "/Users").status == 401
    assert len(transport.exchanges) == 1


def test_the_token_request_goes_through_the_proxy_given(
    server: ReferenceServer, issuer: TokenIssuer,
) -> None:
    """``--proxy`` covers the token endpoint too: behind a corporate proxy the grant must leave
    the same way the SCIM requests do (issue 17 §2)."""
    from support.forward_proxy import forward_proxy

    with forward_proxy() as (proxy, seen):
        answer = request_token(_credentials(server, issuer, proxy=proxy))
    assert answer.problem is None and answer.usable_token
    assert seen.forwarded == [("POST", server.token_url)]


def test_the_proxy_option_reaches_the_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from scimcheck.settings.oauth import credentials

    monkeypatch.setenv("SCIM_CLIENT_SECRET", "s3cret-value")
    given = {"oauth_token_url": "https://login.example.com/token", "client_id": "ci",
             "proxy": "http://127.0.0.1:3128"}
    made = credentials(given, {"SCIM_CLIENT_SECRET": "s3cret-value"})
    assert made is not None and made.proxy == "http://127.0.0.1:3128"
