"""scimcheck changes and deletes only what this run created (issue 6 §1).

The ledger's rules one by one, then a whole run against an endpoint that answers every user
create with the oldest account it holds (a real upsert bug): the pre-existing account must come
out untouched, every PATCH/DELETE aimed at it refused unsent, and the users scimcheck really
created must still be found and deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from conftest import TEST_TOKEN, RunSuites

from scimcheck.ownership import Ledger, resource_key
from scimcheck.sequence import Sequence
from scimcheck.server import ReferenceServer
from scimcheck.server.app import create_app
from scimcheck.server.faults import Faults
from scimcheck.transport import Transport, TransportConfig

TAG = "scimcheck-0badcafe"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _created(ledger: Ledger, sent: str, answered: str | None, rid: str = "u1") -> None:
    answer: dict[str, str] = {"id": rid}
    if answered is not None:
        answer["userName"] = answered
    ledger.learn("POST", "/Users", {"userName": sent}, 201, answer)


def test_only_tagged_creates_confirmed_by_the_answer_are_owned() -> None:
    ledger = Ledger(TAG)
    _created(ledger, f"{TAG}-1-ann@example.com", f"{TAG}-1-ann@example.com", "mine")
    _created(ledger, f"{TAG}-2-bob@example.com", None, "no-name-in-answer")
    _created(ledger, f"{TAG}-3-cy@example.com", "ceo@corp.example", "someone-elses")
    _created(ledger, "ceo@corp.example", "ceo@corp.example", "untagged")
    ledger.learn("POST", "/Users", {"userName": f"{TAG}-4@x"}, 409, {"id": "refused"})
    assert ledger.owned_paths() == ["/Users/mine", "/Users/no-name-in-answer"]
    assert ledger.refusal("PATCH", "/Users/mine") is None
    assert ledger.refusal("GET", "/Users/someone-elses") is None
    for method, path in [("PATCH", "/Users/someone-elses"), ("DELETE", "/Users/untagged"),
                         ("PUT", "/Users/refused"), ("DELETE", "/Users"),
                         ("DELETE", "/Groups/mine"), ("PATCH", "/ServiceProviderConfig")]:
        assert "refused to send" in (ledger.refusal(method, path) or ""), (method, path)


def test_a_delete_gives_the_resource_up_and_claims_need_the_tag() -> None:
    ledger = Ledger(TAG)
    _created(ledger, f"{TAG}-1@x", f"{TAG}-1@x", "a%2Fb")
    assert ledger.owns("/Users/a%252Fb") and resource_key("/Users/a%252Fb") == ("/Users", "a%2Fb")
    ledger.learn("DELETE", "/Users/a%252Fb", None, 204, None)
    assert not ledger.owns("/Users/a%252Fb")
    assert not ledger.claim("/Users/x", "scimcheck-fan@example.com")
    assert not ledger.claim("/Users/x", "scimcheck-12345678-other-run@example.com")
    assert ledger.claim("/Users/x", f"{TAG.upper()}-lost@example.com")
    assert ledger.owns("/Users/x")


def test_an_endpoint_answering_with_another_account_never_gets_it_changed(
    run_suites: RunSuites, tmp_path: Path
) -> None:
    with ReferenceServer(token=TEST_TOKEN, variant="create-answers-oldest-user") as server:
        auth = {"Authorization": f"Bearer {TEST_TOKEN}"}
        url = server.base_url + "/Users"
        foreign = requests.post(url, json={"schemas": [USER], "userName": "ceo@corp.example",
                                           "displayName": "The CEO", "active": True},
                                headers=auth, timeout=10).json()
        before = requests.get(f"{url}/{foreign['id']}", headers=auth, timeout=10).json()
        document = run_suites(server.base_url, "-k", "lifecycle or groups-membership")
        after = requests.get(f"{url}/{foreign['id']}", headers=auth, timeout=10).json()
        left = requests.get(url, params={"filter": 'userName sw "scimcheck-"'}, headers=auth,
                            timeout=10).json()
    assert after == before
    assert left["totalResults"] == 0, [u["userName"] for u in left["Resources"]]
    assert "refused to send" in json.dumps(document)


def _failing_deletes(app: Any, failures: int) -> Any:
    """``app`` answering the first ``failures`` DELETEs with 500."""
    left = [failures]

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "DELETE" and left[0] > 0:
            left[0] -= 1
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"try again"]
        return app(environ, start_response)

    return wrapped


def _sequence(url: str) -> Sequence:
    transport = Transport(TransportConfig(url, TEST_TOKEN, owner_tag=TAG))
    return Sequence(transport, dialect=None, strict=False)


def test_cleanup_sends_a_delete_again_after_a_5xx() -> None:
    app = _failing_deletes(create_app(token=TEST_TOKEN), failures=2)
    with ReferenceServer(token=TEST_TOKEN, app=app) as server:
        scim = _sequence(server.base_url)
        made = scim.send("POST", "/Users", body={"schemas": [USER], "userName": f"{TAG}-r@x"})
        scim.created(f"/Users/{made.json()['id']}", "a user")
        assert scim.cleanup() == []
        assert scim.transport.send("GET", f"/Users/{made.json()['id']}").status == 404


def test_a_lost_create_that_cannot_be_looked_up_is_reported() -> None:
    faults = Faults(rate=1.0, kinds=("status",), stages=("after",), skip_first=0)
    with ReferenceServer(token=TEST_TOKEN, faults=faults) as server:
        scim = _sequence(server.base_url)
        scim.send("POST", "/Users", body={"schemas": [USER], "userName": f"{TAG}-lost@x"})
        problems = scim.cleanup()
    assert len(problems) == 1 and "could not look for" in problems[0]


def test_the_summary_says_how_to_remove_what_cleanup_could_not(run_suites: RunSuites) -> None:
    app = _failing_deletes(create_app(token=TEST_TOKEN), failures=10**6)
    with ReferenceServer(token=TEST_TOKEN, app=app) as server:
        url = server.base_url
        document = run_suites(url, "-k", "create-minimal-user")
    assert "may be left on the endpoint" in document["_stdout"]
    assert f"scimcheck cleanup {url} --run-id {document['run_id']}" in document["_stdout"]
