"""OAuth 2.0 client credentials, judged end to end: the reference server's token endpoint
passes every OAuth check, each broken OAuth variant fails exactly its own (support.variant_map
OAUTH), and a run without client credentials leaves them not evaluated, never passed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, RunSuites, failed_checks
from support.variant_map import OAUTH, OAUTH_LIFETIME_S, OAUTH_ONLY_CHECKS

ONLY_OAUTH = ("-k", "oauth")
"""The OAuth suite alone (suites/test_oauth.py): the other checks are proven without OAuth."""


@pytest.fixture
def oauth_server() -> Iterator[type[ReferenceServer]]:
    started: list[ReferenceServer] = []

    def start(variant: str | None = None, lifetime_s: float = 3600) -> ReferenceServer:
        server = ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN, variant=variant,
                                 oauth=True, oauth_lifetime_s=lifetime_s)
        started.append(server.start())
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.stop()


def _oauth_args(server: ReferenceServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    assert server.issuer is not None
    monkeypatch.setenv("SCIM_CLIENT_SECRET", server.issuer.client_secret)
    return ("--scim-oauth-token-url", server.token_url,
            "--scim-client-id", server.issuer.client_id)


def _outcomes(document: dict[str, object]) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in document["checks"]  # type: ignore[attr-defined]
            if c["id"] in OAUTH_ONLY_CHECKS}


def test_the_oauth_reference_passes_every_check(
    oauth_server: type[ReferenceServer], run_suites: RunSuites, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every suite, with access tokens instead of the bearer token; a token living an hour is
    not waited out."""
    server = oauth_server()
    document = run_suites(server.base_url, *_oauth_args(server, monkeypatch))
    assert failed_checks(document) == set(), document["_stdout"]
    assert document["verdict"] == "pass"
    outcomes = _outcomes(document)
    assert outcomes.pop("auth.oauth.expired-token-refused") == "skipped"
    assert set(outcomes.values()) == {"passed"}, outcomes


def test_a_short_lived_token_is_refused_once_expired(
    oauth_server: type[ReferenceServer], run_suites: RunSuites, monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = oauth_server(lifetime_s=2)
    document = run_suites(server.base_url, *_oauth_args(server, monkeypatch), *ONLY_OAUTH)
    assert failed_checks(document) == {"auth.oauth.token-lifetime"}, document["_stdout"]
    assert _outcomes(document)["auth.oauth.expired-token-refused"] == "passed"


@pytest.mark.parametrize("variant", sorted(OAUTH))
def test_oauth_variant_fails_exactly_its_checks(
    variant: str, oauth_server: type[ReferenceServer], run_suites: RunSuites,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = oauth_server(variant, OAUTH_LIFETIME_S.get(variant, 3600))
    document = run_suites(server.base_url, *_oauth_args(server, monkeypatch), *ONLY_OAUTH)
    assert failed_checks(document) == OAUTH[variant], document["_stdout"]


def test_without_client_credentials_the_oauth_checks_are_not_evaluated(
    reference_server: ReferenceServer, run_suites: RunSuites,
) -> None:
    document = run_suites(reference_server.base_url, *ONLY_OAUTH)
    entries = [c for c in document["checks"] if c["id"] in OAUTH_ONLY_CHECKS]
    assert {c["outcome"] for c in entries} == {"skipped"}
    assert all("no OAuth client credentials" in c["message"] for c in entries), entries
