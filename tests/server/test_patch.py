"""PATCH in both Entra dialects (docs/entra.md §1.3-1.6, §3; RFC 7644 §3.5.2)."""

from __future__ import annotations

from typing import Any

import pytest

from server.scim_client import ENTERPRISE, Scim, assert_error, body_of


def _work_email(user: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in user.get("emails", []) if e.get("type") == "work"), None)


def test_legacy_dialect_update_disable_reenable(api: Scim) -> None:
    """Default Entra: capitalised ops, one Replace per path, "False"/"True" strings (S1, S2)."""
    user = api.create_user(
        "legacy@example.com",
        emails=[{"primary": True, "type": "work", "value": "old@example.com"}],
        name={"givenName": "Ann", "familyName": "Lee"},
    )
    path = f"/Users/{user['id']}"
    response = api.patch(path, [
        {"op": "Replace", "path": "displayName", "value": "Ann Lee"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Anne"},
        {"op": "Replace", "path": "name.familyName", "value": "Leigh"},
        {"op": "Replace", "path": "externalId", "value": "EXT-1"},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-42"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "R&D"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "Replace", "path": "userName", "value": "Legacy.Renamed@example.com"},
    ])
    assert response.status_code == 200, body_of(response)
    updated = body_of(response)
    assert updated == api.user(user["id"])
    assert updated["displayName"] == "Ann Lee"
    assert updated["emails"] == [{"primary": True, "type": "work", "value": "new@example.com"}]
    assert updated["name"] == {"givenName": "Anne", "familyName": "Leigh"}
    assert updated["externalId"] == "EXT-1"
    assert updated["nickName"] == "Babs"
    assert updated["userName"] == "Legacy.Renamed@example.com"
    assert updated[ENTERPRISE] == {"employeeNumber": "E-42", "department": "R&D"}
    assert ENTERPRISE in updated["schemas"]

    for text, expected in (("False", False), ("True", True), ("false", False), ("TRUE", True)):
        response = api.patch(path, [{"op": "Replace", "path": "active", "value": text}])
        assert response.status_code == 200
        assert api.user(user["id"])["active"] is expected
    # the disabled user is still found by filter (S1 soft-delete requirement)
    api.patch(path, [{"op": "Replace", "path": "active", "value": "False"}])
    found = body_of(api.filter_users('userName eq "legacy.renamed@example.com"'))
    assert [r["id"] for r in found["Resources"]] == [user["id"]]


def test_compliant_dialect_pathless_replace(api: Scim) -> None:
    """aadOptscim062020: lowercase ops, path-less replace with dotted and URN keys (S2, D11)."""
    user = api.create_user("compliant@example.com", active=True)
    path = f"/Users/{user['id']}"
    response = api.patch(path, [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "w@example.com"},
        {"op": "replace", "value": {
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            "name.familyName": "Unua",
            f"{ENTERPRISE}:employeeNumber": "Aklq",
            f"{ENTERPRISE.lower()}:DEPARTMENT": "Sales",
        }},
        {"op": "replace", "path": "active", "value": False},
    ])
    assert response.status_code == 200, body_of(response)
    stored = api.user(user["id"])
    assert stored["displayName"] == "Bjfe"
    assert stored["name"] == {"givenName": "Kkom", "familyName": "Unua"}
    assert stored[ENTERPRISE] == {"employeeNumber": "Aklq", "department": "Sales"}
    assert stored["emails"] == [{"type": "work", "value": "w@example.com"}]
    assert stored["active"] is False
    assert "name.givenName" not in stored


def test_pathless_add_with_nested_extension_object_and_simple_keys(api: Scim) -> None:
    user = api.create_user("nested@example.com")
    response = api.patch(f"/Users/{user['id']}", [{"op": "Add", "value": {
        "title": "Engineer",
        "name": {"givenName": "Nia"},
        ENTERPRISE: {"costCenter": "CC-1", "organization": "Org", "division": "Div"},
        "emails": [{"type": "home", "value": "h@example.com"}],
    }}])
    assert response.status_code == 200
    stored = api.user(user["id"])
    assert stored["title"] == "Engineer"
    assert stored["name"] == {"givenName": "Nia"}
    assert stored[ENTERPRISE] == {"costCenter": "CC-1", "organization": "Org", "division": "Div"}
    assert stored["emails"] == [{"type": "home", "value": "h@example.com"}]


