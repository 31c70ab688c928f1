"""scimcheck changes and deletes only what this run created (issue 6 §1).

The ledger's rules one by one, then a whole run against an endpoint that answers every user
create with the oldest account it holds (a real upsert bug): the pre-existing account must come
out untouched, every PATCH/DELETE aimed at it refused unsent, and the users scimcheck really
created must still be found and deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests
from conftest import TEST_TOKEN, RunSuites

from scimcheck.ownership import Ledger, resource_key
from scimcheck.server import ReferenceServer

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
