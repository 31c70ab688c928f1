"""``--profile auto`` replays what the endpoint's /Schemas declares (issue 14 §1).

The chosen mapping is the minimum (entra-app) plus each attribute of Entra's default mapping
(entra-default) that /Schemas declares; the report says which and why. A missing or unusable
/Schemas falls back to the minimum mapping with a warning.
"""

from __future__ import annotations

from typing import Any

from scimcheck.scim import auto_profile, profiles
from scimcheck.server import ReferenceServer
from support.harness import RunSuites

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MINIMUM = profiles.load("entra-app").users.attributes


def _schemas(user_attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Resources": [{"id": USER, "attributes": user_attributes}]}


def test_only_declared_attributes_of_the_default_mapping_are_chosen() -> None:
    body = _schemas([
        {"name": "userName"}, {"name": "active"}, {"name": "displayName"},
        {"name": "name", "subAttributes": [{"name": "givenName"}, {"name": "familyName"}]},
        {"name": "emails", "subAttributes": [{"name": "value"}, {"name": "type"}]},
    ])
    profile = auto_profile.choose(body, "GET /Schemas → 200")
    chosen = profile.users.attributes
    assert chosen[:len(MINIMUM)] == MINIMUM
    assert set(chosen) - set(MINIMUM) == {'emails[type eq "work"].value', "externalId"}
    assert "title" in profile.description and "left out, not declared" in profile.description
    assert f"{ENTERPRISE}:department" not in chosen


def test_a_declared_extension_attribute_is_chosen() -> None:
    body = _schemas([{"name": "userName"}])
    body["Resources"].append({"id": ENTERPRISE, "attributes": [{"name": "department"}]})
    chosen = auto_profile.choose(body, "GET /Schemas → 200").users.attributes
    assert f"{ENTERPRISE}:department" in chosen
    assert f"{ENTERPRISE}:manager" not in chosen


def test_a_missing_or_unusable_schemas_falls_back_to_the_minimum_with_a_warning() -> None:
    for body in (None, {"detail": "not found"}, [], {"Resources": [{"id": 3}]}):
        profile = auto_profile.choose(body, "GET /Schemas → 404")
        assert profile.users.attributes == MINIMUM
        assert profile.description.startswith("warning: /Schemas is missing or unusable")
        assert "404" in profile.description


def test_auto_on_the_reference_server_judges_the_default_mapping(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "--scim-profile", "auto")
    assert document["verdict"] == "pass", document["_stdout"]
    assert document["scope"]["profile"] == "auto"
    assert "/Schemas declares" in document["scope"]["chosen"]
    assert "profile auto: the minimum mapping (entra-app) plus" in document["_stdout"]
    unjudged = {item["id"] for item in document["not_judged"]}
    # the reference server declares the whole default mapping: its checks are judged
    assert "filter.finds-user-by-externalid" not in unjudged
    assert "user.update.filtered-path" not in unjudged