def test_work_email_filter_creates_or_replaces_the_element(api: Scim) -> None:
    """``emails[type eq "work"].value`` creates the work email when absent (D10)."""
    user = api.create_user("mail@example.com", emails=[{"type": "home", "value": "h@x.com"}])
    path = f"/Users/{user['id']}"
    api.patch(path, [{"op": "Add", "path": 'emails[type eq "work"].value', "value": "w1@x.com"}])
    assert _work_email(api.user(user["id"])) == {"type": "work", "value": "w1@x.com"}
    api.patch(path, [{"op": "Replace", "path": 'emails[type eq "work"].primary',
                       "value": "True"}])
    api.patch(path, [{"op": "Replace", "path": 'EMAILS[TYPE EQ "WORK"].VALUE',
                       "value": "w2@x.com"}])
    stored = api.user(user["id"])
    assert _work_email(stored) == {"type": "work", "value": "w2@x.com", "primary": True}
    assert {"type": "home", "value": "h@x.com"} in stored["emails"]
    assert len(stored["emails"]) == 2
    # Entra's other form: a one-element value array for a sub-attribute path
    api.patch(path, [{"op": "Add", "path": 'emails[type eq "other"].value',
                       "value": [{"value": "o@x.com"}]}])
    assert {"type": "other", "value": "o@x.com"} in api.user(user["id"])["emails"]
    # remove through a filter path
    api.patch(path, [{"op": "Remove", "path": 'emails[type eq "home"]'}])
    assert [e["type"] for e in api.user(user["id"])["emails"]] == ["work", "other"]


@pytest.mark.parametrize(
    ("op", "path", "value"),
    [
        ("Add", f"{ENTERPRISE}:manager", "MGR"),  # bare string (D13)
        ("add", f"{ENTERPRISE}:manager", "MGR"),
        ("Add", "manager", [{"$ref": "http://x/Users/MGR", "value": "MGR"}]),  # legacy doc form
        ("Replace", f"{ENTERPRISE}:manager", {"value": "MGR"}),
        ("Replace", f"{ENTERPRISE}:manager.value", "MGR"),
    ],
)
def test_manager_shapes(api: Scim, op: str, path: str, value: Any) -> None:
    user = api.create_user(f"report-{op}-{len(path)}@example.com")
    response = api.patch(f"/Users/{user['id']}", [{"op": op, "path": path, "value": value}])
    assert response.status_code == 200, body_of(response)
    manager = api.user(user["id"])[ENTERPRISE]["manager"]
    assert manager["value"] == "MGR"


def test_manager_change_and_removal(api: Scim) -> None:
    user = api.create_user("managed@example.com")
    path = f"/Users/{user['id']}"
    api.patch(path, [{"op": "Add", "path": "manager",
                       "value": [{"$ref": "http://x/Users/M1", "value": "M1"}]}])
    api.patch(path, [{"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": "M2"}])
    assert api.user(user["id"])[ENTERPRISE]["manager"] == {"value": "M2"}
    api.patch(path, [{"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": ""}])
    assert ENTERPRISE not in api.user(user["id"])
    api.patch(path, [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "M3"}])
    api.patch(path, [{"op": "Remove", "path": f"{ENTERPRISE}:manager"}])
    assert ENTERPRISE not in api.user(user["id"])


def test_add_and_replace_interchangeable_and_remove(api: Scim) -> None:
    user = api.create_user("ops@example.com", title="Dev")
    path = f"/Users/{user['id']}"
    api.patch(path, [{"op": "Add", "path": "title", "value": "Lead"}])
    assert api.user(user["id"])["title"] == "Lead"
    api.patch(path, [{"op": "Replace", "path": "preferredLanguage", "value": "de-DE"}])
    assert api.user(user["id"])["preferredLanguage"] == "de-DE"
    api.patch(path, [{"op": "Remove", "path": "title"}, {"op": "remove", "path": "name"}])
    assert "title" not in api.user(user["id"])
    api.patch(path, [{"op": "add", "path": "name.givenName", "value": "X"},
                      {"op": "add", "path": "name.familyName", "value": "Y"},
                      {"op": "remove", "path": "name.givenName"}])
    assert api.user(user["id"])["name"] == {"familyName": "Y"}


