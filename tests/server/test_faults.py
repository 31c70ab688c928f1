"""Fault injection: seeded 500s and connection resets, before or after the work, and the log."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
import requests

from scimcheck.server import ReferenceServer
from scimcheck.server.faults import Fault, Faults

TOKEN = "faults-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextlib.contextmanager
def _serve(faults: Faults) -> Iterator[tuple[ReferenceServer, requests.Session]]:
    with ReferenceServer(token=TOKEN, faults=faults) as server, requests.Session() as session:
        session.trust_env = False
        yield server, session


def _total(server: ReferenceServer, session: requests.Session) -> int:
    total: int = session.get(server.base_url + "/Users", headers=AUTH, timeout=5).json()[
        "totalResults"]
    return total


@pytest.mark.parametrize(("stage", "created"), [("before", 0), ("after", 1)])
def test_a_status_fault_answers_500_before_or_after_the_work(stage: str, created: int) -> None:
    faults = Faults(rate=1.0, kinds=("status",), stages=(stage,), skip_first=0)
    with _serve(faults) as (server, session):
        answer = session.post(server.base_url + "/Users", json={"userName": "a@example.com"},
                              headers=AUTH, timeout=5)
        assert answer.status_code == 500
        assert answer.headers["Content-Type"].startswith("application/scim+json")
        assert answer.json()["status"] == "500" and "injected fault" in answer.json()["detail"]
        faults.enabled = False
        assert _total(server, session) == created  # the same keep-alive connection still works
        assert [str(s.fault) for s in faults.seen] == [f"status-{stage}", "None"]


@pytest.mark.parametrize(("stage", "created"), [("before", 0), ("after", 1)])
def test_a_reset_fault_resets_the_connection(stage: str, created: int) -> None:
    faults = Faults(rate=1.0, kinds=("reset",), stages=(stage,), skip_first=0)
    with _serve(faults) as (server, session):
        with pytest.raises(requests.ConnectionError) as caught:
            session.post(server.base_url + "/Users", json={"userName": "a@example.com"},
                         headers=AUTH, timeout=5)
        assert isinstance(caught.value.args[0].args[1], ConnectionResetError)  # RST, not FIN
        faults.enabled = False
        assert _total(server, session) == created


def test_only_users_and_groups_are_faulted_and_the_first_requests_are_spared() -> None:
    faults = Faults(rate=1.0, skip_first=2)
    with _serve(faults) as (server, session):
        first = session.get(server.base_url + "/Users", headers=AUTH, timeout=5)
        assert first.status_code == 200  # spared: a client's preflight gets through
        for path in ("/ServiceProviderConfig", "/Schemas", "/ResourceTypes/User"):
            assert session.get(server.base_url + path, headers=AUTH, timeout=5).ok, path
        assert faults.seen[-1].fault is None and len(faults.injected()) == 0
        statuses = set()
        for _ in range(12):
            try:
                statuses.add(session.get(server.base_url + "/Groups", headers=AUTH,
                                         timeout=5).status_code)
            except requests.ConnectionError:
                statuses.add("reset")
        assert statuses == {500, "reset"}
        assert {str(s.fault) for s in faults.injected()} == {
            "status-before", "status-after", "reset-before", "reset-after"}


def test_the_choice_is_seeded_and_deterministic() -> None:
    def choices(seed: int) -> list[Fault | None]:
        faults = Faults(rate=0.3, seed=seed, skip_first=0)
        return [faults.decide("GET", f"/scim/v2/Users/{n}?x=1") for n in range(200)]

    first = choices(5)
    assert first == choices(5) and first != choices(6)
    assert 30 < sum(f is not None for f in first) < 90


def test_the_log_records_every_request_and_no_rate_injects_nothing() -> None:
    faults = Faults()
    with _serve(faults) as (server, session):
        created = session.post(server.base_url + "/Users", json={"userName": "b@example.com"},
                               headers=AUTH, timeout=5).json()
        user = f"{server.base_url}/Users/{created['id']}"
        session.patch(user, headers=AUTH, timeout=5, data=json.dumps({"Operations": [
            {"op": "replace", "path": "active", "value": False}]}))
        session.delete(user, headers=AUTH, timeout=5)
        session.get(server.base_url + "/Users", params={"filter": 'userName eq "b"'},
                    headers=AUTH, timeout=5)
        seen = faults.seen
        assert [(s.method, s.path.removeprefix("/scim/v2")) for s in faults.writes()] == [
            ("POST", "/Users"), ("PATCH", f"/Users/{created['id']}"),
            ("DELETE", f"/Users/{created['id']}"),
        ]
        assert seen[-1].query == "filter=userName+eq+%22b%22" and not seen[-1].write
        assert faults.count == 4 and faults.injected() == []


@pytest.mark.parametrize("bad", [
    {"rate": 1.5}, {"kinds": ("timeout",)}, {"stages": ()}, {"skip_first": -1},
])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Faults(**bad)  # type: ignore[arg-type]
