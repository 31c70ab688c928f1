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

import pytest
import requests
from werkzeug.test import Client

from scimcheck.http.transport import TransportConfig
from scimcheck.scim import ownership
from scimcheck.scim.ownership import Ledger, resource_key
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer
from scimcheck.server.app import BASE_PATH, ScimApp, create_app
from scimcheck.server.faults import Faults
from scimcheck.server.schema import GROUP_TYPE, USER_TYPE, ResourceType
from scimcheck.server.store import Store
from scimcheck.server.variant_switches import behaviour_for
from support.harness import TEST_TOKEN, RunSuites

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
    assert ledger.owned_paths() == ["/Users/mine"]
    assert ledger.refusal("PATCH", "/Users/mine") is None
    assert ledger.refusal("GET", "/Users/someone-elses") is None
    for method, path in [("PATCH", "/Users/someone-elses"), ("DELETE", "/Users/untagged"),
                         ("PUT", "/Users/refused"), ("DELETE", "/Users"),
                         ("DELETE", "/Groups/mine"), ("PATCH", "/ServiceProviderConfig"),
                         ("DELETE", "/Users/no-name-in-answer")]:
        assert "refused to send" in (ledger.refusal(method, path) or ""), (method, path)
    assert "answer names 'ceo@corp.example'" in (ledger.refusal("PATCH", "/Users/someone-elses")
                                                 or "")


def test_a_create_answered_with_an_id_but_no_name_is_owned_only_if_a_get_shows_it_is() -> None:
    ledger = Ledger(TAG)
    sent = {"userName": f"{TAG}-1@x"}
    lookup = ledger.learn("POST", "/Users", sent, 201, {"id": "victim"})
    assert lookup is not None and lookup.path == "/Users/victim" and not ledger.owns(lookup.path)
    assert not ledger.prove(lookup, 200, {"id": "victim", "userName": "ceo@corp.example"})
    refusal = ledger.refusal("DELETE", "/Users/victim") or ""
    assert "an id whose resource is not ours" in refusal and "ceo@corp.example" in refusal
    assert not ledger.claim("/Users/victim", f"{TAG}-1@x")  # once foreign, never ours
    for rid, status, shown in [("u2", 404, None),
                               ("u4", 200, {"id": "other", "userName": f"{TAG}-2@x"}),
                               ("u5", 200, {"id": "u5"})]:
        lookup = ledger.learn("POST", "/Users", {"userName": f"{TAG}-2@x"}, 201, {"id": rid})
        assert lookup is not None and not ledger.prove(lookup, status, shown)
    assert "a GET of it answered 404" in (ledger.refusal("PATCH", "/Users/u2") or "")
    lookup = ledger.learn("POST", "/Users", {"userName": f"{TAG}-3@x"}, 201, {"id": "u3"})
    assert lookup is not None and ledger.prove(lookup, 200, {"id": "u3", "userName": f"{TAG}-3@x"})
    assert ledger.owned_paths() == ["/Users/u3"]
    assert ledger.claim("/Users/u2", f"{TAG}-2@x")  # undecided, then found by name: ours
    assert len(ledger.defects) == 1 and "/Users/victim" in ledger.defects[0]


def test_two_creates_given_one_id_and_an_id_given_again_after_a_delete_are_defects() -> None:
    ledger = Ledger(TAG)
    _created(ledger, f"{TAG}-a@x", f"{TAG}-a@x", "same")
    _created(ledger, f"{TAG}-b@x", f"{TAG}-b@x", "same")
    assert not ledger.owns("/Users/same") and len(ledger.defects) == 1
    assert "two creates" in ledger.defects[0] and "RFC 7643 §3.1" in ledger.defects[0]
    assert "two creates" in (ledger.refusal("PATCH", "/Users/same") or "")
    assert ledger.revoked == [("/Users", f"{TAG}-a@x"), ("/Users", f"{TAG}-b@x")]
    assert ledger.accounted("/Users/same")
    assert ledger.claim("/Users/same", f"{TAG}-b@x")  # a GET showed whose it is: acted on once
    ledger.learn("DELETE", "/Users/same", None, 204, None)
    _created(ledger, f"{TAG}-c@x", f"{TAG}-c@x", "same")
    assert len(ledger.defects) == 2 and "already deleted" in ledger.defects[1]
    assert not ledger.owns("/Users/same") and not ledger.claim("/Users/same", f"{TAG}-c@x")
    assert "already deleted" in (ledger.refusal("DELETE", "/Users/same") or "")


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


def _tagged(store: Store, rtype: ResourceType, tag: str) -> list[str]:
    name = "userName" if rtype is USER_TYPE else "displayName"
    return [str(r.get(name)) for r in store.query(rtype)[1] if tag in str(r.get(name)).lower()]


@pytest.mark.parametrize(
    ("variant", "finding"),
    [
        ("create-answers-foreign-id", "an id whose resource is not ours"),
        ("create-answers-same-id", "resource.id-unique"),
        ("create-reuses-deleted-id", "resource.id-unique"),
    ],
)
def test_a_create_answered_with_a_wrong_id_never_changes_another_resource(
    variant: str, finding: str, run_suites: RunSuites
) -> None:
    """A victim that was on the endpoint before the run (the oldest user: the id the
    foreign-id variant hands back) comes out byte-identical; what the run made is all gone."""
    store = Store()
    seeding = Client(ScimApp(token=TEST_TOKEN, store=store))
    created = seeding.post(BASE_PATH + "/Users", headers={"Authorization": f"Bearer {TEST_TOKEN}"},
                           json={"schemas": [USER], "userName": "ceo@corp.example",
                                 "displayName": "The CEO", "active": True})
    victim = created.get_json()["id"]
    before = json.dumps(store.get(USER_TYPE, victim))
    app = ScimApp(token=TEST_TOKEN, behaviour=behaviour_for(variant), store=store)
    with ReferenceServer(app=app) as server:
        document = run_suites(server.base_url, "-k", "lifecycle or groups-membership or "
                                                      "pagination or create-minimal")
    tag = f"scimcheck-{document['run_id']}"
    assert json.dumps(store.get(USER_TYPE, victim)) == before
    assert _tagged(store, USER_TYPE, tag) == [] and _tagged(store, GROUP_TYPE, tag) == []
    assert finding in json.dumps(document)
    assert "may be left on the endpoint" not in document["_stdout"]


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
    transport = ownership.guarded(TransportConfig(url, TEST_TOKEN), TAG)
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