def _members(api: Scim, group_id: str) -> list[str]:
    return [m["value"] for m in api.group(group_id).get("members", [])]


def test_group_membership_legacy_dialect(api: Scim) -> None:
    """Add with ``$ref: null``; Remove with a value array removes only those (S1, S2, D3)."""
    users = [api.create_user(f"m{n}@example.com")["id"] for n in range(4)]
    group = api.create_group("Legacy Group", members=[])
    path = f"/Groups/{group['id']}"
    response = api.patch(path, [{"op": "Add", "path": "members",
                                  "value": [{"$ref": None, "value": u} for u in users]}])
    assert response.status_code == 200
    assert _members(api, group["id"]) == users
    member = api.group(group["id"])["members"][0]
    assert member["type"] == "User" and member["display"] == "m0@example.com"
    assert member["$ref"].endswith(f"/scim/v2/Users/{users[0]}")
    # re-adding an existing member is a no-op, not a duplicate or an error (D20, D24)
    response = api.patch(path, [{"op": "Add", "path": "members", "value": [{"value": users[0]}]}])
    assert response.status_code == 200
    assert _members(api, group["id"]) == users
    response = api.patch(path, [{"op": "Remove", "path": "members",
                                  "value": [{"$ref": None, "value": users[1]},
                                            {"value": users[2]}]}])
    assert response.status_code == 200
    assert _members(api, group["id"]) == [users[0], users[3]]
    api.patch(path, [{"op": "Replace", "path": "displayName", "value": "Renamed"}])
    assert api.group(group["id"])["displayName"] == "Renamed"
    api.patch(path, [{"op": "remove", "path": "members"}])
    assert _members(api, group["id"]) == []


def test_group_membership_compliant_dialect(api: Scim) -> None:
    """aadOptscim062020: ``members[value eq "…"]`` removal path (S2, D5)."""
    users = [api.create_user(f"c{n}@example.com")["id"] for n in range(3)]
    group = api.create_group("Compliant Group", members=users)
    path = f"/Groups/{group['id']}"
    response = api.patch(path, [{"op": "remove", "path": f'members[value eq "{users[1]}"]'}])
    assert response.status_code == 200
    assert _members(api, group["id"]) == [users[0], users[2]]
    response = api.patch(path, [{"op": "remove", "path": 'members[value eq "not-a-member"]'}])
    assert response.status_code == 200  # removing what is not there is idempotent
    assert _members(api, group["id"]) == [users[0], users[2]]


def test_members_must_exist(api: Scim) -> None:
    group = api.create_group("Strict Group")
    response = api.patch(f"/Groups/{group['id']}",
                          [{"op": "Add", "path": "members", "value": [{"value": "nobody"}]}])
    assert_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    ("body", "status", "scim_type"),
    [
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}, 400, "invalidSyntax"),
        ({"Operations": "nope"}, 400, "invalidSyntax"),
        ({"Operations": [{"op": "Upsert", "path": "title", "value": "x"}]}, 400,
         "invalidSyntax"),
        ({"Operations": [{"path": "title", "value": "x"}]}, 400, "invalidSyntax"),
        ({"Operations": [{"op": "Remove"}]}, 400, "noTarget"),
        ({"Operations": [{"op": "Replace", "path": 'emails[value co "@nowhere"].type',
                          "value": "work"}]}, 400, "noTarget"),
        ({"Operations": [{"op": "Replace", "path": 'emails[type eq "home"]',
                          "value": {"value": "x@y"}}]}, 400, "noTarget"),
        ({"Operations": [{"op": "Replace", "path": "emails[type eq", "value": "x"}]}, 400,
         "invalidPath"),
        ({"Operations": [{"op": "Replace", "path": "name.nosuch", "value": "x"}]}, 400,
         "invalidPath"),
        ({"Operations": [{"op": "Replace", "path": "userName[value eq \"x\"]", "value": "x"}]},
         400, "invalidPath"),
        ({"Operations": [{"op": "Replace", "path": f"{ENTERPRISE}:nosuch", "value": "x"}]},
         400, "invalidPath"),
        ({"Operations": [{"op": "Replace", "path": "active", "value": "yes"}]}, 400,
         "invalidValue"),
        ({"Operations": [{"op": "Replace", "path": "userName", "value": 42}]}, 400,
         "invalidValue"),
        ({"Operations": [{"op": "Replace", "path": "name", "value": "flat"}]}, 400,
         "invalidValue"),
        ({"Operations": [{"op": "Replace", "value": "not an object"}]}, 400, "invalidValue"),
        ({"Operations": [{"op": "Remove", "path": "userName"}]}, 400, "invalidValue"),
        ({"Operations": [{"op": "Replace", "path": "id", "value": "mine"}]}, 400, "mutability"),
        ({"Operations": [{"op": "Replace", "path": "meta.created", "value": "2020"}]}, 400,
         "mutability"),
    ],
)
def test_patch_errors(api: Scim, body: dict[str, Any], status: int, scim_type: str) -> None:
    user = api.create_user("errors@example.com", emails=[{"type": "work", "value": "w@x"}])
    response = api.request("PATCH", f"/Users/{user['id']}", body)
    assert_error(response, status, scim_type)
    assert api.user(user["id"]) == user  # nothing applied


