"""HTTP behaviour of the reference app (RFC 7644 §3; Entra requirements, docs/entra.md §1-2)."""

from __future__ import annotations

from typing import Any

import pytest

from server.scim_client import (
    ADSCIM,
    ENTERPRISE,
    ENTRA_CONTENT_TYPE,
    GROUP_SCHEMA,
    LIST_SCHEMA,
    USER_SCHEMA,
    Scim,
    assert_error,
    body_of,
)

ENTRA_USER = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa@testuser.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_11bb@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName",
             "givenName": "givenName"},
    "roles": [],
    ENTERPRISE: {"department": "Sales"},
}


def test_entra_create_user(api: Scim) -> None:
    """Entra's POST (S1): 201, Location = meta.location, client meta/id ignored (D21, D22)."""
    response = api.post("/Users", {**ENTRA_USER, "id": "client-id", "password": "Secr3t!"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE
    user = body_of(response)
    assert response.headers["Location"] == user["meta"]["location"]
    assert user["meta"]["location"] == f"http://localhost/scim/v2/Users/{user['id']}"
    assert user["id"] != "client-id" and len(user["id"]) == 36
    assert user["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert "password" not in user
    for key in ("externalId", "userName", "active", "emails", "name", ENTERPRISE):
        assert user[key] == ENTRA_USER[key]
    meta = user["meta"]
    assert meta["resourceType"] == "User"
    assert meta["created"] == meta["lastModified"] and meta["created"].endswith("Z")
    assert meta["version"].startswith('W/"')
    assert api.user(user["id"]) == user


def test_create_defaults_and_coercion(api: Scim) -> None:
    user = api.create_user("plain@example.com")
    assert user["active"] is True  # defaults to true (S1)
    user = api.create_user("stringly@example.com", active="False")  # S10 sends strings
    assert user["active"] is False
    user = api.create_user("caps@example.com", ACTIVE="True", DisplayName="Caps")
    assert user["active"] is True and user["displayName"] == "Caps"


def test_values_stored_exactly_as_sent(api: Scim) -> None:
    """No trimming or reformatting (Entra S1, D28)."""
    phones = [{"type": "work", "value": "55555555555"}]
    user = api.create_user("  Spaced.Name@Example.COM ", phoneNumbers=phones,
                           displayName="ÅSA  Öberg", custom={"kept": [1, 2]})
    stored = api.user(user["id"])
    assert stored["userName"] == "  Spaced.Name@Example.COM "
    assert stored["phoneNumbers"] == phones
    assert stored["displayName"] == "ÅSA  Öberg"
    assert stored["custom"] == {"kept": [1, 2]}


def test_entra_create_group_with_adscim_schema(api: Scim) -> None:
    body = {"schemas": [GROUP_SCHEMA, ADSCIM], "externalId": "8aa1a0c0", "displayName": "Group",
            "meta": {"resourceType": "Group"}, "members": []}
    response = api.post("/Groups", body)
    assert response.status_code == 201
    group = body_of(response)
    assert group["schemas"] == [GROUP_SCHEMA]
    assert group["displayName"] == "Group" and group["externalId"] == "8aa1a0c0"
    assert "members" not in group or group["members"] == []
    assert response.headers["Location"] == group["meta"]["location"]


@pytest.mark.parametrize(
    "content_type",
    [ENTRA_CONTENT_TYPE, "application/scim+json", "application/json",
     "application/json; charset=utf-8", None],
)
def test_request_content_types(api: Scim, content_type: str | None) -> None:
    response = api.post("/Users", {"userName": f"ct-{content_type}"}, content_type=content_type)
    assert response.status_code == 201, body_of(response)


@pytest.mark.parametrize(
    ("data", "detail"),
    [(b"{not json", "not valid JSON"), (b"", "empty"), (b"[1, 2]", "JSON object"),
     (b"\xff\xfe\x00", "JSON")],
)
def test_bodies_that_are_not_json_objects(api: Scim, data: bytes, detail: str) -> None:
    response = api.request("POST", "/Users", data=data)
    assert_error(response, 400, "invalidSyntax")
    assert detail in body_of(response)["detail"]


def test_get_without_accept_and_with_odd_accept(api: Scim) -> None:
    user = api.create_user("accept@example.com")
    for headers in ({}, {"Accept": "text/html"}, {"Accept": "*/*"}):
        response = api.get(f"/Users/{user['id']}", headers=headers)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE


def test_required_attributes(api: Scim) -> None:
    assert_error(api.post("/Users", {"schemas": [USER_SCHEMA]}), 400, "invalidValue")
    assert_error(api.post("/Users", {"userName": ""}), 400, "invalidValue")
    assert_error(api.post("/Groups", {"schemas": [GROUP_SCHEMA]}), 400, "invalidValue")
    assert_error(api.post("/Users", {"userName": "x", "active": "maybe"}), 400, "invalidValue")
    assert_error(api.post("/Users", {"userName": "x", "emails": {"value": "a"}}), 400,
                 "invalidValue")
    assert_error(api.post("/Users", {"userName": "x", "schemas": "nope"}), 400, "invalidSyntax")


def test_authentication() -> None:
    api = Scim(token="s3cret")
    for token in (None, "wrong", "s3cret-but-longer"):
        response = api.get("/Users", token=token)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/Users", token=None, headers={"Authorization": "Basic czNjcmV0"})
    assert_error(response, 401)
    assert api.get("/Users").status_code == 200
    assert api.get("/Users", token=None,
                   headers={"Authorization": "bearer s3cret"}).status_code == 200
    assert Scim(token=None).get("/Users", token=None).status_code == 200  # no token configured


def test_not_found_and_method_not_allowed(api: Scim) -> None:
    assert_error(api.get("/Users/00000000-0000-0000-0000-000000000000"), 404)
    assert_error(api.get("/Groups/nope"), 404)
    assert_error(api.delete("/Users/nope"), 404)
    assert_error(api.put("/Users/nope", {"userName": "x"}), 404)
    assert_error(api.get("/Nothing"), 404)
    assert_error(api.get("/scim/v3/Users"), 404)
    response = api.request("DELETE", "/Users")
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert_error(api.request("PATCH", "/ServiceProviderConfig", {}), 405)


def test_large_bodies_are_413(api: Scim) -> None:
    big = {"userName": "big", "description": "x" * (1024 * 1024)}
    assert_error(api.post("/Users", big), 413)


def test_head_requests(api: Scim) -> None:
    user = api.create_user("head@example.com")
    response = api.request("HEAD", f"/Users/{user['id']}")
    assert response.status_code == 200 and response.get_data() == b""
    assert api.request("HEAD", "/Users").status_code == 200


def test_slashes_are_tolerated(api: Scim) -> None:
    assert api.get("/scim/v2/Users/").status_code == 200
    assert api.get("/scim/v2//Users").status_code == 200


def test_delete(api: Scim) -> None:
    user = api.create_user("gone@example.com")
    response = api.delete(f"/Users/{user['id']}")
    assert response.status_code == 204
    assert response.get_data() == b"" and "Content-Type" not in response.headers
    assert_error(api.get(f"/Users/{user['id']}"), 404)
    assert_error(api.delete(f"/Users/{user['id']}"), 404)
    assert_error(api.patch(f"/Users/{user['id']}", [{"op": "remove", "path": "title"}]), 404)
    group = api.create_group("Doomed")
    assert api.delete(f"/Groups/{group['id']}").status_code == 204
    assert_error(api.get(f"/Groups/{group['id']}"), 404)


def test_deleting_a_user_removes_its_memberships(api: Scim) -> None:
    keep, drop = api.create_user("keep@example.com"), api.create_user("drop@example.com")
    group = api.create_group("Members", members=[keep["id"], drop["id"]])
    api.delete(f"/Users/{drop['id']}")
    assert [m["value"] for m in api.group(group["id"])["members"]] == [keep["id"]]
    assert_error(api.post("/Groups", {"displayName": "Bad", "members": [{"value": "x"}]}), 400,
                 "invalidValue")


def test_put_replaces(api: Scim) -> None:
    user = api.create_user("put@example.com", title="Old", displayName="D")
    response = api.put(f"/Users/{user['id']}",
                       {"schemas": [USER_SCHEMA], "id": "ignored", "userName": "put@example.com",
                        "nickName": "N", "active": "False"})
    assert response.status_code == 200
    stored = api.user(user["id"])
    assert stored["id"] == user["id"] and stored["meta"]["created"] == user["meta"]["created"]
    assert stored["nickName"] == "N" and stored["active"] is False
    assert "title" not in stored and "displayName" not in stored
    assert stored["meta"]["version"] != user["meta"]["version"]


def test_uniqueness_is_case_insensitive(api: Scim) -> None:
    api.create_user("Alice@Example.com")
    assert_error(api.post("/Users", {"userName": "alice@example.COM"}), 409, "uniqueness")
    other = api.create_user("bob@example.com")
    assert_error(api.put(f"/Users/{other['id']}", {"userName": "ALICE@example.com"}), 409,
                 "uniqueness")
    api.create_group("Sales")
    assert_error(api.post("/Groups", {"displayName": "SALES"}), 409, "uniqueness")


def _ids(response: Any) -> list[str]:
    return [r["id"] for r in body_of(response)["Resources"]]


def test_no_match_is_an_empty_list(api: Scim) -> None:
    """Test Connection's random-GUID probe (S1, D6): 200 + empty ListResponse, never 404."""
    response = api.filter_users('userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a"')
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE
    assert body_of(response) == {"schemas": [LIST_SCHEMA], "totalResults": 0, "itemsPerPage": 0,
                                 "startIndex": 1, "Resources": []}
    response = api.get("/Groups", query={"excludedAttributes": "members",
                                         "filter": 'displayName eq "nothing"'})
    assert body_of(response)["Resources"] == []


def test_filters_over_http(api: Scim) -> None:
    user = api.create_user("Filter.Me@Example.com", externalId="Ext-9",
                           emails=[{"type": "work", "value": "fm@work.example"}])
    api.create_user("other@example.com")
    for text in ('userName eq "filter.me@example.com"', 'externalId eq "Ext-9"',
                 'emails[type eq "work"].value eq "FM@work.example"',
                 f'id eq "{user["id"]}"', 'userName sw "F" and not (userName ew ".org")'):
        assert _ids(api.filter_users(text)) == [user["id"]], text
    assert _ids(api.filter_users('externalId eq "ext-9"')) == []  # externalId is caseExact
    assert_error(api.filter_users("userName eq unquoted"), 400, "invalidFilter")
    assert_error(api.filter_users("active gt true"), 400, "invalidFilter")
    response = api.post("/Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "FILTER.ME@example.com"', "attributes": ["userName"]})
    assert body_of(response)["Resources"] == [
        {"schemas": user["schemas"], "id": user["id"], "userName": "Filter.Me@Example.com"}]


def test_pagination(api: Scim) -> None:
    ids = [api.create_user(f"page{n:02}@example.com")["id"] for n in range(12)]

    def page(**query: Any) -> dict[str, Any]:
        response = api.get("/Users", query=query)
        assert response.status_code == 200
        found: dict[str, Any] = body_of(response)
        return found

    first = page(startIndex=1, count=5)
    assert (first["totalResults"], first["itemsPerPage"], first["startIndex"]) == (12, 5, 1)
    assert [r["id"] for r in first["Resources"]] == ids[:5]
    collected = []
    for start in (1, 6, 11):
        body = page(startIndex=start, count=5)
        assert body["startIndex"] == start
        collected += [r["id"] for r in body["Resources"]]
    assert collected == ids  # creation order, no gaps or repeats
    assert page(startIndex=0, count=2)["startIndex"] == 1
    assert page(startIndex=-5, count=2)["Resources"][0]["id"] == ids[0]
    assert page(count=-1)["Resources"] == [] and page(count=-1)["totalResults"] == 12
    assert page(count=0)["itemsPerPage"] == 0
    assert page(startIndex=13)["Resources"] == []
    assert len(page()["Resources"]) == 12
    assert_error(api.get("/Users", query={"startIndex": "one"}), 400, "invalidValue")


def test_count_is_capped_at_max_results(api: Scim) -> None:
    for n in range(205):
        api.create_user(f"cap{n}@example.com")
    body = body_of(api.get("/Users", query={"count": 1000}))
    assert body["totalResults"] == 205 and body["itemsPerPage"] == 200


def test_attributes_and_excluded_attributes(api: Scim) -> None:
    user = api.create_user("proj@example.com", displayName="P", name={"givenName": "G",
                           "familyName": "F"}, emails=[{"type": "work", "value": "p@x"}],
                           **{ENTERPRISE: {"department": "D", "costCenter": "C"}})
    path = f"/Users/{user['id']}"
    got = body_of(api.get(path, query={"attributes": "userName,name.givenName"}))
    assert got == {"schemas": user["schemas"], "id": user["id"], "userName": "proj@example.com",
                   "name": {"givenName": "G"}}
    got = body_of(api.get(path, query={"attributes": f"{ENTERPRISE}:department,emails.value"}))
    assert got[ENTERPRISE] == {"department": "D"} and got["emails"] == [{"value": "p@x"}]
    got = body_of(api.get(path, query={"attributes": "ID,Schemas"}))
    assert got == {"schemas": user["schemas"], "id": user["id"]}
    got = body_of(api.get(path, query={"attributes": ENTERPRISE}))
    assert got[ENTERPRISE] == user[ENTERPRISE]
    got = body_of(api.get(path, query={"excludedAttributes": "id,schemas,meta,NAME.familyName"}))
    assert got["id"] == user["id"] and got["schemas"] == user["schemas"]
    assert "meta" not in got and got["name"] == {"givenName": "G"}
    got = body_of(api.get(path, query={"excludedAttributes": f"{ENTERPRISE}:department"}))
    assert got[ENTERPRISE] == {"costCenter": "C"}
    listed = body_of(api.get("/Users", query={"attributes": "userName"}))["Resources"]
    assert listed == [{"schemas": user["schemas"], "id": user["id"],
                       "userName": "proj@example.com"}]


def test_excluded_members_on_groups(api: Scim) -> None:
    """Entra reads groups with ``excludedAttributes=members`` (S1, D23)."""
    member = api.create_user("member@example.com")
    group = api.create_group("Big", members=[member["id"]])
    query = {"excludedAttributes": "members", "filter": 'displayName eq "big"'}
    listed = body_of(api.get("/Groups", query=query))["Resources"]
    assert [g["id"] for g in listed] == [group["id"]]
    assert "members" not in listed[0] and listed[0]["displayName"] == "Big"
    single = body_of(api.get(f"/Groups/{group['id']}", query={"excludedAttributes": "members"}))
    assert "members" not in single and single["id"] == group["id"]
    assert api.group(group["id"])["members"][0]["value"] == member["id"]


def test_meta_last_modified_moves(api: Scim) -> None:
    user = api.create_user("meta@example.com")
    api.patch(f"/Users/{user['id']}", [{"op": "add", "path": "title", "value": "T"}])
    after = api.user(user["id"])["meta"]
    assert after["created"] == user["meta"]["created"]
    assert after["lastModified"] >= user["meta"]["lastModified"]
    assert after["version"] != user["meta"]["version"]


def test_service_provider_config(api: Scim) -> None:
    response = api.get("/ServiceProviderConfig")
    assert response.status_code == 200
    spc = body_of(response)
    assert spc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert spc["patch"] == {"supported": True}
    assert spc["filter"] == {"supported": True, "maxResults": 200}
    assert spc["bulk"]["supported"] is False
    for feature in ("sort", "etag", "changePassword"):
        assert spc[feature] == {"supported": False}
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_schemas_and_resource_types(api: Scim) -> None:
    listed = body_of(api.get("/Schemas"))
    assert listed["schemas"] == [LIST_SCHEMA]
    assert listed["totalResults"] == 3 == len(listed["Resources"])
    by_id = {s["id"]: s for s in listed["Resources"]}
    assert set(by_id) == {USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA}
    user_attrs = {a["name"]: a for a in by_id[USER_SCHEMA]["attributes"]}
    assert user_attrs["userName"]["uniqueness"] == "server"
    assert user_attrs["userName"]["required"] is True
    assert user_attrs["userName"]["caseExact"] is False
    assert user_attrs["password"]["returned"] == "never"
    assert user_attrs["password"]["mutability"] == "writeOnly"
    emails = {a["name"]: a for a in user_attrs["emails"]["subAttributes"]}
    assert emails["type"]["canonicalValues"] == ["work", "home", "other"]
    manager = next(a for a in by_id[ENTERPRISE]["attributes"] if a["name"] == "manager")
    assert {a["name"] for a in manager["subAttributes"]} == {"value", "$ref", "displayName"}
    single = body_of(api.get(f"/Schemas/{ENTERPRISE}"))
    assert single == by_id[ENTERPRISE]
    assert_error(api.get("/Schemas/urn:nope"), 404)

    types = body_of(api.get("/ResourceTypes"))
    assert types["schemas"] == [LIST_SCHEMA] and types["totalResults"] == 2
    user_type = body_of(api.get("/ResourceTypes/User"))
    assert user_type["endpoint"] == "/Users" and user_type["schema"] == USER_SCHEMA
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert body_of(api.get("/ResourceTypes/Group"))["schema"] == GROUP_SCHEMA
    assert_error(api.get("/ResourceTypes/Device"), 404)