def test_patch_is_atomic(api: Scim) -> None:
    user = api.create_user("atomic@example.com")
    response = api.patch(f"/Users/{user['id']}", [
        {"op": "Replace", "path": "displayName", "value": "Changed"},
        {"op": "Replace", "path": "active", "value": "maybe"},
    ])
    assert_error(response, 400, "invalidValue")
    assert "displayName" not in api.user(user["id"])


def test_patch_username_uniqueness_and_unknown_id(api: Scim) -> None:
    api.create_user("taken@example.com")
    user = api.create_user("free@example.com")
    response = api.patch(f"/Users/{user['id']}",
                          [{"op": "Replace", "path": "userName", "value": "TAKEN@example.com"}])
    assert_error(response, 409, "uniqueness")
    response = api.patch("/Users/does-not-exist",
                          [{"op": "Replace", "path": "active", "value": False}])
    assert_error(response, 404)


def test_patch_response_honours_attributes(api: Scim) -> None:
    user = api.create_user("attrs@example.com", displayName="D")
    response = api.patch(f"/Users/{user['id']}", [{"op": "Add", "path": "title", "value": "T"}],
                          query={"attributes": "title"})
    assert body_of(response) == {"schemas": user["schemas"], "id": user["id"], "title": "T"}
    response = api.patch(f"/Users/{user['id']}", [{"op": "Add", "path": "title", "value": "U"}],
                          query={"excludedAttributes": "meta,displayName"})
    assert "meta" not in body_of(response) and "displayName" not in body_of(response)
    assert body_of(response)["title"] == "U"


def test_password_accepted_never_returned(api: Scim) -> None:
    user = api.create_user("pw@example.com", password="Initial1!")
    assert "password" not in user
    for operation in ({"op": "Replace", "path": "password", "value": "N3w!"},
                      {"op": "replace", "value": {"password": "N3w2!"}}):
        response = api.patch(f"/Users/{user['id']}", [operation])
        assert response.status_code == 200 and "password" not in body_of(response)
    assert "password" not in api.user(user["id"])
    response = api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "password",
                                                  "value": 5}])
    assert_error(response, 400, "invalidValue")


def test_roles_json_string_value_is_decoded(api: Scim) -> None:
    """Entra's AppRoleAssignmentsComplex PATCH carries a JSON string inside value (S8); storing
    it raw is defect D15, so the role is stored by its value and display name."""
    user = api.create_user("roles@example.com", roles=[])
    role = '{"id":"06b0","value":"25","displayName":"Role1234"}'
    response = api.patch(f"/Users/{user['id']}",
                          [{"op": "Add", "path": "roles", "value": [{"value": role}]}])
    assert response.status_code == 200
    assert api.user(user["id"])["roles"] == [{"value": "25", "display": "Role1234"}]
    # text that only looks like JSON, or JSON without a role value, is kept as sent
    for kept in ("{not json", '{"id":"06b0"}'):
        api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "roles",
                                            "value": [{"value": kept}]}])
        assert api.user(user["id"])["roles"] == [{"value": kept}]
